#![allow(clippy::unwrap_used, clippy::expect_used, clippy::result_large_err)]

use figment::providers::{Format, Yaml};
use figment::{Figment, Jail};

use super::*;
use std::path::Path;
use std::time::Duration;

fn sources(jail: &Jail, user: Option<&str>) -> Sources {
    Sources {
        base_file: Some(jail.directory().join(BASE_CONFIG)),
        user_file: user.map(|u| jail.directory().join(u)),
        env: true,
    }
}

fn load_err(jail: &Jail, user: Option<&str>) -> String {
    load(&sources(jail, user)).unwrap_err().to_string()
}

#[test]
fn base_config_file_states_the_compiled_defaults() {
    let text = include_str!("../../../config/base_config.yaml");
    let parsed: RawConfig = Figment::from(Yaml::string(text)).extract().unwrap();
    assert_eq!(parsed, RawConfig::default());
}

#[test]
fn defaults_alone_give_the_users_limits() {
    let c = load(&Sources::default()).unwrap();
    assert_eq!(c.processing.workers, 4);
    assert_eq!(c.processing.memory_limit_mb_per_worker, 512);
    assert_eq!(c.processing.memory_limit_mb_total, 2048);
    assert!(c.processing.fail_fast);
    assert_eq!(
        c.paths.progress_db,
        PathBuf::from("data/progress_tracking.db")
    );
    assert_eq!(
        c.datasets,
        [DatasetConfig {
            name: "10_minutes/air_temperature".into(),
            manifest: None
        }]
    );
}

#[test]
fn layers_override_in_order() {
    Jail::expect_with(|jail| {
        jail.create_dir("config")?;
        jail.create_file(BASE_CONFIG, "processing:\n  workers: 2\n  claim_batch: 5\n")?;
        jail.create_file(
            "user.yaml",
            "processing:\n  workers: 3\nlogging:\n  format: json\n",
        )?;
        jail.set_env("CLIMASTATION_PROCESSING__CLAIM_BATCH", "7");
        jail.set_env("CLIMASTATION_PATHS__PROGRESS_DB", "/tmp/x.db");
        let c = load(&sources(jail, Some("user.yaml"))).unwrap();
        assert_eq!(c.processing.workers, 3, "user file beats base file");
        assert_eq!(c.processing.claim_batch, 7, "environment beats files");
        assert_eq!(c.logging.format, LogFormat::Json);
        assert_eq!(c.paths.progress_db, PathBuf::from("/tmp/x.db"));
        assert_eq!(
            c.processing.lease,
            Duration::from_secs(300),
            "untouched default"
        );
        Ok(())
    });
}

#[test]
fn an_unknown_key_is_named_with_its_file() {
    Jail::expect_with(|jail| {
        jail.create_file("user.yaml", "processing:\n  wrokers: 3\n")?;
        let e = load_err(jail, Some("user.yaml"));
        assert!(e.contains("wrokers") && e.contains("user.yaml"), "{e}");
        Ok(())
    });
}

#[test]
fn a_wrong_type_is_named_with_key_and_file() {
    Jail::expect_with(|jail| {
        jail.create_file("user.yaml", "processing:\n  workers: four\n")?;
        let e = load_err(jail, Some("user.yaml"));
        assert!(
            e.contains("processing.workers") && e.contains("user.yaml"),
            "{e}"
        );
        Ok(())
    });
}

#[test]
fn workers_out_of_range_names_the_variable() {
    Jail::expect_with(|jail| {
        jail.set_env("CLIMASTATION_PROCESSING__WORKERS", "0");
        let e = load_err(jail, None);
        assert!(e.contains("processing.workers"), "{e}");
        assert!(e.contains("CLIMASTATION_PROCESSING__WORKERS"), "{e}");
        Ok(())
    });
}

#[test]
fn total_memory_below_workers_times_per_worker_is_refused() {
    Jail::expect_with(|jail| {
        jail.create_file("user.yaml", "processing:\n  workers: 8\n")?;
        let e = load_err(jail, Some("user.yaml"));
        assert!(
            e.contains("memory_limit_mb_total") && e.contains("8 × 512"),
            "{e}"
        );
        Ok(())
    });
}

#[test]
fn a_broken_yaml_file_is_named() {
    Jail::expect_with(|jail| {
        jail.create_file("user.yaml", "processing: [workers: 3\n")?;
        let e = load_err(jail, Some("user.yaml"));
        assert!(e.contains("user.yaml"), "{e}");
        Ok(())
    });
}

