//! `climastation datasets [--json] [--resolution R]`: every dataset of the
//! archive that the catalog knows, with its periods and parameters.

use serde_json::json;

use crate::context::{Ctx, usage};
use crate::output::print_json;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  climastation datasets
  climastation datasets --resolution hourly
  climastation --json datasets | jq '.datasets[] | select(.name == \"daily/kl\")'")]
pub struct Args {
    /// Only the datasets of this resolution (`1_minute`, `hourly`, `daily`, …).
    #[arg(long, value_name = "R")]
    pub resolution: Option<String>,
}

pub fn run(ctx: &Ctx, args: &Args) -> anyhow::Result<u8> {
    let tables = dwd_translate::Tables::load(ctx.config.paths.translations.as_deref())?;
    if let Some(r) = &args.resolution
        && !dwd_catalog::Resolution::ALL.iter().any(|x| x.folder() == r)
    {
        let known: Vec<&str> = dwd_catalog::Resolution::ALL
            .iter()
            .map(|x| x.folder())
            .collect();
        return Err(usage(format!(
            "unknown resolution {r:?}; one of {}",
            known.join(", ")
        )));
    }
    let chosen: Vec<&dwd_catalog::Dataset> = dwd_catalog::all()
        .iter()
        .filter(|d| {
            args.resolution
                .as_deref()
                .is_none_or(|r| d.resolution.folder() == r)
        })
        .collect();
    if ctx.json {
        let list: Vec<_> = chosen
            .iter()
            .map(|d| {
                let parameters: Vec<_> = tables
                    .parameters(d.name)
                    .map(|(code, p)| {
                        json!({
                            "code": code,
                            "name": p.name,
                            "unit": p.unit,
                            "kind": p.kind,
                            "description_de": p.de,
                            "description_en": p.en,
                            "missing": p.missing,
                        })
                    })
                    .collect();
                json!({
                    "name": d.name,
                    "resolution": d.resolution.folder(),
                    "title": d.title,
                    "periods": d.periods.iter().map(|p| p.folder()).collect::<Vec<_>>(),
                    "year_folders": d.year_folders,
                    "converted": d.converted(),
                    "not_converted_reason": match d.layout {
                        dwd_catalog::Layout::NotConverted(why) => Some(why),
                        dwd_catalog::Layout::Produkt => None,
                    },
                    "zip_prefixes": d.zips,
                    "member_prefixes": d.members,
                    "metadata_zip_prefix": d.metadata_zip,
                    "station_lists": d.station_lists,
                    "timestamps": d.resolution.timestamps(),
                    "time_rule": d.resolution.time_rule(),
                    "wetterdienst": d.wetterdienst,
                    "parameters": parameters,
                })
            })
            .collect();
        print_json(&json!({ "datasets": list }));
        return Ok(crate::exit::OK);
    }
    let mut resolution = None;
    for d in chosen {
        if resolution != Some(d.resolution) {
            resolution = Some(d.resolution);
            println!("\n{}: {}", d.resolution.folder(), d.resolution.time_rule());
        }
        let periods: Vec<&str> = d.periods.iter().map(|p| p.folder()).collect();
        let periods = if periods.is_empty() {
            "(no period folders)".to_owned()
        } else {
            periods.join(", ")
        };
        match d.layout {
            dwd_catalog::Layout::Produkt => {
                let params: Vec<String> = tables
                    .parameters(d.name)
                    .map(|(code, p)| format!("{code}={} [{}]", p.name, p.unit))
                    .collect();
                println!("  {:<34} {periods}: {}", d.name, d.title);
                println!("  {:<34} {}", "", params.join(", "));
            }
            dwd_catalog::Layout::NotConverted(why) => {
                println!(
                    "  {:<34} {periods}: {} (not converted: {why})",
                    d.name, d.title
                );
            }
        }
    }
    Ok(crate::exit::OK)
}
