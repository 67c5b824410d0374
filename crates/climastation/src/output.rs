//! Formatting shared by the commands.

use tracker_core::DatasetId;

pub use climastation_jobs::report::{fix_hint, stop_text, time};

use crate::context::CommandLine;

/// `1h 02m`, `3m 05s`, `12s`.
pub fn duration(secs: f64) -> String {
    if !secs.is_finite() || secs < 0.0 {
        return "-".into();
    }
    let s = secs.round() as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, s % 3600 / 60),
    }
}

/// Files a second, rounded for people: `12/s`, `3.4/s`, `18/min`, `0.5/min`.
pub fn rate(per_sec: f64) -> String {
    if !per_sec.is_finite() || per_sec <= 0.0 {
        return "-".into();
    }
    let per_min = per_sec * 60.0;
    if per_sec >= 10.0 {
        format!("{per_sec:.0}/s")
    } else if per_sec >= 1.0 {
        format!("{per_sec:.1}/s")
    } else if per_min >= 10.0 {
        format!("{per_min:.0}/min")
    } else {
        format!("{per_min:.1}/min")
    }
}

/// Stdout was closed by its reader (`| head`): the command ends quietly
/// with exit 0, as Unix tools do, instead of a panic or a message.
#[derive(Debug, thiserror::Error)]
#[error("standard output was closed by its reader")]
pub struct StdoutClosed;

/// Writes to stdout. A closed pipe is [`StdoutClosed`] (the caller's `?`
/// ends the command); any other write error is returned as it is.
pub fn write_out(args: std::fmt::Arguments<'_>) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_fmt(args).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(StdoutClosed.into()),
        Err(e) => Err(anyhow::Error::new(e).context("writing to standard output")),
    }
}

/// `println!` for command output: a reader that stopped reading ends the
/// command quietly ([`StdoutClosed`]) instead of a panic.
macro_rules! outln {
    () => {
        $crate::output::write_out(format_args!("\n"))?
    };
    ($($arg:tt)*) => {
        $crate::output::write_out(format_args!("{}\n", format_args!($($arg)*)))?
    };
}

/// `print!` for command output, as [`outln!`].
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::write_out(format_args!($($arg)*))?
    };
}

/// A warning on stderr for each parameter asked by a former name (it is
/// still accepted; the warning names what it is called now).
pub fn warn_renamed(renamed: &[dwd_translate::Renamed]) {
    for r in renamed {
        eprintln!("climastation: warning: --parameters {}: {r}", r.old);
    }
}

/// One JSON document on stdout (a closed pipe: [`StdoutClosed`]).
pub fn print_json(report: &impl serde::Serialize) -> anyhow::Result<()> {
    // through a Value: keys in sorted order, as they always were
    let value =
        anyhow::Context::context(serde_json::to_value(report), "encoding the report as JSON")?;
    write_out(format_args!("{value}\n"))
}

/// `run`'s report: JSON, or a line a dataset, its failures, and what to do.
pub fn print_run_report(
    json: bool,
    report: &pipeline::RunReport,
    requested: &[DatasetId],
) -> anyhow::Result<()> {
    if json {
        return print_json(&climastation_jobs::report::Run::new(
            report,
            report.exit_code(),
        ));
    }
    for d in &report.datasets {
        let s = &d.stats;
        let per_sec = if s.wall.as_secs_f64() > 0.0 {
            d.completed as f64 / s.wall.as_secs_f64()
        } else {
            0.0
        };
        outln!(
            "{}: {} completed, {} failed, {} retried later, in {} ({} files, {:.1} MB)",
            d.dataset,
            d.completed,
            d.failed.len(),
            d.retried,
            duration(s.wall.as_secs_f64()),
            rate(per_sec),
            s.bytes as f64 / 1e6
        );
        for f in &d.failed {
            outln!("  failed: {}: {}", f.key, f.message);
        }
        if let Some(reason) = &d.stopped {
            outln!("  stopped: {}", stop_text(reason));
        }
    }
    let skipped: Vec<&str> = requested
        .iter()
        .filter(|r| !report.datasets.iter().any(|d| &d.dataset == *r))
        .map(DatasetId::as_str)
        .collect();
    if !skipped.is_empty() {
        outln!("not started: {}", skipped.join(", "));
    }
    match report.exit_code() {
        0 => outln!("done"),
        130 => outln!("interrupted: run again to resume"),
        _ => {
            let mut hints: Vec<String> = report
                .datasets
                .iter()
                .flat_map(|d| &d.failed)
                .map(|f| fix_hint(Some(f.kind), f.cause).render(&CommandLine))
                .collect();
            hints.sort_unstable();
            hints.dedup();
            if hints.is_empty() {
                outln!("stopped before the end: see the reason above; run again to resume");
            } else {
                outln!(
                    "files failed (`climastation failed` lists them); to fix: {}",
                    hints.join("; or ")
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod rate_tests {
    #[test]
    fn rates_are_rounded_for_people() {
        assert_eq!(super::rate(123.456), "123/s");
        assert_eq!(super::rate(3.456), "3.5/s");
        assert_eq!(super::rate(0.3), "18/min");
        assert_eq!(super::rate(0.005), "0.3/min");
        assert_eq!(super::rate(0.0), "-");
        assert_eq!(super::duration(3725.4), "1h 02m");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_well() {
        assert_eq!(duration(12.4), "12s");
        assert_eq!(duration(185.0), "3m 05s");
        assert_eq!(duration(3720.0), "1h 02m");
        assert_eq!(duration(f64::INFINITY), "-");
    }
}
