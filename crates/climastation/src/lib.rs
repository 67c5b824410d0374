//! `climastation`: turns the DWD climate archive into clean data and never
//! loses track of where it is.
//!
//! The command-line program lives in this library so that the integration
//! tests can build it as a test binary; `src/main.rs` only calls [`main`].

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[macro_use]
mod output;
mod commands;
mod context;

pub use context::UsageError;
mod progress;
pub mod serve;

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
Examples:
  climastation --config config/sample.yaml run --crawl   # the bundled sample, offline
  climastation datasets --resolution hourly
  climastation stations --dataset hourly/air_temperature --near 51.34,12.37 --radius 50
  climastation run --crawl --dataset hourly/air_temperature --near 51.34,12.37 --radius 50 --from 1990 --to 2020
  climastation status

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

    /// Console log level or filter (e.g. `debug`, `info,tracker_sqlite=debug`);
    /// by default warnings and errors only (the log file keeps logging.level).
    #[arg(long, global = true, value_name = "LEVEL")]
    pub log_level: Option<String>,

    /// Only errors on the console.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// More on the console: -v info, -vv debug, -vvv trace.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Colours on the console: `auto` (a terminal, and NO_COLOR unset), `always`, `never`.
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "auto",
        value_name = "WHEN"
    )]
    pub color: Color,

    /// Machine-readable JSON on stdout (keys documented in README).
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

/// When the console uses colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

impl Color {
    /// Whether to colour a console that is (or is not) a terminal.
    pub fn ansi(self, terminal: bool) -> bool {
        self.ansi_with(terminal, std::env::var_os("NO_COLOR").as_deref())
    }

    /// [`Color::ansi`] with the value of `NO_COLOR` given.
    fn ansi_with(self, terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
        match self {
            Color::Always => true,
            Color::Never => false,
            // https://no-color.org: present and not empty
            Color::Auto => terminal && no_color.is_none_or(|v| v.is_empty()),
        }
    }
}

impl Cli {
    /// The console's level: --log-level, else -q / -v, else warnings.
    pub fn console_level(&self) -> String {
        if let Some(l) = &self.log_level {
            return l.clone();
        }
        if self.quiet {
            return "error".into();
        }
        match self.verbose {
            0 => "warn",
            1 => "info",
            2 => "debug",
            _ => "trace",
        }
        .into()
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List datasets at the source (DWD or a local mirror), register their
    /// files, report new / changed / unchanged / vanished ones.
    Crawl(commands::crawl::Args),
    /// Every dataset of DWD's archive that ClimaStation knows: resolution,
    /// periods, time rule, parameters (DWD code, English name, unit,
    /// statistic).
    Datasets(commands::datasets::Args),
    /// Convert DWD zips or produkt files directly (no tracker) to Parquet
    /// (the default), CSV or JSON lines with English column names and UTC time.
    Convert(commands::convert::Args),
    /// Register files of a dataset from a manifest (one path a line, or JSON
    /// lines with path, size, modified).
    Register(commands::register::Args),
    /// Process pending files, dataset after dataset.
    Run(commands::run::Args),
    /// The stations of a dataset from DWD's station lists: by id, name,
    /// state, place (radius or box) and active span, with distances.
    Stations(commands::stations::Args),
    /// One record per station and time with the parameters of every dataset
    /// of a resolution (their merged series joined), as Parquet, CSV or JSON lines.
    Export(commands::export::Args),
    /// A series at each place asked for, from the stations around it: each
    /// value with its stations, distances, weights and method.
    Values(commands::values::Args),
    /// DWD's climate normals (1961-1990 … 1991-2020) of the selected
    /// stations: each month's and the year's, with DWD's source code.
    Normals(commands::normals::Args),
    /// Counts per status, rate, ETA, active workers, oldest claim, last failure.
    Status(commands::status::Args),
    /// Files that failed for good, with their error.
    Failed(commands::failed::Args),
    /// Put failed files back to pending.
    Retry(commands::retry::RetryArgs),
    /// Put a dataset's files (or those in one status) back to pending.
    Reset(commands::retry::ResetArgs),
    /// The tracker's integrity and every table the runs wrote against the
    /// output ledger: missing, damaged, unrecorded, leftover temp files.
    Check(commands::check::Args),
    /// The converted archive over HTTP, read-only: JSON, CSV, Parquet and
    /// Arrow, with an OpenAPI document (loopback by default).
    Serve(serve::Args),
    /// Database maintenance.
    #[command(
        subcommand,
        after_help = "Examples:\n  climastation db check\n  climastation --json db info"
    )]
    Db(commands::db::DbCommand),
}

