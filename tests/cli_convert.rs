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

#[test]
fn run_with_the_dwd_processor_writes_parquet_for_every_data_file() {
    let work = tempfile::tempdir().unwrap();
    let mirror = data("dwd");
    let out = crate::util::climastation(work.path())
        .env("CLIMASTATION_SOURCE__BASE_URL", &mirror)
        .env("CLIMASTATION_PATHS__RAW", "raw")
        .env("CLIMASTATION_PATHS__OUTPUT", "output")
        .args([
            "--json",
            "run",
            "--crawl",
            "--processor",
            "dwd",
            "--dataset",
            "monthly/kl",
            "--dataset",
            "10_minutes/solar",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let monthly = work.path().join("output/monthly/kl/historical/01691/monatswerte_KL_01691_18570101_20171231_hist.zip.parquet");
    let reader = parquet::file::serialized_reader::SerializedFileReader::new(
        std::fs::File::open(&monthly).unwrap(),
    )
    .unwrap();
    use parquet::file::reader::FileReader;
    let meta = reader.metadata().file_metadata();
    assert_eq!(meta.num_rows(), 1932);
    let kv: Vec<(String, String)> = meta
        .key_value_metadata()
        .unwrap()
        .iter()
        .map(|k| (k.key.clone(), k.value.clone().unwrap_or_default()))
        .collect();
    assert!(
        kv.contains(&("unit.precipitation_height".into(), "mm".into())),
        "{kv:?}"
    );
    assert!(kv.contains(&(
        "source_file".into(),
        "historical/monatswerte_KL_01691_18570101_20171231_hist.zip".into()
    )));
    let names: Vec<String> = meta
        .schema_descr()
        .columns()
        .iter()
        .map(|c| c.name().to_owned())
        .collect();
    assert_eq!(
        &names[..5],
        [
            "station_id",
            "timestamp_utc",
            "period_end_utc",
            "time_local",
            "time_reference"
        ]
    );
    assert!(names.contains(&"temperature_air_mean_2m".to_owned()));
    // the 10-minute solar data zips (recent, now) convert; its metadata zip is fetched only
    for f in [
        "recent/01766/10minutenwerte_SOLAR_01766_akt.zip.parquet",
        "now/01766/10minutenwerte_SOLAR_01766_now.zip.parquet",
    ] {
        assert!(
            work.path().join("output/10_minutes/solar").join(f).exists(),
            "{f}"
        );
    }
    assert!(
        work.path()
            .join("raw/10_minutes/solar/meta_data/Meta_Daten_zehn_min_sd_01766.zip")
            .exists()
    );
}
