//! `cargo xtask fixtures`: a synthetic, DWD-like mirror for tests and
//! benchmarks, deterministic for a given seed.
//!
//! `<out>/climate/10_minutes/air_temperature/{historical,recent,now,meta_data}/`
//! with nginx-style `index.html` listings (sizes, dates with seconds, long
//! names cut at 50 characters), station lists (2025 layout with `Abgabe`,
//! ISO-8859-1, CRLF, lines padded to 200 characters), and zips holding one
//! `produkt_zehn_min_tu_*` file each: ISO-8859-1, CRLF, padded header and
//! values, runs of `-999`, with and without `eor`. Historical data comes in
//! three chunks a station: up to 1999-12-31 in MEZ (UTC+1), then 2000–2009
//! and 2010–2019 in UTC; the 2000 chunk starts at `199912312300` (UTC), the
//! instant after the MEZ chunk's last row, so the seam has no gap and no
//! duplicate. As at DWD, the periods overlap: `recent` starts half-way
//! through the newest historical file, and `now` (up to 144 rows) repeats
//! `recent`'s last rows. `--stations 541` gives 1,623 historical files like the real
//! folder; `--rows` sets the rows a file.
//!
//! No dependency on the rest of xtask: the integration tests include this
//! file to generate their mirror.

use std::io::Write;
use std::path::Path;

pub const DATASET: &str = "10_minutes/air_temperature";

/// What was written.
#[derive(Debug, Default)]
pub struct Written {
    pub files: usize,
    pub bytes: u64,
}

pub struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self, m: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % m.max(1)
    }
}

const NAMES: [&str; 12] = [
    "Aachen",
    "Großenkneten",
    "Öhringen",
    "Bergzabern, Bad",
    "Görlitz",
    "Garmisch-Partenkirchen",
    "Würzburg",
    "Zugspitze",
    "Lüdenscheid",
    "Kölln-Reisiek",
    "Hohenpeißenberg",
    "Straubing",
];
const STATES: [&str; 6] = [
    "Nordrhein-Westfalen",
    "Niedersachsen",
    "Baden-Württemberg",
    "Rheinland-Pfalz",
    "Sachsen",
    "Bayern",
];

/// Writes the mirror; returns the number of files and bytes (listings excluded).
pub fn generate(out: &Path, stations: usize, rows: usize, seed: u64) -> anyhow::Result<Written> {
    let root = out.join("climate").join(DATASET);
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut written = Written::default();
    let ids: Vec<u32> = (0..stations).map(|i| 3 + i as u32 * 7).collect();
    let mut listings: Vec<(String, Vec<(String, u64)>)> = Vec::new();

    for period in ["historical", "recent", "now", "meta_data"] {
        let dir = root.join(period);
        std::fs::create_dir_all(&dir)?;
        let mut entries = Vec::new();
        let mut put = |name: String, bytes: Vec<u8>| -> anyhow::Result<()> {
            std::fs::write(dir.join(&name), &bytes)?;
            entries.push((name, bytes.len() as u64));
            Ok(())
        };
        for (i, id) in ids.iter().enumerate() {
            let eor = i % 4 != 1; // every fourth station's files have no eor column
            match period {
                "historical" => {
                    // (from, to, first timestamp YYYYMMDDHHMM, reference)
                    let chunks = [
                        ("19930428", "19991231", 199_912_310_000u64, "MEZ"),
                        ("20000101", "20091231", 199_912_312_300, "UTC"),
                        ("20100101", "20191231", LAST_DECADE_START, "UTC"),
                    ];
                    for (from, to, start, _tz) in chunks {
                        // The first chunk ends at 1999-12-31 23:50 MEZ: its rows start
                        // `rows` steps before that.
                        let first = if to == "19991231" {
                            minus_minutes(199_912_312_350, (rows as u64 - 1) * 10)
                        } else {
                            start
                        };
                        let text = produkt(*id, first, rows, eor, &mut rng);
                        let inner = format!("produkt_zehn_min_tu_{from}_{to}_{id:05}.txt");
                        put(
                            format!("10minutenwerte_TU_{id:05}_{from}_{to}_hist.zip"),
                            zip_one(&inner, &text)?,
                        )?;
                    }
                }
                "recent" => {
                    // As at DWD, `recent` repeats the end of the newest
                    // historical file: it starts half-way through it.
                    let first = plus_minutes(LAST_DECADE_START, (rows / 2) as u64 * 10);
                    let text = produkt(*id, first, rows, eor, &mut rng);
                    let last = plus_minutes(first, (rows as u64 - 1) * 10);
                    put(
                        format!("10minutenwerte_TU_{id:05}_akt.zip"),
                        zip_one(
                            &format!(
                                "produkt_zehn_min_tu_{}_{}_{id:05}.txt",
                                first / 10_000,
                                last / 10_000
                            ),
                            &text,
                        )?,
                    )?;
                }
                "now" => {
                    // and `now` repeats the end of `recent`: its last half.
                    let recent = plus_minutes(LAST_DECADE_START, (rows / 2) as u64 * 10);
                    let n = rows.min(144);
                    let first = plus_minutes(recent, (rows - n / 2 - 1) as u64 * 10);
                    let text = produkt(*id, first, n, eor, &mut rng);
                    let day = first / 10_000;
                    put(
                        format!("10minutenwerte_TU_{id:05}_now.zip"),
                        zip_one(
                            &format!("produkt_zehn_now_tu_{day}_{day}_{id:05}.txt"),
                            &text,
                        )?,
                    )?;
                }
                _ => {
                    let param = metadata_parameter(*id);
                    put(
                        format!("Meta_Daten_zehn_min_tu_{id:05}.zip"),
                        zip_one(&format!("Metadaten_Parameter_{id:05}.txt"), &param)?,
                    )?;
                }
            }
        }
        if period != "meta_data" {
            let list_name = match period {
                "now" => "zehn_now_tu_Beschreibung_Stationen.txt",
                _ => "zehn_min_tu_Beschreibung_Stationen.txt",
            };
            put(list_name.to_owned(), station_list(&ids))?;
        }
        written.files += entries.len();
        written.bytes += entries.iter().map(|(_, s)| s).sum::<u64>();
        listings.push((period.to_owned(), entries));
    }

    for (period, entries) in &listings {
        let entries: Vec<_> = entries.iter().map(|(n, s)| (n.clone(), Some(*s))).collect();
        write_listing(
            &root.join(period),
            &format!("{DATASET}/{period}/"),
            &entries,
        )?;
    }
    let dirs: Vec<_> = listings
        .iter()
        .map(|(p, _)| (format!("{p}/"), None))
        .collect();
    write_listing(&root, &format!("{DATASET}/"), &dirs)?;
    Ok(written)
}

