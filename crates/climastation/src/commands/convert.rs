//! `climastation convert <file>… [--format parquet|csv|jsonl] [-o DIR]`:
//! converts files directly, without the tracker. Data zips and
//! `produkt_*.txt` become `<name>.<ext>` (their `Metadaten_*` members
//! `<name>.<kind>.<ext>`); `Meta_Daten_*.zip` and `Metadaten_*` files
//! become `<name>.<kind>.<ext>` and, given together with data files of
//! their station, decide those files' time reference; station lists
//! become `<name>.<ext>`.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use dwd_parser::metadata::StationMetadata;
use dwd_translate::Tables;
use dwd_translate::table::SourceInfo;
use serde_json::json;

use crate::context::{Ctx, usage};
use crate::exit;
use crate::output::print_json;
pub use dwd_dataset::files::Format;
use dwd_dataset::files::{FileKind, read_metadata};

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  climastation convert tests/data/dwd/daily/kl/recent/tageswerte_KL_04271_akt.zip -o out
  climastation convert --format csv stundenwerte_TU_00320_akt.zip Meta_Daten_zehn_min_tu_00003.zip
  climastation convert --dataset hourly/cloud_type renamed.zip")]
pub struct Args {
    /// DWD data zips (`10minutenwerte_…zip`), `produkt_*.txt`, `Meta_Daten_*.zip`,
    /// `Metadaten_*.txt|html` or `*_Beschreibung_Stationen.txt` files.
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
    if let Some(d) = &args.dataset {
        ctx.dataset(d)?;
    }
    let tables = Tables::load(ctx.config.paths.translations.as_deref())?;
    std::fs::create_dir_all(&args.output)
        .with_context(|| format!("creating {}", args.output.display()))?;
    let budget = ctx.config.processing.memory_limit_mb_per_worker << 20;
    // metadata inputs are read once: their tables are written, and their
    // stations' data files given beside them take their time reference
    let read: Vec<Option<Result<StationMetadata, dwd_dataset::files::InputError>>> = args
        .files
        .iter()
        .map(|file| {
            let name = file.display().to_string();
            matches!(
                FileKind::of(&name),
                FileKind::MetadataZip | FileKind::Metadata
            )
            .then(|| read_metadata(file, &name))
        })
        .collect();
    let mut given = StationMetadata::default();
    for m in read.iter().flatten().flatten() {
        given.extend(m.clone());
    }
    let mut results = Vec::new();
    let mut failed = 0;
    for file in &args.files {
        match convert_one(file, args, &tables, budget, &given) {
            Ok(written) => {
                let outputs: Vec<_> = written
                    .iter()
                    .map(|(out, rows)| {
                        if !ctx.json {
                            println!("{} -> {} ({rows} rows)", file.display(), out.display());
                        }
                        json!({"output": out.display().to_string(), "rows": rows})
                    })
                    .collect();
                let rows = written.first().map_or(0, |(_, r)| *r);
                let first = written.first().map(|(o, _)| o.display().to_string());
                results.push(json!({"file": file.display().to_string(), "output": first, "rows": rows, "outputs": outputs}));
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

/// What one input became: (output file, rows) each.
type Written = Vec<(PathBuf, usize)>;

/// `convert` writes `<name>.<ext>` and `<name>.<kind>.<ext>` into `-o`.
struct Beside<'a> {
    dir: &'a Path,
    stem: &'a str,
    ext: &'a str,
}

impl dwd_dataset::files::Targets for Beside<'_> {
    fn data(&self, _dataset: &str) -> PathBuf {
        self.dir.join(format!("{}.{}", self.stem, self.ext))
    }

    fn metadata(&self, _dataset: &str, kind: &str, _station: &str) -> PathBuf {
        self.dir.join(format!("{}.{kind}.{}", self.stem, self.ext))
    }

    fn stations(&self, _dataset: &str) -> PathBuf {
        self.dir.join(format!("{}.{}", self.stem, self.ext))
    }
}

/// The metadata given on the command line for the station the data file
/// `member` names (or all of it, when the name names none).
fn metadata_for(member: &str, given: &StationMetadata) -> Option<StationMetadata> {
    if given.is_empty() {
        return None;
    }
    let station = dwd_catalog::facts(member)
        .station
        .and_then(|s| s.parse::<u32>().ok());
    let mut m = given.clone();
    if let Some(id) = station {
        m.parameters.retain(|p| p.station_id == id);
    }
    Some(m)
}

/// One file through [`dwd_dataset::files::convert_file`], the function
/// `run` calls per file too.
fn convert_one(
    file: &Path,
    args: &Args,
    tables: &Tables,
    budget: u64,
    given: &StationMetadata,
) -> anyhow::Result<Written> {
    let shown = file.display().to_string();
    if !file.exists() {
        anyhow::bail!("{shown}: no such file");
    }
    let stem = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let meta = std::fs::metadata(file).ok();
    let source = SourceInfo {
        file: stem.clone(),
        size: meta.as_ref().map(|m| m.len()),
        modified: meta
            .and_then(|m| m.modified().ok())
            .and_then(|t| jiff::Timestamp::try_from(t).ok())
            .map(|t| t.to_string()),
        ..SourceInfo::default()
    };
    let targets = Beside {
        dir: &args.output,
        stem: &stem,
        ext: args.format.ext(),
    };
    let station_metadata =
        |_dataset: &str, member: &str| Ok(metadata_for(member, given).map(std::sync::Arc::new));
    let converted = dwd_dataset::files::convert_file(
        dwd_dataset::files::Input {
            path: file,
            shown: &shown,
            name: &stem,
            dataset: args.dataset.as_deref(),
            source,
            budget,
            placed: false,
        },
        tables,
        args.format,
        &targets,
        &station_metadata,
    )
    .map_err(anyhow::Error::msg)?;
    Ok(converted
        .written
        .into_iter()
        .map(|(w, rows)| (w.path, rows))
        .collect())
}
