//! Domain types of the progress tracker.

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use crate::error::TrackerError;

/// An instant as milliseconds since the Unix epoch, UTC.
///
/// Milliseconds in an `i64` are what every backend stores natively and cover
/// ±292 million years, so no conversion is ever lossy.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct Timestamp(i64);

impl Timestamp {
    pub const fn from_millis(ms: i64) -> Self {
        Timestamp(ms)
    }

    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// `self + d`, saturating at the end of the representable range.
    pub fn plus(self, d: Duration) -> Self {
        let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        Timestamp(self.0.saturating_add(ms))
    }

    /// `self - d`, saturating at the start of the representable range.
    pub fn minus(self, d: Duration) -> Self {
        let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        Timestamp(self.0.saturating_sub(ms))
    }

    /// Milliseconds from `earlier` to `self`, or 0 when `earlier` is later.
    pub fn millis_since(self, earlier: Timestamp) -> u64 {
        u64::try_from(self.0.saturating_sub(earlier.0)).unwrap_or(0)
    }
}

/// Where "now" comes from. Stores take a clock so that tests can drive lease
/// expiry and backoff without sleeping.
pub trait Clock: Send + Sync + fmt::Debug {
    fn now(&self) -> Timestamp;
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            // A clock set before 1970 is a broken machine; 0 keeps ordering sane.
            .unwrap_or(0);
        Timestamp(ms)
    }
}

/// A clock that only moves when told to (tests, simulations).
#[derive(Debug, Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn new(start: Timestamp) -> Self {
        ManualClock(AtomicI64::new(start.0))
    }

    pub fn advance(&self, d: Duration) {
        let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        self.0.fetch_add(ms, Ordering::SeqCst);
    }

    pub fn set(&self, t: Timestamp) {
        self.0.store(t.0, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

/// A dataset name such as `10_minutes/air_temperature`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct DatasetId(String);

impl DatasetId {
    /// A dataset name is non-empty, at most 200 bytes and free of control characters.
    pub fn new(name: impl Into<String>) -> Result<Self, TrackerError> {
        let name = name.into();
        if name.trim().is_empty() || name.len() > 200 || name.chars().any(char::is_control) {
            return Err(TrackerError::InvalidInput(format!(
                "invalid dataset name {name:?}: it must be 1 to 200 bytes without control characters"
            )));
        }
        Ok(DatasetId(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DatasetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Identifies a file: the dataset and the path relative to the dataset root.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct FileKey {
    pub dataset: DatasetId,
    path: String,
}

impl FileKey {
    /// The path must be relative, use `/` separators and contain no empty,
    /// `.` or `..` components: it is later joined to data directories and URLs.
    pub fn new(dataset: DatasetId, path: impl Into<String>) -> Result<Self, TrackerError> {
        let path = path.into();
        let bad = |why: &str| {
            Err(TrackerError::InvalidInput(format!(
                "invalid file path {path:?} in dataset {dataset}: {why}"
            )))
        };
        if path.is_empty() || path.len() > 4096 {
            return bad("it must be 1 to 4096 bytes");
        }
        if path.starts_with('/') || path.contains('\\') || path.chars().any(char::is_control) {
            return bad("it must be relative, with `/` separators and no control characters");
        }
        if path
            .split('/')
            .any(|c| c.is_empty() || c == "." || c == "..")
        {
            return bad("empty, `.` and `..` components are not allowed");
        }
        Ok(FileKey { dataset, path })
    }

    pub fn path(&self) -> &str {
        &self.path
    }
}

impl fmt::Display for FileKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.dataset, self.path)
    }
}

/// The identity of one worker (a thread in one process on one host).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct WorkerId(String);

impl WorkerId {
    pub fn new(id: impl Into<String>) -> Result<Self, TrackerError> {
        let id = id.into();
        if id.is_empty() || id.len() > 200 || id.chars().any(char::is_control) {
            return Err(TrackerError::InvalidInput(format!(
                "invalid worker id {id:?}: it must be 1 to 200 bytes without control characters"
            )));
        }
        Ok(WorkerId(id))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for WorkerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A file's place in the state machine.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum FileStatus {
    Pending,
    Processing,
    Completed,
    Failed,
}

impl FileStatus {
    pub const ALL: [FileStatus; 4] = [
        FileStatus::Pending,
        FileStatus::Processing,
        FileStatus::Completed,
        FileStatus::Failed,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            FileStatus::Pending => "pending",
            FileStatus::Processing => "processing",
            FileStatus::Completed => "completed",
            FileStatus::Failed => "failed",
        }
    }
}

impl fmt::Display for FileStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FileStatus {
    type Err = TrackerError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FileStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| {
                TrackerError::InvalidInput(format!(
                    "unknown status {s:?}: expected pending, processing, completed or failed"
                ))
            })
    }
}

/// Whether a failure may go away on its own (network, lock, resource) or is
/// a property of the file (corrupt zip, malformed row).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum FailureKind {
    Transient,
    Permanent,
}

