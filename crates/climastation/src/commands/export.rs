//! `climastation export --resolution R [--dataset D]… [selection]
//! [--parameters a,b] [--format parquet|csv|jsonl] [--with-station] -o PATH`:
//! the timestamp-centric record, from the merged series under
//! `paths.output` ([`dwd_dataset::export`]).

use anyhow::Context as _;
use serde_json::json;

use super::selection::SelectionArgs;
use crate::context::{Ctx, usage};
use crate::output::print_json;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  climastation export --resolution hourly -o hourly.parquet
  climastation export --resolution 10_minutes --station 44 --from 2025-06-25 --to 2025-06-25 --format csv -o leipzig.csv
  climastation export --resolution hourly --near 51.34,12.37 --radius 50 --parameters temperature_air_mean_2m,humidity --format jsonl --with-station -o near.jsonl")]
pub struct Args {
    /// The resolution (`hourly`, `10_minutes`, …): its datasets are joined.
    #[arg(long, value_name = "R")]
    pub resolution: String,
    /// Only these datasets of the resolution (repeatable); default: all with series.
    #[arg(long = "dataset", value_name = "D")]
    pub datasets: Vec<String>,
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// Only these parameters (output names, comma separated), each with its
    /// quality column.
    #[arg(long, value_delimiter = ',', value_name = "A,B,…")]
    pub parameters: Vec<String>,
    #[arg(long, value_enum, default_value = "parquet")]
    pub format: dwd_dataset::files::Format,
    /// Station name, latitude, longitude and height as columns; in JSON
    /// lines also the units (a `units` object).
    #[arg(long)]
    pub with_station: bool,
    /// Values at these places instead of stations (as `climastation
    /// values`): LAT,LON or LAT,LON,HEIGHT_M, repeatable; needs --parameters.
    #[arg(
        long = "at",
        value_name = "LAT,LON[,HEIGHT_M]",
        allow_hyphen_values = true
    )]
    pub at: Vec<String>,
    /// With --at: `nearest` or `idw`.
    #[arg(long, value_enum, default_value = "nearest", requires = "at")]
    pub method: dwd_dataset::values::Method,
    /// The file to write (replaced whole at the end).
    #[arg(short = 'o', long = "output", value_name = "PATH")]
    pub output: std::path::PathBuf,
}

/// `--resolution`: one of the archive's (exit 2 otherwise).
pub(crate) fn check_resolution(resolution: &str) -> anyhow::Result<()> {
    if !dwd_catalog::DATASETS
        .iter()
        .any(|d| d.name.split('/').next() == Some(resolution))
    {
        return Err(usage(format!(
            "--resolution {resolution}: not a resolution of the archive (1_minute, 5_minutes, 10_minutes, hourly, subdaily, daily, monthly, annual)"
        )));
    }
    Ok(())
}

/// Writes `path` whole with `write` (nothing at all when it fails: the
/// temp file is removed): a usage error exits 2, a stop 130, anything
/// else names the path.
pub(crate) fn write_whole<T>(
    path: &std::path::Path,
    write: impl FnOnce(&mut dwd_dataset::output::Out) -> Result<T, dwd_dataset::export::ExportError>,
) -> anyhow::Result<T> {
    use dwd_dataset::export::ExportError;
    let mut result = None;
    let written = dwd_dataset::output::write_atomic(path, |w| {
        let r = write(w);
        let failed = r.is_err();
        result = Some(r);
        if failed {
            Err("nothing written".into())
        } else {
            Ok(())
        }
    });
    let value = match result {
        Some(Err(ExportError::Interrupted)) => return Err(crate::context::Interrupted.into()),
        Some(Err(ExportError::Usage(m))) => return Err(usage(m)),
        Some(Err(e @ ExportError::Nothing(_))) => return Err(usage(e.to_string())),
        Some(r) => r.with_context(|| format!("writing {}", path.display()))?,
        None => {
            return Err(match written {
                Err(e) => anyhow::Error::new(e).context("nothing written"),
                Ok(_) => anyhow::anyhow!("nothing written"),
            });
        }
    };
    written.with_context(|| format!("writing {}", path.display()))?;
    Ok(value)
}

