//! Snapshot expectations for the parsers on every real file in `tests/data`:
//! one check function, many cases. Each case's output is rendered as text
//! (columns, counts, the first and last rows, per-column sums and missing
//! counts; every row for station lists and metadata) and compared with
//! `tests/data/snapshots/<case>.snap`. Each input is also read in the other
//! encoding and line ending (UTF-8/LF ↔ ISO-8859-1/CRLF), which must render
//! the same. `UPDATE_SNAPSHOTS=1 cargo test -p climastation-tests parser_snapshots`
//! rewrites the files; review the diff before committing it.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use dwd_parser::metadata::StationMetadata;
use dwd_parser::produkt::{Produkt, RowTime, Value};

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data").join(rel)
}

/// The same text in the other encoding and line ending: ISO-8859-1 with
/// CRLF if it is UTF-8, UTF-8 with LF otherwise. ASCII text only swaps
/// line ends.
fn other_encoding(bytes: &[u8]) -> Vec<u8> {
    let crlf = bytes.windows(2).any(|w| w == b"\r\n");
    match std::str::from_utf8(bytes) {
        Ok(text) => {
            let lf = text.replace("\r\n", "\n");
            let text = if crlf { lf } else { lf.replace('\n', "\r\n") };
            text.chars()
                .map(|c| u8::try_from(u32::from(c)).unwrap())
                .collect()
        }
        Err(_) => {
            let text: String = bytes.iter().map(|&b| char::from(b)).collect();
            text.replace("\r\n", "\n").into_bytes()
        }
    }
}

/// A zip with every member re-encoded by [`other_encoding`].
fn other_encoding_zip(zip: &[u8]) -> Vec<u8> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let mut out = std::io::Cursor::new(Vec::new());
    let mut w = zip::ZipWriter::new(&mut out);
    for i in 0..z.len() {
        let mut m = z.by_index(i).unwrap();
        let name = String::from_utf8_lossy(m.name_raw()).into_owned();
        let mut bytes = Vec::new();
        m.read_to_end(&mut bytes).unwrap();
        w.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(&other_encoding(&bytes)).unwrap();
    }
    w.finish().unwrap();
    out.into_inner()
}

fn time_text(t: &RowTime) -> String {
    match t {
        RowTime::At(t) => t.strftime("%Y-%m-%dT%H:%M").to_string(),
        RowTime::Span(a, b) => format!("{}..{}", a.strftime("%Y-%m-%d"), b.strftime("%Y-%m-%d")),
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::Missing => "null".into(),
        Value::Number(n) => n.to_string(),
        Value::Code(c) => format!("{c:?}"),
    }
}

fn render_produkt(p: &Produkt) -> String {
    let mut s = String::new();
    writeln!(s, "columns: {}", p.columns.join(";")).unwrap();
    writeln!(s, "rows: {}", p.len()).unwrap();
    let mut ids = p.stations.clone();
    ids.dedup();
    writeln!(s, "stations: {ids:?}").unwrap();
    let row = |s: &mut String, i: usize| {
        let values: Vec<String> = p.row_values(i).iter().map(value_text).collect();
        writeln!(
            s,
            "  {} {} | {}",
            p.stations[i],
            time_text(&p.times[i]),
            values.join(" | ")
        )
        .unwrap();
    };
    writeln!(s, "first rows:").unwrap();
    for i in 0..p.len().min(5) {
        row(&mut s, i);
    }
    writeln!(s, "last rows:").unwrap();
    for i in p.len().saturating_sub(5)..p.len() {
        row(&mut s, i);
    }
    if let Some(t) = &p.true_local_times {
        let shown: Vec<String> = t
            .iter()
            .take(3)
            .map(|x| x.map_or("null".into(), |d| d.strftime("%Y-%m-%dT%H:%M").to_string()))
            .collect();
        writeln!(
            s,
            "true local times: {} missing; first {}",
            t.iter().filter(|x| x.is_none()).count(),
            shown.join(", ")
        )
        .unwrap();
    }
    writeln!(s, "per column (missing, numbers, sum, min, max, codes):").unwrap();
    for (c, series) in p.columns.iter().zip(&p.series) {
        let (mut missing, mut n, mut sum, mut codes) = (0, 0, 0.0, 0);
        let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
        for i in 0..series.len() {
            match series.get(i) {
                Value::Missing => missing += 1,
                Value::Number(x) => {
                    n += 1;
                    sum += x;
                    min = min.min(x);
                    max = max.max(x);
                }
                Value::Code(_) => codes += 1,
            }
        }
        writeln!(
            s,
            "  {c}: {missing}, {n}, {sum:.3}, {}, {}, {codes}",
            if n > 0 { min.to_string() } else { "-".into() },
            if n > 0 { max.to_string() } else { "-".into() }
        )
        .unwrap();
    }
    s
}

