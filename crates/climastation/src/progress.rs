//! Progress bars during `run` (indicatif), and a log writer that suspends
//! them while it prints.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use pipeline::{DatasetReport, FileEvent, Observer};
use tracker_core::{DatasetId, StatusCounts};
use tracker_log::MakeWriter;

/// A console writer for tracing: each event is written in one piece with
/// the bars hidden for that moment.
#[derive(Clone)]
pub struct BarWriter(pub MultiProgress);

pub struct LineWriter {
    bars: MultiProgress,
    buf: Vec<u8>,
}

impl<'a> MakeWriter<'a> for BarWriter {
    type Writer = LineWriter;

    fn make_writer(&'a self) -> LineWriter {
        LineWriter {
            bars: self.0.clone(),
            buf: Vec::with_capacity(256),
        }
    }
}

impl Write for LineWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(b);
        Ok(b.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LineWriter {
    fn drop(&mut self) {
        if !self.buf.is_empty() {
            let buf = std::mem::take(&mut self.buf);
            self.bars.suspend(|| {
                let _ = std::io::stderr().write_all(&buf);
            });
        }
    }
}

/// One bar per dataset: done/total, rate, ETA, failures.
pub struct Bars {
    multi: MultiProgress,
    bars: Mutex<HashMap<DatasetId, (ProgressBar, u64)>>,
}

impl Bars {
    pub fn new(multi: MultiProgress) -> Self {
        Bars {
            multi,
            bars: Mutex::new(HashMap::new()),
        }
    }

    fn with_bar(&self, dataset: &DatasetId, f: impl FnOnce(&ProgressBar, &mut u64)) {
        let mut bars = self.bars.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((bar, failures)) = bars.get_mut(dataset) {
            f(bar, failures);
        }
    }
}

impl Observer for Bars {
    fn dataset_started(&self, dataset: &DatasetId, counts: &StatusCounts) {
        let bar = self.multi.add(ProgressBar::new(counts.total()));
        let style = ProgressStyle::with_template(
            "{prefix:.bold} [{bar:30.cyan/blue}] {pos}/{len} {rate} ETA {left} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .with_key(
            "rate",
            |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = w.write_str(&crate::output::rate(s.per_sec()));
            },
        )
        .with_key(
            "left",
            |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = w.write_str(&crate::output::duration(s.eta().as_secs_f64()));
            },
        )
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(dataset.to_string());
        bar.set_position(counts.completed + counts.failed);
        bar.set_message(format!("failed {}", counts.failed));
        bar.enable_steady_tick(Duration::from_millis(200));
        let mut bars = self.bars.lock().unwrap_or_else(|p| p.into_inner());
        bars.insert(dataset.clone(), (bar, counts.failed));
    }

    fn file_finished(&self, dataset: &DatasetId, event: &FileEvent<'_>) {
        self.with_bar(dataset, |bar, failures| match event {
            FileEvent::Completed { .. } => bar.inc(1),
            FileEvent::Failed { retry: false, .. } => {
                *failures += 1;
                bar.inc(1);
                bar.set_message(format!("failed {failures}"));
            }
            FileEvent::Failed { retry: true, .. } | FileEvent::Released { .. } => {}
        });
    }

    fn dataset_finished(&self, report: &DatasetReport) {
        self.with_bar(&report.dataset, |bar, failures| {
            let how = match &report.stopped {
                None => "done",
                Some(pipeline::StopReason::Interrupted) => "interrupted",
                Some(_) => "stopped",
            };
            bar.finish_with_message(format!("failed {failures}, {how}"));
        });
    }
}