#[test]
fn a_missing_user_file_is_an_error() {
    Jail::expect_with(|jail| {
        let e = load_err(jail, Some("nope.yaml"));
        assert!(
            e.contains("nope.yaml") && e.contains("does not exist"),
            "{e}"
        );
        Ok(())
    });
}

#[test]
fn bad_levels_and_formats_are_refused() {
    Jail::expect_with(|jail| {
        jail.set_env("CLIMASTATION_LOGGING__LEVEL", "loud");
        let e = load_err(jail, None);
        assert!(
            e.contains("logging.level") && e.contains("CLIMASTATION_LOGGING__LEVEL"),
            "{e}"
        );
        jail.set_env("CLIMASTATION_LOGGING__LEVEL", "info,tracker_sqlite=debug");
        assert!(load(&sources(jail, None)).is_ok());
        jail.set_env("CLIMASTATION_LOGGING__FORMAT", "xml");
        let e = load_err(jail, None);
        assert!(e.contains("xml") && e.contains("logging.format"), "{e}");
        Ok(())
    });
}

#[test]
fn datasets_are_validated_and_disabled_ones_skipped() {
    Jail::expect_with(|jail| {
        jail.create_file(
            "user.yaml",
            "datasets:\n  - name: hourly/air_temperature\n    manifest: m.txt\n  - name: daily/kl\n    enabled: false\n",
        )?;
        let c = load(&sources(jail, Some("user.yaml"))).unwrap();
        let expected = DatasetConfig {
            name: "hourly/air_temperature".into(),
            // relative to the file that names it
            manifest: Some(jail.directory().join("m.txt")),
        };
        assert_eq!(c.datasets, [expected]);
        jail.create_file("bad.yaml", "datasets:\n  - name: ../etc\n")?;
        let e = load_err(jail, Some("bad.yaml"));
        assert!(e.contains("datasets") && e.contains("bad.yaml"), "{e}");
        Ok(())
    });
}

#[test]
fn relative_paths_in_a_config_file_are_relative_to_its_folder() {
    Jail::expect_with(|jail| {
        jail.create_dir("config")?;
        jail.create_dir("jobs")?;
        jail.create_file(BASE_CONFIG, "paths:\n  logs: base-logs\n")?;
        jail.create_file(
            "jobs/leipzig.yaml",
            "paths:\n  data_dir: out\n  raw: /abs/raw\nsource:\n  base_url: ../mirror\n",
        )?;
        jail.set_env("CLIMASTATION_PATHS__OUTPUT", "env-output");
        let c = load(&sources(jail, Some("jobs/leipzig.yaml"))).unwrap();
        let jobs = jail.directory().join("jobs");
        assert_eq!(c.paths.data_dir, jobs.join("out"), "the user file's folder");
        assert_eq!(c.paths.raw, PathBuf::from("/abs/raw"), "absolute stays");
        assert_eq!(
            c.source.base_url,
            jobs.join("../mirror").to_string_lossy(),
            "a local mirror is a path"
        );
        assert_eq!(
            c.paths.output,
            PathBuf::from("env-output"),
            "environment: working directory"
        );
        assert_eq!(
            c.paths.logs,
            PathBuf::from("base-logs"),
            "base file: working directory"
        );
        assert_eq!(
            c.paths.progress_db,
            PathBuf::from("data/progress_tracking.db"),
            "defaults too"
        );
        // an http root is not a path
        jail.create_file(
            "jobs/http.yaml",
            "source:\n  base_url: https://example.org/climate/\n",
        )?;
        let c = load(&sources(jail, Some("jobs/http.yaml"))).unwrap();
        assert_eq!(c.source.base_url, "https://example.org/climate/");
        Ok(())
    });
}

#[test]
fn selection_and_processor_are_validated_with_their_key() {
    Jail::expect_with(|jail| {
        jail.create_file(
            "user.yaml",
            "selection:\n  stations: [44, \"03987\"]\n  near: \"51.34,12.37\"\n  radius_km: 50\n  from: 1990\n  to: 2020-12-31\n  periods: historical\n",
        )?;
        let c = load(&sources(jail, Some("user.yaml"))).unwrap();
        assert_eq!(
            c.processing.processor,
            crate::ProcessorKind::Dwd,
            "the default"
        );
        let s = c.selection.selection().unwrap();
        assert_eq!(s.stations.iter().copied().collect::<Vec<_>>(), [44, 3987]);
        assert_eq!(s.near.unwrap().radius_km, 50.0);
        assert_eq!(s.from.unwrap().to_string(), "1990-01-01");
        assert_eq!(s.to.unwrap().to_string(), "2020-12-31");
        assert_eq!(s.periods, [dwd_catalog::Period::Historical]);
        jail.create_file("bad.yaml", "selection:\n  bbox: \"13,51,12,52\"\n")?;
        let e = load_err(jail, Some("bad.yaml"));
        assert!(
            e.contains("selection.bbox \"13,51,12,52\"") && e.contains("bad.yaml"),
            "{e}"
        );
        jail.set_env("CLIMASTATION_PROCESSING__PROCESSOR", "convert");
        let e = load_err(jail, None);
        assert!(
            e.contains("processing.processor") && e.contains("CLIMASTATION_PROCESSING__PROCESSOR"),
            "{e}"
        );
        Ok(())
    });
}