impl FailureKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            FailureKind::Transient => "transient",
            FailureKind::Permanent => "permanent",
        }
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FailureKind {
    type Err = TrackerError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "transient" => Ok(FailureKind::Transient),
            "permanent" => Ok(FailureKind::Permanent),
            _ => Err(TrackerError::InvalidInput(format!(
                "unknown failure kind {s:?}: expected transient or permanent"
            ))),
        }
    }
}

/// What a failure was about, for the advice that fixes it (the message
/// says the details). Recorded with the failure; `None` for failures
/// recorded before causes were (schema 8).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum FailureCause {
    /// The source no longer has the file, or its listing disagreed with it:
    /// a fresh listing (crawl) fixes it.
    Gone,
    /// The network or the server failed: trying again later may work.
    Network,
    /// The file's content is wrong (a corrupt zip, a malformed row): trying
    /// again gives the same file.
    Content,
    /// The file belongs to another dataset or station than it was found
    /// under.
    Misplaced,
    /// This machine failed (disk full, permissions, I/O).
    Machine,
}

impl FailureCause {
    pub const ALL: [FailureCause; 5] = [
        FailureCause::Gone,
        FailureCause::Network,
        FailureCause::Content,
        FailureCause::Misplaced,
        FailureCause::Machine,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            FailureCause::Gone => "gone",
            FailureCause::Network => "network",
            FailureCause::Content => "content",
            FailureCause::Misplaced => "misplaced",
            FailureCause::Machine => "machine",
        }
    }
}

impl fmt::Display for FailureCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FailureCause {
    type Err = TrackerError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FailureCause::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| {
                TrackerError::InvalidInput(format!(
                    "unknown failure cause {s:?}: expected gone, network, content, misplaced or machine"
                ))
            })
    }
}

/// A backend's row id for a file. Opaque outside the backend except as a
/// stable order (registration order) and a paging cursor.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct FileId(pub i64);

/// A file as found at its source, to be registered.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct NewFile {
    pub key: FileKey,
    pub size: Option<u64>,
    pub source_modified: Option<Timestamp>,
}

/// The right to work on one file, held by one worker until its lease expires.
///
/// `token` is the attempt number the claim created: the fencing token. Every
/// later write about this file must present it, and is rejected once the file
/// has been claimed again, reset, released or recovered.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Claim {
    pub id: FileId,
    pub key: FileKey,
    pub token: u32,
    pub worker: WorkerId,
    pub lease_expires_at: Timestamp,
    pub size: Option<u64>,
    pub source_modified: Option<Timestamp>,
}

/// What a worker reports when a file is done.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct CompletionMetrics {
    /// When the worker actually started on the file (claims come in batches).
    pub started_at: Option<Timestamp>,
    pub records_processed: u64,
    pub bytes_processed: u64,
    /// A checksum of the processed file, e.g. `sha256:<hex>`.
    pub checksum: Option<String>,
    /// Nothing confirmed the file is whole (no listed size, no format check).
    pub size_unconfirmed: bool,
    /// The tables the file was turned into, recorded with the completion
    /// (in the same transaction), so that no table exists on the ledger's
    /// word without the file that made it being done.
    pub outputs: Vec<OutputRecord>,
}

