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

/// `climastation [args…] run --crawl --processor dwd` in `dir` on the mirror
/// `source`, with `raw/` and `output/` in `dir`. `args` go after `run`, except
/// `--json`, which is a global flag and goes first.
fn dwd_run(
    dir: &Path,
    source: impl AsRef<std::ffi::OsStr>,
    args: &[&str],
) -> std::process::Command {
    let mut c = crate::util::climastation(dir);
    c.env("CLIMASTATION_SOURCE__BASE_URL", source)
        .env("CLIMASTATION_PATHS__RAW", "raw")
        .env("CLIMASTATION_PATHS__OUTPUT", "output");
    if args.contains(&"--json") {
        c.arg("--json");
    }
    c.args(["run", "--crawl", "--processor", "dwd"])
        .args(args.iter().filter(|a| **a != "--json"));
    c
}

/// A JSON-lines file's rows.
fn jsonl(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
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

    let rows = jsonl(
        &work
            .path()
            .join("out/produkt_zehn_now_tu_20250625_20250625_00044.txt.jsonl"),
    );
    assert_eq!(rows.len(), 102);
    assert_eq!(rows[0]["timestamp_utc"], "2025-06-25T00:00:00Z");
    assert_eq!(rows[0]["temperature_air_2m"], 16.6);
    assert_eq!(rows[0]["pressure_air_site"], Value::Null);
    assert_eq!(rows[0]["station_id"], 44);

    let first = jsonl(&work.path().join("out/stundenwerte_TU_00320_akt.zip.jsonl")).remove(0);
    assert_eq!(
        (
            first["temperature_air_2m"].as_f64(),
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
        3,
        "data + the zip's Metadaten_Geographie; no output (and no temp file) for the bad zip: {leftovers:?}"
    );
    let places = jsonl(
        &work
            .path()
            .join("out/stundenwerte_TU_00320_akt.zip.locations.jsonl"),
    );
    assert_eq!(places.len(), 7);
    assert_eq!(places[6]["valid_from"], "2006-07-01");
    assert_eq!(places[6]["valid_to"], Value::Null, "still there");
    assert_eq!(places[6]["name"], "Heinersreuth-Vollhof");
}

#[test]
fn metadata_and_station_lists_convert_too() {
    let work = tempfile::tempdir().unwrap();
    let out = crate::util::succeeds(
        crate::util::climastation(work.path())
            .args(["--json", "convert", "--format", "csv", "-o", "out"])
            .arg(data(
                "dwd/10_minutes/solar/meta_data/Meta_Daten_zehn_min_sd_01766.zip",
            ))
            .arg(data(
                "fixtures/metadata/Metadaten_Geraete_Rel_Feuchte_00003.html",
            ))
            .arg(data(
                "fixtures/2016-10_daily_kl_recent_KL_Tageswerte_Beschreibung_Stationen.txt",
            )),
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let outputs: Vec<(String, u64)> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["outputs"].as_array().unwrap().clone())
        .map(|o| {
            let path = o["output"].as_str().unwrap();
            let name = Path::new(path)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (name, o["rows"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(
        outputs,
        [
            (
                "Meta_Daten_zehn_min_sd_01766.zip.locations.csv".to_owned(),
                4
            ),
            (
                "Meta_Daten_zehn_min_sd_01766.zip.parameters.csv".to_owned(),
                5
            ),
            ("Meta_Daten_zehn_min_sd_01766.zip.devices.csv".to_owned(), 4),
            ("Meta_Daten_zehn_min_sd_01766.zip.names.csv".to_owned(), 4),
            (
                "Metadaten_Geraete_Rel_Feuchte_00003.html.devices.csv".to_owned(),
                2
            ),
            (
                "2016-10_daily_kl_recent_KL_Tageswerte_Beschreibung_Stationen.txt.csv".to_owned(),
                1090
            ),
        ]
    );
    let devices = std::fs::read_to_string(
        work.path()
            .join("out/Metadaten_Geraete_Rel_Feuchte_00003.html.devices.csv"),
    )
    .unwrap();
    let lines: Vec<&str> = devices.lines().collect();
    assert_eq!(
        lines[0],
        "station_id,group_de,group,valid_from,valid_to,device_type_de,device_type,method_de,method,station_name,latitude,longitude,height_m,sensor_height_m,barometer_height_m"
    );
    assert_eq!(
        lines[2],
        "3,Rel_Feuchte,relative humidity,2004-01-06,2012-04-06,Feuchtesonde HMP45D,humidity probe HMP45D,\"Feuchtemessung, elektr.\",\"humidity measurement, electrical\",Aachen,50.78,6.09,202.0,2.0,"
    );
    let stations = std::fs::read_to_string(
        work.path()
            .join("out/2016-10_daily_kl_recent_KL_Tageswerte_Beschreibung_Stationen.txt.csv"),
    )
    .unwrap();
    assert!(
        stations.contains(
            "\n3,Aachen,Nordrhein-Westfalen,50.7827,6.0941,202.0,1891-01-01,2011-03-31\n"
        ),
        "{}",
        &stations[..300]
    );
}

/// DWD's layout before 2018 (rdwd's 2017 copy): the data, their English
/// names and the station metadata under its older file names.
#[test]
fn a_legacy_daily_zip_converts_with_its_metadata() {
    let work = tempfile::tempdir().unwrap();
    crate::util::succeeds(
        crate::util::climastation(work.path())
            .args(["convert", "--format", "jsonl", "-o", "out"])
            .arg(data("fixtures/legacy/tageswerte_KL_03987_akt.zip")),
    );
    let out = |kind: &str| {
        jsonl(
            &work
                .path()
                .join(format!("out/tageswerte_KL_03987_akt.zip{kind}.jsonl")),
        )
    };
    let rows = out("");
    assert_eq!(rows.len(), 550);
    assert_eq!(rows[0]["temperature_air_mean_2m"], 22.4);
    let places = out(".locations");
    assert_eq!(places.len(), 3);
    assert_eq!(places[2]["valid_from"], "1985-01-01");
    assert_eq!(places[2]["latitude"], 52.3813);
    let devices = out(".devices");
    assert_eq!(devices.len(), 38);
    let first = |group: &str| {
        devices
            .iter()
            .find(|d| d["group_de"] == group)
            .unwrap()
            .clone()
    };
    // DWD's sunshine table swaps its latitude and longitude headers
    let sun = first("Sonne");
    assert_eq!(
        (&sun["latitude"], &sun["longitude"]),
        (&52.38.into(), &13.06.into())
    );
    assert_eq!(sun["group"], "sunshine");
    let barometers: Vec<&Value> = devices
        .iter()
        .filter(|d| d["device_type_de"] == "Stationsbarometer")
        .map(|d| &d["barometer_height_m"])
        .collect();
    assert_eq!(
        barometers,
        [&84.9.into(), &94.2.into(), &99.6.into()] as [&Value; 3]
    );
    assert_eq!(out(".parameters").len(), 59);
}

#[test]
fn run_with_the_dwd_processor_writes_parquet_for_every_data_file() {
    let work = tempfile::tempdir().unwrap();
    let mirror = data("dwd");
    crate::util::succeeds(&mut dwd_run(
        work.path(),
        &mirror,
        &[
            "--json",
            "--dataset",
            "monthly/kl",
            "--dataset",
            "10_minutes/solar",
        ],
    ));
    let monthly = work.path().join("output/monthly/kl/parts/historical/01691/monatswerte_KL_01691_18570101_20171231_hist.zip.parquet");
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
    assert!(kv.contains(&("time_reference_basis".into(), "period".into())));
    // QN_4 qualifies the general values, QN_6 the precipitation ones
    assert!(kv.contains(&(
        "quality.temperature_air_mean_2m".into(),
        "quality_general".into()
    )));
    assert!(kv.contains(&(
        "quality.precipitation_height".into(),
        "quality_precipitation".into()
    )));
    // merged per dataset: both stations' devices, each once (72 of 27 + 45)
    let merged = work
        .path()
        .join("output/monthly/kl/metadata/devices.parquet");
    let r = parquet::file::serialized_reader::SerializedFileReader::new(
        std::fs::File::open(&merged).unwrap(),
    )
    .unwrap();
    assert_eq!(r.metadata().file_metadata().num_rows(), 72);
    // the monthly zip's Metadaten_* members, one table per kind
    for (kind, rows) in [
        ("locations", 3),
        ("parameters", 26),
        ("devices", 27),
        ("names", 1),
    ] {
        let f = work.path().join(format!(
            "output/monthly/kl/parts/metadata/{kind}/01691/monatswerte_KL_01691_18570101_20171231_hist.zip.parquet"
        ));
        let r = parquet::file::serialized_reader::SerializedFileReader::new(
            std::fs::File::open(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display())),
        )
        .unwrap();
        assert_eq!(r.metadata().file_metadata().num_rows(), rows, "{kind}");
    }
    // the 10-minute solar data zips (recent, now) convert; so does its metadata zip,
    // which the data files' time reference comes from (the zip for station 44's
    // 10-minute air temperature does not exist: the period decides)
    let kv = key_values(&work.path().join(
        "output/10_minutes/solar/parts/recent/01766/10minutenwerte_SOLAR_01766_akt.zip.parquet",
    ));
    assert_eq!(kv["time_reference_basis"], "Metadaten_Parameter");
    for f in [
        "parts/recent/01766/10minutenwerte_SOLAR_01766_akt.zip.parquet",
        "parts/now/01766/10minutenwerte_SOLAR_01766_now.zip.parquet",
        "series/01766.parquet",
    ] {
        assert!(
            work.path().join("output/10_minutes/solar").join(f).exists(),
            "{f}"
        );
    }
    assert!(
        work.path()
            .join("output/10_minutes/solar/parts/metadata/devices/01766/Meta_Daten_zehn_min_sd_01766.zip.parquet")
            .exists()
    );
}

/// The Parquet key-value metadata of a file.
pub(crate) fn key_values(path: &Path) -> std::collections::HashMap<String, String> {
    use parquet::file::reader::FileReader;
    let r = parquet::file::serialized_reader::SerializedFileReader::new(
        std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap();
    r.metadata()
        .file_metadata()
        .key_value_metadata()
        .unwrap()
        .iter()
        .map(|k| (k.key.clone(), k.value.clone().unwrap_or_default()))
        .collect()
}

#[test]
fn a_metadata_zip_given_beside_a_data_zip_decides_its_time_reference() {
    let work = tempfile::tempdir().unwrap();
    let zip = data("dwd/10_minutes/solar/recent/10minutenwerte_SOLAR_01766_akt.zip");
    let meta = data("dwd/10_minutes/solar/meta_data/Meta_Daten_zehn_min_sd_01766.zip");
    for (args, basis) in [
        (vec![zip.clone()], "period"),
        (vec![meta.clone(), zip.clone()], "Metadaten_Parameter"),
    ] {
        let out = crate::util::climastation(work.path())
            .args(["convert", "-o", "out"])
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let kv = key_values(
            &work
                .path()
                .join("out/10minutenwerte_SOLAR_01766_akt.zip.parquet"),
        );
        assert_eq!(
            (
                kv["time_reference"].as_str(),
                kv["time_reference_basis"].as_str()
            ),
            ("UTC", basis),
            "{args:?}"
        );
    }
}

#[test]
fn translation_tables_from_config_layer_over_the_embedded_ones() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("my-translations");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("parameters.yaml"),
        "10_minutes/air_temperature:\n  TT_10: {name: t2m, unit: °C, de: Lufttemperatur, en: air temperature}\n",
    )
    .unwrap();
    crate::util::succeeds(
        crate::util::climastation(work.path())
            .env("CLIMASTATION_PATHS__TRANSLATIONS", &dir)
            .args(["convert", "--format", "jsonl", "-o", "out"])
            .arg(data(
                "fixtures/produkt_zehn_now_tu_20250625_20250625_00044.txt",
            )),
    );
    let first = jsonl(
        &work
            .path()
            .join("out/produkt_zehn_now_tu_20250625_20250625_00044.txt.jsonl"),
    )
    .remove(0);
    assert_eq!(first["t2m"], 16.6, "renamed by the override");
    assert_eq!(first["humidity"], 98.9, "the rest as embedded");
    // a folder without tables is a configuration error, named
    let out = crate::util::climastation(work.path())
        .env(
            "CLIMASTATION_PATHS__TRANSLATIONS",
            work.path().join("nowhere"),
        )
        .args(["convert", "-o", "out"])
        .arg(data(
            "fixtures/produkt_zehn_now_tu_20250625_20250625_00044.txt",
        ))
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nowhere"));
}

#[test]
fn a_dataset_run_merges_its_station_lists_into_stations_parquet() {
    let work = tempfile::tempdir().unwrap();
    crate::util::succeeds(&mut dwd_run(
        work.path(),
        data("dwd"),
        &["--dataset", "10_minutes/air_temperature"],
    ));
    use arrow_array::cast::AsArray;
    let root = work.path().join("output/10_minutes/air_temperature");
    let read = |p: &Path| {
        let f = std::fs::File::open(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(f)
            .unwrap()
            .build()
            .unwrap()
            .map(Result::unwrap)
            .collect::<Vec<_>>()
    };
    let rows = |p: &Path| read(p).iter().map(|b| b.num_rows()).sum::<usize>();
    // the historical list has all 522 stations, the now list (an excerpt) 16 of them
    assert_eq!(rows(&root.join("parts/historical/stations.parquet")), 522);
    assert_eq!(rows(&root.join("parts/now/stations.parquet")), 16);
    let merged = read(&root.join("stations.parquet"));
    assert_eq!(merged.iter().map(|b| b.num_rows()).sum::<usize>(), 522);
    let b = &merged[0];
    let ids = b
        .column_by_name("station_id")
        .unwrap()
        .as_primitive::<arrow_array::types::UInt32Type>();
    let names = b.column_by_name("name").unwrap().as_string::<i32>();
    let to = b
        .column_by_name("last_date")
        .unwrap()
        .as_primitive::<arrow_array::types::Date32Type>();
    let i44 = (0..b.num_rows()).find(|i| ids.value(*i) == 44).unwrap();
    assert_eq!(names.value(i44), "Großenkneten");
    // 2025-07-12 (the now list) is later than 2025-07-10 (the historical one)
    let days = |y, m, d| {
        jiff::civil::Date::new(y, m, d)
            .unwrap()
            .since(jiff::civil::Date::new(1970, 1, 1).unwrap())
            .unwrap()
            .get_days()
    };
    assert_eq!(to.value(i44), days(2025, 7, 12));
    assert!(
        ids.values().windows(2).all(|w| w[0] < w[1]),
        "one row a station, by id"
    );
    // and the metadata of the dataset's files, merged: station 3's devices
    assert_eq!(rows(&root.join("metadata/devices.parquet")), 4);
    assert_eq!(rows(&root.join("metadata/parameters.parquet")), 15);
}

/// Bad data through `run --processor dwd`: the file fails with its reason
/// (file, line, column), the good one completes, nothing half-written stays.
#[test]
fn a_bad_value_fails_its_file_by_line_and_column_and_the_rest_completes() {
    use std::io::Write as _;
    let work = tempfile::tempdir().unwrap();
    let mirror = work.path().join("mirror/hourly/air_temperature/recent");
    std::fs::create_dir_all(&mirror).unwrap();
    std::fs::copy(
        data("dwd/hourly/air_temperature/recent/stundenwerte_TU_00320_akt.zip"),
        mirror.join("stundenwerte_TU_00320_akt.zip"),
    )
    .unwrap();
    let text = "STATIONS_ID;MESS_DATUM;QN_9;TT_TU;RF_TU;eor\r\n        321;2018091500;    3;  13.7;  96.0;eor\r\n        321;2018091501;    3;  1x.5;  96.0;eor\r\n";
    let mut zip = zip::ZipWriter::new(
        std::fs::File::create(mirror.join("stundenwerte_TU_00321_akt.zip")).unwrap(),
    );
    zip.start_file(
        "produkt_tu_stunde_20180915_20200317_00321.txt",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    zip.write_all(text.as_bytes()).unwrap();
    zip.finish().unwrap();
    let out = crate::util::climastation(work.path())
        .env("CLIMASTATION_SOURCE__BASE_URL", work.path().join("mirror"))
        .env("CLIMASTATION_PATHS__RAW", "raw")
        .env("CLIMASTATION_PATHS__OUTPUT", "output")
        .args([
            "--json",
            "run",
            "--crawl",
            "--keep-going",
            "--processor",
            "dwd",
            "--dataset",
            "hourly/air_temperature",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ds = &report["datasets"][0];
    assert_eq!(ds["completed"], 1);
    let failed = ds["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["path"], "recent/stundenwerte_TU_00321_akt.zip");
    assert_eq!(failed[0]["kind"], "permanent");
    let message = failed[0]["message"].as_str().unwrap();
    assert!(
        message.ends_with(
            "stundenwerte_TU_00321_akt.zip:produkt_tu_stunde_20180915_20200317_00321.txt: line 3, column TT_TU: \"1x.5\" is not a number"
        ),
        "{message}"
    );
    let out_dir = work
        .path()
        .join("output/hourly/air_temperature/parts/recent");
    assert!(
        out_dir
            .join("00320/stundenwerte_TU_00320_akt.zip.parquet")
            .exists()
    );
    assert!(
        !out_dir.join("00321").exists(),
        "no output for the bad file"
    );
}

#[test]
fn run_writes_csv_when_asked() {
    let work = tempfile::tempdir().unwrap();
    crate::util::succeeds(&mut dwd_run(
        work.path(),
        data("dwd"),
        &["--format", "csv", "--dataset", "10_minutes/air_temperature"],
    ));
    let root = work.path().join("output/10_minutes/air_temperature");
    let data =
        std::fs::read_to_string(root.join("parts/now/00044/10minutenwerte_TU_00044_now.zip.csv"))
            .unwrap();
    let mut lines = data.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("station_id,timestamp_utc,time_local,time_reference,quality,")
    );
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("44,2025-06-25T00:00:00Z,2025-06-25T00:00:00,UTC,3,,16.6,")
    );
    assert_eq!(data.lines().count(), 103);
    let stations = std::fs::read_to_string(root.join("stations.csv")).unwrap();
    assert_eq!(stations.lines().count(), 523, "header + 522 stations");
    assert!(
        root.join("parts/metadata/devices/00003/Meta_Daten_zehn_min_tu_00003.zip.csv")
            .exists()
    );
    assert!(!root.join("stations.parquet").exists());
}

/// A corrupt metadata zip fails on its own claim; the data files of its
/// station still complete, their time reference by the period rule.
#[test]
fn a_corrupt_metadata_zip_fails_alone_and_the_data_still_convert() {
    let work = tempfile::tempdir().unwrap();
    let mirror = work.path().join("mirror/10_minutes/solar");
    for (dir, name) in [
        ("recent", "10minutenwerte_SOLAR_01766_akt.zip"),
        ("meta_data", "Meta_Daten_zehn_min_sd_01766.zip"),
    ] {
        std::fs::create_dir_all(mirror.join(dir)).unwrap();
        std::fs::copy(
            data(&format!("dwd/10_minutes/solar/{dir}/{name}")),
            mirror.join(dir).join(name),
        )
        .unwrap();
    }
    std::fs::write(
        mirror.join("meta_data/Meta_Daten_zehn_min_sd_01766.zip"),
        b"PK\x03\x04 not a zip",
    )
    .unwrap();
    let out = dwd_run(
        work.path(),
        work.path().join("mirror"),
        &["--json", "--keep-going", "--dataset", "10_minutes/solar"],
    )
    // a corrupt download is retried (it may be a broken transfer): once is enough here
    .env("CLIMASTATION_PROCESSING__MAX_ATTEMPTS", "1")
    .output()
    .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ds = &report["datasets"][0];
    assert_eq!(ds["completed"], 1, "{report}");
    assert_eq!(
        ds["failed"][0]["path"],
        "meta_data/Meta_Daten_zehn_min_sd_01766.zip"
    );
    let kv = key_values(&work.path().join(
        "output/10_minutes/solar/parts/recent/01766/10minutenwerte_SOLAR_01766_akt.zip.parquet",
    ));
    assert_eq!(kv["time_reference_basis"], "period");
}
