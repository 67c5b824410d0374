//! The DWD catalog through the command: `datasets` lists every dataset
//! with its parameters; an unknown dataset name is refused (exit 2, the
//! closest names suggested) wherever one is accepted; a zip whose name
//! says nothing finds its dataset from its `produkt*` member.

use std::path::Path;

use crate::util::{climastation, succeeds};

#[test]
fn datasets_lists_every_catalog_dataset_with_its_parameters() {
    let work = tempfile::tempdir().unwrap();
    let out = succeeds(climastation(work.path()).args(["--json", "datasets"]));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let listed = v["datasets"].as_array().unwrap();
    let names: Vec<&str> = listed.iter().map(|d| d["name"].as_str().unwrap()).collect();
    let catalog: Vec<&str> = dwd_catalog::all().iter().map(|d| d.name).collect();
    assert_eq!(names, catalog);
    assert!(names.len() >= 50, "{}", names.len());
    for d in listed {
        let params = d["parameters"].as_array().unwrap();
        if d["converted"] == true {
            assert!(!params.is_empty(), "{d}");
            for p in params {
                for key in ["code", "name", "unit", "description_en", "description_de"] {
                    assert!(p[key].as_str().is_some_and(|s| !s.is_empty()), "{d} {p}");
                }
            }
        } else {
            assert!(d["not_converted_reason"].as_str().is_some(), "{d}");
        }
    }
    let cloud = listed
        .iter()
        .find(|d| d["name"] == "hourly/cloud_type")
        .unwrap();
    let csa = cloud["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == "V_S1_CSA")
        .unwrap();
    assert_eq!(csa["kind"], "text");
    assert_eq!(
        cloud["periods"],
        serde_json::json!(["historical", "recent"])
    );
    // what a value is, per parameter: a subdaily term reading, a daily mean
    let param = |dataset: &str, code: &str| {
        listed
            .iter()
            .find(|d| d["name"] == dataset)
            .and_then(|d| d["parameters"].as_array())
            .and_then(|ps| ps.iter().find(|p| p["code"] == code))
            .cloned()
            .unwrap_or_else(|| panic!("{dataset} {code}"))
    };
    let tt_ter = param("subdaily/air_temperature", "TT_TER");
    assert_eq!(
        (
            &tt_ter["statistic"],
            &tt_ter["span"],
            &tt_ter["cell_methods"]
        ),
        (&"point".into(), &"instant".into(), &"time: point".into())
    );
    let tmk = param("daily/kl", "TMK");
    assert_eq!(tmk["cell_methods"], "time: mean (interval: 1 day)");
    assert_eq!(tmk["standard_name"], "air_temperature");
    assert_eq!(
        param("daily/kl", "QN_4")["statistic"],
        serde_json::Value::Null
    );
    // the plain listing names each dataset too, each value with its statistic
    let text = succeeds(climastation(work.path()).args(["datasets", "--resolution", "subdaily"]));
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("subdaily/air_temperature"), "{text}");
    assert!(
        text.contains("TT_TER=temperature_air_2m [°C; point] (was temperature_air_mean_2m)"),
        "{text}"
    );
    assert!(text.contains("not converted"), "{text}");
    assert!(!text.contains("hourly/"), "{text}");
}

#[test]
fn an_unknown_dataset_exits_2_with_the_closest_names() {
    let work = tempfile::tempdir().unwrap();
    for args in [
        &["run", "--dataset", "hourly/cloud_typ"][..],
        &["status", "--dataset", "hourly/cloud_typ"][..],
        &["crawl", "--dataset", "hourly/cloud_typ", "--source", "."][..],
    ] {
        let out = climastation(work.path()).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("unknown dataset \"hourly/cloud_typ\""),
            "{err}"
        );
        assert!(err.contains("did you mean hourly/cloud_type"), "{err}");
    }
    // in the configuration file
    std::fs::write(
        work.path().join("c.yaml"),
        "datasets:\n  - name: daily/kll\n",
    )
    .unwrap();
    let out = climastation(work.path())
        .args(["--config", "c.yaml", "status"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("invalid value for datasets"), "{err}");
    assert!(err.contains("did you mean daily/kl"), "{err}");
    // the resolution filter of `datasets`
    let out = climastation(work.path())
        .args(["datasets", "--resolution", "weekly"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// A data zip renamed so its name says nothing still converts with English
/// names: its dataset comes from the `produkt*` member inside.
#[test]
fn a_renamed_zip_finds_its_dataset_from_its_member() {
    let work = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/dwd/hourly/cloud_type/recent/stundenwerte_CS_00044_akt.zip");
    let renamed = work.path().join("download (3).zip");
    std::fs::copy(src, &renamed).unwrap();
    succeeds(
        climastation(work.path())
            .args(["convert", "--format", "csv", "-o", "out"])
            .arg(&renamed),
    );
    let csv = std::fs::read_to_string(work.path().join("out/download (3).zip.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    assert!(
        header.contains("cloud_type_layer1_abbreviation"),
        "{header}"
    );
    assert!(header.contains("cloud_cover_total"), "{header}");
    assert!(csv.contains(",SC,"), "{csv}");
}