/// The first timestamp (YYYYMMDDHHMM, UTC) of the newest historical file.
const LAST_DECADE_START: u64 = 201_001_010_000;

/// YYYYMMDDHHMM plus `minutes`, by calendar (jiff).
fn plus_minutes(at: u64, minutes: u64) -> u64 {
    shift(at, minutes as i64)
}

/// YYYYMMDDHHMM minus `minutes`, by calendar (jiff).
fn minus_minutes(at: u64, minutes: u64) -> u64 {
    shift(at, -(minutes as i64))
}

fn shift(at: u64, minutes: i64) -> u64 {
    let dt = civil(at);
    let to = dt
        .checked_add(jiff::Span::new().minutes(minutes))
        .unwrap_or(dt);
    stamp(to).parse().unwrap_or(at)
}

fn civil(stamp: u64) -> jiff::civil::DateTime {
    jiff::civil::DateTime::strptime("%Y%m%d%H%M", stamp.to_string()).unwrap_or_default()
}

fn stamp(dt: jiff::civil::DateTime) -> String {
    format!(
        "{:04}{:02}{:02}{:02}{:02}",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute()
    )
}

/// A `produkt` file: padded header and values, CRLF, runs of -999.
pub fn produkt(id: u32, first: u64, rows: usize, eor: bool, rng: &mut Rng) -> Vec<u8> {
    let mut text = String::with_capacity(rows * 70);
    text.push_str("STATIONS_ID;MESS_DATUM;  QN;PP_10;TT_10;TM5_10;RF_10;TD_10");
    text.push_str(if eor { ";eor\r\n" } else { "\r\n" });
    let mut t = civil(first);
    let step = jiff::Span::new().minutes(10);
    let mut missing_run = 0;
    for _ in 0..rows {
        if missing_run == 0 && rng.next(200) == 0 {
            missing_run = 1 + rng.next(30) as usize;
        }
        let temp = rng.next(400) as f64 / 10.0 - 10.0;
        let value = |v: f64| {
            if missing_run > 0 {
                "  -999".to_owned()
            } else {
                format!("{v:>6.1}")
            }
        };
        text.push_str(&format!(
            "{id:>11};{};    3;{};{};{};{};{}",
            stamp(t),
            value(990.0 + rng.next(400) as f64 / 10.0),
            value(temp),
            value(temp - 1.3),
            value(50.0 + rng.next(500) as f64 / 10.0),
            value(temp - 4.2),
        ));
        text.push_str(if eor { ";eor\r\n" } else { "\r\n" });
        missing_run = missing_run.saturating_sub(1);
        t = t.checked_add(step).unwrap_or(t);
    }
    latin1(&text)
}

