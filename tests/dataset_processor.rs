//! The dataset processor through `run`: one merged series a station, built
//! again only where the inputs changed, and the DuckDB catalog.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::fixtures::{self, DATASET};

struct Lab {
    tree: tempfile::TempDir,
    work: tempfile::TempDir,
}

impl Lab {
    fn new() -> Lab {
        let tree = tempfile::tempdir().unwrap();
        fixtures::generate(tree.path(), 3, 300, 5).unwrap();
        Lab {
            tree,
            work: tempfile::tempdir().unwrap(),
        }
    }

    fn run(&self) -> Output {
        crate::util::succeeds(
            crate::util::climastation(self.work.path())
                .env(
                    "CLIMASTATION_SOURCE__BASE_URL",
                    self.tree.path().join("climate"),
                )
                .env("CLIMASTATION_PROCESSING__PROCESSOR", "dwd")
                .env("CLIMASTATION_LOGGING__FILE", "false")
                .args(["--json", "run", "--crawl", "--dataset", DATASET]),
        )
    }

    fn series_dir(&self) -> PathBuf {
        self.work
            .path()
            .join("data/output")
            .join(DATASET)
            .join("series")
    }

    /// Each series file with the identity of its current version (a
    /// rewrite renames a new file into place: a new inode).
    fn versions(&self) -> BTreeMap<String, (u64, i64)> {
        crate::util::file_names(&self.series_dir())
            .into_iter()
            .map(|n| {
                let m = std::fs::metadata(self.series_dir().join(&n)).unwrap();
                (n, (m.ino(), m.mtime_nsec()))
            })
            .collect()
    }
}

/// Rows of a Parquet file as (timestamp ms, temperature, source_file).
fn rows(path: &Path) -> Vec<(i64, Option<f64>, String)> {
    use arrow_array::Array;
    use arrow_array::cast::AsArray;
    let f = std::fs::File::open(path).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(f)
        .unwrap()
        .build()
        .unwrap();
    let mut out = Vec::new();
    for b in reader {
        let b = b.unwrap();
        let t = b
            .column_by_name("timestamp_utc")
            .unwrap()
            .as_primitive::<arrow_array::types::TimestampMillisecondType>();
        let v = b
            .column_by_name("temperature_air_2m")
            .unwrap()
            .as_primitive::<arrow_array::types::Float64Type>();
        let src = b.column_by_name("source_file").map(|c| {
            arrow_cast::cast(c, &arrow_schema::DataType::Utf8)
                .unwrap()
                .as_string::<i32>()
                .clone()
        });
        for i in 0..b.num_rows() {
            out.push((
                t.value(i),
                (!v.is_null(i)).then(|| v.value(i)),
                src.as_ref()
                    .map_or(String::new(), |s| s.value(i).to_owned()),
            ));
        }
    }
    out
}

#[test]
fn one_series_a_station_rebuilt_only_where_a_file_changed() {
    let lab = Lab::new();
    lab.run();
    let first = lab.versions();
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        ["00003.parquet", "00010.parquet", "00017.parquet"]
    );
    // the series is every time of the station's files once, in time order,
    // each from the most final file that has it (the files overlap: recent
    // repeats the end of historical, now the end of recent), naming it
    let parts = lab
        .work
        .path()
        .join("data/output")
        .join(DATASET)
        .join("parts");
    let mut winners: BTreeMap<i64, (Option<f64>, String)> = BTreeMap::new();
    let mut overlapped = 0;
    for period in ["historical", "recent", "now"] {
        for name in crate::util::file_names(&parts.join(period).join("00010")) {
            let zip = format!("{period}/{}", name.trim_end_matches(".parquet"));
            for (t, v, _) in rows(&parts.join(period).join("00010").join(&name)) {
                match winners.entry(t) {
                    std::collections::btree_map::Entry::Vacant(e) => {
                        e.insert((v, zip.clone()));
                    }
                    std::collections::btree_map::Entry::Occupied(_) => overlapped += 1,
                }
            }
        }
    }
    assert!(
        overlapped > 100,
        "the mirror's periods overlap: {overlapped}"
    );
    let expected: Vec<(i64, Option<f64>, String)> =
        winners.into_iter().map(|(t, (v, z))| (t, v, z)).collect();
    let series = rows(&lab.series_dir().join("00010.parquet"));
    assert_eq!(series.len(), expected.len());
    assert_eq!(series, expected);

    // nothing new: nothing rebuilt
    lab.run();
    assert_eq!(lab.versions(), first, "a second run rewrote series");

    // a changed `now` file of station 10: its series only
    let now = lab
        .tree
        .path()
        .join("climate")
        .join(DATASET)
        .join("now/10minutenwerte_TU_00010_now.zip");
    let bytes = std::fs::read(&now).unwrap();
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut m = z.by_index(0).unwrap();
    let member = m.name().unwrap().into_owned();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut m, &mut text).unwrap();
    drop(m);
    // DWD replaced the file: its last row (which no other file has) is gone
    let kept: Vec<&str> = text.trim_end().split("\r\n").collect();
    let text = kept[..kept.len() - 1].join("\r\n") + "\r\n";
    std::fs::write(&now, fixtures::zip_one(&member, text.as_bytes()).unwrap()).unwrap();
    fixtures::relist(lab.tree.path(), "now", &[]).unwrap();
    lab.run();
    let third = lab.versions();
    assert_ne!(third["00010.parquet"], first["00010.parquet"], "rebuilt");
    assert_eq!(third["00003.parquet"], first["00003.parquet"], "untouched");
    assert_eq!(third["00017.parquet"], first["00017.parquet"], "untouched");
    let series = rows(&lab.series_dir().join("00010.parquet"));
    assert_eq!(series.len(), expected.len() - 1, "the row is gone");

    // the export: station 10's record, from its series
    let export = |args: &[&str]| {
        crate::util::climastation(lab.work.path())
            .args(["export", "--resolution", "10_minutes"])
            .args(args)
            .output()
            .unwrap()
    };
    let out = export(&["--station", "00010", "--format", "csv", "-o", "ten.csv"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = std::fs::read_to_string(lab.work.path().join("ten.csv")).unwrap();
    assert_eq!(
        csv.lines().count(),
        series.len() + 1,
        "a header and a row a time"
    );
    assert!(csv.starts_with("station_id,timestamp_utc,air_temperature_quality,"));
    assert!(csv.lines().skip(1).all(|l| l.starts_with("10,")));
    let bad = export(&["--parameters", "nope", "-o", "x.csv"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        !lab.work.path().join("x.csv").exists(),
        "a failed export leaves no file"
    );

    // the catalog has the dataset's view
    let catalog = std::fs::read_to_string(lab.work.path().join("data/output/catalog.sql")).unwrap();
    assert!(catalog.contains(&format!("CREATE OR REPLACE VIEW \"{DATASET}\"")));
    assert!(catalog.contains("CREATE OR REPLACE VIEW \"10_minutes\""));
}
