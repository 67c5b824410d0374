"""ClimaStation: the German weather service's open climate archive (DWD CDC)
as clean, analysis-ready tables, with a progress tracker that never loses
its place.

The module calls the same library as the ``climastation`` command, in this
process: the same configuration, progress database, workers, memory limits,
checks and messages. Tables come back as :class:`pyarrow.Table` without
copying (``.to_pandas()``, ``polars.from_arrow(...)``).

Examples
--------
On the bundled sample (offline, from a clone of the repository; CI runs
every example of this module there, with ``archive`` an
``Archive(config=SAMPLE, ...)`` whose ``run(crawl=True)`` is done):

>>> archive.check()["ok"]
True
>>> t = archive.series("hourly/air_temperature", stations=[320], start="2018-09-15", end="2018-09-15")
>>> t.num_rows, t.column_names[:4]
(5, ['station_id', 'timestamp_utc', 'air_temperature_quality', 'temperature_air_2m'])

Against DWD's server (online), Leipzig's hourly air temperature 1990-2020
from the stations within 50 km:

>>> archive = climastation.Archive()                       # doctest: +SKIP
>>> where = dict(near=(51.34, 12.37), radius_km=50, start="1990-01-01", end="2020-12-31")
>>> archive.run(["hourly/air_temperature"], crawl=True, **where)   # doctest: +SKIP
>>> table = archive.export("hourly", datasets=["hourly/air_temperature"], long=True, **where)  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as _dt
import os as _os
import sys as _sys
import warnings as _warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Optional, Union

if TYPE_CHECKING:  # for editors and type checkers; imported for real by the native module
    import pyarrow

from . import errors, reports
from ._climastation import Archive as _Archive
from ._climastation import __version__
from ._climastation import _datasets
from .errors import (
    ClimaStationError,
    ConfigError,
    DataError,
    DatasetError,
    SelectionError,
    SourceError,
    TrackerError,
    UsageError,
)
from .reports import (
    CheckReport,
    CrawlReport,
    DatasetInfo,
    FailedFile,
    Report,
    RunReport,
    StatusReport,
    UnconfirmedFile,
)

__all__ = [
    "__version__",
    "Archive",
    "serve",
    "datasets",
    "stations",
    "errors",
    "reports",
    "Report",
    "RunReport",
    "StatusReport",
    "CheckReport",
    "CrawlReport",
    "FailedFile",
    "UnconfirmedFile",
    "DatasetInfo",
    "ClimaStationError",
    "ConfigError",
    "DataError",
    "DatasetError",
    "SelectionError",
    "SourceError",
    "TrackerError",
    "UsageError",
]

DateLike = Union[str, int, _dt.date]
"""A day: ``datetime.date``, ``"1990-01-01"``, or a year (``1990``, its first day; as an end, its last)."""
PathLike = Union[str, "_os.PathLike[str]"]
Resolution = Literal[
    "1_minute", "5_minutes", "10_minutes", "hourly", "subdaily", "daily", "monthly", "annual", "multi_annual"
]
"""DWD's resolution folders."""
Method = Literal["nearest", "idw"]
"""How a value at a place is taken from the stations around it."""
Processor = Literal["dwd", "download", "verify"]
"""What ``run`` does with each file."""
Period = Literal["historical", "recent", "now"]
"""DWD's period folders."""
StationIds = Union[int, str, Iterable[Union[int, str]]]
"""Station ids: ``44``, ``"00044"`` or several."""
Point = tuple[float, float]
"""``(latitude, longitude)`` in degrees."""
Box = tuple[float, float, float, float]
"""``(west, south, east, north)`` in degrees."""
Span = Union[str, tuple[DateLike, DateLike]]
"""``(start, end)`` or ``"1990..2020"``; either side may be open (``"..2000"``)."""


def datasets(resolution: Optional[Resolution] = None) -> list[DatasetInfo]:
    """Every dataset of DWD's archive that ClimaStation knows.

    Parameters
    ----------
    resolution
        Only the datasets of this resolution.

    Returns
    -------
    list of DatasetInfo
        As ``climastation --json datasets`` prints them (``to_dict()``):
        ``name``, ``resolution``, ``title``, ``periods``, ``time_rule``,
        ``converted``, ``parameters`` (DWD ``code``, English ``name``,
        ``unit``, ``kind``, descriptions), and more.

    Raises
    ------
    DatasetError
        For a resolution the archive does not have.

    Examples
    --------
    >>> [d.name for d in climastation.datasets("annual")]
    ['annual/climate_indices/kl', 'annual/climate_indices/precip', 'annual/kl', 'annual/more_precip', 'annual/weather_phenomena']
    """
    return [DatasetInfo._from(d) for d in _datasets(resolution)["datasets"]]