#[test]
fn variables_without_a_section_are_not_configuration() {
    Jail::expect_with(|jail| {
        jail.set_env("CLIMASTATION_BIN", "/usr/local/bin/climastation");
        jail.set_env("CLIMASTATION_HOME", "/srv");
        assert!(load(&sources(jail, None)).is_ok());
        jail.set_env("CLIMASTATION_PROCESING__WORKERS", "2");
        let e = load_err(jail, None);
        assert!(e.contains("procesing"), "{e}");
        Ok(())
    });
}

#[test]
fn the_values_section_has_defaults_layers_and_checks() {
    Jail::expect_with(|jail| {
        let c = load(&Sources::default()).unwrap();
        assert_eq!(
            c.values,
            Values {
                max_distance_km: None,
                k: 4,
                near_km: 1.0,
                lapse_k_per_km: -6.5
            }
        );
        jail.create_file("user.yaml", "values:\n  max_distance_km: 25\n  k: 6\n")?;
        let c = load(&sources(jail, Some("user.yaml"))).unwrap();
        assert_eq!((c.values.max_distance_km, c.values.k), (Some(25.0), 6));
        jail.set_env("CLIMASTATION_VALUES__K", "0");
        let e = load_err(jail, Some("user.yaml"));
        assert!(
            e.contains("values.k") && e.contains("CLIMASTATION_VALUES__K"),
            "{e}"
        );
        Ok(())
    });
}

#[test]
fn a_new_data_dir_takes_the_paths_under_the_old_one_along() {
    let c = load(&Sources::default())
        .unwrap()
        .with_data_dir(Path::new("/srv/dwd"));
    assert_eq!(c.paths.data_dir, PathBuf::from("/srv/dwd"));
    assert_eq!(
        c.paths.progress_db,
        PathBuf::from("/srv/dwd/progress_tracking.db")
    );
    assert_eq!(c.paths.raw, PathBuf::from("/srv/dwd/raw"));
    assert_eq!(c.paths.output, PathBuf::from("/srv/dwd/output"));
    assert_eq!(c.logging.directory, PathBuf::from("/srv/dwd/logs"));
    let mut elsewhere = load(&Sources::default()).unwrap();
    elsewhere.paths.raw = PathBuf::from("/mnt/big/raw");
    let moved = elsewhere.with_data_dir(Path::new("/srv/dwd"));
    assert_eq!(
        moved.paths.raw,
        PathBuf::from("/mnt/big/raw"),
        "a path set elsewhere stays"
    );
}

#[test]
fn a_tile_server_is_off_by_default_and_checked_when_given() {
    Jail::expect_with(|jail| {
        assert_eq!(load(&Sources::default()).unwrap().serve.tiles, None);
        jail.create_file(
            "user.yaml",
            "serve:\n  tile_url: https://tile.openstreetmap.org/{z}/{x}/{y}.png\n  tile_attribution: \"© OpenStreetMap contributors\"\n",
        )?;
        let t = load(&sources(jail, Some("user.yaml")))
            .unwrap()
            .serve
            .tiles
            .unwrap();
        assert_eq!(t.origin, "https://tile.openstreetmap.org");
        assert_eq!(t.attribution, "© OpenStreetMap contributors");
        for bad in [
            "ftp://x.org/{z}/{x}/{y}.png",
            "https://x.org/tiles.png",
            "https://{s}.x.org/{z}/{x}/{y}.png",
        ] {
            jail.create_file("bad.yaml", &format!("serve:\n  tile_url: \"{bad}\"\n"))?;
            let e = load_err(jail, Some("bad.yaml"));
            assert!(e.contains("serve.tile_url"), "{bad}: {e}");
        }
        Ok(())
    });
}
