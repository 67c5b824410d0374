//! `cargo xtask bench archive [--dir DIR] [--skip-run] [--runs 5]`: the
//! bookkeeping at the archive's real size. Builds a local mirror with every
//! one of the 758,223 paths of `observations_germany/climate/` (rdwd's
//! public file index, `tests/data/archive/paths.txt.gz`), station lists
//! rebuilt from rdwd's station index (`stations.tsv.gz`), and tiny stand-in
//! files (each zip a valid one-member zip); then times, as a user would run
//! them (this release binary as `xtask climastation …`):
//!
//! - a crawl of every dataset of the catalog into a fresh database;
//! - the same crawl again (nothing new);
//! - `status`, and `status --dataset 1_minute/precipitation`;
//! - `stations --dataset 1_minute/precipitation --near 51.34,12.37 --radius
//!   50`, against the stations the mirror's own lists hold within 50 km;
//! - a selective crawl (`--station 44`) into another fresh database;
//! - `run --processor verify --workers 4` over everything, the mirror's
//!   files read where they are (unless `--skip-run`),
//!
//! each with its wall time, its peak RSS, and the database's bytes a file.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};

use crate::args::Args;

const LEIPZIG: (f64, f64) = (51.34, 12.37);
const LEIPZIG_DATASET: &str = "1_minute/precipitation";

