"""`cargo xtask bench python`: run by xtask in a virtual environment with
the wheel installed. Prints the figures; exits 1 if the two ways disagree
or a table was copied on its way to pyarrow.

The Leipzig example of README's Python section (stations within 50 km of a
place, air temperature from a day on, crawled, run, exported in the tidy
shape) on the bundled sample: the sample's 10-minute data is station 00044
(Großenkneten, a `now` file of 2025-06-25), so its place stands in for
Leipzig's and the span starts in 2025 and stays open (a `now` file is
today's by its name).
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

import climastation
from climastation._climastation import _handover

root, rows, runs = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
SAMPLE = root / "config" / "sample.yaml"
DATASET = "10_minutes/air_temperature"
PLACE, RADIUS, START = (52.9336, 8.237), 50, "2025-01-01"


def python_way(data: Path) -> int:
    a = climastation.Archive(config=SAMPLE, data_dir=data)
    where = dict(near=PLACE, radius_km=RADIUS, start=START)
    report = a.run([DATASET], crawl=True, progress=False, **where)
    assert report["exit_code"] == 0, report
    rows = a.export("10_minutes", datasets=[DATASET], long=True, **where).num_rows
    assert rows > 0, "the example exported nothing"
    return rows


def cli_way(data: Path) -> int:
    exe = shutil.which("climastation")
    assert exe, "the wheel's climastation command"
    env = dict(os.environ)
    for key, path in [("DATA_DIR", ""), ("PROGRESS_DB", "progress_tracking.db"), ("RAW", "raw"),
                      ("OUTPUT", "output"), ("LOGS", "logs")]:
        env[f"CLIMASTATION_PATHS__{key}"] = str(data / path)
    where = ["--near", f"{PLACE[0]},{PLACE[1]}", "--radius", str(RADIUS), "--from", START]
    common = [exe, "--config", str(SAMPLE)]
    subprocess.run([*common, "run", "--crawl", "--dataset", DATASET, *where], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    out = data / "leipzig.parquet"
    subprocess.run([*common, "export", "--resolution", "10_minutes", "--dataset", DATASET, *where, "--long",
                    "-o", str(out)], env=env, check=True, stdout=subprocess.DEVNULL)
    return pq.read_table(out).num_rows


def timed(way) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as d:
        start = time.perf_counter()
        n = way(Path(d))
        return time.perf_counter() - start, n


python_way(Path(tempfile.mkdtemp()))  # warm the page cache and the imports
results = {}
for name, way in [("python", python_way), ("cli", cli_way)]:
    times, counts = zip(*(timed(way) for _ in range(runs)))
    results[name] = (statistics.median(times), min(times), counts[0])
    assert len(set(counts)) == 1, f"{name}: rows differ between runs: {counts}"
(py, py_min, py_rows), (cl, cl_min, cl_rows) = results["python"], results["cli"]
print(f"Leipzig example on the sample ({DATASET}, {RADIUS} km, from {START}, tidy shape), {runs} runs each:")
print(f"  python (in process):     median {py * 1000:7.1f} ms  (min {py_min * 1000:.1f} ms)  {py_rows} rows")
print(f"  cli (run + export + read): median {cl * 1000:7.1f} ms  (min {cl_min * 1000:.1f} ms)  {cl_rows} rows")
if py_rows != cl_rows:
    print("  the two ways disagree")
    sys.exit(1)

seconds, copied = [], False
for _ in range(runs):
    t, s, address = _handover(rows)
    seconds.append(s)
    copied |= t.column("value").chunks[0].buffers()[1].address != address
    assert t.num_rows == rows
    del t
ms = statistics.median(seconds) * 1000
print(f"{rows:,} rows (3 columns) handed to pyarrow: median {ms:.2f} ms, max {max(seconds) * 1000:.2f} ms "
      f"(target < 50 ms); zero-copy: {'no' if copied else 'yes (same buffer address)'}")
if copied:
    sys.exit(1)