def stations(
    dataset: str,
    *,
    config: Optional[PathLike] = None,
    source: Optional[str] = None,
    stations: Optional[StationIds] = None,
    near: Optional[Point] = None,
    radius_km: Optional[float] = None,
    bbox: Optional[Box] = None,
    name: Optional[str] = None,
    state: Optional[str] = None,
    active: Optional[Span] = None,
) -> "pyarrow.Table":
    """The stations of ``dataset`` from all of DWD's station lists: a
    shortcut for ``Archive(config).stations(dataset, ...)``.

    Parameters
    ----------
    dataset
        A dataset name, ``hourly/air_temperature``.
    config
        A configuration file (its source is read).
    source, stations, near, radius_km, bbox, name, state, active
        As :meth:`Archive.stations`.

    Returns
    -------
    pyarrow.Table
        As :meth:`Archive.stations`.

    Examples
    --------
    >>> t = climastation.stations("hourly/air_temperature", config=SAMPLE, near=(51.34, 12.37), radius_km=15)
    >>> t.column("name").to_pylist()
    ['Leipzig-Holzhausen', 'Leipzig/Halle']
    """
    return Archive(config=config).stations(
        dataset,
        source=source,
        stations=stations,
        near=near,
        radius_km=radius_km,
        bbox=bbox,
        name=name,
        state=state,
        active=active,
    )


# ---- selection values as the library takes them ------------------------------


def _pair(what: str, value: Any, n: int) -> str:
    if isinstance(value, str):
        return value
    try:
        items = list(value)
    except TypeError:
        raise SelectionError(f"{what}: give {n} numbers, not {value!r}") from None
    if len(items) != n or not all(isinstance(x, (int, float)) for x in items):
        raise SelectionError(f"{what}: give {n} numbers, not {value!r}")
    return ",".join(repr(float(x)) for x in items)


def _date(what: str, value: Any) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, _dt.datetime):
        return value.date().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return str(value)
    raise SelectionError(f"{what}: give a date (datetime.date, '1990-01-01' or a year), not {value!r}")


def _texts(value: Any) -> Optional[list[str]]:
    if value is None:
        return None
    if isinstance(value, (str, int)):
        return [str(value)]
    return [str(v) for v in value]


def _selection(
    stations: Optional[StationIds] = None,
    near: Optional[Point] = None,
    radius_km: Optional[float] = None,
    bbox: Optional[Box] = None,
    name: Optional[str] = None,
    state: Optional[str] = None,
    active: Optional[Span] = None,
    start: Optional[DateLike] = None,
    end: Optional[DateLike] = None,
    periods: Optional[Union[Period, Sequence[Period]]] = None,
) -> dict[str, Any]:
    """The selection as the library takes it (text: it parses each value)."""
    if active is not None and not isinstance(active, str):
        a, b = active
        active = f"{_date('active', a) or ''}..{_date('active', b) or ''}"
    return {
        "stations": _texts(stations),
        "near": None if near is None else _pair("near", near, 2),
        "radius_km": None if radius_km is None else float(radius_km),
        "bbox": None if bbox is None else _pair("bbox", bbox, 4),
        "name": name,
        "state": state,
        "active": active,
        "start": _date("start", start),
        "end": _date("end", end),
        "periods": _texts(periods),
    }


def _selected(sel: dict[str, Any]) -> bool:
    return any(v is not None for v in sel.values())


# ---- waiting on a job: progress and Ctrl-C -------------------------------


