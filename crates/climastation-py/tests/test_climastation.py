"""The Python module against the bundled sample (tests/data/dwd, real DWD
files: see tests/data/README.md), from the installed wheel.

Run from the repository's root: ``pytest crates/climastation-py/tests``.
"""

import datetime as dt
import functools
import http.server
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

import climastation
from climastation import errors

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "config" / "sample.yaml"
MIRROR = ROOT / "tests" / "data" / "dwd"
LEIPZIG = (51.34, 12.37)
# the sample's 10-minute station with data: 00044 Großenkneten
GROSSENKNETEN = (52.9336, 8.237)


@pytest.fixture(scope="session")
def archive(tmp_path_factory):
    """The sample, run once."""
    a = climastation.Archive(config=SAMPLE, data_dir=tmp_path_factory.mktemp("sample"))
    report = a.run(crawl=True, progress=False)
    assert report["exit_code"] == 0, report
    return a


def cli(*args, cwd=ROOT):
    """The installed `climastation` command."""
    exe = shutil.which("climastation")
    assert exe, "the wheel installs the climastation command"
    return subprocess.run([exe, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


# ---- datasets and stations ---------------------------------------------------


def test_datasets_lists_the_catalog_and_filters_by_resolution():
    every = climastation.datasets()
    assert len(every) >= 53
    hourly = climastation.datasets("hourly")
    assert hourly and all(d["resolution"] == "hourly" for d in hourly)
    kl = next(d for d in every if d["name"] == "daily/kl")
    names = {p["name"] for p in kl["parameters"]}
    assert "temperature_air_mean_2m" in names
    with pytest.raises(climastation.DatasetError, match="not a resolution of the archive") as e:
        climastation.datasets("weekly")
    assert isinstance(e.value, ValueError)


def test_stations_near_a_place_are_nearest_first_within_the_radius():
    t = climastation.stations("10_minutes/air_temperature", config=SAMPLE, near=LEIPZIG, radius_km=50)
    assert isinstance(t, pa.Table)
    assert t.schema.field("station_id").type == pa.uint32()
    assert t.schema.field("first_date").type == pa.date32()
    d = t.column("distance_km").to_pylist()
    assert d == sorted(d) and 0 < len(d) and max(d) <= 50
    assert t.column("name")[0].as_py() == "Leipzig-Holzhausen"


def test_station_filters_box_name_state_and_active_span(archive):
    ds = "10_minutes/air_temperature"
    every = archive.stations(ds)
    assert every.column("distance_km").null_count == every.num_rows
    box = archive.stations(ds, bbox=(12.0, 51.0, 13.0, 52.0))
    assert 0 < box.num_rows < every.num_rows
    assert all(12.0 <= x <= 13.0 for x in box.column("longitude").to_pylist())
    assert all(51.0 <= y <= 52.0 for y in box.column("latitude").to_pylist())
    leipzig = archive.stations(ds, name="leipzig")
    assert leipzig.num_rows >= 2
    assert all("leipzig" in n.lower() for n in leipzig.column("name").to_pylist())
    sachsen = archive.stations(ds, state="Sachsen")
    assert set(sachsen.column("state").to_pylist()) == {"Sachsen"}
    old = archive.stations(ds, active=(1950, 1960))
    assert all(d <= dt.date(1960, 12, 31) for d in old.column("first_date").to_pylist())
    one = archive.stations(ds, stations=[44])
    assert one.column("station_id").to_pylist() == [44]


# ---- bad input: exceptions with the CLI's messages ------------------------------


def test_an_unknown_dataset_is_a_dataset_error_with_the_cli_message(archive):
    with pytest.raises(climastation.DatasetError) as e:
        archive.stations("hourly/temperature")
    out = cli("--config", str(SAMPLE), "stations", "--dataset", "hourly/temperature")
    assert out.returncode == 2
    assert str(e.value) in out.stderr, (str(e.value), out.stderr)
    assert "hourly/air_temperature" in str(e.value), "the closest name is offered"


@pytest.mark.parametrize(
    "kw",
    [
        dict(near=(100.0, 12.37), radius_km=50),
        dict(near=(51.34,), radius_km=50),
        dict(near="north", radius_km=50),
        dict(bbox=(13.0, 51.0, 12.0, 52.0)),
        dict(active=("2020-01-01", "2019-12-31")),
        dict(active=("the 1st of May", None)),
        dict(stations=["abc"]),
    ],
)
def test_bad_selections_are_selection_errors(archive, kw):
    with pytest.raises(climastation.SelectionError) as e:
        archive.stations("10_minutes/air_temperature", **kw)
    assert isinstance(e.value, ValueError) and str(e.value)


def test_inverted_dates_name_both_dates(archive):
    with pytest.raises(climastation.SelectionError, match="2020-01-01") as e:
        archive.export("hourly", start="2020-01-01", end="2019-12-31")
    # Python names the fields as its keywords, the command as its options
    message = str(e.value)
    assert message.startswith("start 2020-01-01: after end 2019-12-31"), message
    out = cli("--config", str(SAMPLE), "export", "--resolution", "hourly", "--from", "2020-01-01",
              "--to", "2019-12-31", "-o", os.devnull + ".parquet")
    spelled = message.replace("start ", "--from ").replace("end ", "--to ")
    assert out.returncode == 2 and spelled in out.stderr, (spelled, out.stderr)


def test_usage_errors(archive):
    with pytest.raises(climastation.UsageError, match="crawl=True"):
        archive.run(["daily/kl"], near=LEIPZIG)
    # the signatures name every keyword: a misspelt one is Python's TypeError
    with pytest.raises(TypeError, match="radius"):
        archive.stations("daily/kl", radius=5)
    with pytest.raises(climastation.UsageError, match="no parameter"):
        archive.export("hourly", parameters=["snow_depth_in_july"])
    with pytest.raises(climastation.UsageError, match="workers"):
        archive.run(workers=0, progress=False)


def test_a_missing_configuration_is_a_config_error(tmp_path):
    with pytest.raises(climastation.ConfigError):
        climastation.Archive(config=tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("processing:\n  workers: many\n")
    with pytest.raises(climastation.ConfigError, match="workers"):
        climastation.Archive(config=bad)


def test_every_error_is_a_climastation_error():
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), climastation.ClimaStationError)
    assert issubclass(climastation.SourceError, OSError)


# ---- the tracker's jobs -------------------------------------------------------------


def test_run_status_check_and_failed(archive):
    s = archive.status()
    assert s["totals"]["completed"] > 0
    assert s["totals"]["pending"] == s["totals"]["failed"] == 0
    assert {d["dataset"] for d in s["datasets"]} >= {"daily/kl", "hourly/air_temperature"}
    assert archive.status("daily/kl")["datasets"][0]["dataset"] == "daily/kl"
    c = archive.check()
    assert c["ok"] and c["tables"] > 0 and c["problems"] == []
    assert archive.check(deep=True)["ok"]
    assert archive.failed() == []
    # nothing left to do: a second run completes nothing new
    again = archive.run(progress=False)
    assert again["exit_code"] == 0
    assert sum(d["completed"] for d in again["datasets"]) == 0


def test_the_librarys_events_reach_pythons_logging(tmp_path, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="climastation"):
        a = climastation.Archive(config=SAMPLE, data_dir=tmp_path)
        assert a.run(["daily/kl"], crawl=True, progress=False)["exit_code"] == 0
    names = {r.name for r in caplog.records}
    assert any(n.startswith("climastation.") for n in names), names
    assert any("station lists merged" in r.getMessage() for r in caplog.records)


def test_crawl_reports_what_it_registered(tmp_path):
    a = climastation.Archive(config=SAMPLE, data_dir=tmp_path)
    r = a.crawl(["daily/kl", "hourly/air_temperature"])
    assert [d["dataset"] for d in r["datasets"]] == ["daily/kl", "hourly/air_temperature"]
    assert r["new"] > 0
    assert a.crawl(["daily/kl"])["new"] == 0, "a second crawl registers nothing new"


# ---- tables: wide, tidy, values --------------------------------------------------------


def test_series_is_a_stations_merged_series_between_two_days(archive):
    ds = "daily/kl"  # the sample: station 04271, 2022-12-25 to 2023-01-05
    whole = archive.series(ds, stations=[4271])
    assert whole.num_rows == 12
    ts = whole.column("timestamp_utc")
    assert ts.type == pa.timestamp("ms", tz="UTC")
    days = archive.series(ds, stations=["04271"], start=dt.date(2022, 12, 31), end="2023-01-02")
    assert [t.date().isoformat() for t in days.column("timestamp_utc").to_pylist()] == [
        "2022-12-31", "2023-01-01", "2023-01-02"]
    assert set(days.column("station_id").to_pylist()) == {4271}
    assert days.column("temperature_air_mean_2m").to_pylist() == whole.column("temperature_air_mean_2m").to_pylist()[6:9]
    day = days
    meta = day.schema.metadata
    assert b"merge_rule" in meta and b"export" in meta
    assert archive.series(ds, stations=[99999]).num_rows == 0
    assert archive.series(ds, start=2024).num_rows == 0


def test_the_long_shape_holds_the_wide_values(archive):
    ds = "10_minutes/air_temperature"
    wide = archive.series(ds, stations=[44], start="2025-06-25", end="2025-06-25")
    long = archive.series(ds, stations=[44], start="2025-06-25", end="2025-06-25", long=True)
    assert long.column_names == ["station_id", "timestamp_utc", "dataset", "parameter", "value", "quality"]
    params = sorted(set(long.column("parameter").to_pylist()))
    assert "temperature_air_2m" in params
    assert long.num_rows == wide.num_rows * len(params)
    t = long.filter(pc.equal(long.column("parameter"), "temperature_air_2m"))
    assert t.column("value").to_pylist() == wide.column("temperature_air_2m").to_pylist()
    q = [c for c in wide.column_names if c.endswith("quality")][0]
    assert t.column("quality").to_pylist() == wide.column(q).to_pylist()


def test_export_joins_a_resolutions_datasets_with_the_station(archive):
    t = archive.export("hourly", parameters=["temperature_air_2m"], with_station=True, stations=[320])
    assert t.num_rows > 0
    assert {"station_name", "latitude", "longitude", "height_m", "temperature_air_2m"} <= set(t.column_names)
    assert set(t.column("station_id").to_pylist()) == {320}


def test_a_former_name_still_works_with_a_deprecation_warning(archive):
    with pytest.warns(DeprecationWarning, match="temperature_air_mean_2m is now temperature_air_2m"):
        old = archive.export("hourly", parameters=["temperature_air_mean_2m"], stations=[320])
    new = archive.export("hourly", parameters=["temperature_air_2m"], stations=[320])
    assert old.column_names == new.column_names and "temperature_air_2m" in old.column_names
    assert old.column("temperature_air_2m").to_pylist() == new.column("temperature_air_2m").to_pylist()
    every = {p["code"]: p for d in climastation.datasets("hourly") if d["name"] == "hourly/air_temperature"
             for p in d["parameters"]}
    assert (every["TT_TU"]["name"], every["TT_TU"]["former_name"]) == ("temperature_air_2m", "temperature_air_mean_2m")


def test_values_at_a_place_carry_their_stations_and_distances(archive):
    t = archive.values(GROSSENKNETEN, resolution="10_minutes", parameters=["temperature_air_2m"],
                       start="2025-06-25", end="2025-06-25", method="idw")
    assert t.num_rows > 0
    p = "temperature_air_2m"
    assert {f"{p}_stations", f"{p}_distances_km", f"{p}_weights", f"{p}_method", f"{p}_count"} <= set(t.column_names)
    assert all(s == [44] for s in t.column(f"{p}_stations").to_pylist() if s)
    assert all(d[0] < 1.0 for d in t.column(f"{p}_distances_km").to_pylist() if d)
    assert b"values" in t.schema.metadata, "the rules travel with the table"
    two = archive.values([GROSSENKNETEN, (52.8, 8.3, 40.0)], resolution="10_minutes",
                         parameters=["temperature_air_2m"], start="2025-06-25", end="2025-06-25")
    assert two.num_rows == 2 * t.num_rows
    with pytest.raises(climastation.SelectionError):
        archive.values((95.0, 8.0), resolution="10_minutes", parameters=["temperature_air_2m"])
    with pytest.raises(climastation.UsageError):
        archive.values(GROSSENKNETEN, resolution="10_minutes", parameters=["temperature_air_2m"], method="kriging")


def test_pandas_and_polars_take_the_tables(archive):
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    t = archive.series("10_minutes/air_temperature", stations=[44], start="2025-06-25", end="2025-06-25", long=True)
    df = t.to_pandas()
    assert len(df) == t.num_rows
    assert str(df["timestamp_utc"].dt.tz) == "UTC"
    assert pd.api.types.is_float_dtype(df["value"])
    p = pl.from_arrow(t)
    assert p.shape == (t.num_rows, t.num_columns)
    assert p.schema["timestamp_utc"] == pl.Datetime("ms", "UTC")


def test_tables_cross_to_pyarrow_without_a_copy():
    from climastation._climastation import _handover

    t, seconds, address = _handover(100_000)
    assert t.num_rows == 100_000 and seconds >= 0
    data = t.column("value").chunks[0].buffers()[1]
    assert data.address == address, "pyarrow reads the buffer Rust wrote"


def test_a_damaged_series_is_never_served(tmp_path):
    a = climastation.Archive(config=SAMPLE, data_dir=tmp_path)
    assert a.run(["daily/kl"], crawl=True, progress=False)["exit_code"] == 0
    with pytest.raises(climastation.DataError, match="run the datasets first"):
        a.export("monthly")
    series = next((a.output / "daily" / "kl" / "series").glob("*.parquet"))
    series.write_bytes(series.read_bytes()[:-100])
    # the fix in Python's words (the command says `climastation run --dataset daily/kl`)
    with pytest.raises(climastation.DataError, match=r'fix: archive\.run\(\["daily/kl"\]\)'):
        a.series("daily/kl")
    assert not a.check()["ok"]
    a.run(["daily/kl"], progress=False)
    assert a.check()["ok"] and a.series("daily/kl").num_rows > 0


# ---- Ctrl-C, and the command ------------------------------------------------------------


class _SlowMirror(http.server.SimpleHTTPRequestHandler):
    """The sample served over HTTP as nginx serves DWD (index.html for a
    folder), each zip answered after a pause."""

    delay = 0.0

    def do_GET(self):
        if self.path.endswith(".zip"):
            time.sleep(type(self).delay)
        super().do_GET()

    def log_message(self, *args):
        pass


def test_ctrl_c_during_run_raises_keyboard_interrupt_and_the_next_run_resumes(tmp_path):
    _SlowMirror.delay = 0.4
    handler = functools.partial(_SlowMirror, directory=str(MIRROR))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        config = tmp_path / "config.yaml"
        config.write_text(textwrap.dedent(f"""\
            source:
              base_url: http://127.0.0.1:{server.server_port}/
            processing:
              workers: 1
            datasets:
              - name: 10_minutes/air_temperature
              - name: daily/kl
              - name: hourly/air_temperature
              - name: hourly/wind
              - name: 10_minutes/solar
            """))
        child = textwrap.dedent(f"""\
            import sys, climastation
            a = climastation.Archive(config={str(config)!r}, data_dir={str(tmp_path / 'data')!r})
            print("running", flush=True)
            a.run(crawl=True, progress=False)
            print("finished", flush=True)
            """)
        p = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert p.stdout.readline().strip() == "running"
        archive = climastation.Archive(config=config, data_dir=tmp_path / "data")
        deadline = time.time() + 60
        while time.time() < deadline:
            time.sleep(0.2)
            if archive.progress_db.exists() and archive.status()["totals"]["completed"] > 0:
                break
        else:
            pytest.fail("the run completed nothing in 60 s")
        sent = time.time()
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=30)
        stopped_in = time.time() - sent
        assert "KeyboardInterrupt" in err, err
        assert "finished" not in out
        assert p.returncode != 0
        assert stopped_in < 5, f"the run took {stopped_in:.1f} s to stop"
        s = archive.status()["totals"]
        assert s["processing"] == 0, "claims went back to pending"
        assert s["pending"] > 0, "the interrupt came before the end"
        done = s["completed"]
        # the next run resumes: the rest, nothing twice
        _SlowMirror.delay = 0.0
        r = archive.run(progress=False)
        assert r["exit_code"] == 0
        assert sum(d["completed"] for d in r["datasets"]) == s["pending"]
        after = archive.status()["totals"]
        assert after["completed"] == done + s["pending"] and after["pending"] == 0
        assert archive.check()["ok"]
    finally:
        server.shutdown()


