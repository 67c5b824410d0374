//! `climastation convert <zip or produkt file>… [--format csv|jsonl] [-o DIR]`:
//! converts files directly, without the tracker.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use dwd_parser::time::{Resolution, file_reference, name_range};
use dwd_translate::Tables;
use dwd_translate::table::{
    SourceInfo, dataset_of, translate, write_csv, write_jsonl, write_parquet,
};
use serde_json::json;

use crate::context::{Ctx, usage};
use crate::exit;
use crate::output::print_json;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Parquet,
    Csv,
    Jsonl,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// DWD zips (`10minutenwerte_…zip`) or `produkt_*.txt` files.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "parquet")]
    pub format: Format,
    /// Output folder (default: the working directory).
    #[arg(short = 'o', long = "output", value_name = "DIR", default_value = ".")]
    pub output: PathBuf,
    /// The dataset whose translation table applies (default: from the file name).
    #[arg(long)]
    pub dataset: Option<String>,
}

pub fn run(ctx: &Ctx, args: &Args) -> anyhow::Result<u8> {
    let tables = Tables::embedded()?;
    std::fs::create_dir_all(&args.output)
        .with_context(|| format!("creating {}", args.output.display()))?;
    let budget = ctx.config.processing.memory_limit_mb_per_worker << 20;
    let mut results = Vec::new();
    let mut failed = 0;
    for file in &args.files {
        match convert_one(file, args, &tables, budget) {
            Ok((out, rows)) => {
                if !ctx.json {
                    println!("{} -> {} ({rows} rows)", file.display(), out.display());
                }
                results.push(json!({"file": file.display().to_string(), "output": out.display().to_string(), "rows": rows}));
            }
            Err(e) => {
                failed += 1;
                eprintln!("climastation: {}: {e:#}", file.display());
                results
                    .push(json!({"file": file.display().to_string(), "error": format!("{e:#}")}));
            }
        }
    }
    if ctx.json {
        print_json(&json!({ "files": results }));
    }
    if failed > 0 && failed == args.files.len() && args.files.iter().all(|f| !f.exists()) {
        return Err(usage("no such input file"));
    }
    Ok(if failed > 0 { exit::FAILED } else { exit::OK })
}

fn convert_one(
    file: &Path,
    args: &Args,
    tables: &Tables,
    budget: u64,
) -> anyhow::Result<(PathBuf, usize)> {
    let shown = file.display().to_string();
    let is_zip = file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
    let (name, produkt) = if is_zip {
        let f = std::fs::File::open(file).with_context(|| format!("opening {shown}"))?;
        dwd_parser::archive::parse_produkt_member(&shown, std::io::BufReader::new(f), budget)?
    } else {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let f = std::fs::File::open(file).with_context(|| format!("reading {shown}"))?;
        let p = dwd_parser::produkt::parse_reader(&shown, std::io::BufReader::new(f))?;
        (name, p)
    };
    let dataset = match &args.dataset {
        Some(d) => d.clone(),
        None => dataset_of(&name)
            .or_else(|| dataset_of(&shown))
            .map(str::to_owned)
            .unwrap_or_else(|| "unknown".into()),
    };
    let resolution = Resolution::detect(&name)
        .or_else(|| Resolution::detect(&dataset))
        .unwrap_or(Resolution::Hourly);
    let period_end = name_range(&name).map(|(_, end)| end);
    let reference = file_reference(resolution, period_end, None);
    let table = translate(produkt, &dataset, &name, tables, reference)?;
    let stem = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let ext = match args.format {
        Format::Parquet => "parquet",
        Format::Csv => "csv",
        Format::Jsonl => "jsonl",
    };
    let out = args.output.join(format!("{stem}.{ext}"));
    let tmp = args.output.join(format!(".{stem}.{ext}.tmp"));
    {
        let mut w = std::io::BufWriter::new(
            std::fs::File::create(&tmp).with_context(|| format!("writing {}", tmp.display()))?,
        );
        match args.format {
            Format::Parquet => {
                let meta = std::fs::metadata(file).ok();
                let source = SourceInfo {
                    file: stem.clone(),
                    size: meta.as_ref().map(|m| m.len()),
                    modified: meta
                        .and_then(|m| m.modified().ok())
                        .and_then(|t| jiff::Timestamp::try_from(t).ok())
                        .map(|t| t.to_string()),
                    dataset: dataset.clone(),
                };
                write_parquet(&table, &source, &mut w)?;
            }
            Format::Csv => write_csv(&table, &mut w)?,
            Format::Jsonl => write_jsonl(&table, &mut w)?,
        }
        w.flush()?;
        w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    }
    std::fs::rename(&tmp, &out).with_context(|| format!("writing {}", out.display()))?;
    Ok((out, table.len()))
}
