//! `climastation`: turns the DWD climate archive into clean data and never
//! loses track of where it is.
//!
//! The command-line program lives in this library so that the integration
//! tests can build it as a test binary; `src/main.rs` only calls [`main`].

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod commands;
mod context;
mod dwd_files;
mod dwd_processor;
mod manifest;
mod output;
mod progress;
mod stations;

/// Exit codes (also in `--help` and README).
pub mod exit {
    /// Everything done.
    pub const OK: u8 = 0;
    /// Files failed (or the run stopped on a failure).
    pub const FAILED: u8 = 1;
    /// Usage, configuration or database-opening error.
    pub const USAGE: u8 = 2;
    /// Interrupted by Ctrl-C or SIGTERM (the next run resumes).
    pub const INTERRUPTED: u8 = 130;
}

const AFTER_HELP: &str = "\
Exit codes:
  0    done
  1    files failed (listed; `climastation failed` shows them)
  2    usage, configuration or database-opening error
  130  interrupted (Ctrl-C or SIGTERM); a second Ctrl-C exits at once.
       A rerun resumes where the run stopped.

Configuration: compiled defaults < config/base_config.yaml < --config FILE
< CLIMASTATION_<SECTION>__<KEY> variables (e.g. CLIMASTATION_PROCESSING__WORKERS=2).";

#[derive(Debug, Parser)]
#[command(name = "climastation", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    /// A YAML file layered over config/base_config.yaml (or CLIMASTATION_CONFIG).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Console log level or filter (e.g. `debug`, `info,tracker_sqlite=debug`).
    #[arg(long, global = true, value_name = "LEVEL")]
    pub log_level: Option<String>,

    /// Machine-readable JSON on stdout (keys documented in README).
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List datasets at the source (DWD or a local mirror), register their
    /// files, report new / changed / unchanged / vanished ones.
    Crawl(commands::crawl::Args),
    /// Every dataset of DWD's archive that ClimaStation knows: resolution,
    /// periods, time rule, parameters (DWD code, English name, unit).
    Datasets(commands::datasets::Args),
    /// Convert DWD zips or produkt files directly (no tracker) to CSV or JSON
    /// lines with English column names and UTC time.
    Convert(commands::convert::Args),
    /// Register files of a dataset from a manifest (one path a line, or JSON
    /// lines with path, size, modified).
    Register(commands::register::Args),
    /// Process pending files, dataset after dataset.
    Run(commands::run::Args),
    /// The stations of a dataset from DWD's station lists: by id, name,
    /// state, place (radius or box) and active span, with distances.
    Stations(commands::stations::Args),
    /// Counts per status, rate, ETA, active workers, oldest claim, last failure.
    Status(commands::status::Args),
    /// Files that failed for good, with their error.
    Failed(commands::failed::Args),
    /// Put failed files back to pending.
    Retry(commands::retry::RetryArgs),
    /// Put a dataset's files (or those in one status) back to pending.
    Reset(commands::retry::ResetArgs),
    /// Database maintenance.
    #[command(subcommand)]
    Db(commands::db::DbCommand),
}

/// Parses the command line, runs the command, returns the exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match commands::dispatch(&cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let code = e
                .downcast_ref::<context::UsageError>()
                .map_or(exit::FAILED, |_| exit::USAGE);
            tracing::error!(error = format!("{e:#}"), "climastation failed");
            eprintln!("climastation: error: {e:#}");
            ExitCode::from(code)
        }
    }
}
