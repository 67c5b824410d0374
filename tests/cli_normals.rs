//! DWD's climate normals (`multi_annual`): converted by README's sample job
//! from the real 1961-1990 files in `tests/data/dwd/multi_annual`, and
//! answered by `climastation normals` with DWD's own numbers.

use crate::cli_examples::{args_of, command, sample_run};

fn run(work: &std::path::Path, line: &str) -> std::process::Output {
    command(work, &args_of(line)).output().unwrap()
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn the_samples_normals_are_dwds_numbers() {
    let work = sample_run();
    let w = work.path();
    let out = w.join("data/output/multi_annual/mean_61-90/normals.parquet");
    assert!(out.is_file(), "the sample job writes {}", out.display());
    assert!(
        w.join("data/output/multi_annual/mean_61-90/stations.parquet")
            .is_file()
    );
    // and DuckDB's catalog has a view of them
    let catalog = std::fs::read_to_string(w.join("data/output/catalog.sql")).unwrap();
    assert!(
        catalog.contains(r#"CREATE OR REPLACE VIEW "multi_annual/mean_61-90/normals" AS SELECT * FROM read_parquet("#),
        "{catalog}"
    );

    // Potsdam (3987), DWD's line: -.8 .2 3.8 8.1 13.3 16.5 17.9 17.5 13.8 9.3 4.2 .7 | 8.7, source 51
    let o = run(
        w,
        "climastation normals --period 1961-1990 --station 3987 --parameters temperature_air_mean_2m --csv",
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let csv = stdout(&o);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "station_id,station_name,period,parameter,unit,month,value,source,location_rule"
    );
    assert_eq!(lines.len(), 1 + 13, "{csv}");
    assert_eq!(
        lines[7],
        "3987,Potsdam,1961-1990,temperature_air_mean_2m,°C,7,17.9,51,"
    );
    assert_eq!(
        lines[13],
        "3987,Potsdam,1961-1990,temperature_air_mean_2m,°C,,8.7,51,"
    );

    // by place, with names from DWD's list, and precipitation's sums
    let o = run(
        w,
        "climastation --json normals --period 1961-1990 --near 51.34,12.37 --radius 30",
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["stations"], 2, "Leipzig-Holzhausen and Leipzig/Halle");
    let rows = j["rows"].as_array().unwrap();
    let jan = |id: u64, p: &str| {
        rows.iter()
            .find(|r| r["station_id"] == id && r["parameter"] == p && r["month"] == 1)
            .map(|r| r["value"].clone())
    };
    assert_eq!(
        jan(2932, "precipitation_height"),
        Some(serde_json::json!(32.4))
    );
    assert_eq!(
        jan(2928, "temperature_air_mean_2m"),
        Some(serde_json::json!(-0.1))
    );
    assert!(
        j["meta"]["normals"]
            .as_str()
            .unwrap()
            .contains("Datenquelle")
    );
    assert_eq!(j["meta"]["unit.precipitation_height"], "mm");

    // 1991-2020: the source codes' meanings travel with the table
    let o = run(w, "climastation --json normals --station 403");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["period"], "1991-2020");
    assert!(
        j["meta"]["source.44"]
            .as_str()
            .unwrap()
            .contains("Stationsstandort")
    );
    let summer: Vec<f64> = j["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["parameter"] == "count_days_summer")
        .map(|r| r["value"].as_f64().unwrap())
        .collect();
    assert_eq!(
        summer.last(),
        Some(&47.7),
        "Berlin-Dahlem's summer days a year"
    );

    // README's two text tables are what the sample prints: Potsdam's
    // current normals, and Leipzig/Halle's older ones (DWD's older layout:
    // no source code, a `-` in its place)
    let readme = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"),
    )
    .unwrap();
    for line in [
        "climastation normals --period 1961-1990 --station 3987",
        "climastation normals --period 1981-2010 --obsolete --station 2932",
    ] {
        let o = run(w, line);
        assert_eq!(o.status.code(), Some(0), "{line}: {}", stderr(&o));
        let shown = stdout(&o);
        assert!(
            readme.contains(&format!("\n{line}\n")),
            "README does not show {line}"
        );
        assert!(
            readme.contains(&format!("```text\n{shown}```")),
            "README does not show what `{line}` prints:\n{shown}"
        );
    }
    let o = run(
        w,
        "climastation normals --period 1981-2010 --obsolete --station 2932 --csv",
    );
    assert!(
        stdout(&o)
            .lines()
            .any(|l| l == "2932,Leipzig/Halle,1981-2010,sunshine_duration,h,7,228.0,,fixed"),
        "{}",
        stdout(&o)
    );

    // an empty answer says why; wrong input names the option
    let o = run(
        w,
        "climastation normals --period 1961-1990 --station 99999 --csv",
    );
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o).lines().count(), 1, "the header stays");
    assert!(
        stderr(&o).contains("matches the selection"),
        "{}",
        stderr(&o)
    );
    for (line, says) in [
        (
            "climastation normals --period 1950-1980",
            "--period \"1950-1980\": DWD publishes normals for 1961-1990",
        ),
        (
            "climastation normals --period 1961-1990 --parameters humidity",
            "--parameters humidity: the normals of 1961-1990 have precipitation_height, temperature_air_mean_2m",
        ),
        (
            "climastation normals --period 1971-2000",
            "no normals of 1971-2000 under the output folder: run the dataset multi_annual/mean_71-00 first",
        ),
    ] {
        let o = run(w, line);
        assert_eq!(o.status.code(), Some(2), "{line}");
        assert!(stderr(&o).contains(says), "{line}: {}", stderr(&o));
    }

    // a damaged normals table is refused with the fix
    std::fs::write(&out, b"not parquet").unwrap();
    let o = run(w, "climastation normals --period 1961-1990");
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("climastation run --dataset multi_annual/mean_61-90"),
        "{}",
        stderr(&o)
    );
}

