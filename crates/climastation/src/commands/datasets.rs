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
    let report =
        climastation_jobs::datasets(ctx.config.paths.translations.as_deref(), args.resolution)
            .map_err(crate::context::job)?;
    if ctx.json {
        print_json(&report)?;
        return Ok(crate::exit::OK);
    }
    let mut resolution = None;
    for d in &report.datasets {
        if resolution != Some(d.resolution) {
            // a blank line between resolutions, none before the first
            if resolution.is_some() {
                outln!();
            }
            outln!("{}: {}", d.resolution, d.time_rule);
            resolution = Some(d.resolution);
        }
        let periods = if d.periods.is_empty() {
            "(no period folders)".to_owned()
        } else {
            d.periods.join(", ")
        };
        match d.not_converted_reason {
            None => {
                let params: Vec<String> = d
                    .parameters
                    .iter()
                    .map(|p| match (p.statistic, p.span) {
                        // what a value is, beside its unit: `[°C; mean 1 day]`, `[°C; point]`
                        (Some(stat), Some(span)) if stat != "code" && stat != "text" => {
                            let over = if span == "instant" {
                                String::new()
                            } else {
                                format!(" {span}")
                            };
                            format!("{}={} [{}; {stat}{over}]", p.code, p.name, p.unit)
                        }
                        _ => format!("{}={} [{}]", p.code, p.name, p.unit),
                    })
                    .zip(&d.parameters)
                    .map(|(text, p)| match &p.former_name {
                        Some(was) => format!("{text} (was {was})"),
                        None => text,
                    })
                    .collect();
                outln!("  {:<34} {periods}: {}", d.name, d.title);
                outln!("  {:<34} {}", "", params.join(", "));
            }
            Some(why) => {
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