fn opt<T: std::fmt::Display>(v: &Option<T>) -> String {
    v.as_ref()
        .map_or_else(|| "null".into(), ToString::to_string)
}

fn render_metadata(m: &StationMetadata) -> String {
    let mut s = String::new();
    writeln!(s, "locations: {}", m.locations.len()).unwrap();
    for l in &m.locations {
        writeln!(
            s,
            "  {} {}..{} | {} m | {} {} | {}",
            l.station_id,
            opt(&l.from),
            opt(&l.to),
            opt(&l.height_m),
            opt(&l.latitude),
            opt(&l.longitude),
            l.name
        )
        .unwrap();
    }
    writeln!(s, "parameters: {}", m.parameters.len()).unwrap();
    for p in &m.parameters {
        writeln!(
            s,
            "  {} {}..{} | {} | {} | {} | {} | {} | ref {}",
            p.station_id,
            opt(&p.from),
            opt(&p.to),
            p.parameter,
            p.description,
            p.unit,
            p.source,
            p.extra,
            p.reference().map_or("-", |r| r.as_str())
        )
        .unwrap();
    }
    writeln!(s, "devices: {}", m.devices.len()).unwrap();
    for d in &m.devices {
        writeln!(
            s,
            "  {} {} {}..{} | {} | {} | {} {} {} m, sensor {} m{} | {}",
            d.station_id,
            d.group,
            opt(&d.from),
            opt(&d.to),
            d.device_type,
            d.method,
            opt(&d.latitude),
            opt(&d.longitude),
            opt(&d.height_m),
            opt(&d.sensor_height_m),
            d.barometer_height_m
                .map(|b| format!(", barometer {b} m above sea level"))
                .unwrap_or_default(),
            d.station_name
        )
        .unwrap();
    }
    for (label, rows) in [("names", &m.names), ("operators", &m.operators)] {
        writeln!(s, "{label}: {}", rows.len()).unwrap();
        for n in rows {
            writeln!(
                s,
                "  {} {}..{} | {}",
                n.station_id,
                opt(&n.from),
                opt(&n.to),
                n.name
            )
            .unwrap();
        }
    }
    s
}

fn render_stations(list: &[dwd_parser::stations::Station]) -> String {
    let mut s = format!("stations: {}\n", list.len());
    for st in list {
        writeln!(
            s,
            "  {} {}..{} | {} m | {} {} | {} | {} | {}",
            st.id,
            st.from,
            st.to,
            st.height,
            st.latitude,
            st.longitude,
            st.name,
            st.state,
            st.abgabe.as_deref().unwrap_or("-")
        )
        .unwrap();
        if let Some(ke) = &st.identifier {
            s.pop();
            writeln!(s, " | ST_KE {ke}").unwrap();
        }
    }
    s
}

/// How a case is read.
#[derive(Clone, Copy)]
enum Parser {
    /// A data zip, each column read as its dataset's translation table says.
    DataZip,
    Produkt,
    MetadataZip,
    Metadata,
    StationList,
}

