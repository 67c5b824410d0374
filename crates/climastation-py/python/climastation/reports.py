"""The reports of ClimaStation as typed objects.

Each report is a frozen dataclass built from the library's own report (the
same struct the command line prints with ``--json``): its fields are
attributes, :meth:`Report.to_dict` gives the ``--json`` shape, and
``report["key"]`` reads a field as the dicts of earlier versions did.

>>> r = archive.check()
>>> r.ok, r.problems
(True, [])
>>> r.to_dict()["ok"]
True
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any, Optional, Union

__all__ = [
    "Report",
    "RunReport",
    "RunDataset",
    "RunFailure",
    "StatusReport",
    "StatusDataset",
    "Counts",
    "WorkerClaims",
    "OldestClaim",
    "LastFailure",
    "FailedFile",
    "UnconfirmedFile",
    "CheckReport",
    "Problem",
    "CrawlReport",
    "CrawlDataset",
    "DatasetInfo",
    "DatasetParameter",
]


class Report:
    """A report: fields as attributes, :meth:`to_dict` for the ``--json`` shape."""

    def to_dict(self) -> dict[str, Any]:
        """The report as plain dicts and lists, as ``climastation --json`` prints it."""
        return dataclasses.asdict(self)  # type: ignore[call-overload]

    def __getitem__(self, key: str) -> Any:
        """``report["ok"]``: a field by its name, as in the dicts of earlier versions."""
        if key not in {f.name for f in dataclasses.fields(self)}:  # type: ignore[arg-type]
            raise KeyError(key)
        return getattr(self, key)

    @classmethod
    def _from(cls, data: dict[str, Any]) -> Any:
        """The report of the library's plain shape; nested reports built by their types."""
        hints = typing.get_type_hints(cls)
        values = {f.name: _build(hints[f.name], data[f.name]) for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        return cls(**values)


def _build(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is Union:  # Optional[X]
        inner = [a for a in args if a is not type(None)]
        return _build(inner[0], value) if len(inner) == 1 else value
    if origin is list and args:
        return [_build(args[0], v) for v in value]
    if isinstance(hint, type) and issubclass(hint, Report):
        return hint._from(value)
    return value


# ---- run ---------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class RunFailure(Report):
    """A file that failed in a run."""

    path: str
    kind: str
    """``transient`` (retried by ``retry``) or ``permanent``."""
    cause: Optional[str]
    """What the failure was about: ``network``, ``gone``, ``content``, ``machine``, ``misplaced``."""
    message: str


@dataclasses.dataclass(frozen=True)
class RunDataset(Report):
    """One dataset of a run: counts, failures and times."""

    dataset: str
    completed: int
    failed: list[RunFailure]
    retried: int
    released: int
    stopped: Optional[str]
    """Why the dataset stopped before its end, if it did."""
    bytes: int
    wall_seconds: float
    processing_seconds: float
    tracker_seconds: float


@dataclasses.dataclass(frozen=True)
class RunReport(Report):
    """What :meth:`Archive.run` did, dataset by dataset."""

    datasets: list[RunDataset]
    exit_code: int
    """The command's exit code for the same run: 0 all done, 1 files failed, 130 interrupted."""


# ---- status ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Counts(Report):
    """Files per status."""

    pending: int
    processing: int
    completed: int
    failed: int
    vanished: int


@dataclasses.dataclass(frozen=True)
class WorkerClaims(Report):
    """A worker holding claims."""

    worker: str
    claims: int


@dataclasses.dataclass(frozen=True)
class OldestClaim(Report):
    """The claim held longest."""

    path: str
    claimed_at: str


@dataclasses.dataclass(frozen=True)
class LastFailure(Report):
    """A dataset's last failure."""

    path: str
    kind: Optional[str]
    cause: Optional[str]
    message: Optional[str]
    at: Optional[str]
    fix: str


@dataclasses.dataclass(frozen=True)
class StatusDataset(Report):
    """One dataset's progress."""

    dataset: str
    counts: Counts
    total: int
    rate_per_min: float
    eta_seconds: Optional[float]
    workers: list[WorkerClaims]
    oldest_claim: Optional[OldestClaim]
    last_failure: Optional[LastFailure]
    selection: Optional[str]
    """What the dataset was last crawled with."""


@dataclasses.dataclass(frozen=True)
class StatusReport(Report):
    """What :meth:`Archive.status` found: each dataset and the totals."""

    datasets: list[StatusDataset]
    totals: Counts
    total: int


# ---- failed ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class FailedFile(Report):
    """A file that failed for good, with its error and the fix."""

    dataset: str
    path: str
    kind: Optional[str]
    message: Optional[str]
    attempts: int
    failures: int
    failed_at: Optional[str]
    cause: Optional[str]
    hint: str
    """What fixes it, in Python's words."""


@dataclasses.dataclass(frozen=True)
class UnconfirmedFile(Report):
    """A completed file whose size nothing confirmed."""

    dataset: str
    path: str
    bytes: Optional[int]
    checksum: Optional[str]
    completed_at: Optional[str]


# ---- check -------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Problem(Report):
    """A problem :meth:`Archive.check` found, and what mends it."""

    dataset: Optional[str]
    kind: str
    """``missing``, ``damaged``, ``unrecorded``, ``no_tables``, ``temp``, ``tracker``."""
    problem: str
    fix: str


@dataclasses.dataclass(frozen=True)
class CheckReport(Report):
    """What :meth:`Archive.check` found."""

    ok: bool
    tables: int
    deep: bool
    problems: list[Problem]


# ---- crawl -------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class CrawlDataset(Report):
    """One dataset's listing against the tracker."""

    dataset: str
    listed: int
    selected: int
    deselected: int
    new: int
    changed: int
    unchanged: int
    reappeared: int
    vanished: int
    vanished_files: list[str]


@dataclasses.dataclass(frozen=True)
class CrawlReport(Report):
    """What :meth:`Archive.crawl` registered."""

    source: str
    selection: str
    datasets: list[CrawlDataset]
    new: int
    changed: int
    unchanged: int
    vanished: int


# ---- datasets ----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class DatasetParameter(Report):
    """A parameter of a dataset: DWD's code, the English name, unit, kind."""

    code: str
    name: str
    former_name: Optional[str]
    """The name it had before it said what a value is (still accepted, with a
    ``DeprecationWarning``); None when it kept its name."""
    unit: str
    kind: str
    description_de: str
    description_en: str
    missing: dict[str, str]
    """Values besides -999 that DWD uses to say "none", and what each means."""
    statistic: Optional[str]
    """What a value is: ``point`` (a reading at one moment), ``mean``, ``sum``,
    ``max``, ``min``, ``mean_of_daily_max``, ``mean_of_daily_min``,
    ``max_of_daily_sum``, ``count``, ``code`` or ``text``; None for quality levels."""
    span: Optional[str]
    """The time it covers: ``instant`` or the interval ending at the stamp."""
    standard_name: Optional[str]
    """The CF standard name, where CF has one."""
    cell_methods: Optional[str]
    """The CF cell methods, e.g. ``time: mean (interval: 1 day)``."""


@dataclasses.dataclass(frozen=True)
class DatasetInfo(Report):
    """A dataset of DWD's archive as the catalog knows it."""

    name: str
    resolution: str
    title: str
    periods: list[str]
    year_folders: bool
    converted: bool
    not_converted_reason: Optional[str]
    zip_prefixes: list[str]
    member_prefixes: list[str]
    metadata_zip_prefix: Optional[str]
    station_lists: list[str]
    timestamps: str
    time_rule: str
    wetterdienst: Optional[str]
    parameters: list[DatasetParameter]
