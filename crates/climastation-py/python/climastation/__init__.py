"""ClimaStation: the German weather service's open climate archive (DWD CDC)
as clean, analysis-ready tables, with a progress tracker that never loses
its place.

The module calls the same library as the ``climastation`` command, in this
process: the same configuration, progress database, workers, memory limits,
checks and messages. Tables come back as :class:`pyarrow.Table` without
copying (``.to_pandas()``, ``polars.from_arrow(...)``).

Leipzig, hourly air temperature 1990-2020, stations within 50 km:

>>> import climastation
>>> archive = climastation.Archive()                       # doctest: +SKIP
>>> where = dict(near=(51.34, 12.37), radius_km=50, start="1990-01-01", end="2020-12-31")
>>> archive.run(["hourly/air_temperature"], crawl=True, **where)   # doctest: +SKIP
>>> table = archive.export("hourly", datasets=["hourly/air_temperature"], long=True, **where)  # doctest: +SKIP
>>> df = table.to_pandas()                                 # doctest: +SKIP

The bundled sample (offline, from a clone of the repository):
``climastation.Archive(config="config/sample.yaml")``.
"""

from __future__ import annotations

import datetime as _dt
import os as _os
import sys as _sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Union

if TYPE_CHECKING:  # for editors and type checkers; imported for real by the native module
    import pyarrow

from . import errors
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

