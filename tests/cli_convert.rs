//! `climastation convert`: real DWD files to CSV / JSON lines without the
//! tracker; bad files fail by name and leave no output behind.

use std::path::Path;

use serde_json::Value;

fn data(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data")
        .join(rel)
        .display()
        .to_string()
}

#[test]
fn real_files_convert_and_bad_ones_are_named() {
    let work = tempfile::tempdir().unwrap();
    let bad = work.path().join("10minutenwerte_TU_00003_akt.zip");
    std::fs::write(&bad, b"PK\x03\x04 not really a zip").unwrap();
    let out = crate::util::climastation(work.path())
        .args(["convert", "--format", "jsonl", "-o", "out"])
        .arg(data(
            "dwd/hourly/air_temperature/recent/stundenwerte_TU_00320_akt.zip",
        ))
        .arg(data(
            "fixtures/produkt_zehn_now_tu_20250625_20250625_00044.txt",
        ))
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "one file failed");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("10minutenwerte_TU_00003_akt.zip") && stderr.contains("corrupt zip"),
        "{stderr}"
    );

    let now = std::fs::read_to_string(
        work.path()
            .join("out/produkt_zehn_now_tu_20250625_20250625_00044.txt.jsonl"),
    )
    .unwrap();
    let rows: Vec<Value> = now
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 102);
    assert_eq!(rows[0]["timestamp_utc"], "2025-06-25T00:00:00Z");
    assert_eq!(rows[0]["temperature_air_mean_2m"], 16.6);
    assert_eq!(rows[0]["pressure_air_site"], Value::Null);
    assert_eq!(rows[0]["station_id"], 44);

    let hourly =
        std::fs::read_to_string(work.path().join("out/stundenwerte_TU_00320_akt.zip.jsonl"))
            .unwrap();
    let first: Value = serde_json::from_str(hourly.lines().next().unwrap()).unwrap();
    assert_eq!(
        (
            first["temperature_air_mean_2m"].as_f64(),
            first["humidity"].as_f64()
        ),
        (Some(13.7), Some(96.0))
    );
    let leftovers: Vec<_> = std::fs::read_dir(work.path().join("out"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(
        leftovers.len(),
        2,
        "no output (and no temp file) for the bad zip: {leftovers:?}"
    );
}
