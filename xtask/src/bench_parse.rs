//! `cargo xtask bench parse`: one decade of 10-minute data (525,600 rows,
//! ~38 MB of text, one zip) parsed, translated and written as Parquet on
//! one core, against inflating the same zip alone with the same zip library,
//! in the same run. Peak RSS is this process's (the parse runs last).

use std::io::Read;
use std::time::Instant;

use anyhow::Context;
use serde_json::json;

use crate::args::Args;
use crate::fixtures::{Rng, produkt, zip_one};
use crate::measure::peak_rss_kb;

/// Generates the zip, then measures in a fresh process (`parse-one`), so
/// that the peak RSS is the parse's own, not the generator's.
pub fn run(args: Args) -> anyhow::Result<()> {
    let rows: usize = args.get("rows", 525_600)?;
    let runs: usize = args.get("runs", 3)?;
    let tmp = tempfile::tempdir()?;
    let dataset = args.opt("dataset").unwrap_or(DATASET);
    // a real DWD zip (`--zip`), or a generated decade
    let (path, text_len) = match args.opt("zip") {
        Some(zip) => (std::path::PathBuf::from(zip), 0),
        None => {
            let text = produkt(
                3,
                200_001_010_000,
                rows,
                true,
                &mut Rng(0x5eed_1234_5678_9abc),
            );
            let zip = zip_one(NAME, &text)?;
            let path = tmp
                .path()
                .join("10minutenwerte_TU_00003_20000101_20091231_hist.zip");
            std::fs::write(&path, &zip)?;
            (path, text.len())
        }
    };
    if let Some(keep) = args.opt("keep-zip") {
        // for profiling or comparing with other tools (unzip -p, polars)
        std::fs::copy(&path, keep).with_context(|| format!("copying the zip to {keep}"))?;
    }
    let parquet = tmp.path().join("out.parquet");
    let out = std::process::Command::new(std::env::current_exe()?)
        .args(["bench", "parse-one", "--zip"])
        .arg(&path)
        .args([
            "--runs",
            &runs.to_string(),
            "--text-bytes",
            &text_len.to_string(),
            "--dataset",
            dataset,
            "--keep-parquet",
        ])
        .arg(&parquet)
        .output()
        .context("running parse-one")?;
    anyhow::ensure!(
        out.status.success(),
        "parse-one failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    print!("{}", String::from_utf8_lossy(&out.stdout));
    if let Some(keep) = args.opt("keep-parquet") {
        std::fs::copy(&parquet, keep).with_context(|| format!("copying the table to {keep}"))?;
    }
    if args.flag("duckdb") {
        // DuckDB's scan of the table just written (python3 with duckdb)
        let status = std::process::Command::new("python3")
            .arg("xtask/duckdb_scan.py")
            .arg(&parquet)
            .status()
            .context("running python3 xtask/duckdb_scan.py (needs the duckdb module)")?;
        anyhow::ensure!(status.success(), "duckdb_scan.py failed");
    }
    Ok(())
}

const NAME: &str = "produkt_zehn_min_tu_20000101_20091231_00003.txt";
const DATASET: &str = "10_minutes/air_temperature";

/// The measurement, in its own process.
pub fn run_one(args: Args) -> anyhow::Result<()> {
    let path = std::path::PathBuf::from(args.opt("zip").context("--zip")?);
    let runs: usize = args.get("runs", 3)?;
    let text_mb = args.get::<u64>("text-bytes", 0)? as f64 / 1e6;
    let tmp = tempfile::tempdir()?;
    let name = NAME;
    let dataset = args.opt("dataset").unwrap_or(DATASET);
    let zip_len = std::fs::metadata(&path)?.len();
    let mut inflate = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        // every member, as the parse reads them
        let mut z = zip::ZipArchive::new(std::io::BufReader::new(std::fs::File::open(&path)?))?;
        for i in 0..z.len() {
            std::io::copy(&mut z.by_index(i)?, &mut std::io::sink())?;
        }
        inflate.push(t.elapsed().as_secs_f64());
    }
    let rss_before_parse = peak_rss_kb();
    let tables = dwd_translate::Tables::embedded()?;
    let mut parse = Vec::new();
    // the three stages of one run: inflate + parse, translate, write Parquet
    let (mut stage_parse, mut stage_translate, mut stage_write) =
        (Vec::new(), Vec::new(), Vec::new());
    let mut out_rows = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let f = std::io::BufReader::new(std::fs::File::open(&path)?);
        let z = dwd_parser::archive::parse_data_zip("bench.zip", f, 512 << 20)?;
        stage_parse.push(t.elapsed().as_secs_f64());
        let t1 = Instant::now();
        let time =
            dwd_parser::time::decide(&z.member, dataset, &z.produkt.columns, Some(&z.metadata));
        let table =
            dwd_translate::table::translate(z.produkt, dataset, name, &tables, time.reference)?;
        out_rows = table.len();
        stage_translate.push(t1.elapsed().as_secs_f64());
        let t2 = Instant::now();
        let out = std::fs::File::create(tmp.path().join("out.parquet"))?;
        let source = dwd_translate::table::SourceInfo {
            file: name.into(),
            dataset: dataset.into(),
            ..Default::default()
        };
        let (batch, meta) = dwd_translate::table::to_batch(table, &source)?;
        dwd_series::encode::write_parquet(&batch, meta, std::io::BufWriter::new(out))
            .context("writing parquet")?;
        stage_write.push(t2.elapsed().as_secs_f64());
        parse.push(t.elapsed().as_secs_f64());
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (inflate_s, parse_s) = (median(&mut inflate), median(&mut parse));
    let parquet_bytes = std::fs::metadata(tmp.path().join("out.parquet"))?.len();
    let parquet_mb = parquet_bytes as f64 / 1e6;
    if let Some(keep) = args.opt("keep-parquet") {
        std::fs::copy(tmp.path().join("out.parquet"), keep)?;
    }
    let mut check = String::new();
    std::fs::File::open(tmp.path().join("out.parquet"))?
        .take(4)
        .read_to_string(&mut check)
        .ok();
    let report = json!({
        "rows": out_rows,
        "text_mb": (text_mb * 10.0).round() / 10.0,
        "zip_mb": (zip_len as f64 / 1e6 * 10.0).round() / 10.0,
        "parquet_mb": (parquet_mb * 10.0).round() / 10.0,
        "parquet_bytes_per_row": (parquet_bytes as f64 / out_rows.max(1) as f64 * 100.0).round() / 100.0,
        "inflate_only_s": (inflate_s * 1000.0).round() / 1000.0,
        "parse_translate_parquet_s": (parse_s * 1000.0).round() / 1000.0,
        "ratio_to_inflate": (parse_s / inflate_s * 100.0).round() / 100.0,
        "stage_inflate_parse_s": (median(&mut stage_parse) * 1000.0).round() / 1000.0,
        "stage_translate_s": (median(&mut stage_translate) * 1000.0).round() / 1000.0,
        "stage_write_parquet_s": (median(&mut stage_write) * 1000.0).round() / 1000.0,
        "text_mb_per_s": (text_mb / parse_s * 10.0).round() / 10.0,
        "peak_rss_kb_before_parse": rss_before_parse,
        "peak_rss_kb": peak_rss_kb(),
    });
    println!("{report}");
    Ok(())
}