__all__ = [
    "__version__",
    "Archive",
    "datasets",
    "stations",
    "errors",
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
PathLike = Union[str, "_os.PathLike[str]"]


def datasets(resolution: Optional[str] = None) -> list[dict[str, Any]]:
    """Every dataset of DWD's archive that ClimaStation knows.

    Each is a dict as ``climastation --json datasets`` prints it: ``name``,
    ``resolution``, ``title``, ``periods``, ``time_rule``, ``converted``,
    ``parameters`` (DWD ``code``, English ``name``, ``unit``, ``kind``,
    descriptions), and more.

    >>> [d["name"] for d in climastation.datasets("annual")]
    ['annual/climate_indices/kl', 'annual/climate_indices/precip', 'annual/kl', 'annual/more_precip', 'annual/weather_phenomena']

    Raises :class:`DatasetError` for a resolution the archive does not have.
    """
    return _datasets(resolution)["datasets"]


def stations(
    dataset: str,
    *,
    config: Optional[PathLike] = None,
    source: Optional[str] = None,
    **selection: Any,
) -> "pyarrow.Table":
    """The stations of ``dataset`` from all of DWD's station lists.

    A shortcut for ``Archive(config).stations(dataset, ...)``; the selection
    keywords are those of :meth:`Archive.stations`.

    >>> climastation.stations("hourly/air_temperature", near=(51.34, 12.37), radius_km=50)  # doctest: +SKIP
    """
    return Archive(config=config).stations(dataset, source=source, **selection)


# ---- selection keywords -------------------------------------------------

_SELECTION = {"stations", "near", "radius_km", "bbox", "name", "state", "active", "start", "end", "periods"}


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


def _selection(kw: dict[str, Any]) -> dict[str, Any]:
    """The selection keywords as the library takes them (text)."""
    unknown = set(kw) - _SELECTION
    if unknown:
        raise UsageError(
            f"unknown keyword(s) {', '.join(sorted(unknown))}; the selection takes "
            + ", ".join(sorted(_SELECTION))
        )
    out: dict[str, Any] = {
        "stations": _texts(kw.get("stations")),
        "near": None if kw.get("near") is None else _pair("near", kw["near"], 2),
        "radius_km": None if kw.get("radius_km") is None else float(kw["radius_km"]),
        "bbox": None if kw.get("bbox") is None else _pair("bbox", kw["bbox"], 4),
        "name": kw.get("name"),
        "state": kw.get("state"),
        "active": None,
        "start": _date("start", kw.get("start")),
        "end": _date("end", kw.get("end")),
        "periods": _texts(kw.get("periods")),
    }
    active = kw.get("active")
    if active is not None:
        if isinstance(active, str):
            out["active"] = active
        else:
            a, b = active
            out["active"] = f"{_date('active', a)}..{_date('active', b)}"
    return out


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


# ---- the archive ------------------------------------------------------------


class Archive:
    """An archive on this machine: a configuration, its progress database
    and its data folder.

    ``config``: a YAML file layered over the defaults (and over
    ``config/base_config.yaml`` of the working directory, then the
    ``CLIMASTATION_*`` variables), as ``climastation --config``.
    ``data_dir``: the data folder; the progress database, raw files, output
    and logs under the configured one move with it.

    >>> archive = climastation.Archive(config="config/sample.yaml", data_dir="/tmp/cs")  # doctest: +SKIP
    >>> archive.run(crawl=True)                               # doctest: +SKIP
    {'datasets': [...], 'exit_code': 0}

    Raises :class:`ConfigError` for a configuration that is wrong.
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
        self, datasets: Optional[Sequence[str]] = None, *, source: Optional[str] = None, **selection: Any
    ) -> dict[str, Any]:
        """Lists ``datasets`` (default: the configured ones) at the source and
        registers the files the selection takes; files that vanished are set
        aside. Returns the report of ``climastation --json crawl``.

        >>> archive.crawl(["daily/kl"], stations=[44, 73])    # doctest: +SKIP
        {'source': ..., 'datasets': [{'dataset': 'daily/kl', 'listed': ..., 'new': ...}], ...}
        """
        job = self._inner._crawl(list(datasets or []), _selection(selection), source)
        return _finish(job)

    def run(
        self,
        datasets: Optional[Sequence[str]] = None,
        *,
        crawl: bool = False,
        workers: Optional[int] = None,
        keep_going: bool = False,
        processor: Optional[str] = None,
        progress: bool = True,
        **selection: Any,
    ) -> dict[str, Any]:
        """Processes the pending files of ``datasets`` (default: the
        configured ones), dataset after dataset: download, check, convert to
        Parquet, merge each station's series; then the DuckDB catalog.

        ``crawl=True`` crawls first with the selection keywords (``stations``,
        ``near=(lat, lon)``, ``radius_km``, ``bbox=(w, s, e, n)``, ``name``,
        ``state``, ``active=(from, to)``, ``start``, ``end``, ``periods``).
        ``progress``: a bar per dataset (tqdm in a terminal or notebook).

        Ctrl-C stops cleanly and raises :class:`KeyboardInterrupt`; the next
        run resumes. Files that fail are in the report (``exit_code`` 1) and
        in :meth:`failed`, not raised.

        >>> report = archive.run(["hourly/air_temperature"], crawl=True, near=(51.34, 12.37), radius_km=50)  # doctest: +SKIP
        >>> report["exit_code"], report["datasets"][0]["completed"]  # doctest: +SKIP
        (0, 12)
        """
        if selection and not crawl:
            raise UsageError(
                "selection keywords need crawl=True: they decide which files are registered, and run processes what is"
            )
        job = self._inner._run(
            list(datasets or []), workers, keep_going, processor, crawl, _selection(selection)
        )
        report = _finish(job, progress)
        if report.get("exit_code") == 130:
            raise KeyboardInterrupt("interrupted: run again to resume")
        return report

    def status(self, dataset: Optional[str] = None) -> dict[str, Any]:
        """Counts per status, rate, ETA, workers, oldest claim and last
        failure of each dataset, as ``climastation --json status``.

        >>> archive.status()["totals"]                          # doctest: +SKIP
        {'pending': 0, 'processing': 0, 'completed': 23, 'failed': 0, 'vanished': 0}
        """
        return self._inner._status(dataset)

    def failed(
        self, dataset: Optional[str] = None, *, unconfirmed: bool = False, limit: int = 10_000
    ) -> list[dict[str, Any]]:
        """Files that failed for good, each with its error and the fix
        (``unconfirmed=True``: completed files whose size nothing confirmed)."""
        return self._inner._failed(dataset, unconfirmed, limit)["files"]

    def check(self, dataset: Optional[str] = None, *, deep: bool = False) -> dict[str, Any]:
        """The tracker's integrity and every table the runs wrote against the
        output ledger (``deep=True``: every table hashed). ``ok`` is False
        with each problem and its fix listed, as ``climastation check``.

        >>> archive.check()                                     # doctest: +SKIP
        {'ok': True, 'tables': 61, 'deep': False, 'problems': []}
        """
        return self._inner._check(dataset, deep)

    # -- tables --

    def stations(self, dataset: str, *, source: Optional[str] = None, **selection: Any) -> "pyarrow.Table":
        """The stations of ``dataset`` from all its station lists at the
        source, the selection applied; nearest first with ``near``.

        Columns: ``station_id``, ``name``, ``state``, ``latitude``,
        ``longitude``, ``height_m``, ``first_date``, ``last_date``,
        ``distance_km`` (null without ``near``).

        >>> archive.stations("hourly/air_temperature", near=(51.34, 12.37), radius_km=50, active=(1990, 2020))  # doctest: +SKIP
        """
        return _finish(self._inner._stations(dataset, _selection(selection), source))

    def series(
        self,
        dataset: str,
        *,
        stations: Union[int, str, Iterable[Union[int, str]], None] = None,
        start: Optional[DateLike] = None,
        end: Optional[DateLike] = None,
        parameters: Optional[Sequence[str]] = None,
        long: bool = False,
        with_station: bool = False,
    ) -> "pyarrow.Table":
        """One dataset's merged series: a row per station and time (UTC),
        each parameter with its quality level; ``start``/``end`` are days,
        ``end`` included. ``long=True``: the tidy shape (a row per station,
        time and parameter: ``dataset``, ``parameter``, ``value``,
        ``quality``), numeric parameters only.

        Every table read is first checked against what the runs wrote:
        :class:`DataError` when one is missing or damaged.

        >>> t = archive.series("hourly/air_temperature", stations=[320], start="2024-01-01")  # doctest: +SKIP
        >>> t.column_names                                      # doctest: +SKIP
        ['station_id', 'timestamp_utc', 'air_temperature_quality', 'temperature_air_mean_2m', 'humidity']
        """
        resolution = dataset.split("/", 1)[0]
        return self.export(
            resolution,
            datasets=[dataset],
            parameters=parameters,
            long=long,
            with_station=with_station,
            stations=stations,
            start=start,
            end=end,
        )

    def export(
        self,
        resolution: str,
        *,
        datasets: Optional[Sequence[str]] = None,
        parameters: Optional[Sequence[str]] = None,
        long: bool = False,
        with_station: bool = False,
        **selection: Any,
    ) -> "pyarrow.Table":
        """One record per station and time with the parameters of every
        dataset of ``resolution`` (their merged series joined), as
        ``climastation export``; the selection keywords choose stations and
        days. ``long=True``: the tidy shape. The schema's metadata holds the
        rules (``export``, ``merge_rule``).

        >>> t = archive.export("hourly", parameters=["temperature_air_mean_2m"], near=(51.34, 12.37), radius_km=50)  # doctest: +SKIP
        >>> import polars as pl; pl.from_arrow(t)              # doctest: +SKIP
        """
        job = self._inner._export(
            resolution,
            list(datasets or []),
            _selection(selection),
            list(parameters or []),
            with_station,
            long,
        )
        return _finish(job)

    def values(
        self,
        at: Union[tuple, Sequence[tuple], str],
        *,
        resolution: str,
        parameters: Sequence[str],
        start: Optional[DateLike] = None,
        end: Optional[DateLike] = None,
        method: str = "nearest",
        min_quality: Optional[int] = None,
        max_distance_km: Optional[float] = None,
        k: Optional[int] = None,
    ) -> "pyarrow.Table":
        """The values at places, from the stations around them, as
        ``climastation values``: ``at`` is ``(lat, lon)``, ``(lat, lon,
        height_m)`` or a list of them; ``method`` ``nearest`` or ``idw``.
        Each parameter's value comes with its stations, distances, weights
        and method (``<parameter>_stations``, ``_distances_km``,
        ``_weights``, ``_method``, ``_count``); the schema's metadata holds
        the rules.

        >>> archive.values((51.34, 12.37), resolution="hourly", parameters=["temperature_air_mean_2m"], method="idw")  # doctest: +SKIP
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
        )
        return _finish(job)