/// A data zip parsed as the `dwd` processor does: each column's kind
/// (number, code, text) from the translation table of the dataset that
/// the `produkt*` member's name belongs to.
fn parse_data_zip(
    name: &str,
    cursor: std::io::Cursor<&[u8]>,
) -> Result<dwd_parser::archive::DataZip, dwd_parser::ParseError> {
    let tables = dwd_translate::Tables::embedded().unwrap();
    dwd_parser::archive::parse_data_zip_kinds(name, cursor, 64 << 20, &|member, column| {
        match dwd_catalog::dataset_of(member) {
            Some(d) => tables.kind(d.name, column),
            None => dwd_parser::produkt::ColumnKind::default_of(column),
        }
    })
}

/// Renders what `parser` makes of `bytes` (named `name`).
fn render(parser: Parser, name: &str, bytes: &[u8]) -> String {
    let cursor = std::io::Cursor::new(bytes);
    match parser {
        Parser::DataZip => {
            let z = parse_data_zip(name, cursor).unwrap();
            format!(
                "member: {}\n{}{}",
                z.member,
                render_produkt(&z.produkt),
                render_metadata(&z.metadata)
            )
        }
        Parser::Produkt => render_produkt(&dwd_parser::produkt::parse(name, bytes).unwrap()),
        Parser::MetadataZip => {
            render_metadata(&dwd_parser::archive::read_metadata(name, cursor).unwrap())
        }
        Parser::Metadata => render_metadata(
            &dwd_parser::metadata::parse(name, name, bytes)
                .unwrap()
                .unwrap(),
        ),
        Parser::StationList => render_stations(&dwd_parser::stations::parse(name, bytes).unwrap()),
    }
}

/// The one check: parse `rel` (and its re-encoded twin) and compare with
/// the snapshot.
fn check(rel: &str, parser: Parser) {
    let path = data(rel);
    let bytes = std::fs::read(&path).unwrap();
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let got = render(parser, &name, &bytes);
    let twin = match parser {
        Parser::DataZip | Parser::MetadataZip => other_encoding_zip(&bytes),
        _ => other_encoding(&bytes),
    };
    assert_eq!(
        render(parser, &name, &twin),
        got,
        "{rel}: the other encoding and line ending read differently"
    );
    let snap = data("snapshots").join(format!("{}.snap", rel.replace('/', "__")));
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(snap.parent().unwrap()).unwrap();
        std::fs::write(&snap, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&snap).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (UPDATE_SNAPSHOTS=1 writes it; review it before committing)",
            snap.display()
        )
    });
    if want != got {
        let first = want
            .lines()
            .zip(got.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(want.lines().count().min(got.lines().count()));
        panic!(
            "{rel}: differs from {} at line {}:\n  want: {:?}\n  got:  {:?}",
            snap.display(),
            first + 1,
            want.lines().nth(first),
            got.lines().nth(first)
        );
    }
}

