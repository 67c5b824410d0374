//! `climastation values` through the binary, on the synthetic mirror whose
//! station list is known: stations 3, 10 and 17 at (47.5, 6.0), (47.6, 6.1)
//! and (47.7, 6.2), 44 m... heights -0 (0 m), 23 m and 26 m.

use std::process::Output;

use serde_json::Value;

use crate::fault_matrix::{Lab, stderr};
use crate::fixtures::DATASET;

fn values(lab: &Lab, args: &[&str]) -> Output {
    lab.cli(
        &[
            &[
                "values",
                "--resolution",
                "10_minutes",
                "--format",
                "jsonl",
                "-o",
                "v.jsonl",
            ],
            args,
        ]
        .concat(),
        &[],
    )
}

fn rows(lab: &Lab) -> Vec<Value> {
    std::fs::read_to_string(lab.work.path().join("v.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn values_at_a_station_and_between_stations() {
    let lab = Lab::new(3, 200);
    let (o, _) = lab.run(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let t = "temperature_air_2m";

    // at station 3's place: its own value, 0 km, nearest
    let o = values(&lab, &["--at", "47.5,6.0", "--parameters", t]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let at3 = rows(&lab);
    assert!(!at3.is_empty());
    let with_value: Vec<&Value> = at3.iter().filter(|r| !r[t].is_null()).collect();
    assert!(with_value.len() > at3.len() / 2, "most times have a value");
    for r in &at3 {
        let stations = r[format!("{t}_stations")]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if r[t].is_null() {
            assert_eq!(r[format!("{t}_count")], 0, "{r}");
            assert_eq!(r[format!("{t}_method")], "none");
            continue;
        }
        assert_eq!(r[format!("{t}_method")], "nearest", "{r}");
        assert_eq!(r[format!("{t}_count")], 1);
        // station 3 when it has a value; else the next station, farther
        let d = r[format!("{t}_distances_km")][0].as_f64().unwrap();
        if stations[0] == 3 {
            assert!(d < 1e-6, "{r}");
        } else {
            assert!(d > 10.0, "{r}");
        }
    }
    assert!(
        with_value
            .iter()
            .any(|r| r[format!("{t}_stations")] == serde_json::json!([3]))
    );

    // half way between 3 and 10 (about 6.7 km from each), idw: 3 stations
    // within 40 km, weights summing to 1, the value between theirs
    let o = values(
        &lab,
        &[
            "--at",
            "47.55,6.05,500",
            "--method",
            "idw",
            "--parameters",
            t,
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let mid = rows(&lab);
    let full: Vec<&Value> = mid
        .iter()
        .filter(|r| r[format!("{t}_count")] == 3)
        .collect();
    assert!(!full.is_empty(), "no time with all three stations");
    for r in full {
        assert_eq!(r[format!("{t}_method")], "idw");
        let w: Vec<f64> = r[format!("{t}_weights")]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_f64().unwrap())
            .collect();
        assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{r}");
        // 3 and 10 are equally near: equal weights, larger than 17's
        assert!((w[0] - w[1]).abs() < 1e-3 && w[2] < w[0], "{r}");
        assert_eq!(r["height_m"], 500.0);
    }

    // CSV: the lists as text
    let o = lab.cli(
        &[
            "values",
            "--resolution",
            "10_minutes",
            "--at",
            "47.55,6.05",
            "--method",
            "idw",
            "--parameters",
            t,
            "--format",
            "csv",
            "-o",
            "v.csv",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let csv = std::fs::read_to_string(lab.work.path().join("v.csv")).unwrap();
    assert!(csv.lines().nth(1).is_some_and(|l| l.contains(";")), "{csv}");
}

#[test]
fn values_refuse_bad_input_by_name() {
    let lab = Lab::new(3, 50);
    let (o, _) = lab.run(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let t = "temperature_air_2m";
    std::fs::write(lab.work.path().join("bad.csv"), "id,lat,lon\nx,1,2\n").unwrap();
    for (args, says) in [
        (&["--at", "95,6", "--parameters", t][..], "--at"),
        (&["--at", "47.5", "--parameters", t][..], "--at"),
        (&["--parameters", t][..], "--at: give a place"),
        (&["--parameters", t][..], "--points"),
        (
            &["--at", "47.5,6", "--parameters", "no_such"][..],
            "no_such",
        ),
        (
            &[
                "--at",
                "47.5,6",
                "--parameters",
                t,
                "--from",
                "2021",
                "--to",
                "2020",
            ][..],
            "--to",
        ),
        (
            &[
                "--at",
                "47.5,6",
                "--parameters",
                t,
                "--max-distance-km",
                "-3",
            ][..],
            "--max-distance-km",
        ),
        (
            &["--points", "bad.csv", "--parameters", t][..],
            "id,latitude,longitude",
        ),
    ] {
        let o = values(&lab, args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
        assert!(!lab.work.path().join("v.jsonl").exists(), "{args:?}");
    }
    // points from a file
    std::fs::write(
        lab.work.path().join("pts.csv"),
        "id,latitude,longitude,height_m\nleft,47.5,6.0,10\nright,47.7,6.2,\n",
    )
    .unwrap();
    let o = values(&lab, &["--points", "pts.csv", "--parameters", t]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let ids: std::collections::BTreeSet<String> = rows(&lab)
        .iter()
        .map(|r| r["point_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.into_iter().collect::<Vec<_>>(), ["left", "right"]);
    let _ = DATASET;
}

/// `export --at` writes what `values` writes.
#[test]
fn export_at_is_values() {
    let lab = Lab::new(3, 50);
    let (o, _) = lab.run(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let args = |cmd: &str, out: &str| -> Vec<String> {
        [
            cmd,
            "--resolution",
            "10_minutes",
            "--at",
            "47.55,6.05",
            "--method",
            "idw",
            "--parameters",
            "temperature_air_2m,humidity",
            "--format",
            "csv",
            "-o",
            out,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    for (cmd, out) in [("values", "a.csv"), ("export", "b.csv")] {
        let a = args(cmd, out);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let o = lab.cli(&a, &[]);
        assert_eq!(o.status.code(), Some(0), "{cmd}: {}", stderr(&o));
    }
    let read = |n: &str| std::fs::read(lab.work.path().join(n)).unwrap();
    assert_eq!(read("a.csv"), read("b.csv"));
    assert!(read("a.csv").len() > 100);
}