/// `--anomaly`: the value minus the station's normal of the row's month
/// (real monthly, daily and hourly series of the sample against DWD's real
/// 1961-1990 normals); sums only where they cover what the normal covers.
#[test]
fn anomalies_subtract_the_stations_normal_of_the_month() {
    let work = sample_run();
    let w = work.path();
    let csv = |line: &str, file: &str| {
        let mut args = args_of(line);
        args.extend(["-o".to_owned(), w.join(file).display().to_string()]);
        let o = command(w, &args).output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{line}: {}", stderr(&o));
        std::fs::read_to_string(w.join(file)).unwrap()
    };
    // Potsdam 2016, monthly: July 19.9 °C against 17.9, 58.6 mm against 52
    let t = csv(
        "climastation export --resolution monthly --station 3987 --from 2016-07-01 --to 2016-07-31 --parameters temperature_air_mean_2m,precipitation_height --anomaly 1961-1990 --format csv",
        "m.csv",
    );
    let mut lines = t.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    let cell = |name: &str| row[header.iter().position(|h| *h == name).unwrap()];
    assert_eq!(cell("temperature_air_mean_2m"), "19.9");
    assert_eq!(cell("temperature_air_mean_2m_anomaly"), "2.0");
    assert_eq!(cell("precipitation_height"), "58.6");
    assert_eq!(cell("precipitation_height_anomaly"), "6.6");

    // the same month against 1991-2020, whose normals the sample holds for
    // precipitation only: 58.6 mm against 76.2; the temperature gets no
    // anomaly column, and the metadata says why
    let t = csv(
        "climastation export --resolution monthly --station 3987 --from 2016-07-01 --to 2016-07-31 --parameters temperature_air_mean_2m,precipitation_height --anomaly 1991-2020 --format csv",
        "m91.csv",
    );
    assert_eq!(
        t,
        "station_id,timestamp_utc,kl_quality_general,temperature_air_mean_2m,kl_quality_precipitation,precipitation_height,precipitation_height_anomaly\n\
         3987,2016-07-01T00:00:00Z,3,19.9,3,58.6,-17.6\n"
    );
    crate::util::succeeds(&mut command(
        w,
        &args_of(
            "climastation export --resolution monthly --station 3987 --from 2016-07-01 --to 2016-07-31 --parameters temperature_air_mean_2m,precipitation_height --anomaly 1991-2020 --format parquet -o m91.parquet",
        ),
    ));
    let kv = crate::cli_convert::key_values(&w.join("m91.parquet"));
    let why = kv
        .get("no_anomaly.temperature_air_mean_2m")
        .map(String::as_str)
        .unwrap_or_default();
    assert!(
        why.contains("no 1991-2020 normal of temperature_air_mean_2m")
            && why.contains("precipitation_height"),
        "{kv:?}"
    );

    // Rostock-Warnemünde, daily: the day's mean against December's normal
    // (0.5 °C … 2.1 °C: January .5, December 2.1); no anomaly of a day's
    // precipitation sum against a month's
    let t = csv(
        "climastation export --resolution daily --station 4271 --to 2022-12-25 --parameters temperature_air_mean_2m,precipitation_height --anomaly 1961-1990 --format csv",
        "d.csv",
    );
    assert_eq!(
        t,
        "station_id,timestamp_utc,kl_quality_general,precipitation_height,temperature_air_mean_2m,temperature_air_mean_2m_anomaly\n\
         4271,2022-12-25T00:00:00Z,3,4.6,5.4,3.3\n"
    );

    // a reading (hourly, station 320 in September) against the mean's
    // normal (12.9 °C); the same at a place by idw with the height moved
    let t = csv(
        "climastation values --at 49.9,11.6,500 --method idw --resolution hourly --parameters temperature_air_2m --to 2018-09-15 --anomaly 1961-1990 --format csv",
        "v.csv",
    );
    let mut lines = t.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    let cell = |name: &str| row[header.iter().position(|h| *h == name).unwrap()];
    assert_eq!(cell("temperature_air_2m_stations"), "320");
    assert_eq!(
        cell("temperature_air_2m_anomaly"),
        "0.8",
        "13.7 - 12.9: {t}"
    );
    assert_ne!(
        cell("temperature_air_2m"),
        "13.7",
        "the value was moved to 500 m"
    );
}

