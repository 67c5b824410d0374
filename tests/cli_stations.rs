//! `climastation stations` reads every station list of a dataset: the
//! period folders and, for 1- and 5-minute data, every historical year
//! folder (DWD's `historical/<year>/…Beschreibung_Stationen.txt`), merged.

use std::path::Path;

use serde_json::Value;

/// Copies `from` to `to`, recursively.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[test]
fn stations_reads_the_lists_of_every_year_folder() {
    let work = tempfile::tempdir().unwrap();
    let mirror = work.path().join("mirror");
    let ds = "1_minute/precipitation";
    let real = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/dwd")
        .join(ds);
    copy_dir(&real, &mirror.join(ds));
    // a year folder's list with a station the top list does not have
    // (the real list's first station line, renumbered 99999 and moved)
    let name = "ein_min_rr_Beschreibung_Stationen.txt";
    let text = std::fs::read(real.join("historical").join(name)).unwrap();
    let mut lines: Vec<&[u8]> = text.split(|b| *b == b'\n').collect();
    lines.truncate(3);
    let mut extra = lines[2].to_vec();
    extra[..5].copy_from_slice(b"99999");
    let at = extra.windows(7).position(|w| w == b"50.7827").unwrap();
    extra[at..at + 7].copy_from_slice(b"51.3400");
    let mut year_list = lines[..2].join(&b'\n');
    year_list.push(b'\n');
    year_list.extend_from_slice(&extra);
    year_list.extend_from_slice(b"\n");
    std::fs::write(
        mirror.join(ds).join("historical/2022").join(name),
        year_list,
    )
    .unwrap();

    let out = crate::util::succeeds(
        crate::util::climastation(work.path())
            .args(["--json", "stations", "--dataset", ds, "--source"])
            .arg(&mirror),
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<u64> = v["stations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["station_id"].as_u64().unwrap())
        .collect();
    assert!(
        ids.contains(&99_999),
        "the year folder's list was not read: {ids:?}"
    );
    assert!(ids.contains(&3) && ids.contains(&20), "{ids:?}");
}

/// A dataset whose folders hold no station list: `stations` says so (exit
/// 2), without speaking of a selection that was not given.
#[test]
fn a_dataset_without_station_lists_is_named_plainly() {
    let work = tempfile::tempdir().unwrap();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/dwd");
    let out = crate::util::climastation(work.path())
        .args(["stations", "--dataset", "hourly/sun", "--source"])
        .arg(&sample)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no station list"), "{err}");
    assert!(!err.contains("selecting by"), "{err}");
}
