//! `climastation stations --dataset D [selection] [--json | --csv]`: the
//! stations of a dataset from DWD's station lists, filtered like a
//! selection, with the distance when `--near` is given (sorted by it).

use super::selection::SelectionArgs;
use crate::context::Ctx;
use crate::output::print_json;
use dwd_translate::frame::csv_field;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  climastation stations --dataset hourly/air_temperature --near 51.34,12.37 --radius 50
  climastation stations --dataset daily/kl --state Sachsen --active 1990..2020 --csv
  climastation --json stations --dataset 10_minutes/air_temperature --name berlin")]
pub struct Args {
    #[arg(long, value_name = "D")]
    pub dataset: String,
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// CSV on stdout.
    #[arg(long, conflicts_with = "json")]
    pub csv: bool,
    /// The source: DWD's server or a local mirror (default source.base_url).
    #[arg(long, value_name = "URL|DIR")]
    pub source: Option<String>,
}

pub fn run(ctx: &Ctx, args: &Args) -> anyhow::Result<u8> {
    ctx.dataset(&args.dataset)?;
    let selection = args.selection.resolve(ctx)?;
    let report = ctx
        .session
        .stations(
            &args.dataset,
            &selection,
            args.source.as_deref(),
            &crate::context::stop_on_signals()?,
        )
        .map_err(crate::context::job)?;
    let chosen: Vec<(Option<f64>, &dwd_parser::stations::Station)> = report
        .stations
        .iter()
        .map(|r| (r.distance_km, &r.station))
        .collect();
    if ctx.json {
        print_json(&climastation_jobs::report::Stations::new(
            &report, &selection,
        ))?;
    } else if args.csv {
        let mut w = String::new();
        w.push_str(
            "station_id,name,state,latitude,longitude,height_m,first_date,last_date,distance_km\n",
        );
        for (d, s) in &chosen {
            w.push_str(&format!(
                "{},{},{},{},{},{},{},{},{}\n",
                s.id,
                csv_field(&s.name),
                csv_field(&s.state),
                s.latitude,
                s.longitude,
                s.height,
                s.from,
                s.to,
                d.map_or(String::new(), |k| k.to_string())
            ));
        }
        out!("{w}");
    } else {
        outln!(
            "{}: {} of {} stations ({})",
            args.dataset,
            chosen.len(),
            report.total,
            selection.describe()
        );
        for (d, s) in &chosen {
            let dist = d.map_or(String::new(), |k| format!("{k:>7.1} km  "));
            outln!(
                "  {dist}{:05}  {:<36} {:<24} {:>8.4} {:>8.4} {:>5} m  {}..{}",
                s.id,
                s.name,
                s.state,
                s.latitude,
                s.longitude,
                s.height,
                s.from,
                s.to
            );
        }
    }
    Ok(crate::exit::OK)
}