pub fn run(ctx: &Ctx, args: &Args) -> anyhow::Result<u8> {
    check_resolution(&args.resolution)?;
    for d in &args.datasets {
        ctx.dataset(d)?;
        if d.split('/').next() != Some(args.resolution.as_str()) {
            return Err(usage(format!(
                "--dataset {d} is not of --resolution {}: give a dataset of that resolution, or its resolution",
                args.resolution
            )));
        }
    }
    if args.parameters.iter().any(|p| p.trim().is_empty()) {
        return Err(usage(format!(
            "--parameters {:?} has an empty item",
            args.parameters.join(",")
        )));
    }
    if !args.at.is_empty() {
        return at_places(ctx, args);
    }
    let spec = dwd_dataset::export::Spec {
        resolution: args.resolution.clone(),
        datasets: args.datasets.clone(),
        selection: args.selection.resolve(ctx)?,
        parameters: args.parameters.clone(),
        with_station: args.with_station,
        stop: Some(crate::context::stop_on_signals()?),
    };
    let format = args.format;
    let layout = dwd_dataset::Layout::new(&ctx.config.paths.output);
    check_target(&args.output)?;
    verify_served(ctx, &layout, &args.resolution, &args.datasets)?;
    let exported = write_whole(&args.output, |w| {
        dwd_dataset::export::export(&layout, &spec, format, w)
    })?;
    if ctx.json {
        print_json(&json!({
            "output": args.output.display().to_string(),
            "stations": exported.stations,
            "rows": exported.rows,
            "columns": exported.columns,
        }));
    } else {
        println!(
            "{}: {} rows of {} station(s), {} columns",
            args.output.display(),
            exported.rows,
            exported.stations,
            exported.columns.len()
        );
    }
    Ok(crate::exit::OK)
}

/// Every table the export may read (the series, station lists and metadata
/// of the resolution's datasets) is checked against the output ledger
/// first: a missing, damaged or foreign table is never served.
pub(crate) fn verify_served(
    ctx: &Ctx,
    layout: &dwd_dataset::Layout,
    resolution: &str,
    only: &[String],
) -> anyhow::Result<()> {
    let datasets: Vec<&str> = dwd_catalog::DATASETS
        .iter()
        .map(|d| d.name)
        .filter(|d| d.split('/').next() == Some(resolution))
        .filter(|d| only.is_empty() || only.iter().any(|o| o == d))
        .filter(|d| layout.dataset(d).is_dir())
        .collect();
    if datasets.is_empty() {
        return Ok(());
    }
    if !ctx.config.paths.progress_db.exists() {
        anyhow::bail!(
            "no progress database at {}: the tables under {} cannot be checked against what the runs wrote",
            ctx.config.paths.progress_db.display(),
            layout.root().display()
        );
    }
    let store = ctx.open_store()?;
    let mut problems = Vec::new();
    for d in datasets {
        let id = ctx.dataset(d)?;
        for p in dwd_dataset::check::served_problems(layout, &id, &store)? {
            problems.push(format!(
                "{} (fix: climastation run --dataset {d})",
                p.describe()
            ));
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    anyhow::bail!(
        "nothing written: {} table(s) are not what the runs wrote:\n  {}",
        problems.len(),
        problems.join("\n  ")
    )
}

/// `-o` names a regular file to be, in a folder that exists: an existing
/// device, FIFO, folder or symbolic link is refused (writing over it would
/// replace it or write into it), and so is a missing folder.
pub(crate) fn check_target(path: &std::path::Path) -> anyhow::Result<()> {
    let shown = path.display();
    match std::fs::symlink_metadata(path) {
        Ok(m) => {
            let t = m.file_type();
            let what = if t.is_symlink() {
                Some("a symbolic link")
            } else if t.is_dir() {
                Some("a folder")
            } else if t.is_file() {
                None
            } else {
                Some("a device, FIFO or socket")
            };
            if let Some(what) = what {
                return Err(usage(format!(
                    "-o {shown}: {what}; give the path of a regular file (it is replaced whole)"
                )));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(usage(format!("-o {shown}: {e}"))),
    }
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    match std::fs::metadata(parent) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(usage(format!(
            "-o {shown}: {} is not a folder",
            parent.display()
        ))),
        Err(e) => Err(usage(format!(
            "-o {shown}: the folder {}: {e}",
            parent.display()
        ))),
    }
}

/// `export --at`: the values at places, as `climastation values` writes
/// them, with the export's resolution, parameters, dates and format.
fn at_places(ctx: &Ctx, args: &Args) -> anyhow::Result<u8> {
    let selection = args.selection.resolve(ctx)?;
    super::values::run(
        ctx,
        &super::values::Args {
            at: args.at.clone(),
            points: None,
            resolution: args.resolution.clone(),
            parameters: args.parameters.clone(),
            from: selection.from.map(|d| d.to_string()),
            to: selection.to.map(|d| d.to_string()),
            method: args.method,
            min_quality: None,
            max_distance_km: None,
            k: None,
            format: args.format,
            output: args.output.clone(),
        },
    )
}
