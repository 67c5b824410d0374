//! What every command needs: configuration, logging, the progress store.

use std::fmt;
use std::io::IsTerminal;

use anyhow::Context as _;
use indicatif::{MultiProgress, ProgressDrawTarget};
use tracker_config::{Config, Sources};
use tracker_core::RetryPolicy;
use tracker_log::LogGuard;
use tracker_sqlite::{SqliteStore, StoreOptions};

use crate::Cli;
use crate::progress::BarWriter;

/// An error that exits with code 2 (usage, configuration, opening the database).
#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

pub fn usage(e: impl fmt::Display) -> anyhow::Error {
    anyhow::Error::new(UsageError(e.to_string()))
}

/// Ctrl-C or SIGTERM stopped the command cleanly: exit 130.
#[derive(Debug)]
pub struct Interrupted;

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("interrupted: run again to resume")
    }
}

impl std::error::Error for Interrupted {}

/// The first Ctrl-C or SIGTERM sets the returned handle (a clean stop);
/// a second one exits at once with 130.
pub fn stop_on_signals() -> anyhow::Result<pipeline::StopHandle> {
    let stop = pipeline::StopHandle::new();
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register_conditional_shutdown(
            signal,
            i32::from(crate::exit::INTERRUPTED),
            stop.flag(),
        )
        .context("installing the signal handler")?;
        signal_hook::flag::register(signal, stop.flag())
            .context("installing the signal handler")?;
    }
    Ok(stop)
}

pub struct Ctx {
    pub config: Config,
    pub json: bool,
    /// Progress bars; log lines are printed through it so they never tear a bar.
    pub bars: MultiProgress,
    _log: LogGuard,
}

impl fmt::Debug for Ctx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ctx")
            .field("json", &self.json)
            .finish_non_exhaustive()
    }
}

impl Ctx {
    pub fn init(cli: &Cli) -> anyhow::Result<Ctx> {
        let config =
            tracker_config::load(&Sources::standard(cli.config.as_deref())).map_err(usage)?;
        // every configured dataset is one the catalog knows
        for d in &config.datasets {
            dwd_catalog::require(&d.name)
                .map_err(|e| usage(format!("configuration `datasets`: {e}")))?;
        }
        let draw = if cli.json || !std::io::stdout().is_terminal() {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        };
        let bars = MultiProgress::with_draw_target(draw);
        let console = tracker_log::Console {
            level: Some(cli.console_level()),
            ansi: cli.color.ansi(std::io::stderr().is_terminal()),
            fold_repeats: true,
        };
        let log =
            tracker_log::init_with_console(&config.logging, &console, BarWriter(bars.clone()))
                .map_err(usage)?;
        Ok(Ctx {
            config,
            json: cli.json,
            bars,
            _log: log,
        })
    }

    pub fn store_options(&self) -> StoreOptions {
        let p = &self.config.processing;
        StoreOptions {
            busy_timeout: self.config.tracker.busy_timeout,
            retry: RetryPolicy {
                max_attempts: p.max_attempts,
                backoff_base: p.retry_backoff,
                backoff_max: (p.retry_backoff * 64).max(p.retry_backoff),
            },
            journal_size_limit: self.config.tracker.journal_size_limit_bytes,
            ..StoreOptions::default()
        }
    }

    /// Opens the progress database; a failure exits with code 2.
    pub fn open_store(&self) -> anyhow::Result<SqliteStore> {
        let store = SqliteStore::open(&self.config.paths.progress_db, self.store_options())
            .map_err(usage)?;
        let r = store.open_report();
        if r.orphans_recovered > 0 {
            tracing::info!(
                claims = r.orphans_recovered,
                "recovered the claims of a run that died"
            );
        }
        Ok(store)
    }

    /// A `--dataset` value: one the catalog knows (exit 2 with the
    /// closest names otherwise).
    pub fn dataset(&self, name: &str) -> anyhow::Result<tracker_core::DatasetId> {
        dwd_catalog::require(name).map_err(|e| usage(format!("--dataset: {e}")))?;
        tracker_core::DatasetId::new(name)
            .map_err(usage)
            .context("--dataset")
    }
}
