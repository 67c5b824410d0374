//! `climastation stations --dataset D [selection] [--json | --csv]`: the
//! stations of a dataset from DWD's station lists, filtered like a
//! selection, with the distance when `--near` is given (sorted by it).

use dwd_translate::frame::csv_field;
use serde_json::json;

use super::selection::SelectionArgs;
use crate::context::{Ctx, usage};
use crate::output::print_json;

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
    let root = args
        .source
        .clone()
        .unwrap_or_else(|| ctx.config.source.base_url.clone());
    let source = dwd_source::open(&root, &ctx.session.http_options());
    // the dataset folder and its period folders hold the lists
    let entries = dwd_source::crawl_to_depth(source.as_ref(), &args.dataset, 2, &|| false)
        .map_err(|e| usage(format!("listing {} at {root}: {e}", args.dataset)))?;
    let lists = dwd_dataset::stations::lists(&entries);
    let all = dwd_dataset::stations::load(&ctx.session.crawler(), &root, &args.dataset, &lists)
        .map_err(super::crawl::crawl_error)?;
    let near = selection.near;
    let mut chosen: Vec<(f64, &dwd_parser::stations::Station)> = all
        .iter()
        .filter(|s| selection.station_matches(&dwd_dataset::stations::info(s)))
        .map(|s| {
            let d = near.map_or(f64::NAN, |n| {
                dwd_catalog::selection::distance_km(
                    (n.latitude, n.longitude),
                    (s.latitude, s.longitude),
                )
            });
            (d, s)
        })
        .collect();
    if near.is_some() {
        chosen.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.id.cmp(&b.1.id)));
    }
    let km = |d: f64| (near.is_some()).then(|| (d * 10.0).round() / 10.0);
    if ctx.json {
        let list: Vec<_> = chosen
            .iter()
            .map(|(d, s)| {
                json!({
                    "station_id": s.id,
                    "name": s.name,
                    "state": s.state,
                    "latitude": s.latitude,
                    "longitude": s.longitude,
                    "height_m": s.height,
                    "first_date": s.from.to_string(),
                    "last_date": s.to.to_string(),
                    "distance_km": km(*d),
                })
            })
            .collect();
        print_json(&json!({
            "dataset": args.dataset,
            "selection": selection.describe(),
            "stations": list,
        }));
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
                km(*d).map_or(String::new(), |k| k.to_string())
            ));
        }
        print!("{w}");
    } else {
        println!(
            "{}: {} of {} stations ({})",
            args.dataset,
            chosen.len(),
            all.len(),
            selection.describe()
        );
        for (d, s) in &chosen {
            let dist = km(*d).map_or(String::new(), |k| format!("{k:>7.1} km  "));
            println!(
                "  {dist}{:05}  {:<36} {:<24} {:>8.4} {:>8.4} {:>5} m  {}..{}",
                s.id, s.name, s.state, s.latitude, s.longitude, s.height, s.from, s.to
            );
        }
    }
    Ok(crate::exit::OK)
}