/// What a worker reports when a file could not be processed.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Failure {
    pub kind: FailureKind,
    pub message: String,
    /// What it was about, when the processor knows.
    pub cause: Option<FailureCause>,
    pub started_at: Option<Timestamp>,
}

/// One input of a merged series: a completed file and its checksum when
/// the series was built.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub struct SeriesInput {
    /// The series' key inside its dataset (a station, or a dataset-wide table).
    pub series: String,
    /// The file's path relative to the dataset.
    pub file: String,
    pub checksum: Option<String>,
}

/// One table in the output ledger: a file the program wrote, as it was
/// when it got its final name. Before the table is used it is checked
/// against this record: cheaply (size and modification time) or deeply
/// (the content's SHA-256).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct OutputRecord {
    /// The table's path relative to its dataset's output folder, with `/`.
    pub path: String,
    pub bytes: u64,
    pub rows: u64,
    /// Modification time right after the rename, in nanoseconds since the
    /// Unix epoch.
    pub modified_ns: i64,
    /// SHA-256 of the bytes as written.
    pub sha256: [u8; 32],
    /// What it was built from: a source file's path in the dataset (a
    /// per-file table) or a series key (`00044`, `stations`, `metadata`).
    pub built_from: String,
    /// A fingerprint of the names its columns were written under (per-file
    /// tables and series); `None` for tables without parameter columns, or
    /// written before names were recorded.
    pub names: Option<String>,
}

/// Where a failed file went.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FailOutcome {
    /// Back to `pending`, claimable again from `not_before`.
    Retry { not_before: Timestamp },
    /// Stays `failed` until retried or reset by a person.
    Failed,
}

/// What registering a batch did.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct RegisterReport {
    pub new: u64,
    pub changed: u64,
    pub unchanged: u64,
    /// Of the changed and unchanged ones: files that had vanished and are listed again.
    pub reappeared: u64,
}

impl RegisterReport {
    /// Adds `other`'s counts (a registration done in chunks).
    pub fn add(&mut self, other: &RegisterReport) {
        self.new += other.new;
        self.changed += other.changed;
        self.unchanged += other.unchanged;
        self.reappeared += other.reappeared;
    }
}

/// What recovering claims did.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct RecoveryReport {
    /// Claims put back to `pending`.
    pub requeued: u64,
}

/// Which failed files to retry.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum RetrySelection {
    AllFailed,
    Path(String),
}

/// Files per status. Files that vanished from their source are counted in
/// `vanished` only, whatever their status: `pending` is claimable work.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct StatusCounts {
    pub pending: u64,
    pub processing: u64,
    pub completed: u64,
    pub failed: u64,
    pub vanished: u64,
}

impl StatusCounts {
    pub fn get(&self, status: FileStatus) -> u64 {
        match status {
            FileStatus::Pending => self.pending,
            FileStatus::Processing => self.processing,
            FileStatus::Completed => self.completed,
            FileStatus::Failed => self.failed,
        }
    }

    pub fn get_mut(&mut self, status: FileStatus) -> &mut u64 {
        match status {
            FileStatus::Pending => &mut self.pending,
            FileStatus::Processing => &mut self.processing,
            FileStatus::Completed => &mut self.completed,
            FileStatus::Failed => &mut self.failed,
        }
    }

    /// Every registered file, vanished ones included.
    pub fn total(&self) -> u64 {
        self.pending + self.processing + self.completed + self.failed + self.vanished
    }
}

/// Counts of one dataset.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct DatasetSummary {
    pub dataset: DatasetId,
    pub counts: StatusCounts,
}

