"""Derives tests/data/archive/{paths.txt.gz,stations.tsv.gz} from rdwd's
public indexes (brry/rdwd, data/fileIndex.rda and data/metaIndex.rda), the
data of `cargo xtask bench archive`. Needs `pip install rdata`.

    python3 xtask/archive_index.py fileIndex.rda metaIndex.rda tests/data/archive
"""

import datetime
import gzip
import sys
from pathlib import Path

import rdata

file_index, meta_index, out = sys.argv[1], sys.argv[2], Path(sys.argv[3])
paths = rdata.read_rda(file_index)["fileIndex"]["path"].tolist()
with gzip.open(out / "paths.txt.gz", "wt", compresslevel=9) as f:
    for p in paths:
        f.write(p + "\n")

epoch = datetime.date(1970, 1, 1)


def day(x):
    try:
        return (epoch + datetime.timedelta(days=int(x))).strftime("%Y%m%d")
    except (TypeError, ValueError, OverflowError):
        return ""


meta = rdata.read_rda(meta_index)["metaIndex"]
with gzip.open(out / "stations.tsv.gz", "wt", compresslevel=9) as f:
    for r in meta.itertuples(index=False):
        row = [r.res, r.var, r.per, str(int(r.Stations_id)), day(r.von_datum), day(r.bis_datum),
               str(r.Stationshoehe), f"{r.geoBreite:.4f}", f"{r.geoLaenge:.4f}", str(r.Stationsname),
               str(r.Bundesland), str(r.Abgabe)]
        f.write("\t".join(row) + "\n")
print(len(paths), "paths,", len(meta), "station rows")
