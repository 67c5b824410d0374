//! The translation manager: German DWD parameter codes → English names,
//! units and descriptions (de and en), per dataset, and what quality levels
//! mean. The tables are the data files `config/translations/*.yaml`,
//! compiled in; a file of the same shape can be layered over them.
//! A code the tables do not know is kept under its own name, with a
//! warning: nothing is dropped silently.

pub mod table;

use std::collections::BTreeMap;
use std::path::Path;

use figment::Figment;
use figment::providers::{Format, Yaml};
use serde::Deserialize;

const PARAMETERS: &str = include_str!("../../../config/translations/parameters.yaml");
const QUALITY_LEVELS: &str = include_str!("../../../config/translations/quality_levels.yaml");

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parameter {
    /// English name, e.g. `temperature_air_mean_2m`.
    pub name: String,
    pub unit: String,
    /// German description.
    pub de: String,
    /// English description.
    pub en: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meaning {
    pub de: String,
    pub en: String,
}

#[derive(Debug, thiserror::Error)]
pub enum TranslateError {
    #[error("translation tables {source_name}: {message}")]
    Tables {
        source_name: String,
        message: String,
    },
    #[error("{file}: {message}")]
    Time { file: String, message: String },
}

/// A column as it will be written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    /// The DWD code (`TT_10`).
    pub code: String,
    /// The English name, or the code itself when unknown.
    pub name: String,
    pub unit: Option<String>,
    pub known: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tables {
    parameters: BTreeMap<String, BTreeMap<String, Parameter>>,
    quality: BTreeMap<u8, Meaning>,
}

impl Tables {
    /// The compiled-in tables.
    pub fn embedded() -> Result<Tables, TranslateError> {
        Self::from_yaml("config/translations (embedded)", PARAMETERS, QUALITY_LEVELS)
    }

    fn from_yaml(source: &str, parameters: &str, quality: &str) -> Result<Tables, TranslateError> {
        let err = |e: figment::Error| TranslateError::Tables {
            source_name: source.to_owned(),
            message: e.to_string(),
        };
        let by_text: BTreeMap<String, Meaning> = Figment::from(Yaml::string(quality))
            .extract()
            .map_err(err)?;
        let mut levels = BTreeMap::new();
        for (k, v) in by_text {
            let level = k.parse::<u8>().map_err(|_| TranslateError::Tables {
                source_name: source.to_owned(),
                message: format!("quality level {k:?} is not a number"),
            })?;
            levels.insert(level, v);
        }
        Ok(Tables {
            parameters: Figment::from(Yaml::string(parameters))
                .extract()
                .map_err(err)?,
            quality: levels,
        })
    }

    /// Layers a parameters file (same shape as `parameters.yaml`) over these tables.
    pub fn with_override(mut self, path: &Path) -> Result<Tables, TranslateError> {
        let extra: BTreeMap<String, BTreeMap<String, Parameter>> =
            Figment::from(Yaml::file_exact(path))
                .extract()
                .map_err(|e| TranslateError::Tables {
                    source_name: path.display().to_string(),
                    message: e.to_string(),
                })?;
        for (dataset, params) in extra {
            self.parameters.entry(dataset).or_default().extend(params);
        }
        Ok(self)
    }

    pub fn parameter(&self, dataset: &str, code: &str) -> Option<&Parameter> {
        self.parameters.get(dataset)?.get(code)
    }

    pub fn datasets(&self) -> impl Iterator<Item = &str> {
        self.parameters.keys().map(String::as_str)
    }

    pub fn quality_meaning(&self, level: u8) -> Option<&Meaning> {
        self.quality.get(&level)
    }

    /// The output columns for a file's codes: translated where known, kept
    /// under their DWD code (with a warning) where not.
    pub fn columns(&self, dataset: &str, codes: &[String], file: &str) -> Vec<Column> {
        codes
            .iter()
            .map(|code| match self.parameter(dataset, code) {
                Some(p) => Column {
                    code: code.clone(),
                    name: p.name.clone(),
                    unit: Some(p.unit.clone()),
                    known: true,
                },
                None => {
                    tracing::warn!(
                        dataset,
                        file,
                        column = code.as_str(),
                        "unknown column kept under its DWD name"
                    );
                    Column {
                        code: code.clone(),
                        name: code.clone(),
                        unit: None,
                        known: false,
                    }
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_tables_cover_the_first_datasets() {
        let t = Tables::embedded().unwrap();
        let check = |ds: &str, code: &str, name: &str, unit: &str| {
            let p = t
                .parameter(ds, code)
                .unwrap_or_else(|| panic!("{ds} {code}"));
            assert_eq!(
                (p.name.as_str(), p.unit.as_str()),
                (name, unit),
                "{ds} {code}"
            );
        };
        check(
            "10_minutes/air_temperature",
            "TT_10",
            "temperature_air_mean_2m",
            "°C",
        );
        check(
            "10_minutes/air_temperature",
            "PP_10",
            "pressure_air_site",
            "hPa",
        );
        check("10_minutes/air_temperature", "RF_10", "humidity", "%");
        check(
            "hourly/air_temperature",
            "TT_TU",
            "temperature_air_mean_2m",
            "°C",
        );
        check("daily/kl", "QN_3", "quality_wind", "code");
        check("daily/kl", "TGK", "temperature_air_min_0_05m", "°C");
        check("monthly/kl", "MO_RR", "precipitation_height", "mm");
        for ds in [
            "extreme_temperature",
            "extreme_wind",
            "precipitation",
            "solar",
            "wind",
        ] {
            assert!(
                t.parameter(&format!("10_minutes/{ds}"), "QN").is_some(),
                "{ds}"
            );
        }
        assert_eq!(
            t.quality_meaning(10).unwrap().en,
            "quality control finished, all corrections finished"
        );
        assert!(t.quality_meaning(4).is_none());
    }

    #[test]
    fn unknown_columns_are_kept_not_dropped() {
        let t = Tables::embedded().unwrap();
        let cols = t.columns(
            "10_minutes/air_temperature",
            &["TT_10".into(), "XY_10".into()],
            "f.txt",
        );
        assert_eq!(cols.len(), 2);
        assert_eq!(
            (cols[0].name.as_str(), cols[0].known),
            ("temperature_air_mean_2m", true)
        );
        assert_eq!(
            (cols[1].name.as_str(), cols[1].known, cols[1].unit.clone()),
            ("XY_10", false, None)
        );
    }

    #[test]
    fn an_override_file_adds_and_replaces() {
        let dir = std::env::temp_dir().join(format!("dwd-translate-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("mine.yaml");
        std::fs::write(
            &f,
            "10_minutes/air_temperature:\n  TT_10: {name: t2m, unit: °C, de: T, en: T}\n  XY_10: {name: xy, unit: '1', de: X, en: X}\n",
        )
        .unwrap();
        let t = Tables::embedded().unwrap().with_override(&f).unwrap();
        assert_eq!(
            t.parameter("10_minutes/air_temperature", "TT_10")
                .unwrap()
                .name,
            "t2m"
        );
        assert_eq!(
            t.parameter("10_minutes/air_temperature", "XY_10")
                .unwrap()
                .name,
            "xy"
        );
        assert_eq!(
            t.parameter("10_minutes/air_temperature", "RF_10")
                .unwrap()
                .name,
            "humidity"
        );
        std::fs::write(&f, "10_minutes/air_temperature:\n  TT_10: {name: t2m}\n").unwrap();
        let e = Tables::embedded()
            .unwrap()
            .with_override(&f)
            .unwrap_err()
            .to_string();
        assert!(e.contains("mine.yaml"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