/// Everything the tracker knows about one file.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct FileRecord {
    pub id: FileId,
    pub key: FileKey,
    pub status: FileStatus,
    pub size: Option<u64>,
    pub source_modified: Option<Timestamp>,
    pub worker: Option<WorkerId>,
    /// Claims so far; the current claim's fencing token. Never decreases.
    pub attempts: u32,
    /// Failures counted against `max_attempts` since the last retry or reset.
    pub failures: u32,
    pub lease_expires_at: Option<Timestamp>,
    pub not_before: Option<Timestamp>,
    pub claimed_at: Option<Timestamp>,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    pub duration_ms: Option<u64>,
    pub records_processed: Option<u64>,
    pub bytes_processed: Option<u64>,
    pub error_kind: Option<FailureKind>,
    pub error_message: Option<String>,
    pub error_cause: Option<FailureCause>,
    pub checksum: Option<String>,
    /// When the file was last missing from its source's listing; `None`
    /// while it is listed. A vanished file is out of future work.
    pub vanished_at: Option<Timestamp>,
    /// Completed on the server's word alone: no listing gave its size and
    /// its format has no check of its own.
    pub size_unconfirmed: bool,
    /// When the file was first registered.
    pub created_at: Timestamp,
}

/// What is going on in a dataset right now, for `status`.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Activity {
    /// Files completed from `counted_since` until now.
    pub completed_since: u64,
    /// Where the count starts: the store's record of the dataset's
    /// completed count nearest before the `since` of the query (a little
    /// earlier), or its oldest one after it when it has none before;
    /// `None` when no file of the dataset was completed yet.
    pub counted_since: Option<Timestamp>,
    /// Workers holding claims, with how many each holds.
    pub workers: Vec<(WorkerId, u64)>,
    /// The claim held longest: file and when it was claimed.
    pub oldest_claim: Option<(FileKey, Timestamp)>,
    /// The most recent failure that left a file `failed`.
    pub last_failure: Option<LastFailure>,
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub struct LastFailure {
    pub key: FileKey,
    pub kind: Option<FailureKind>,
    pub message: Option<String>,
    pub cause: Option<FailureCause>,
    pub at: Option<Timestamp>,
}

/// A page request for files in one status.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ListQuery {
    pub dataset: Option<DatasetId>,
    pub status: FileStatus,
    /// Only completions recorded as size unconfirmed.
    pub unconfirmed_only: bool,
    /// Return files after this id (the previous page's `next`).
    pub after: Option<FileId>,
    pub limit: usize,
}

/// One page of files, in registration order.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Page {
    pub files: Vec<FileRecord>,
    /// The cursor for the next page, or `None` on the last one.
    pub next: Option<FileId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_paths_cannot_escape_their_dataset() {
        let ds = || DatasetId::new("10_minutes/air_temperature").unwrap();
        for bad in [
            "",
            "/etc/passwd",
            "../x.zip",
            "a/../../b",
            "a//b",
            "./a",
            "a\\b",
            "a\nb",
        ] {
            let err = FileKey::new(ds(), bad).unwrap_err();
            assert!(matches!(err, TrackerError::InvalidInput(_)), "{bad:?}");
        }
        for good in [
            "a.zip",
            "historical/10minutenwerte_TU_00003_19930428_19991231_hist.zip",
        ] {
            assert_eq!(FileKey::new(ds(), good).unwrap().path(), good);
        }
    }

    #[test]
    fn status_names_round_trip() {
        for st in FileStatus::ALL {
            assert_eq!(st.as_str().parse::<FileStatus>().unwrap(), st);
        }
        assert!("done".parse::<FileStatus>().is_err());
    }

    #[test]
    fn timestamps_saturate() {
        let t = Timestamp::from_millis(i64::MAX - 1);
        assert_eq!(t.plus(Duration::from_secs(1)).as_millis(), i64::MAX);
        let early = Timestamp::from_millis(i64::MIN + 1);
        assert_eq!(early.minus(Duration::from_secs(1)).as_millis(), i64::MIN);
        assert_eq!(
            Timestamp::from_millis(9)
                .minus(Duration::from_millis(4))
                .as_millis(),
            5
        );
        assert_eq!(
            Timestamp::from_millis(5).millis_since(Timestamp::from_millis(9)),
            0
        );
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::new(Timestamp::from_millis(100));
        assert_eq!(c.now().as_millis(), 100);
        c.advance(Duration::from_millis(50));
        assert_eq!(c.now().as_millis(), 150);
    }

    #[test]
    fn names_are_validated() {
        assert!(DatasetId::new(" ").is_err());
        assert!(WorkerId::new("").is_err());
        assert!(WorkerId::new("host-1/pid-2/w0").is_ok());
    }
}
