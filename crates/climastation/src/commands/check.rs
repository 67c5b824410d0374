//! `climastation check [--dataset D] [--deep]`: the tracker's integrity,
//! then every recorded output against its record and the disk.

use crate::context::Ctx;
use crate::exit;
use crate::output::print_json;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  climastation check
  climastation check --dataset hourly/air_temperature --deep
  climastation --json check

Exit code 1 when anything is wrong; each problem comes with the command that
fixes it (`climastation run` rebuilds what is missing or damaged).")]
pub struct Args {
    /// Only this dataset's outputs (the tracker is checked whole).
    #[arg(long)]
    pub dataset: Option<String>,
    /// Hash every table and compare its SHA-256 with the record (by
    /// default: size and modification time, hashing only a table whose
    /// time changed).
    #[arg(long)]
    pub deep: bool,
}

pub fn run(ctx: &Ctx, args: &Args) -> anyhow::Result<u8> {
    let report = ctx
        .session
        .check(args.dataset.as_deref(), args.deep)
        .map_err(crate::context::job)?;
    if ctx.json {
        print_json(&climastation_jobs::report::Check::new(
            &report,
            &crate::context::CommandLine,
        ))?;
    } else {
        for l in &report.problems {
            outln!(
                "{}: {}\n  fix: {}",
                l.kind,
                l.problem,
                l.fix.render(&crate::context::CommandLine)
            );
        }
        match report.ok {
            true => outln!(
                "ok: the tracker and {} recorded table(s) check out{}",
                report.tables,
                if report.deep { " (deep)" } else { "" }
            ),
            false => outln!("{} problem(s)", report.problems.len()),
        }
    }
    Ok(if report.ok { exit::OK } else { exit::FAILED })
}
