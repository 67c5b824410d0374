//! `climastation crawl` against DWD's real (trimmed) listings served on
//! loopback, a rename between two crawls, escaping links, a local mirror.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::http_server::Server;

const DATASET: &str = "10_minutes/air_temperature";

fn listings() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/listings")
}

fn cli(dir: &Path, args: &[&str]) -> Output {
    crate::util::climastation(dir).args(args).output().unwrap()
}

fn json(o: &Output) -> Value {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// The files a listing tree holds, read with a plain text scan (not the
/// crate's parser): every href that is not `../` and not a folder.
fn expected_files(root: &Path, dataset: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut dirs = vec![String::new()];
    while let Some(rel) = dirs.pop() {
        let page =
            std::fs::read_to_string(root.join(dataset).join(&rel).join("index.html")).unwrap();
        for part in page.split("href=\"").skip(1) {
            let href = &part[..part.find('"').unwrap()];
            if href == "../" {
                continue;
            }
            let path = format!("{rel}{href}");
            if href.ends_with('/') {
                dirs.push(path)
            } else {
                out.push(path)
            }
        }
    }
    out.sort();
    out
}

fn copy_tree(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[test]
fn crawling_real_listings_over_http_registers_every_file_once() {
    let server = Server::serve_dir(&listings());
    let work = tempfile::tempdir().unwrap();
    let root = server.url("climate/");
    let first = json(&cli(
        work.path(),
        &["--json", "crawl", "--dataset", DATASET, "--source", &root],
    ));
    let expected = expected_files(&listings().join("climate"), DATASET);
    assert!(
        expected.len() > 150,
        "the fixture has four folders of entries"
    );
    assert_eq!(first["new"], expected.len() as u64);
    assert_eq!(first["vanished"], 0);

    let manifest = std::fs::read_to_string(
        work.path()
            .join("data/manifests/10_minutes__air_temperature.jsonl"),
    )
    .unwrap();
    let rows: Vec<Value> = manifest
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let paths: Vec<String> = rows
        .iter()
        .map(|r| r["path"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(paths, expected, "sorted, no duplicates, nothing missing");
    let hist = rows
        .iter()
        .find(|r| r["path"] == "historical/10minutenwerte_TU_00003_19930428_19991231_hist.zip")
        .unwrap();
    assert_eq!(hist["size"], 2_948_612);
    assert_eq!(hist["modified"], "2021-11-22T16:18:02Z");
    assert_eq!(hist["station"], "00003");
    assert_eq!(hist["period"], "historical");
    assert_eq!(
        (hist["from"].as_str(), hist["to"].as_str()),
        (Some("19930428"), Some("19991231"))
    );
    assert_eq!(
        hist["url"],
        format!("{root}{DATASET}/historical/10minutenwerte_TU_00003_19930428_19991231_hist.zip")
    );

    let again = json(&cli(
        work.path(),
        &["--json", "crawl", "--dataset", DATASET, "--source", &root],
    ));
    assert_eq!(
        (again["new"].as_u64(), again["unchanged"].as_u64()),
        (Some(0), Some(expected.len() as u64))
    );
}

#[test]
fn a_renamed_historical_file_is_reported_vanished_and_new() {
    let tree = tempfile::tempdir().unwrap();
    copy_tree(&listings(), tree.path());
    let server = Server::serve_dir(tree.path());
    let work = tempfile::tempdir().unwrap();
    let root = server.url("climate/");
    json(&cli(
        work.path(),
        &["--json", "crawl", "--dataset", DATASET, "--source", &root],
    ));

    // DWD extends a historical file: the old name disappears, a new one appears
    let page = tree
        .path()
        .join("climate")
        .join(DATASET)
        .join("historical/index.html");
    let html = std::fs::read_to_string(&page).unwrap();
    std::fs::write(
        &page,
        html.replace(
            "10minutenwerte_TU_00044_20200101_20241231_hist.zip",
            "10minutenwerte_TU_00044_20200101_20251231_hist.zip",
        ),
    )
    .unwrap();
    let second = json(&cli(
        work.path(),
        &["--json", "crawl", "--dataset", DATASET, "--source", &root],
    ));
    assert_eq!(second["new"], 1);
    assert_eq!(second["vanished"], 1);
    assert_eq!(
        second["datasets"][0]["vanished_files"][0],
        "historical/10minutenwerte_TU_00044_20200101_20241231_hist.zip"
    );

    let status = json(&cli(work.path(), &["--json", "status"]));
    assert_eq!(status["datasets"][0]["counts"]["vanished"], 1);
}

#[test]
fn listing_links_that_escape_the_root_are_never_registered() {
    let tree = tempfile::tempdir().unwrap();
    let dir = tree.path().join("climate/hourly/air_temperature/recent");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        tree.path()
            .join("climate/hourly/air_temperature/index.html"),
        "<pre><a href=\"../\">../</a>\n<a href=\"recent/\">recent/</a> 22-Nov-2021 16:18:02 -\n\
         <a href=\"../../../etc/\">x</a> 22-Nov-2021 16:18:02 -\n\
         <a href=\"http://elsewhere.example/x.zip\">x</a> 22-Nov-2021 16:18:02 10\n</pre>",
    )
    .unwrap();
    std::fs::write(
        dir.join("index.html"),
        "<pre><a href=\"../\">../</a>\n<a href=\"%2e%2e%2f%2e%2e%2fpasswd\">p</a> 22-Nov-2021 16:18:02 10\n\
         <a href=\"stundenwerte_TU_00161_akt.zip\">ok</a> 22-Nov-2021 16:18:02 70165\n</pre>",
    )
    .unwrap();
    let server = Server::serve_dir(tree.path());
    let work = tempfile::tempdir().unwrap();
    let out = json(&cli(
        work.path(),
        &[
            "--json",
            "crawl",
            "--dataset",
            "hourly/air_temperature",
            "--source",
            &server.url("climate/"),
        ],
    ));
    assert_eq!(out["new"], 1, "{out}");
    let manifest = std::fs::read_to_string(
        work.path()
            .join("data/manifests/hourly__air_temperature.jsonl"),
    )
    .unwrap();
    assert_eq!(manifest.lines().count(), 1);
    assert!(manifest.contains("recent/stundenwerte_TU_00161_akt.zip"));
}

#[test]
fn a_local_mirror_crawls_and_runs_like_the_server() {
    let mirror = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/dwd");
    let work = tempfile::tempdir().unwrap();
    let out = json(&cli(
        work.path(),
        &[
            "--json",
            "crawl",
            "--dataset",
            "monthly/kl",
            "--source",
            mirror.to_str().unwrap(),
        ],
    ));
    assert_eq!(out["new"], 2);
    let run = crate::util::climastation(work.path())
        .env("CLIMASTATION_PATHS__RAW", &mirror)
        .args(["--json", "run", "--dataset", "monthly/kl"])
        .output()
        .unwrap();
    let report = json(&run);
    assert_eq!(report["datasets"][0]["completed"], 2);
}
