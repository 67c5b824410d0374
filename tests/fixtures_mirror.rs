//! The synthetic mirror of `cargo xtask fixtures`: its shape, determinism,
//! and a crawl of it over loopback that finds exactly its files.

use std::collections::BTreeMap;
use std::path::Path;

use crate::http_server::Server;

use crate::fixtures;

/// Every file under `root` except listing pages: relative path → bytes.
fn files(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().unwrap() != "index.html" {
                out.insert(
                    p.strip_prefix(root).unwrap().to_str().unwrap().to_owned(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    out
}

#[test]
fn like_the_real_folder_and_deterministic() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    fixtures::generate(a.path(), 541, 2, 7).unwrap();
    fixtures::generate(b.path(), 541, 2, 7).unwrap();
    let fa = files(a.path());
    assert_eq!(fa, files(b.path()), "same seed, same bytes");
    let historical = fa
        .keys()
        .filter(|k| k.contains("/historical/") && k.ends_with("_hist.zip"))
        .count();
    assert_eq!(historical, 1_623);
    let c = tempfile::tempdir().unwrap();
    fixtures::generate(c.path(), 541, 2, 8).unwrap();
    assert_ne!(fa, files(c.path()), "another seed, other values");
}

#[test]
fn data_files_look_like_dwd_files() {
    let dir = tempfile::tempdir().unwrap();
    fixtures::generate(dir.path(), 4, 300, 1).unwrap();
    let root = dir.path().join("climate/10_minutes/air_temperature");
    let read = |zip: &str| {
        let mut z = zip::ZipArchive::new(std::fs::File::open(root.join(zip)).unwrap()).unwrap();
        assert_eq!(z.len(), 1);
        let mut text = Vec::new();
        std::io::Read::read_to_end(&mut z.by_index(0).unwrap(), &mut text).unwrap();
        text
    };
    let mez = read("historical/10minutenwerte_TU_00003_19930428_19991231_hist.zip");
    let utc = read("historical/10minutenwerte_TU_00003_20000101_20091231_hist.zip");
    let lines = |t: &[u8]| {
        String::from_utf8_lossy(t)
            .split("\r\n")
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let (m, u) = (lines(&mez), lines(&utc));
    assert!(
        !String::from_utf8_lossy(&mez)
            .replace("\r\n", "")
            .contains('\n'),
        "CRLF only"
    );
    assert_eq!(
        m[0],
        "STATIONS_ID;MESS_DATUM;  QN;PP_10;TT_10;TM5_10;RF_10;TD_10;eor"
    );
    assert!(
        m[m.len() - 2].contains(";199912312350;"),
        "the MEZ chunk ends 1999-12-31 23:50 MEZ"
    );
    assert!(
        u[1].contains(";199912312300;"),
        "the UTC chunk starts with the next instant"
    );
    assert!(
        String::from_utf8_lossy(&mez).contains("  -999")
            || String::from_utf8_lossy(&utc).contains("  -999")
    );
    // station 10 (the second) has no eor column
    let no_eor = read("historical/10minutenwerte_TU_00010_20000101_20091231_hist.zip");
    assert!(!String::from_utf8_lossy(&no_eor).contains("eor"));
    // station lists: ISO-8859-1, padded to 200 characters, 2025 layout
    let list =
        std::fs::read(root.join("historical/zehn_min_tu_Beschreibung_Stationen.txt")).unwrap();
    assert!(
        list.windows(2).any(|w| w == [b'\xdf', b'e']),
        "ß in latin-1 (Großenkneten)"
    );
    let first = list.split(|b| *b == b'\n').next().unwrap();
    assert!(first.starts_with(b"Stations_id von_datum bis_datum"));
    assert!(first.windows(6).any(|w| w == b"Abgabe"), "the 2025 layout");
    assert_eq!(first.len(), 201, "200 characters and CR");
}

#[test]
fn a_crawl_over_loopback_finds_exactly_the_mirrors_files() {
    let mirror = tempfile::tempdir().unwrap();
    fixtures::generate(mirror.path(), 20, 20, 3).unwrap();
    let expected: Vec<String> = files(&mirror.path().join("climate/10_minutes/air_temperature"))
        .into_keys()
        .collect();
    let server = Server::serve_dir(mirror.path());
    let work = tempfile::tempdir().unwrap();
    let out = crate::util::climastation(work.path())
        .args([
            "--json",
            "crawl",
            "--dataset",
            fixtures::DATASET,
            "--source",
            &server.url("climate/"),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let manifest = std::fs::read_to_string(
        work.path()
            .join("data/manifests/10_minutes__air_temperature.jsonl"),
    )
    .unwrap();
    let got: Vec<String> = manifest
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["path"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(got, expected);
}