def test_the_command_is_installed_and_runs_in_process(archive, tmp_path):
    out = cli("--version")
    assert out.returncode == 0 and out.stdout.startswith("climastation ")
    out = cli("--config", str(SAMPLE), "datasets", "--resolution", "annual")
    assert out.returncode == 0 and "annual/kl" in out.stdout
    out = cli("frobnicate")
    assert out.returncode == 2 and "frobnicate" in out.stderr
    via_module = subprocess.run([sys.executable, "-m", "climastation", "--version"], capture_output=True, text=True)
    assert via_module.returncode == 0 and via_module.stdout == cli("--version").stdout


def test_the_command_ends_quietly_when_its_reader_goes_away():
    """`climastation datasets | head -1` through the wheel's command: exit
    0, no traceback (a panic on the closed pipe before)."""
    exe = shutil.which("climastation")
    for args in (["datasets"], ["--json", "datasets"]):
        p = subprocess.Popen([exe, "--config", str(SAMPLE), *args], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        p.stdout.close()
        err = p.stderr.read().decode()
        assert p.wait(timeout=60) == 0, err
        assert "Traceback" not in err and "panicked" not in err, err


def test_a_report_is_the_same_from_python_and_from_the_command(archive, tmp_path):
    """One report, two front ends: Python's dict equals the command's
    `--json` for the same call on the same data folder (`check --deep`,
    `failed --unconfirmed`), and `datasets` likewise."""
    import json as _json
    env = dict(os.environ, CLIMASTATION_PATHS__DATA_DIR=str(archive.data_dir),
               CLIMASTATION_PATHS__PROGRESS_DB=str(archive.progress_db),
               CLIMASTATION_PATHS__RAW=str(archive._raw),
               CLIMASTATION_PATHS__OUTPUT=str(archive.output),
               CLIMASTATION_LOGGING__FILE="false")
    exe = shutil.which("climastation")

    def command(*args):
        out = subprocess.run([exe, "--config", str(SAMPLE), "--json", *args], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        return _json.loads(out.stdout)

    assert archive.check(deep=True).to_dict() == command("check", "--deep")
    assert [f.to_dict() for f in archive.failed(unconfirmed=True)] == command("failed", "--unconfirmed")["files"]
    assert {"datasets": [d.to_dict() for d in climastation.datasets("daily")]} == command(
        "datasets", "--resolution", "daily"
    )
    # status: the same shape and counts (the rate and ETA move with the clock)
    ours, theirs = archive.status().to_dict(), command("status")
    assert ours["totals"] == theirs["totals"] and ours.keys() == theirs.keys()
    assert [d.keys() for d in ours["datasets"]] == [d.keys() for d in theirs["datasets"]]


def test_reports_are_typed_objects_with_their_json_shape(archive):
    """A report's fields are attributes of typed dataclasses, nested ones
    too; `to_dict()` is the `--json` shape; `report["key"]` still reads a
    field as the dicts of earlier versions did."""
    import dataclasses
    s = archive.status()
    assert isinstance(s, climastation.StatusReport) and dataclasses.is_dataclass(s)
    assert isinstance(s.totals, climastation.reports.Counts)
    assert s.totals.completed == s["totals"]["completed"] == s.to_dict()["totals"]["completed"] > 0
    kl = next(d for d in s.datasets if d.dataset == "daily/kl")
    assert kl.counts.completed == kl.total
    c = archive.check()
    assert isinstance(c, climastation.CheckReport) and c.ok and c.problems == []
    with pytest.raises(KeyError):
        c["no such field"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.ok = False
    d = climastation.datasets("daily")[0]
    assert isinstance(d, climastation.DatasetInfo)
    assert all(isinstance(p, climastation.reports.DatasetParameter) for p in d.parameters)
    r = archive.run(progress=False)
    assert isinstance(r, climastation.RunReport) and r.exit_code == 0
    assert all(isinstance(x, climastation.reports.RunDataset) for x in r.datasets)


def test_every_docstring_example_runs_on_the_sample(archive, tmp_path, monkeypatch):
    """The module's examples are doctests run on the bundled sample: the
    `archive` of this session, `SAMPLE` its configuration, `TMP` a fresh
    data folder; only the examples that need DWD's server are skipped."""
    import doctest
    monkeypatch.chdir(tmp_path)  # Archive(config=SAMPLE) caches station lists here
    globs = {"climastation": climastation, "archive": archive, "SAMPLE": str(SAMPLE), "TMP": str(tmp_path / "a")}
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(climastation, extraglobs=globs, optionflags=flags)
    assert result.failed == 0, result
    assert result.attempted >= 20, result
    for module in (climastation.reports, climastation.errors):
        result = doctest.testmod(module, extraglobs=globs, optionflags=flags)
        assert result.failed == 0 and result.attempted > 0, (module.__name__, result)


def test_the_signatures_are_typed():
    import inspect
    import typing
    assert typing.get_args(climastation.Method) == ("nearest", "idw")
    assert inspect.signature(climastation.Archive.values).parameters["method"].annotation == "Method"
    assert "multi_annual" in typing.get_args(climastation.Resolution)
    params = inspect.signature(climastation.Archive.export).parameters
    assert {"stations", "near", "radius_km", "bbox", "start", "end"} <= set(params)
    assert all(p.kind != inspect.Parameter.VAR_KEYWORD for p in params.values())
    for f in (climastation.Archive.run, climastation.Archive.export, climastation.Archive.values,
              climastation.Archive.series, climastation.stations, climastation.datasets):
        doc = f.__doc__ or ""
        assert "Parameters\n" in doc and "Returns\n" in doc and "Examples\n" in doc, f.__name__


def test_help_explains_with_examples():
    for f in (climastation.Archive.run, climastation.Archive.export, climastation.Archive.values,
              climastation.Archive.series, climastation.stations, climastation.datasets):
        assert f.__doc__ and ">>>" in f.__doc__, f.__name__


def test_readmes_sample_example_runs_as_it_stands(tmp_path, monkeypatch):
    """README's Python block for the bundled sample, run as written (in a
    copy of the repository's config and sample, so that its data folder is
    this test's)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    marker = 'archive = climastation.Archive(config="config/sample.yaml")'
    blocks = [b.split("```", 1)[0] for b in text.split("```python\n")[1:]]
    block = next(b for b in blocks if marker in b)
    shutil.copytree(ROOT / "config", tmp_path / "config")
    (tmp_path / "tests" / "data").mkdir(parents=True)
    os.symlink(MIRROR, tmp_path / "tests" / "data" / "dwd")
    monkeypatch.chdir(tmp_path)
    scope = {}
    exec(compile(block, "README.md", "exec"), scope)
    df = scope["df"]
    assert df.height > 0, df
    assert set(df["station_id"].unique().to_list()) == {320}


def _served(cmd, env):
    """A server started by `cmd`: its base URL (from the line it prints)
    and the process."""
    import re
    p = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in p.stderr:
        m = re.search(r"http://[0-9.:]+", line)
        if m:
            return m.group(0), p
    raise AssertionError(f"no address from {cmd}: exit {p.wait()}")


def test_the_server_runs_from_python_and_from_the_module(archive):
    """`python -m climastation serve` and `Archive.serve` answer over HTTP
    on the archive's data folder and stop cleanly on SIGTERM."""
    import json as _json
    import signal
    import urllib.request
    env = dict(os.environ, CLIMASTATION_PATHS__DATA_DIR=str(archive.data_dir),
               CLIMASTATION_PATHS__PROGRESS_DB=str(archive.progress_db),
               CLIMASTATION_PATHS__RAW=str(archive._raw),
               CLIMASTATION_PATHS__OUTPUT=str(archive.output),
               CLIMASTATION_LOGGING__FILE="false")
    script = ("import climastation; "
              f"climastation.serve({str(SAMPLE)!r}, listen='127.0.0.1:0')")
    for cmd in ([sys.executable, "-m", "climastation", "--config", str(SAMPLE), "serve", "--listen", "127.0.0.1:0"],
                [sys.executable, "-c", script]):
        base, p = _served(cmd, env)
        try:
            with urllib.request.urlopen(base + "/api/v1/series?dataset=daily/kl&station=4271") as r:
                assert r.status == 200
                body = _json.load(r)
            assert body["rows"] and body["columns"][:2] == ["station_id", "timestamp_utc"]
            assert body["rows"] == [dict(zip(body["columns"], [row[c] for c in body["columns"]]))
                                    for row in body["rows"]]
            series = archive.series("daily/kl", stations=[4271])
            assert len(body["rows"]) == series.num_rows
            # the page and its libraries are in the wheel's binary too
            with urllib.request.urlopen(base + "/") as r:
                assert 'data-testid="map"' in r.read().decode()
            with urllib.request.urlopen(base + "/static/vendor/leaflet.js") as r:
                assert len(r.read()) > 100_000
        finally:
            p.send_signal(signal.SIGTERM)
            code = p.wait(timeout=30)
        assert code in (0, 130), (cmd, code)


# ---- climate normals and anomalies ----------------------------------------------


def test_normals_and_anomalies_against_them(archive):
    t = archive.normals("1961-1990", stations=[3987], parameters=["temperature_air_mean_2m"])
    assert t.column_names == ["station_id", "station_name", "period", "parameter", "unit", "month", "value", "source",
                              "location_rule"]
    assert set(t.column("location_rule").to_pylist()) == {None}, "the current normals"
    assert t.column("month").to_pylist() == list(range(1, 13)) + [None]
    assert t.column("value").to_pylist()[6] == 17.9, "DWD: Potsdam, July 1961-1990"
    assert set(t.column("source").to_pylist()) == {51}
    assert b"normals" in t.schema.metadata
    near = archive.normals("61-90", near=(51.34, 12.37), radius_km=30)
    assert set(near.column("station_id").to_pylist()) == {2928, 2932}
    with pytest.raises(climastation.UsageError, match="DWD publishes normals for 1961-1990"):
        archive.normals("1950-1980")
    with pytest.raises(climastation.DataError, match="run the dataset multi_annual/mean_71-00"):
        archive.normals("1971-2000")
    # DWD's older normals (the sample's real 1981-2010 sunshine at the fixed place)
    old = archive.normals("1981-2010", stations=[2932], obsolete=True)
    assert set(old.column("location_rule").to_pylist()) == {"fixed"}
    assert set(old.column("source").to_pylist()) == {None}, "the older layout has no source code"
    assert old.column("value").to_pylist()[6] == 228.0, "DWD: Leipzig/Halle, July sunshine 1981-2010"
    m = archive.export("monthly", stations=[3987], start="2016-07-01", end="2016-07-31",
                       parameters=["temperature_air_mean_2m"], anomaly="1961-1990")
    assert m.column("temperature_air_mean_2m_anomaly").to_pylist() == [2.0]
    assert b"anomaly" in m.schema.metadata
    s = archive.series("annual/kl", stations=[44], parameters=["temperature_air_mean_2m"], anomaly="1961-1990")
    assert s.column("temperature_air_mean_2m_anomaly").to_pylist()[0] == 2.19
    v = archive.values((49.9666, 11.5198), resolution="hourly", parameters=["temperature_air_2m"],
                       end="2018-09-15", anomaly="1961-1990")
    assert v.column("temperature_air_2m_anomaly").to_pylist()[0] == 0.8