#[test]
fn parser_output_matches_the_snapshots() {
    use Parser::*;
    let cases: &[(&str, Parser)] = &[
        (
            "fixtures/produkt_zehn_now_tu_20250625_20250625_00044.txt",
            Produkt,
        ),
        (
            "dwd/10_minutes/air_temperature/now/10minutenwerte_TU_00044_now.zip",
            DataZip,
        ),
        (
            "dwd/10_minutes/solar/recent/10minutenwerte_SOLAR_01766_akt.zip",
            DataZip,
        ),
        (
            "dwd/10_minutes/solar/now/10minutenwerte_SOLAR_01766_now.zip",
            DataZip,
        ),
        (
            "dwd/10_minutes/extreme_wind/recent/10minutenwerte_extrema_wind_01766_akt.zip",
            DataZip,
        ),
        (
            "dwd/hourly/air_temperature/recent/stundenwerte_TU_00320_akt.zip",
            DataZip,
        ),
        (
            "dwd/hourly/cloudiness/recent/stundenwerte_N_01766_akt.zip",
            DataZip,
        ),
        (
            "dwd/hourly/dew_point/recent/stundenwerte_TD_01766_akt.zip",
            DataZip,
        ),
        (
            "dwd/hourly/precipitation/recent/stundenwerte_RR_00020_akt.zip",
            DataZip,
        ),
        (
            "dwd/hourly/pressure/historical/stundenwerte_P0_07412_20180915_20200317_hist.zip",
            DataZip,
        ),
        (
            "dwd/hourly/sun/recent/stundenwerte_SD_05792_akt.zip",
            DataZip,
        ),
        (
            "dwd/hourly/visibility/recent/stundenwerte_VV_01766_akt.zip",
            DataZip,
        ),
        (
            "dwd/hourly/wind/recent/stundenwerte_FF_04911_akt.zip",
            DataZip,
        ),
        ("dwd/hourly/solar/stundenwerte_ST_05906_row.zip", DataZip),
        ("fixtures/legacy/tageswerte_KL_03987_akt.zip", DataZip),
        (
            "fixtures/legacy/monatswerte_03987_18930101_20151231_hist.zip",
            DataZip,
        ),
        (
            "dwd/1_minute/precipitation/historical/2022/1minutenwerte_nieder_00020_20220101_20220102_hist.zip",
            DataZip,
        ),
        (
            "dwd/5_minutes/precipitation/recent/5minutenwerte_nieder_00020_akt.zip",
            DataZip,
        ),
        (
            "dwd/hourly/cloud_type/recent/stundenwerte_CS_00044_akt.zip",
            DataZip,
        ),
        (
            "dwd/subdaily/air_temperature/recent/terminwerte_TU_00044_akt.zip",
            DataZip,
        ),
        ("dwd/daily/kl/recent/tageswerte_KL_04271_akt.zip", DataZip),
        ("dwd/annual/kl/recent/jahreswerte_KL_00044_akt.zip", DataZip),
        (
            "dwd/monthly/kl/historical/monatswerte_KL_01691_18570101_20171231_hist.zip",
            DataZip,
        ),
        (
            "dwd/monthly/kl/historical/monatswerte_KL_03987_18930101_20161231_hist.zip",
            DataZip,
        ),
        (
            "dwd/10_minutes/solar/meta_data/Meta_Daten_zehn_min_sd_01766.zip",
            MetadataZip,
        ),
        (
            "dwd/10_minutes/air_temperature/meta_data/Meta_Daten_zehn_min_tu_00003.zip",
            MetadataZip,
        ),
        ("fixtures/metadata/Metadaten_Parameter_00003.html", Metadata),
        (
            "fixtures/metadata/Metadaten_Stationsname_Betreibername_00003.html",
            Metadata,
        ),
        (
            "fixtures/metadata/Metadaten_Geraete_Lufttemperatur_00003.html",
            Metadata,
        ),
        (
            "fixtures/2016-10_daily_kl_recent_KL_Tageswerte_Beschreibung_Stationen.txt",
            StationList,
        ),
        (
            "fixtures/2019-05_10_minutes_air_temperature_recent_zehn_min_tu_Beschreibung_Stationen.txt",
            StationList,
        ),
        (
            "dwd/10_minutes/air_temperature/now/zehn_now_tu_Beschreibung_Stationen.txt",
            StationList,
        ),
        (
            "fixtures/2019-05_subdaily_standard_format_KL_Standardformate_Beschreibung_Stationen.txt",
            StationList,
        ),
        (
            "dwd/subdaily/air_temperature/recent/TU_Terminwerte_Beschreibung_Stationen.txt",
            StationList,
        ),
        (
            "dwd/annual/kl/recent/KL_Jahreswerte_Beschreibung_Stationen.txt",
            StationList,
        ),
    ];
    for (rel, parser) in cases {
        check(rel, *parser);
    }
}