fn metadata_parameter(id: u32) -> Vec<u8> {
    let text = format!(
        "Stations_ID;Von_Datum;Bis_Datum;Stationsname;Parameter;Parameterbeschreibung;Einheit;Datenquelle (Strukturversion=SV);Zusatz-Info;Besonderheiten;Literaturhinweis;eor\r\n\
         {id:>5};19930428;19991231;Großenkneten;TT_10;Lufttemperatur in 2m Höhe;°C;10-Minutenwerte;Zeitbezug 1993-1999 MEZ;;;eor\r\n\
         {id:>5};20000101;20250819;Großenkneten;TT_10;Lufttemperatur in 2m Höhe;°C;10-Minutenwerte;Zeitbezug ab 2000 UTC;;;eor\r\n"
    );
    latin1(&text)
}

/// The 2025 layout: id zero-padded, dates, height, lat, lon, name, state, Abgabe.
fn station_list(ids: &[u32]) -> Vec<u8> {
    let mut text = String::from(
        "Stations_id von_datum bis_datum Stationshoehe geoBreite geoLaenge Stationsname Bundesland Abgabe",
    );
    text.push_str(&" ".repeat(200 - text.chars().count()));
    text.push_str("\r\n");
    text.push_str("----------- --------- --------- ------------- --------- --------- ----------------------------------------- ---------- ------");
    text.push_str("\r\n");
    for (i, id) in ids.iter().enumerate() {
        let name = NAMES[i % NAMES.len()];
        let state = STATES[i % STATES.len()];
        let mut line = format!(
            "{id:05} 19930428 20250819 {:>14} {:>11.4} {:>9.4} {name:<40} {state:<40} Frei",
            if i % 50 == 0 {
                "-0".to_owned()
            } else {
                (20 + i * 3 % 900).to_string()
            },
            47.5 + (i % 50) as f64 * 0.1,
            6.0 + (i % 80) as f64 * 0.1
        );
        let pad = 200usize.saturating_sub(line.chars().count());
        line.push_str(&" ".repeat(pad));
        text.push_str(&line);
        text.push_str("\r\n");
    }
    latin1(&text)
}

/// ISO-8859-1 bytes (every char used here is below U+0100).
fn latin1(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
        .collect()
}

pub fn zip_one(name: &str, data: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut cursor = std::io::Cursor::new(Vec::with_capacity(data.len() / 4 + 256));
    let mut w = zip::ZipWriter::new(&mut cursor);
    w.start_file(name, zip::write::SimpleFileOptions::default())?;
    w.write_all(data)?;
    w.finish()?;
    Ok(cursor.into_inner())
}

/// Every file below `dir` (recursively), sorted; none when it does not exist.
#[allow(dead_code)] // each user (xtask, the integration tests) takes what it needs
pub fn files_below(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Writes the listing of `<out>/climate/<DATASET>/<period>/` anew from the
/// files there now (a test changed one), with `-` as the size of the files
/// named in `no_size`, as DWD's listings show for some.
#[allow(dead_code)] // the integration tests' (they include this file)
pub fn relist(out: &Path, period: &str, no_size: &[&str]) -> anyhow::Result<()> {
    let dir = out.join("climate").join(DATASET).join(period);
    let mut entries = Vec::new();
    for e in std::fs::read_dir(&dir)? {
        let e = e?;
        let name = e.file_name().to_string_lossy().into_owned();
        if name != "index.html" {
            let size = (!no_size.contains(&name.as_str())).then_some(e.metadata()?.len());
            entries.push((name, size));
        }
    }
    entries.sort();
    write_listing(&dir, &format!("{DATASET}/{period}/"), &entries)
}

/// An nginx autoindex page (a size of `None` shows as `-`, as for
/// folders); names over 50 characters are shown cut.
fn write_listing(dir: &Path, title: &str, entries: &[(String, Option<u64>)]) -> anyhow::Result<()> {
    let mut html = format!(
        "<html>\r\n<head><title>Index of /climate_environment/CDC/observations_germany/climate/{title}</title></head>\r\n\
         <body>\r\n<h1>Index of /climate_environment/CDC/observations_germany/climate/{title}</h1><hr><pre><a href=\"../\">../</a>\r\n"
    );
    for (i, (name, size)) in entries.iter().enumerate() {
        let shown = if name.chars().count() > 50 {
            format!("{}..&gt;", &name[..47])
        } else {
            name.clone()
        };
        let pad = 51usize.saturating_sub(shown.replace("&gt;", ">").chars().count());
        let size = size.map_or("-".to_owned(), |s| s.to_string());
        let minute = i % 60;
        html.push_str(&format!(
            "<a href=\"{name}\">{shown}</a>{} 22-Nov-2021 16:{minute:02}:02 {size:>19}\r\n",
            " ".repeat(pad)
        ));
    }
    html.push_str("</pre><hr></body>\r\n</html>\r\n");
    std::fs::write(dir.join("index.html"), html)?;
    Ok(())
}