pub fn run(a: Args) -> anyhow::Result<()> {
    let temp = tempfile::tempdir()?;
    let dir = a
        .opt("dir")
        .map_or(temp.path().to_path_buf(), PathBuf::from);
    let runs: usize = a.get("runs", 5)?;
    let root = std::env::current_dir()?.join("tests/data/archive");
    let mirror = dir.join("mirror");
    let t = Instant::now();
    let built = Mirror::build(&root, &mirror)?;
    println!(
        "mirror: {} files, {} station lists ({:.0} s to write, or reused)",
        built.files,
        built.lists,
        t.elapsed().as_secs_f64()
    );
    let expected = built.leipzig;

    let all: Vec<String> = dwd_catalog::DATASETS
        .iter()
        .map(|d| d.name.to_owned())
        .collect();
    let mut crawl_args = vec!["crawl".to_owned()];
    for d in &all {
        crawl_args.push("--dataset".into());
        crawl_args.push(d.clone());
    }

    let data = dir.join("data");
    let _ = std::fs::remove_dir_all(&data);
    let cli = Cli {
        exe: std::env::current_exe()?,
        mirror: mirror.clone(),
    };
    let mut table: Vec<(String, Measured, Option<f64>)> = Vec::new();
    let first = cli.measure(&data, &crawl_args)?;
    let files = registered(&data)?;
    let per_file = db_bytes(&data) as f64 / files.max(1) as f64;
    table.push(("crawl, every dataset".into(), first, Some(per_file)));
    let again = cli.measure(&data, &crawl_args)?;
    table.push((
        "crawl again, nothing new".into(),
        again,
        Some(db_bytes(&data) as f64 / files.max(1) as f64),
    ));
    for (label, args) in [
        ("status", vec!["--json", "status"]),
        (
            "status --dataset 1_minute/precipitation",
            vec!["--json", "status", "--dataset", LEIPZIG_DATASET],
        ),
    ] {
        let args: Vec<String> = args.into_iter().map(str::to_owned).collect();
        let mut samples: Vec<Measured> = (0..runs)
            .map(|_| cli.measure(&data, &args))
            .collect::<anyhow::Result<_>>()?;
        samples.sort_by(|a, b| a.wall.total_cmp(&b.wall));
        table.push((
            format!("{label} (median of {runs})"),
            samples.swap_remove(samples.len() / 2),
            None,
        ));
    }
    let leipzig_args: Vec<String> = [
        "--json",
        "stations",
        "--dataset",
        LEIPZIG_DATASET,
        "--near",
        "51.34,12.37",
        "--radius",
        "50",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    let stations = cli.measure(&data, &leipzig_args)?;
    let found: BTreeSet<u32> = serde_json::from_str::<serde_json::Value>(&stations.stdout)
        .context("stations --json")?["stations"]
        .as_array()
        .map(|l| {
            l.iter()
                .filter_map(|s| s["station_id"].as_u64().map(|v| v as u32))
                .collect()
        })
        .unwrap_or_default();
    table.push(("stations near Leipzig (1-minute)".into(), stations, None));

    let selective = dir.join("data-selective");
    let _ = std::fs::remove_dir_all(&selective);
    let mut sel_args = crawl_args.clone();
    sel_args.extend(["--station".to_owned(), "44".to_owned()]);
    let sel = cli.measure(&selective, &sel_args)?;
    let sel_files = registered(&selective)?;
    table.push((format!("crawl --station 44 ({sel_files} files)"), sel, None));

    if !a.flag("skip-run") {
        let mut args: Vec<String> = [
            "run",
            "--processor",
            "verify",
            "--workers",
            "4",
            "--keep-going",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect();
        for d in &all {
            args.push("--dataset".into());
            args.push(d.clone());
        }
        let verify = cli.measure_with(&data, mirror.join("climate"), &args)?;
        table.push((
            "run --processor verify --workers 4".into(),
            verify,
            Some(db_bytes(&data) as f64 / files.max(1) as f64),
        ));
    }

    println!("\n{files} files registered; 2 cores; release build\n");
    println!("| step | wall | peak RSS | database, bytes a file |\n|---|---|---|---|");
    for (label, m, per) in &table {
        println!(
            "| {label} | {} | {:.0} MB | {} |",
            if m.wall < 1.0 {
                format!("{:.0} ms", m.wall * 1000.0)
            } else {
                format!("{:.1} s", m.wall)
            },
            m.peak_kb as f64 / 1024.0,
            per.map_or("".into(), |p| format!("{p:.0} B"))
        );
    }
    let missing: Vec<&u32> = expected.difference(&found).collect();
    println!(
        "\nstations near Leipzig: {} found, {} in the mirror's lists within 50 km{}",
        found.len(),
        expected.len(),
        if missing.is_empty() {
            String::new()
        } else {
            format!("; missing: {missing:?}")
        }
    );
    Ok(())
}

/// One command's figures.
struct Measured {
    wall: f64,
    peak_kb: u64,
    stdout: String,
}

/// The CLI under test: this binary as `xtask climastation …`, with the
/// mirror as its source and `data` as its data folder.
struct Cli {
    exe: PathBuf,
    mirror: PathBuf,
}

impl Cli {
    fn measure(&self, data: &Path, args: &[String]) -> anyhow::Result<Measured> {
        self.measure_with(data, data.join("raw"), args)
    }

    /// [`Cli::measure`] with the files at `raw` (the verify run reads the
    /// mirror's files where they are).
    fn measure_with(&self, data: &Path, raw: PathBuf, args: &[String]) -> anyhow::Result<Measured> {
        let out_file = data.with_extension("stdout");
        std::fs::create_dir_all(data)?;
        let t = Instant::now();
        let mut child = Command::new(&self.exe)
            .arg("climastation")
            .arg("--quiet")
            .args(args)
            .env_remove("CLIMASTATION_CONFIG")
            .env("CLIMASTATION_SOURCE__BASE_URL", self.mirror.join("climate"))
            .env("CLIMASTATION_PATHS__DATA_DIR", data)
            .env("CLIMASTATION_PATHS__PROGRESS_DB", data.join("progress.db"))
            .env("CLIMASTATION_PATHS__RAW", raw)
            .env("CLIMASTATION_PATHS__OUTPUT", data.join("output"))
            .env("CLIMASTATION_PATHS__LOGS", data.join("logs"))
            .env("CLIMASTATION_LOGGING__FILE", "false")
            .stdout(std::fs::File::create(&out_file)?)
            .spawn()
            .with_context(|| format!("climastation {}", args.join(" ")))?;
        let (status, peak_kb) =
            crate::measure::wait_with_peak(&mut child, std::time::Duration::from_millis(5))?;
        let wall = t.elapsed().as_secs_f64();
        if !status.success() {
            bail!("climastation {} exited with {status}", args.join(" "));
        }
        Ok(Measured {
            wall,
            peak_kb,
            stdout: std::fs::read_to_string(&out_file)?,
        })
    }
}

/// The database's bytes (with its WAL) under `data`.
fn db_bytes(data: &Path) -> u64 {
    ["progress.db", "progress.db-wal"]
        .iter()
        .map(|f| std::fs::metadata(data.join(f)).map_or(0, |m| m.len()))
        .sum()
}

/// Files the database under `data` holds.
fn registered(data: &Path) -> anyhow::Result<u64> {
    let conn = rusqlite::Connection::open_with_flags(
        data.join("progress.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?;
    Ok(
        conn.query_row("SELECT count(*) FROM file_processing_log", [], |r| {
            r.get::<_, i64>(0)
        })? as u64,
    )
}

/// What the mirror holds.
struct Mirror {
    files: usize,
    lists: usize,
    /// The stations of the 1-minute lists within 50 km of Leipzig.
    leipzig: BTreeSet<u32>,
}

/// A station of rdwd's index: the folder it is listed in and its row.
struct Row {
    id: u32,
    from: String,
    to: String,
    height: String,
    lat: f64,
    lon: f64,
    name: String,
    state: String,
}

impl Mirror {
    /// Writes the mirror under `dir/climate` (kept when `.complete` says
    /// it is whole from an earlier run).
    fn build(data: &Path, dir: &Path) -> anyhow::Result<Mirror> {
        let paths = read_gz(&data.join("paths.txt.gz"))?;
        let rows = stations(&data.join("stations.tsv.gz"))?;
        let climate = dir.join("climate");
        let done = dir.join(".complete");
        let zip = stand_in_zip()?;
        let mut lists = 0;
        let mut leipzig = BTreeSet::new();
        let write = !done.exists();
        if write {
            let _ = std::fs::remove_dir_all(dir);
        }
        let mut made: BTreeSet<PathBuf> = BTreeSet::new();
        for p in &paths {
            let path = climate.join(p);
            let is_list = p.contains("Beschreibung_Stationen");
            let listed = if is_list {
                list_rows(p, &rows)
            } else {
                Vec::new()
            };
            if is_list {
                lists += 1;
                if p.starts_with(LEIPZIG_DATASET) {
                    leipzig.extend(
                        listed
                            .iter()
                            .filter(|r| {
                                dwd_catalog::selection::distance_km(LEIPZIG, (r.lat, r.lon)) <= 50.0
                            })
                            .map(|r| r.id),
                    );
                }
            }
            if !write {
                continue;
            }
            if let Some(parent) = path.parent()
                && made.insert(parent.to_path_buf())
            {
                std::fs::create_dir_all(parent)?;
            }
            let content: Vec<u8> = if p.ends_with(".zip") {
                zip.clone()
            } else if is_list {
                list_text(&listed)
            } else {
                b"stand-in\n".to_vec()
            };
            std::fs::write(&path, content)?;
        }
        if write {
            std::fs::write(&done, b"")?;
        }
        Ok(Mirror {
            files: paths.len(),
            lists,
            leipzig,
        })
    }
}

fn read_gz(path: &Path) -> anyhow::Result<Vec<String>> {
    let f = std::fs::File::open(path).with_context(|| path.display().to_string())?;
    let r = std::io::BufReader::new(flate2::read::GzDecoder::new(f));
    Ok(r.lines().collect::<Result<_, _>>()?)
}

/// rdwd's station index: `res/var/per` → its rows.
fn stations(path: &Path) -> anyhow::Result<BTreeMap<String, Vec<Row>>> {
    let mut out: BTreeMap<String, Vec<Row>> = BTreeMap::new();
    for line in read_gz(path)? {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 11 {
            continue;
        }
        out.entry(format!("{}/{}/{}", f[0], f[1], f[2]))
            .or_default()
            .push(Row {
                id: f[3].parse()?,
                from: f[4].to_owned(),
                to: f[5].to_owned(),
                height: f[6].to_owned(),
                lat: f[7].parse()?,
                lon: f[8].parse()?,
                name: f[9].to_owned(),
                state: f[10].to_owned(),
            });
    }
    Ok(out)
}

/// The rows of the list at `path`: its folder's (`res/var/per`); in a year
/// folder (`…/historical/1995/…`), the stations active that year.
fn list_rows<'a>(path: &str, rows: &'a BTreeMap<String, Vec<Row>>) -> Vec<&'a Row> {
    let parts: Vec<&str> = path.split('/').collect();
    if parts.len() < 4 {
        return Vec::new();
    }
    let key = format!("{}/{}/{}", parts[0], parts[1], parts[2]);
    let year = (parts.len() > 4)
        .then(|| parts[3])
        .filter(|y| y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()));
    rows.get(&key)
        .map(|r| {
            r.iter()
                .filter(|r| {
                    year.is_none_or(|y| {
                        r.from.get(..4).is_some_and(|f| f <= y)
                            && r.to.get(..4).is_none_or(|t| t >= y)
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A station list as DWD writes one (fixed columns, ISO-8859-1, CRLF).
fn list_text(rows: &[&Row]) -> Vec<u8> {
    let mut text = String::from(
        "Stations_id von_datum bis_datum Stationshoehe geoBreite geoLaenge Stationsname Bundesland\r\n----------- --------- --------- ------------- --------- --------- ----------------------------------------- ----------\r\n",
    );
    for r in rows {
        text.push_str(&format!(
            "{:05} {} {} {:>14} {:>11.4} {:>9.4} {:<40} {}\r\n",
            r.id, r.from, r.to, r.height, r.lat, r.lon, r.name, r.state
        ));
    }
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
        .collect()
}

/// A valid zip with one small member: every zip of the mirror.
fn stand_in_zip() -> anyhow::Result<Vec<u8>> {
    let mut out = std::io::Cursor::new(Vec::new());
    let mut w = zip::ZipWriter::new(&mut out);
    w.start_file(
        "stand_in.txt",
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored),
    )?;
    w.write_all(b"stand-in\n")?;
    w.finish()?;
    Ok(out.into_inner())
}
