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
        "station_id,station_name,period,parameter,unit,month,value,source"
    );
    assert_eq!(lines.len(), 1 + 13, "{csv}");
    assert_eq!(
        lines[7],
        "3987,Potsdam,1961-1990,temperature_air_mean_2m,°C,7,17.9,51"
    );
    assert_eq!(
        lines[13],
        "3987,Potsdam,1961-1990,temperature_air_mean_2m,°C,,8.7,51"
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
        .map(|r| r["value"].as_f64().unwrap())
        .collect();
    assert_eq!(
        summer.last(),
        Some(&47.7),
        "Berlin-Dahlem's summer days a year"
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
            "climastation normals --period 1981-2010",
            "no normals of 1981-2010 under the output folder: run the dataset multi_annual/mean_81-10 first",
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
