"""DuckDB's scan times of one Parquet table, for `cargo xtask bench parse --duckdb`.

Prints one JSON line: the median (of 9, after one warm-up) wall time of
  - `all`: count(*) and the mean of every float column (every value decoded);
  - `range`: the same over one month of `timestamp_utc` (row groups skipped by
    their time statistics);
  - `one`: the mean of one float column (the projection reads one column).
"""

import json
import statistics
import sys
import time

import duckdb


def median_ms(con, sql, runs=9):
    con.execute(sql).fetchall()  # warm-up: the file in the page cache
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        con.execute(sql).fetchall()
        times.append(time.perf_counter() - t)
    return round(statistics.median(times) * 1000, 2)


def main(path):
    con = duckdb.connect()
    con.execute("SET threads = 1")
    src = f"read_parquet('{path}')"
    cols = con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()
    floats = [c[0] for c in cols if c[1] in ("DOUBLE", "FLOAT")]
    if not floats:
        sys.exit(f"{path}: no float columns")
    means = ", ".join(f'avg("{c}")' for c in floats)
    lo, hi = con.execute(f"SELECT min(timestamp_utc), max(timestamp_utc) FROM {src}").fetchone()
    month = lo + (hi - lo) / 2
    report = {
        "file": path,
        "duckdb": duckdb.__version__,
        "threads": 1,
        "all_ms": median_ms(con, f"SELECT count(*), {means} FROM {src}"),
        "range_ms": median_ms(
            con,
            f"SELECT count(*), {means} FROM {src} WHERE timestamp_utc >= TIMESTAMPTZ '{month}' "
            f"AND timestamp_utc < TIMESTAMPTZ '{month}' + INTERVAL 31 DAY",
        ),
        "one_ms": median_ms(con, f'SELECT avg("{floats[0]}") FROM {src}'),
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1])