class _Progress:
    """A bar per dataset: tqdm (``tqdm.auto``: terminal or notebook) when
    installed, else a line on stderr in a terminal, else nothing."""

    def __init__(self, enabled: bool) -> None:
        self.bar = None
        self.dataset: Optional[str] = None
        self.tqdm = None
        self.line = False
        if not enabled:
            return
        try:
            from tqdm.auto import tqdm

            self.tqdm = tqdm
        except ImportError:
            self.line = _sys.stderr.isatty()

    def update(self, rows: list[tuple[str, int, int, int]]) -> None:
        if not rows:
            return
        dataset, done, total, failed = rows[-1]
        if self.tqdm is not None:
            if dataset != self.dataset:
                self.close()
                self.bar = self.tqdm(total=total, desc=dataset, unit="file", initial=done)
                self.dataset = dataset
            self.bar.n = done
            self.bar.set_postfix(failed=failed, refresh=False)
            self.bar.refresh()
        elif self.line:
            self.dataset = dataset
            _sys.stderr.write(f"\r{dataset}: {done}/{total} files, {failed} failed ")
            _sys.stderr.flush()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        elif self.line and self.dataset is not None:
            _sys.stderr.write("\n")
            self.dataset = None


def _finish(job: Any, progress: bool = False) -> Any:
    """Waits for ``job`` (Ctrl-C: a clean stop, then KeyboardInterrupt)."""
    bar = _Progress(progress)
    try:
        while not job.wait(0.1):
            bar.update(job.progress())
        bar.update(job.progress())
    except KeyboardInterrupt:
        # as the CLI's first Ctrl-C: claimed files back to pending, nothing
        # half-written; a second Ctrl-C here leaves at once
        job.stop()
        while not job.wait(0.2):
            pass
        raise
    finally:
        bar.close()
    return job.result()


def _table(job: Any) -> "pyarrow.Table":
    """:func:`_finish` for a table: a parameter asked by a former name
    (the schema's metadata ``renamed.<old>``) is a ``DeprecationWarning``
    naming what it is called now."""
    table = _finish(job)
    for key, value in (table.schema.metadata or {}).items():
        if key.startswith(b"renamed."):
            _warnings.warn(
                f"parameters {key[8:].decode()}: {value.decode()}", DeprecationWarning, stacklevel=3
            )
    return table


def serve(config: Optional[PathLike] = None, listen: Optional[str] = None) -> None:
    """Serves the archive of ``config`` over HTTP until Ctrl-C or SIGTERM:
    :meth:`Archive.serve` of ``Archive(config)``. ``python -m climastation
    serve`` is the same from a shell.

    Parameters
    ----------
    config
        The configuration file; default as ``Archive()``.
    listen
        ``HOST:PORT``; default the configuration's ``serve.listen``.

    Returns
    -------
    None

    Examples
    --------
    >>> climastation.serve(SAMPLE, listen="not an address")
    Traceback (most recent call last):
    ...
    climastation.errors.UsageError: listen "not an address": give HOST:PORT, e.g. 127.0.0.1:8080
    """
    Archive(config).serve(listen)


# ---- the archive ------------------------------------------------------------