/// Every example command line of `--help` (the top level's and each
/// command's, as written, not wrapped): CI runs each on the bundled sample.
pub fn help_examples() -> Vec<String> {
    use clap::CommandFactory;
    fn walk(cmd: &clap::Command, out: &mut Vec<String>) {
        if let Some(text) = cmd.get_after_help() {
            for line in text.to_string().lines() {
                if let Some(example) = line.trim_start().strip_prefix("climastation ")
                    && line.starts_with("  ")
                {
                    out.push(format!("climastation {example}"));
                }
            }
        }
        for sub in cmd.get_subcommands() {
            walk(sub, out);
        }
    }
    let mut out = Vec::new();
    walk(&Cli::command(), &mut out);
    out
}

impl Command {
    /// What stays after Ctrl-C stopped the command cleanly, and what to do.
    pub fn after_interrupt(&self) -> &'static str {
        match self {
            Command::Run(_) => "run again to resume",
            Command::Crawl(_) => "crawl again: what was registered stays",
            Command::Export(_) | Command::Values(_) | Command::Convert(_) => {
                "nothing was written (a file is written whole or not at all)"
            }
            _ => "nothing was changed",
        }
    }

    /// Whether the command writes into the data folder (the tracker, the
    /// downloads, the tables, the station list cache); the others only
    /// read it (and write a file the user names).
    pub fn writes_data_folder(&self) -> bool {
        match self {
            Command::Crawl(_)
            | Command::Register(_)
            | Command::Run(_)
            | Command::Stations(_)
            | Command::Retry(_)
            | Command::Reset(_)
            | Command::Db(_) => true,
            Command::Datasets(_)
            | Command::Convert(_)
            | Command::Export(_)
            | Command::Values(_)
            | Command::Normals(_)
            | Command::Status(_)
            | Command::Failed(_)
            | Command::Check(_)
            | Command::Serve(_) => false,
        }
    }
}

/// Parses the command line, runs the command, returns the exit code.
pub fn main() -> ExitCode {
    main_from(std::env::args_os())
}

/// [`main`] with the command line given (its first item is the program
/// name): `cargo xtask chaos` runs the CLI as `xtask climastation …`.
pub fn main_from<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    ExitCode::from(run_from(args))
}

/// [`main_from`]'s exit code as a number (Python's `climastation` command
/// runs the program in process and exits with it).
pub fn run_from<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            // help and version print and succeed; a usage error exits 2
            let _ = e.print();
            return match e.use_stderr() {
                true => exit::USAGE,
                false => exit::OK,
            };
        }
    };
    match commands::dispatch(&cli) {
        Ok(code) => code,
        // `| head`: the reader has what it wanted
        Err(e) if e.downcast_ref::<output::StdoutClosed>().is_some() => exit::OK,
        Err(e) if e.downcast_ref::<context::Interrupted>().is_some() => {
            eprintln!(
                "climastation: interrupted: {}",
                cli.command.after_interrupt()
            );
            exit::INTERRUPTED
        }
        Err(e) => {
            let code = e
                .downcast_ref::<context::UsageError>()
                .map_or(exit::FAILED, |_| exit::USAGE);
            // the file log keeps it; the console shows it once, below
            tracing::error!(target: tracker_log::QUIET_TARGET, error = format!("{e:#}"), "climastation failed");
            eprintln!("climastation: error: {e:#}");
            code
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn colours_follow_the_flag_the_terminal_and_no_color() {
        use super::Color;
        let set = Some(std::ffi::OsStr::new("1"));
        assert!(Color::Auto.ansi_with(true, None));
        assert!(!Color::Auto.ansi_with(true, set), "NO_COLOR");
        assert!(
            Color::Auto.ansi_with(true, Some(std::ffi::OsStr::new(""))),
            "empty NO_COLOR"
        );
        assert!(!Color::Auto.ansi_with(false, None), "not a terminal");
        assert!(Color::Always.ansi_with(false, set));
        assert!(!Color::Never.ansi_with(true, None));
    }

    /// Every command's `--help` shows an example, and the top level lists
    /// every command.
    #[test]
    fn every_command_has_an_example() {
        let mut cli = super::Cli::command();
        cli.build();
        let top = cli.render_long_help().to_string();
        for sub in cli.get_subcommands() {
            let name = sub.get_name();
            if name == "help" {
                continue;
            }
            assert!(top.contains(name), "{name} missing from the top-level help");
            let mut sub = sub.clone();
            let help = sub.render_long_help().to_string();
            assert!(
                help.contains("Example"),
                "`{name} --help` has no example:\n{help}"
            );
            for inner in sub.get_subcommands().filter(|c| c.get_name() != "help") {
                let mut inner = inner.clone();
                let help = inner.render_long_help().to_string();
                assert!(
                    help.contains("Example"),
                    "`{name} {}` has no example",
                    inner.get_name()
                );
            }
        }
    }
}
