//! `climastation export --resolution R [--dataset D]… [selection]
//! [--parameters a,b] [--format parquet|csv|jsonl] [--with-station] [--long] -o PATH`:
//! the timestamp-centric record, from the merged series under
//! `paths.output` ([`dwd_series::export`]).

use super::selection::SelectionArgs;
use crate::context::{Ctx, usage};
use crate::output::print_json;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  climastation export --resolution hourly -o hourly.parquet
  climastation export --resolution hourly --station 320 --long --format csv -o tidy.csv
  climastation export --resolution 10_minutes --station 44 --from 2025-06-25 --to 2025-06-25 --format csv -o grossenkneten.csv
  climastation export --resolution hourly --near 51.34,12.37 --radius 50 --parameters temperature_air_2m,humidity --format jsonl --with-station -o near.jsonl")]
pub struct Args {
    /// The resolution (`hourly`, `10_minutes`, …): its datasets are joined.
    #[arg(long, value_name = "R")]
    pub resolution: dwd_catalog::Resolution,
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
    pub format: dwd_series::output::Format,
    /// Station name, latitude, longitude and height as columns; in JSON
    /// lines also the units (a `units` object).
    #[arg(long)]
    pub with_station: bool,
    /// The tidy shape: one row per station, time and parameter with
    /// `dataset`, `parameter`, `value` (a float) and `quality`; numeric
    /// parameters only.
    #[arg(long, conflicts_with = "at")]
    pub long: bool,
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
    pub method: dwd_series::values::Method,
    /// The file to write (replaced whole at the end).
    /// Each value column with a comparable normal of this reference period
    /// (1961-1990 … 1991-2020) gets `<column>_anomaly`: the value minus the
    /// station's normal of the row's month (see README, "Climate normals").
    #[arg(long, value_name = "YYYY-YYYY", conflicts_with = "long")]
    pub anomaly: Option<String>,
    #[arg(short = 'o', long = "output", value_name = "PATH")]
    pub output: std::path::PathBuf,
}

pub fn run(ctx: &Ctx, args: &Args) -> anyhow::Result<u8> {
    if args.parameters.iter().any(|p| p.trim().is_empty()) {
        return Err(usage(format!(
            "--parameters {:?} has an empty item",
            args.parameters.join(",")
        )));
    }
    if !args.at.is_empty() {
        return at_places(ctx, args);
    }
    let anomaly =
        crate::context::reference_period(dwd_catalog::Field::Anomaly, args.anomaly.as_deref())?;
    let spec = dwd_series::export::Spec {
        anomaly,
        resolution: args.resolution,
        datasets: args.datasets.clone(),
        selection: args.selection.resolve(ctx)?,
        parameters: args.parameters.clone(),
        with_station: args.with_station,
        long: args.long,
        stop: Some(crate::context::stop_on_signals()?),
    };
    let exported = ctx
        .session
        .export(&spec, args.format, &args.output)
        .map_err(crate::context::job)?;
    crate::output::warn_renamed(&exported.renamed);
    if ctx.json {
        print_json(&climastation_jobs::report::Export::new(
            &args.output,
            &exported,
        ))?;
    } else {
        outln!(
            "{}: {} rows of {} station(s), {} columns",
            args.output.display(),
            exported.rows,
            exported.stations,
            exported.columns.len()
        );
    }
    Ok(crate::exit::OK)
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
            resolution: args.resolution,
            parameters: args.parameters.clone(),
            from: selection.from.map(|d| d.to_string()),
            to: selection.to.map(|d| d.to_string()),
            method: args.method,
            min_quality: None,
            max_distance_km: None,
            k: None,
            anomaly: args.anomaly.clone(),
            format: args.format,
            output: args.output.clone(),
        },
    )
}