/// The cross-check on real files: DWD's published 1961-1990 normals of
/// Potsdam and Göttingen against the means of the sample's own
/// `monthly/kl` series over the same 30 years (complete for both). DWD
/// homogenises temperatures (source 51) and fills gaps, so small
/// differences are expected; these are the sample's, as README shows them.
#[test]
fn published_normals_agree_with_our_monthly_series() {
    let work = sample_run();
    let layout = dwd_series::OutputLayout::new(work.path().join("data/output"));
    // a period's rows, and its table as `cargo xtask normals-check` prints it
    let cross_check = |period: dwd_catalog::ReferencePeriod| {
        let rows = dwd_series::normals::cross_check(&layout, period).unwrap();
        let names = dwd_series::export::stations(&layout, period.dataset())
            .unwrap()
            .into_iter()
            .map(|s| (s.info.id, s.info.name))
            .collect();
        let table = dwd_series::normals::cross_check_table(&rows, &names);
        (rows, table)
    };
    let check = |station_id, parameter: &str, source, max, mean| dwd_series::normals::CrossCheck {
        station_id,
        parameter: parameter.to_owned(),
        source: Some(source),
        complete_months: 12,
        max_difference: Some(max),
        mean_difference: Some(mean),
    };
    let readme = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"),
    )
    .unwrap();

    let (rows, table) = cross_check(dwd_catalog::ReferencePeriod::ALL[0]);
    assert_eq!(
        rows,
        [
            check(1691, "temperature_air_mean_2m", 51, (0.42, 5), 0.15),
            check(1691, "precipitation_height", 43, (2.33, 7), 0.0),
            check(3987, "temperature_air_mean_2m", 51, (-0.13, 3), -0.01),
            check(3987, "precipitation_height", 43, (-4.45, 5), -0.4),
        ]
    );
    // Potsdam's temperature: within 0.13 °C in every month
    assert!(rows[2].max_difference.unwrap().0.abs() < 0.2);
    // README shows this table (`cargo xtask normals-check`)
    assert!(
        readme.contains(&table),
        "README's cross-check table is not the sample's; it is:\n{table}"
    );

    // 1981-2010: DWD's precipitation normals (source 45) are the plain
    // means of the monthly sums, to rounding
    let (rows, table) = cross_check(dwd_catalog::ReferencePeriod::ALL[2]);
    assert_eq!(
        rows,
        [
            check(1691, "precipitation_height", 45, (-0.05, 1), -0.01),
            check(3987, "precipitation_height", 45, (-0.05, 4), -0.01),
        ]
    );
    assert!(
        readme.contains(&table),
        "README's 1981-2010 cross-check table is not the sample's; it is:\n{table}"
    );
}

