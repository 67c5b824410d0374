//! `climastation run [--dataset D]... [--workers N] [--keep-going] [--processor verify]`

use tracker_core::DatasetId;

use crate::context::{Ctx, job, usage};
use crate::progress::Bars;

pub use climastation_jobs::ProcessorKind;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  climastation run --crawl
  climastation --config config/sample.yaml run --crawl
  climastation run --crawl --dataset hourly/air_temperature --near 51.34,12.37 --radius 50 --from 1990 --to 2020
  climastation run --keep-going --workers 2
  climastation run --dataset 10_minutes/air_temperature --verify-outputs   # what check --deep advises")]
pub struct Args {
    /// Only these datasets (repeatable); default: the configured ones, in order.
    #[arg(long = "dataset", value_name = "D")]
    pub datasets: Vec<String>,
    /// Parallel workers, 1 to 64 (default processing.workers).
    #[arg(long, allow_negative_numbers = true)]
    pub workers: Option<i64>,
    /// Process everything and report failures at the end instead of stopping
    /// a dataset at its first failure.
    #[arg(long)]
    pub keep_going: bool,
    /// What to do with each file (default processing.processor: dwd).
    #[arg(long, value_enum)]
    pub processor: Option<ProcessorKind>,
    /// Crawl the datasets at source.base_url first (register new and changed
    /// files, set aside vanished ones).
    #[arg(long)]
    pub crawl: bool,
    /// With `--processor dwd`: the format of the tables written to paths.output.
    #[arg(long, value_enum, default_value = "parquet")]
    pub format: dwd_series::output::Format,
    /// Hash every table already written before it is used (not only its
    /// size and time): damage that `check --deep` found is rebuilt.
    #[arg(long)]
    pub verify_outputs: bool,
    #[command(flatten)]
    pub selection: super::selection::SelectionArgs,
}

pub fn run(ctx: &Ctx, args: &Args) -> anyhow::Result<u8> {
    if args.selection.given() && !args.crawl {
        // a selection decides what is registered; run works on what is
        return Err(usage(
            "selection options (--station, --near, --from, …) need --crawl: they decide which files are registered, and run processes what is",
        ));
    }
    let request = climastation_jobs::RunRequest {
        datasets: args.datasets.clone(),
        workers: args.workers,
        keep_going: args.keep_going,
        processor: args.processor,
        crawl: match args.crawl {
            true => Some(args.selection.resolve(ctx)?),
            false => None,
        },
        format: args.format,
        verify_outputs: args.verify_outputs,
    };
    // Ctrl-C / SIGTERM, from here on: the first asks for a clean stop (the
    // crawl stops between listings, the pipeline as it documents), a second
    // exits at once (130); the next start recovers the claims left behind.
    let stop = crate::context::stop_on_signals()?;
    let events = Events {
        bars: Bars::new(ctx.bars.clone()),
        json: ctx.json,
    };
    let outcome = ctx.session.run(&request, &stop, &events).map_err(job)?;
    // the run's exit code stands whatever happens to its report: a reader
    // that closed stdout, or a status table that cannot be read
    let printed = crate::output::print_run_report(ctx.json, &outcome.report, &outcome.requested)
        .and_then(|()| match ctx.json {
            true => Ok(()),
            false => status_after(ctx, &outcome.requested),
        });
    if let Err(e) = printed
        && e.downcast_ref::<crate::output::StdoutClosed>().is_none()
    {
        tracing::warn!(
            error = format!("{e:#}"),
            "the status after the run could not be shown"
        );
    }
    Ok(outcome.exit_code)
}

/// The status table of the datasets run, after the run's report.
fn status_after(ctx: &Ctx, requested: &[DatasetId]) -> anyhow::Result<()> {
    outln!();
    let store = ctx.open_store()?;
    super::status::print_table(&super::status::collect(ctx, &store, None, Some(requested))?)
}

/// The run's events on the console: progress bars, each crawl's summary,
/// the datasets with nothing registered.
struct Events {
    bars: Bars,
    json: bool,
}

impl pipeline::Observer for Events {
    fn dataset_started(&self, dataset: &DatasetId, counts: &tracker_core::StatusCounts) {
        self.bars.dataset_started(dataset, counts);
    }

    fn file_finished(&self, dataset: &DatasetId, event: &pipeline::FileEvent<'_>) {
        self.bars.file_finished(dataset, event);
    }

    fn dataset_finished(&self, report: &pipeline::DatasetReport) {
        self.bars.dataset_finished(report);
    }
}

impl climastation_jobs::RunEvents for Events {
    fn crawled(&self, report: &dwd_dataset::crawl::CrawlReport) {
        // a closed stdout ends the report at the end of the run
        if !self.json {
            let _ = super::crawl::print_human(report);
        }
    }

    fn nothing_registered(&self, dataset: &DatasetId) {
        if !self.json {
            let _ = crate::output::write_out(format_args!(
                "nothing registered for {dataset}: crawl first, or run --crawl\n"
            ));
        }
    }
}
