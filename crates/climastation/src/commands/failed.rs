//! `climastation failed [--dataset D] [--unconfirmed] [--json]`

use crate::context::Ctx;
use crate::exit;
use crate::output::print_json;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  climastation failed
  climastation failed --unconfirmed
  climastation --json failed --dataset daily/kl | jq '.files[].hint'")]
pub struct Args {
    #[arg(long)]
    pub dataset: Option<String>,
    /// List the completed files whose size nothing confirmed instead (no
    /// size in the listing, and a format without a check of its own, such
    /// as a station list): whole on the server's word alone.
    #[arg(long)]
    pub unconfirmed: bool,
    /// At most this many files.
    #[arg(long, default_value_t = 10_000)]
    pub limit: usize,
}

pub fn run(ctx: &Ctx, args: &Args) -> anyhow::Result<u8> {
    let dataset = ctx.dataset_opt(args.dataset.as_deref())?;
    let which = match args.unconfirmed {
        true => climastation_jobs::FailedList::Unconfirmed,
        false => climastation_jobs::FailedList::Failed,
    };
    let files = ctx
        .session
        .failed(dataset.as_ref(), which, args.limit)
        .map_err(crate::context::job)?;
    if args.unconfirmed {
        return unconfirmed(ctx, &files);
    }
    if ctx.json {
        print_json(&climastation_jobs::report::Failed::new(
            &files,
            &crate::context::CommandLine,
        ))?;
    } else if files.is_empty() {
        outln!("no failed files");
    } else {
        for f in &files {
            let message = f.error_message.as_deref().unwrap_or("");
            outln!(
                "{}  [{}] {}\n    fix: {}",
                f.key,
                f.error_kind.map_or("?", |k| k.as_str()),
                message,
                crate::output::fix_hint(f.error_kind, f.error_cause)
                    .render(&crate::context::CommandLine)
            );
        }
        outln!("{} failed file(s)", files.len());
    }
    Ok(exit::OK)
}

fn unconfirmed(ctx: &Ctx, files: &[tracker_core::FileRecord]) -> anyhow::Result<u8> {
    use climastation_jobs::report::UNCONFIRMED as WHY;
    if ctx.json {
        print_json(&climastation_jobs::report::Unconfirmed::new(files))?;
    } else if files.is_empty() {
        outln!("no completed file with an unconfirmed size");
    } else {
        for f in files {
            outln!("{}  {} bytes", f.key, f.bytes_processed.unwrap_or(0));
        }
        outln!("{} file(s) with an unconfirmed size: {WHY}", files.len());
    }
    Ok(exit::OK)
}
