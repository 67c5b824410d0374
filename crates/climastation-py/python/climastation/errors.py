"""The exceptions of ClimaStation.

Every error is a :class:`ClimaStationError`; the subclasses say what to fix.
Their messages are those of the ``climastation`` command line. Errors about
a value you passed are also :class:`ValueError`, errors of the source also
:class:`OSError`. Ctrl-C raises :class:`KeyboardInterrupt` after a clean stop.

>>> import climastation
>>> try:
...     climastation.Archive().stations("hourly/temperature")
... except climastation.DatasetError as e:
...     print("unknown dataset:", e)  # doctest: +ELLIPSIS
unknown dataset: ...
"""

__all__ = [
    "ClimaStationError",
    "ConfigError",
    "DatasetError",
    "SelectionError",
    "UsageError",
    "SourceError",
    "DataError",
    "TrackerError",
]


class ClimaStationError(Exception):
    """Something ClimaStation could not do; the message says what and why."""


class ConfigError(ClimaStationError, ValueError):
    """The configuration (file, ``CLIMASTATION_*`` variables) is wrong."""


class DatasetError(ClimaStationError, ValueError):
    """A dataset or resolution the archive does not have (the message names the closest)."""


class SelectionError(ClimaStationError, ValueError):
    """A selection value is wrong: a station id, coordinates, a radius, a box, a date, dates out of order."""


class UsageError(ClimaStationError, ValueError):
    """Another argument is wrong: an unknown parameter, a bad method, a bad number of workers."""


class SourceError(ClimaStationError, OSError):
    """The source (DWD's server or a mirror) is out of reach or failed while listing."""


class DataError(ClimaStationError):
    """Tables under the output folder are missing, or not what the runs wrote: nothing was served
    (or there are none yet of what was asked: run the datasets first).

    ``Archive.check()`` lists them; ``Archive.run()`` rewrites them.
    """


class TrackerError(ClimaStationError):
    """The progress database could not be opened or used."""