class Archive:
    """An archive on this machine: a configuration, its progress database
    and its data folder.

    Parameters
    ----------
    config
        A YAML file layered over the defaults (and over
        ``config/base_config.yaml`` of the working directory, then the
        ``CLIMASTATION_*`` variables), as ``climastation --config``.
    data_dir
        The data folder; the progress database, raw files, output and logs
        under the configured one move with it.

    Raises
    ------
    ConfigError
        For a configuration that is wrong.

    Examples
    --------
    >>> a = climastation.Archive(config=SAMPLE, data_dir=TMP)
    >>> a.run(["annual/kl"], crawl=True, progress=False)["exit_code"]
    0
    >>> a.status("annual/kl")["totals"]["completed"]
    2
    """

    def __init__(self, config: Optional[PathLike] = None, data_dir: Optional[PathLike] = None) -> None:
        self._inner = _Archive(
            None if config is None else _os.fspath(config),
            None if data_dir is None else _os.fspath(data_dir),
        )
        (self._data_dir, self._db, self._raw, self._output, self._source, self._datasets) = self._inner._paths()

    def __repr__(self) -> str:
        return f"climastation.Archive(data_dir={str(self.data_dir)!r}, source={self.source!r})"

    @property
    def data_dir(self) -> Path:
        """The data folder."""
        return Path(self._data_dir)

    @property
    def progress_db(self) -> Path:
        """The progress database (SQLite)."""
        return Path(self._db)

    @property
    def output(self) -> Path:
        """Where the tables are written (``<dataset>/series/<station>.parquet``, ``catalog.sql``)."""
        return Path(self._output)

    @property
    def source(self) -> str:
        """Where the archive comes from: DWD's server or a mirror."""
        return self._source

    @property
    def configured_datasets(self) -> list[str]:
        """The datasets of the configuration, in processing order."""
        return list(self._datasets)

    # -- the tracker's jobs --

    def crawl(
        self,
        datasets: Optional[Sequence[str]] = None,
        *,
        source: Optional[str] = None,
        stations: Optional[StationIds] = None,
        near: Optional[Point] = None,
        radius_km: Optional[float] = None,
        bbox: Optional[Box] = None,
        name: Optional[str] = None,
        state: Optional[str] = None,
        active: Optional[Span] = None,
        start: Optional[DateLike] = None,
        end: Optional[DateLike] = None,
        periods: Optional[Union[Period, Sequence[Period]]] = None,
    ) -> CrawlReport:
        """Lists ``datasets`` at the source and registers the files the
        selection takes; files that vanished are set aside.

        Parameters
        ----------
        datasets
            Dataset names; default: the configured ones.
        source
            An ``http(s)://`` root or a local mirror; default: the
            configuration's ``source.base_url``.
        stations, near, radius_km, bbox, name, state, active
            Which stations (by id; within ``radius_km`` of ``near``; in the
            box; by part of the name; by state; active in the span): those
            but ids need the dataset's station list.
        start, end
            Days, ``end`` included: files whose span meets them.
        periods
            Period folders.

        Returns
        -------
        CrawlReport
            Each dataset's listing against the tracker, and the sums
            (``to_dict()``: the report of ``climastation --json crawl``).

        Raises
        ------
        SelectionError
            For a selection value that is wrong.
        SourceError
            When the source is out of reach.

        Examples
        --------
        >>> archive.crawl(["daily/kl"]).datasets[0].unchanged
        2
        """
        sel = _selection(stations, near, radius_km, bbox, name, state, active, start, end, periods)
        return CrawlReport._from(_finish(self._inner._crawl(list(datasets or []), sel, source)))

    def run(
        self,
        datasets: Optional[Sequence[str]] = None,
        *,
        crawl: bool = False,
        workers: Optional[int] = None,
        keep_going: bool = False,
        processor: Optional[Processor] = None,
        progress: bool = True,
        verify_outputs: bool = False,
        stations: Optional[StationIds] = None,
        near: Optional[Point] = None,
        radius_km: Optional[float] = None,
        bbox: Optional[Box] = None,
        name: Optional[str] = None,
        state: Optional[str] = None,
        active: Optional[Span] = None,
        start: Optional[DateLike] = None,
        end: Optional[DateLike] = None,
        periods: Optional[Union[Period, Sequence[Period]]] = None,
    ) -> RunReport:
        """Processes the pending files of ``datasets``, dataset after
        dataset: download, check, convert to Parquet, merge each station's
        series; then the DuckDB catalog.

        Parameters
        ----------
        datasets
            Dataset names; default: the configured ones, in order.
        crawl
            Crawl first, with the selection (the selection keywords need it:
            they decide which files are registered).
        workers
            Parallel workers, 1 to 64; default ``processing.workers``.
        keep_going
            Process everything and report failures at the end.
        processor
            What to do with each file; default ``processing.processor``.
        progress
            A bar per dataset (tqdm in a terminal or notebook).
        verify_outputs
            Hash every table already written before it is used, so that
            damage that kept a table's size and time is rebuilt (what
            :meth:`check` with ``deep=True`` advises).
        stations, near, radius_km, bbox, name, state, active, start, end, periods
            The selection, as :meth:`crawl`.

        Returns
        -------
        RunReport
            Each dataset's counts, failures and times (``to_dict()``: the
            report of ``climastation --json run``): files that failed are in
            it (``exit_code`` 1) and in :meth:`failed`, not raised.

        Raises
        ------
        KeyboardInterrupt
            On Ctrl-C, after a clean stop; the next run resumes.
        UsageError
            For a selection without ``crawl=True``, or a bad ``workers``.

        Examples
        --------
        >>> archive.run(["daily/kl"], progress=False).exit_code
        0
        """
        sel = _selection(stations, near, radius_km, bbox, name, state, active, start, end, periods)
        if _selected(sel) and not crawl:
            raise UsageError(
                "selection keywords need crawl=True: they decide which files are registered, and run processes what is"
            )
        job = self._inner._run(
            list(datasets or []), workers, keep_going, processor, crawl, sel, verify_outputs
        )
        report = RunReport._from(_finish(job, progress))
        if report.exit_code == 130:
            raise KeyboardInterrupt("interrupted: run again to resume")
        return report

    def status(self, dataset: Optional[str] = None) -> StatusReport:
        """Counts per status, rate, ETA, workers, oldest claim and last
        failure of each dataset.

        Parameters
        ----------
        dataset
            Only this dataset.

        Returns
        -------
        StatusReport
            Each dataset and the totals (``to_dict()``: as ``climastation
            --json status``).

        Examples
        --------
        >>> archive.status().totals.failed
        0
        """
        return StatusReport._from(self._inner._status(dataset))

    def failed(
        self, dataset: Optional[str] = None, *, unconfirmed: bool = False, limit: int = 10_000
    ) -> Union[list[FailedFile], list[UnconfirmedFile]]:
        """Files that failed for good, each with its error and the fix.

        Parameters
        ----------
        dataset
            Only this dataset.
        unconfirmed
            Instead: completed files whose size nothing confirmed.
        limit
            At most this many.

        Returns
        -------
        list of FailedFile (UnconfirmedFile with ``unconfirmed``)
            As ``climastation --json failed``'s ``files`` (``to_dict()``).

        Examples
        --------
        >>> archive.failed()
        []
        """
        files = self._inner._failed(dataset, unconfirmed, limit)["files"]
        kind = UnconfirmedFile if unconfirmed else FailedFile
        return [kind._from(f) for f in files]

    def serve(self, listen: Optional[str] = None) -> None:
        """Serves this archive over HTTP, read-only, until Ctrl-C or SIGTERM:
        the server of ``climastation serve`` (JSON, CSV, Parquet and Arrow
        answers, an OpenAPI document at ``/api/v1/openapi.json``).

        Parameters
        ----------
        listen
            ``HOST:PORT``; default the configuration's ``serve.listen``
            (``127.0.0.1:8080``). An address other hosts reach needs
            ``serve.allow_remote: true``.

        Returns
        -------
        None
            Once stopped (requests in flight finish first).

        Raises
        ------
        UsageError
            For a bad address, or one other hosts reach without
            ``serve.allow_remote``.

        Examples
        --------
        >>> archive.serve("0.0.0.0:0")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        climastation.errors.UsageError: listening on 0.0.0.0:0: not a loopback address...serve.allow_remote...
        """
        self._inner._serve(listen)

    def check(self, dataset: Optional[str] = None, *, deep: bool = False) -> CheckReport:
        """The tracker's integrity and every table the runs wrote against the
        output ledger.

        Parameters
        ----------
        dataset
            Only this dataset's tables.
        deep
            Hash every table (not only its size and time).

        Returns
        -------
        CheckReport
            ``ok`` is False with each problem and its fix listed
            (``to_dict()``: as ``climastation --json check``).

        Examples
        --------
        >>> r = archive.check(deep=True)
        >>> r.ok, r.problems
        (True, [])
        """
        return CheckReport._from(self._inner._check(dataset, deep))

    # -- tables --

    def stations(
        self,
        dataset: str,
        *,
        source: Optional[str] = None,
        stations: Optional[StationIds] = None,
        near: Optional[Point] = None,
        radius_km: Optional[float] = None,
        bbox: Optional[Box] = None,
        name: Optional[str] = None,
        state: Optional[str] = None,
        active: Optional[Span] = None,
    ) -> "pyarrow.Table":
        """The stations of ``dataset`` from all its station lists at the
        source, the selection applied; nearest first with ``near``.

        Parameters
        ----------
        dataset
            A dataset name.
        source
            As :meth:`crawl`.
        stations, near, radius_km, bbox, name, state, active
            The selection of stations, as :meth:`crawl`.

        Returns
        -------
        pyarrow.Table
            ``station_id``, ``name``, ``state``, ``latitude``,
            ``longitude``, ``height_m``, ``first_date``, ``last_date``,
            ``distance_km`` (null without ``near``).

        Raises
        ------
        SourceError
            For a dataset whose folders hold no station list.

        Examples
        --------
        >>> t = archive.stations("hourly/air_temperature", near=(51.34, 12.37), radius_km=15)
        >>> t.column("station_id").to_pylist()
        [2928, 2932]
        """
        sel = _selection(stations, near, radius_km, bbox, name, state, active)
        return _finish(self._inner._stations(dataset, sel, source))

    def normals(
        self,
        period: str = "1991-2020",
        *,
        stations: Optional[StationIds] = None,
        near: Optional[Point] = None,
        radius_km: Optional[float] = None,
        bbox: Optional[Box] = None,
        name: Optional[str] = None,
        state: Optional[str] = None,
        parameters: Optional[Sequence[str]] = None,
        obsolete: bool = False,
    ) -> "pyarrow.Table":
        """DWD's climate normals of the selected stations for a reference
        period, as ``climastation normals``: the ``multi_annual`` dataset of
        the period must have been run.

        Parameters
        ----------
        period
            ``1961-1990``, ``1971-2000``, ``1981-2010`` or ``1991-2020``.
        stations, near, radius_km, bbox, name, state
            Which stations, as :meth:`crawl`.
        parameters
            English names (``temperature_air_mean_2m``, ``precipitation_height``,
            …); default all.
        obsolete
            DWD's older normals of the period (its ``_obsolete`` folder), each
            row with its ``location_rule``: ``fixed`` (the station's fixed
            place) or ``current`` (its current place).

        Returns
        -------
        pyarrow.Table
            A row per station, parameter and month: ``station_id``,
            ``station_name``, ``period``, ``parameter``, ``unit``, ``month``
            (1-12; null: the year), ``value``, ``source`` (DWD's code for how
            the normal was formed; the schema's metadata ``source.<code>``
            says what it means, ``normals`` the rule), ``location_rule`` (null
            but for the older normals).

        Raises
        ------
        DataError
            When the period's normals have not been converted yet.
        UsageError
            For a period or parameter DWD has no normals of.

        Examples
        --------
        >>> t = archive.normals("1961-1990", stations=[3987], parameters=["temperature_air_mean_2m"])
        >>> t.num_rows, t.column("value")[6].as_py()
        (13, 17.9)
        """
        sel = _selection(stations, near, radius_km, bbox, name, state)
        return _finish(self._inner._normals(str(period), sel, list(parameters or []), obsolete))

    def series(
        self,
        dataset: str,
        *,
        stations: Optional[StationIds] = None,
        start: Optional[DateLike] = None,
        end: Optional[DateLike] = None,
        parameters: Optional[Sequence[str]] = None,
        long: bool = False,
        with_station: bool = False,
        anomaly: Optional[str] = None,
    ) -> "pyarrow.Table":
        """One dataset's merged series.

        Parameters
        ----------
        dataset
            A dataset name.
        stations
            Only these stations.
        start, end
            Days, ``end`` included.
        parameters
            Only these parameters (English names), each with its quality.
        long
            The tidy shape: a row per station, time and parameter
            (``dataset``, ``parameter``, ``value``, ``quality``), numeric
            parameters only.
        with_station
            The station's name, place and height as columns.
        anomaly
            A reference period: anomaly columns against its normals, as
            :meth:`export`.

        Returns
        -------
        pyarrow.Table
            A row per station and time (UTC), each parameter with its
            quality level.

        Raises
        ------
        DataError
            When a table it would read is missing or damaged (it is checked
            against what the runs wrote first).

        Examples
        --------
        >>> t = archive.series("hourly/air_temperature", stations=[320], start="2018-09-15", end="2018-09-15")
        >>> t.num_rows
        5
        """
        # the dataset's resolution is the catalog's to know: none is given
        sel = _selection(stations=stations, start=start, end=end)
        job = self._inner._export(
            None, [dataset], sel, list(parameters or []), with_station, long, anomaly
        )
        return _table(job)

    def export(
        self,
        resolution: Resolution,
        *,
        datasets: Optional[Sequence[str]] = None,
        parameters: Optional[Sequence[str]] = None,
        long: bool = False,
        with_station: bool = False,
        stations: Optional[StationIds] = None,
        near: Optional[Point] = None,
        radius_km: Optional[float] = None,
        bbox: Optional[Box] = None,
        name: Optional[str] = None,
        state: Optional[str] = None,
        active: Optional[Span] = None,
        start: Optional[DateLike] = None,
        end: Optional[DateLike] = None,
        anomaly: Optional[str] = None,
    ) -> "pyarrow.Table":
        """One record per station and time with the parameters of every
        dataset of ``resolution`` (their merged series joined), as
        ``climastation export``.

        Parameters
        ----------
        resolution
            The resolution whose datasets are joined.
        datasets
            Only these datasets of it.
        parameters, long, with_station
            As :meth:`series`.
        stations, near, radius_km, bbox, name, state, active
            Which stations, as :meth:`crawl`.
        start, end
            Days, ``end`` included.
        anomaly
            A reference period (``"1961-1990"`` … ``"1991-2020"``): each
            value column with a comparable normal gets ``<column>_anomaly``,
            the value minus the station's normal of the row's month (of the
            year for annual rows); the metadata's ``anomaly`` says the rule,
            ``no_anomaly.<column>`` why a column has none.

        Returns
        -------
        pyarrow.Table
            The schema's metadata holds the rules (``export``,
            ``merge_rule``).

        Raises
        ------
        DataError
            When no series of the resolution exists yet, or a table is
            missing or damaged.
        UsageError
            For a parameter no series has.

        Examples
        --------
        >>> archive.export("daily", stations=[4271]).num_rows
        12
        """
        sel = _selection(stations, near, radius_km, bbox, name, state, active, start, end)
        job = self._inner._export(
            resolution, list(datasets or []), sel, list(parameters or []), with_station, long, anomaly
        )
        return _table(job)

    def values(
        self,
        at: Union[tuple, Sequence[tuple], str],
        *,
        resolution: Resolution,
        parameters: Sequence[str],
        start: Optional[DateLike] = None,
        end: Optional[DateLike] = None,
        method: Method = "nearest",
        min_quality: Optional[int] = None,
        max_distance_km: Optional[float] = None,
        k: Optional[int] = None,
        anomaly: Optional[str] = None,
    ) -> "pyarrow.Table":
        """The values at places, from the stations around them, as
        ``climastation values``.

        Parameters
        ----------
        at
            ``(lat, lon)``, ``(lat, lon, height_m)`` or a list of them.
        resolution
            Whose series are used.
        parameters
            English names.
        start, end
            Days, ``end`` included.
        method
            ``nearest`` (the nearest station with a value) or ``idw``
            (inverse distance weighting of the ``k`` nearest).
        min_quality
            Only values of this quality level or higher (1 to 10).
        max_distance_km
            The farthest station used, for every parameter.
        k
            Stations averaged by idw (1 to 64).
        anomaly
            A reference period (``"1991-2020"``): ``<parameter>_anomaly``
            where a comparable normal exists, the value minus the normal
            taken with the same stations and weights (see :meth:`export`).

        Returns
        -------
        pyarrow.Table
            Each parameter's value with its stations, distances, weights
            and method (``<parameter>_stations``, ``_distances_km``,
            ``_weights``, ``_method``, ``_count``); the schema's metadata
            holds the rules.

        Raises
        ------
        SelectionError
            For a place or a limit that is wrong.

        Examples
        --------
        >>> t = archive.values((49.9666, 11.5198), resolution="hourly",
        ...                    parameters=["temperature_air_2m"], end="2018-09-15")
        >>> t.num_rows, t.column("temperature_air_2m_stations")[0].as_py()
        (5, [320])
        """
        if isinstance(at, str):
            places = [at]
        elif isinstance(at, tuple) and at and isinstance(at[0], (int, float)):
            places = [at]
        else:
            places = list(at)
        texts = []
        for p in places:
            if isinstance(p, str):
                texts.append(p)
                continue
            p = tuple(p)
            if len(p) not in (2, 3) or not all(isinstance(x, (int, float)) for x in p):
                raise SelectionError(f"at: give (lat, lon) or (lat, lon, height_m), not {p!r}")
            texts.append(",".join(repr(float(x)) for x in p))
        job = self._inner._values(
            resolution,
            list(parameters),
            texts,
            _date("start", start),
            _date("end", end),
            method,
            min_quality,
            max_distance_km,
            k,
            anomaly,
        )
        return _table(job)
