//! Measurements shared by the benchmarks.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// Peak resident set size of this process so far (VmHWM), in KiB.
pub fn peak_rss_kb() -> u64 {
    status_field("self", "VmHWM:")
}

/// Peak resident set size of process `pid` so far (VmHWM), in KiB; 0 once
/// it has exited. A child's `getrusage` figure is no use here: the kernel
/// gives an exec'd child the peak of the process that spawned it.
pub fn peak_rss_kb_of(pid: u32) -> u64 {
    status_field(&pid.to_string(), "VmHWM:")
}

/// Waits for `child`, reading its peak RSS (VmHWM) every `every` until it
/// exits: its exit status and peak in KiB (0 when it ended before the first
/// read).
pub fn wait_with_peak(
    child: &mut std::process::Child,
    every: Duration,
) -> std::io::Result<(std::process::ExitStatus, u64)> {
    let mut peak_kb = 0;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok((status, peak_kb));
        }
        peak_kb = peak_kb.max(peak_rss_kb_of(child.id()));
        std::thread::sleep(every);
    }
}

fn status_field(pid: &str, name: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// Samples a file's size every few milliseconds and keeps the maximum.
pub struct FileSizeMonitor {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    handle: Option<JoinHandle<()>>,
}

impl FileSizeMonitor {
    pub fn start(path: PathBuf) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(0));
        let (s, p) = (stop.clone(), peak.clone());
        let handle = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                p.fetch_max(size(&path), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        FileSizeMonitor {
            stop,
            peak,
            handle: Some(handle),
        }
    }

    pub fn peak_bytes(&self) -> u64 {
        self.peak.load(Ordering::Relaxed)
    }
}

impl Drop for FileSizeMonitor {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// Milliseconds at quantile `q` of `samples` (sorted in place).
pub fn quantile_ms(samples: &mut [Duration], q: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    samples.sort();
    let i = ((samples.len() - 1) as f64 * q).round() as usize;
    samples[i].as_secs_f64() * 1000.0
}
