//! `climastation datasets [--json] [--resolution R]`: every dataset of the
//! archive that the catalog knows, with its periods and parameters.

use crate::context::Ctx;
use crate::output::print_json;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  climastation datasets
  climastation datasets --resolution hourly
  climastation --json datasets | jq '.datasets[] | select(.name == \"daily/kl\")'")]
pub struct Args {
    /// Only the datasets of this resolution (`1_minute`, `hourly`, `daily`, …).
    #[arg(long, value_name = "R")]
    pub resolution: Option<dwd_catalog::Resolution>,
}

pub fn run(ctx: &Ctx, args: &Args) -> anyhow::Result<u8> {
    let tables = dwd_translate::Tables::load(ctx.config.paths.translations.as_deref())?;
    let chosen = climastation_jobs::datasets(args.resolution);
    if ctx.json {
        print_json(&climastation_jobs::json::datasets(&tables, &chosen))?;
        return Ok(crate::exit::OK);
    }
    let mut resolution = None;
    for d in chosen {
        if resolution != Some(d.resolution) {
            // a blank line between resolutions, none before the first
            if resolution.is_some() {
                outln!();
            }
            outln!("{}: {}", d.resolution.folder(), d.resolution.time_rule());
            resolution = Some(d.resolution);
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
                outln!("  {:<34} {periods}: {}", d.name, d.title);
                outln!("  {:<34} {}", "", params.join(", "));
            }
            dwd_catalog::Layout::NotConverted(why) => {
                outln!(
                    "  {:<34} {periods}: {} (not converted: {why})",
                    d.name,
                    d.title
                );
            }
        }
    }
    Ok(crate::exit::OK)
}