/// DWD's older normals (`mean_81-10_obsolete`: the same tables at the
/// station's fixed and current place) are a dataset of their own, each row
/// with its `location_rule`; never mixed with the current normals. The
/// fixed place's table is DWD's real one (the older layout: no
/// `Datenquelle`, no line end after the last line); its `aktStandort` twin
/// is derived here from it, Leipzig/Halle's January one hour sunnier.
#[test]
fn older_normals_keep_their_location_rule_apart() {
    let work = crate::cli_examples::workplace();
    let w = work.path();
    let folder = w.join("mirror/multi_annual/mean_81-10_obsolete");
    std::fs::create_dir_all(&folder).unwrap();
    let real = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/dwd/multi_annual/mean_81-10_obsolete");
    for name in [
        "Sonnenscheindauer_1981-2010_festerStandort.txt",
        "Sonnenscheindauer_1981-2010_Stationsliste_festerStandort.txt",
    ] {
        std::fs::copy(real.join(name), folder.join(name)).unwrap();
    }
    let text = std::fs::read(real.join("Sonnenscheindauer_1981-2010_festerStandort.txt")).unwrap();
    let fixed = String::from_utf8_lossy(&text).into_owned();
    let line = "      2932;1981-2010;        59;";
    assert!(fixed.contains(line), "Leipzig/Halle's line changed");
    let current = fixed.replacen(line, "      2932;1981-2010;        60;", 1);
    std::fs::write(
        folder.join("Sonnenscheindauer_1981-2010_aktStandort.txt"),
        current,
    )
    .unwrap();
    let config = w.join("obsolete.yaml");
    std::fs::write(
        &config,
        format!(
            "source:\n  base_url: {}\ndatasets:\n  - name: multi_annual/mean_81-10_obsolete\n",
            w.join("mirror").display()
        ),
    )
    .unwrap();
    let c = config.display().to_string();
    crate::util::succeeds(&mut command(
        w,
        &args_of(&format!("climastation --config {c} run --crawl")),
    ));
    let o = run(
        w,
        &format!(
            "climastation --config {c} normals --period 1981-2010 --obsolete --station 2932 --csv"
        ),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let csv = stdout(&o);
    let january: Vec<&str> = csv
        .lines()
        .filter(|l| l.starts_with("2932,") && l.contains(",1,"))
        .collect();
    assert_eq!(
        january,
        [
            "2932,Leipzig/Halle,1981-2010,sunshine_duration,h,1,59.0,,fixed",
            "2932,Leipzig/Halle,1981-2010,sunshine_duration,h,1,60.0,,current",
        ],
        "{csv}"
    );
    // the year's fixed-place sum, as DWD's file gives it
    assert!(
        csv.lines()
            .any(|l| l == "2932,Leipzig/Halle,1981-2010,sunshine_duration,h,,1683.0,,fixed"),
        "{csv}"
    );
    // the current normals of the period are another dataset: not run here
    let o = run(
        w,
        &format!("climastation --config {c} normals --period 1981-2010"),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("run the dataset multi_annual/mean_81-10 first"));
    let o = run(
        w,
        &format!("climastation --config {c} normals --period 1991-2020 --obsolete"),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no older normals"), "{}", stderr(&o));
}
