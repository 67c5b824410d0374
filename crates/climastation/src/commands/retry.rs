//! `climastation retry` and `climastation reset`.

use crate::context::{Ctx, job};
use crate::exit;
use crate::output::print_json;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  climastation retry --all-failed
  climastation retry --dataset daily/kl --path recent/tageswerte_KL_04271_akt.zip")]
#[command(group(clap::ArgGroup::new("which").required(true).args(["all_failed", "path"])))]
pub struct RetryArgs {
    /// Only this dataset.
    #[arg(long)]
    pub dataset: Option<String>,
    /// Every failed file.
    #[arg(long)]
    pub all_failed: bool,
    /// One failed file (its path within the dataset).
    #[arg(long)]
    pub path: Option<String>,
}

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  climastation reset --dataset monthly/kl
  climastation reset --dataset monthly/kl --status completed")]
pub struct ResetArgs {
    #[arg(long)]
    pub dataset: String,
    /// Only files in this status (pending, processing, completed, failed).
    #[arg(long)]
    pub status: Option<String>,
}

pub fn retry(ctx: &Ctx, args: &RetryArgs) -> anyhow::Result<u8> {
    let dataset = ctx.dataset_opt(args.dataset.as_deref())?;
    let n = ctx
        .session
        .retry(dataset.as_ref(), args.path.as_deref())
        .map_err(job)?;
    if ctx.json {
        print_json(&climastation_jobs::report::Retried { retried: n })?;
    } else {
        outln!("{n} failed file(s) back to pending");
    }
    Ok(exit::OK)
}

pub fn reset(ctx: &Ctx, args: &ResetArgs) -> anyhow::Result<u8> {
    let dataset = ctx.dataset(&args.dataset)?;
    let n = ctx
        .session
        .reset(&dataset, args.status.as_deref())
        .map_err(job)?;
    if ctx.json {
        print_json(&climastation_jobs::report::Reset { reset: n })?;
    } else {
        outln!("{n} file(s) of {dataset} back to pending");
    }
    Ok(exit::OK)
}
