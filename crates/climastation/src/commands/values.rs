//! `climastation values --at LAT,LON[,HEIGHT_M]… | --points FILE.csv
//! --resolution R --parameters a,b [--from --to] [--method nearest|idw]
//! [--min-quality Q] [--max-distance-km KM] [--format F] -o PATH`: a series
//! at each place from the merged series and station lists
//! ([`dwd_series::values`]).

use crate::context::Ctx;
use crate::output::print_json;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  climastation values --at 51.34,12.37 --resolution hourly --parameters temperature_air_2m,humidity -o leipzig.parquet
  climastation values --at 51.34,12.37,113 --method idw --resolution hourly --parameters temperature_air_2m --from 1990 --to 2020 --format csv -o leipzig.csv
  climastation values --points places.csv --resolution daily --parameters precipitation_height --format jsonl -o places.jsonl

Each value comes with its stations, their distances (km), weights, the
method (nearest, idw, or none) and the count of stations; see README,
\"Values at a place\".")]
pub struct Args {
    /// A place: LAT,LON or LAT,LON,HEIGHT_M (repeatable; named p1, p2, …).
    #[arg(
        long = "at",
        value_name = "LAT,LON[,HEIGHT_M]",
        allow_hyphen_values = true
    )]
    pub at: Vec<String>,
    /// Places from a CSV file with the header id,latitude,longitude[,height_m].
    #[arg(long, value_name = "FILE.csv")]
    pub points: Option<std::path::PathBuf>,
    /// The resolution (`hourly`, `daily`, …): its datasets' series are used.
    #[arg(long, value_name = "R")]
    pub resolution: dwd_catalog::Resolution,
    /// Parameters (output names, comma separated).
    #[arg(long, value_delimiter = ',', value_name = "A,B,…", required = true)]
    pub parameters: Vec<String>,
    /// From this day (`1990-01-01`, or a year).
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// To this day, inclusive (`2020-12-31`, or a year).
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// `nearest`: the nearest station with a value; `idw`: inverse distance
    /// weighting of the k nearest (codes, text, directions, extremes and
    /// counts of days: nearest).
    #[arg(long, value_enum, default_value = "nearest")]
    pub method: dwd_series::values::Method,
    /// Only values of this quality level or higher (DWD's levels: 1 to 10).
    #[arg(long, value_name = "Q", allow_negative_numbers = true)]
    pub min_quality: Option<i32>,
    /// The farthest station used, for every parameter (default: the
    /// translation table's, 40 km; precipitation 20 km).
    #[arg(long, value_name = "KM", allow_hyphen_values = true)]
    pub max_distance_km: Option<f64>,
    /// Stations averaged by idw (default: the configuration's `values.k`, 4).
    #[arg(long, value_name = "K")]
    pub k: Option<usize>,
    /// `<parameter>_anomaly` where a comparable normal of this reference
    /// period exists: the value minus the normal taken with the same
    /// stations and weights (see README, "Climate normals").
    #[arg(long, value_name = "YYYY-YYYY")]
    pub anomaly: Option<String>,
    #[arg(long, value_enum, default_value = "parquet")]
    pub format: dwd_series::output::Format,
    /// The file to write (replaced whole at the end).
    #[arg(short = 'o', long = "output", value_name = "PATH")]
    pub output: std::path::PathBuf,
}

pub fn run(ctx: &Ctx, args: &Args) -> anyhow::Result<u8> {
    let request = climastation_jobs::ValuesRequest {
        resolution: args.resolution,
        parameters: args.parameters.clone(),
        at: args.at.clone(),
        points_file: args.points.clone(),
        from: args.from.clone(),
        to: args.to.clone(),
        method: Some(args.method),
        min_quality: args.min_quality,
        max_distance_km: args.max_distance_km,
        k: args.k,
        anomaly: crate::context::reference_period(
            dwd_catalog::Field::Anomaly,
            args.anomaly.as_deref(),
        )?,
    };
    let cancel = crate::context::stop_on_signals()?;
    let written = ctx
        .session
        .values(&request, &cancel, args.format, &args.output)
        .map_err(crate::context::job)?;
    crate::output::warn_renamed(&written.renamed);
    if ctx.json {
        print_json(&climastation_jobs::report::Values::new(
            &args.output,
            &written,
        ))?;
    } else {
        outln!(
            "{}: {} rows for {} place(s), {} columns, from {} series",
            args.output.display(),
            written.rows,
            written.points,
            written.columns.len(),
            written.series_read
        );
    }
    Ok(crate::exit::OK)
}
