//! The translation manager: German DWD parameter codes → English names,
//! units and descriptions (de and en), per dataset, and what quality levels
//! mean. The tables are the data files `config/translations/*.yaml`,
//! compiled in; a file of the same shape can be layered over them.
//! A code the tables do not know is kept under its own name, with a
//! warning: nothing is dropped silently.

pub mod frame;
#[cfg(test)]
mod layout_tests;
pub mod meta;
pub mod normals;
pub mod table;
pub mod what;
#[cfg(test)]
mod what_tests;

use std::collections::BTreeMap;
use std::path::Path;

use figment::Figment;
use figment::providers::{Format, Yaml};
use serde::Deserialize;

const PARAMETERS: &str = include_str!("../../../config/translations/parameters.yaml");
const QUALITY_LEVELS: &str = include_str!("../../../config/translations/quality_levels.yaml");
const DEVICES: &str = include_str!("../../../config/translations/devices.yaml");

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parameter {
    /// English name, e.g. `temperature_air_mean_2m`.
    pub name: String,
    /// The name it had before (a deprecated name, still accepted where a
    /// name is read, with a warning naming `name`).
    #[serde(default)]
    pub was: Option<String>,
    pub unit: String,
    /// German description.
    pub de: String,
    /// English description.
    pub en: String,
    /// Numbers (the default), letter codes besides numbers, or text.
    #[serde(default)]
    pub kind: dwd_catalog::ColumnKind,
    /// Values besides -999 that DWD uses for "no value", with their
    /// meaning: read as null, the rule recorded in the output.
    #[serde(default)]
    pub missing: BTreeMap<String, String>,
    /// Values at a place: the farthest station (km) whose value may stand
    /// for a point; default 40, 20 for precipitation.
    #[serde(default)]
    pub max_km: Option<f64>,
    /// Whether values of several stations may be averaged (inverse distance
    /// weighting); default: numbers that are not directions or codes.
    #[serde(default)]
    pub interpolate: Option<bool>,
    /// Whether values are moved to the point's height with the lapse rate
    /// before weighting; default: air and dew point temperatures.
    #[serde(default)]
    pub lapse: Option<bool>,
    /// What a value is: a reading at one moment, a mean, a sum, an
    /// extreme, a count (see [`what::Statistic`]), as DWD documents it.
    #[serde(default)]
    pub stat: Option<what::Statistic>,
    /// The time a value covers: the stamp, or the interval ending at it.
    #[serde(default)]
    pub span: Option<what::Span>,
    /// The CF standard name, where the one by the name's quantity
    /// ([`what::standard_name`]) is not right; `""`: none.
    #[serde(default)]
    pub standard_name: Option<String>,
    /// A climatological normal (the mean over a period's years of each
    /// month's or year's value): its CF cell methods say so.
    #[serde(default)]
    pub climatology: bool,
}

/// What a parameter's values are, in DWD's terms and in CF's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct What {
    pub stat: what::Statistic,
    pub span: what::Span,
    pub standard_name: Option<String>,
    pub cell_methods: Option<String>,
}

/// A name read that the table used before: what it is called now, where,
/// and why it changed (what a value is, e.g. "a reading at the stamp").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Renamed {
    pub old: String,
    /// The current names (one, unless the old name meant several things).
    pub new: Vec<String>,
    pub datasets: Vec<String>,
    pub why: String,
}

impl std::fmt::Display for Renamed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} is now {} in {}",
            self.old,
            self.new.join(" and "),
            self.datasets.join(", ")
        )?;
        if !self.why.is_empty() {
            write!(f, " ({})", self.why)?;
        }
        write!(f, "; the old name is accepted for now")
    }
}

/// How a parameter's values stand for a place ([`Parameter::spatial`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spatial {
    pub max_km: f64,
    pub interpolate: bool,
    pub lapse: bool,
}

impl What {
    /// In words: "a reading at the stamp", "a mean over 10 minutes".
    pub fn describe(&self) -> String {
        match self.span {
            what::Span::Instant if self.stat == what::Statistic::Point => {
                "a reading at the stamp, not a mean".to_owned()
            }
            what::Span::Instant => format!("{} at the stamp", self.stat.words()),
            span => format!("{} over {}", self.stat.words(), span.as_str()),
        }
    }
}

impl Parameter {
    /// What its values are, when the table says (its `stat` and `span`),
    /// with the CF attributes that follow.
    pub fn what(&self) -> Option<What> {
        let (stat, span) = (self.stat?, self.span?);
        let standard_name = match self.standard_name.as_deref() {
            Some("") => None,
            Some(s) => Some(s.to_owned()),
            None => match stat {
                what::Statistic::Count | what::Statistic::Code | what::Statistic::Text => None,
                _ => what::standard_name(&self.name).map(str::to_owned),
            },
        };
        Some(What {
            stat,
            span,
            standard_name,
            cell_methods: match self.climatology {
                true => what::climatology_cell_methods(stat),
                false => what::cell_methods(stat, span),
            },
        })
    }

    /// The table's spatial rules of this parameter, with the defaults for
    /// what it leaves out: 40 km (precipitation 20 km); interpolated when a
    /// number that is not a direction and not a code, and whose statistic
    /// averages (not an extreme or a count of days); moved by the lapse
    /// rate when an air or dew point temperature (`temperature_air_*`,
    /// `temperature_dew_point_*`; soil temperatures are not).
    pub fn spatial(&self) -> Spatial {
        let n = self.name.as_str();
        Spatial {
            max_km: self.max_km.unwrap_or(if n.starts_with("precipitation") {
                20.0
            } else {
                40.0
            }),
            interpolate: self.interpolate.unwrap_or(
                self.kind == dwd_catalog::ColumnKind::Number
                    && self.unit != "code"
                    && !n.contains("direction")
                    && self.stat.is_none_or(what::Statistic::averages),
            ),
            lapse: self.lapse.unwrap_or(
                n.starts_with("temperature_air") || n.starts_with("temperature_dew_point"),
            ),
        }
    }
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
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    /// The DWD code (`TT_10`).
    pub code: String,
    /// The English name, or the code itself when unknown.
    pub name: String,
    pub unit: Option<String>,
    pub known: bool,
    /// The output name of the quality column that qualifies this one.
    pub quality: Option<String>,
    /// Values read as null besides -999, with what they mean.
    pub missing: Vec<(f64, String)>,
    /// What the column holds (English), letter codes' meanings included.
    pub description: Option<String>,
    /// The type of its values in every output.
    pub value_type: ValueType,
    /// What its values are (statistic, span, CF attributes), when known.
    pub what: Option<What>,
}

/// The output type of a column, the same in every file of every dataset:
/// quality levels are integers, codes text, measured values floating point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueType {
    /// A quality level (`QN_*`, `QUALITAETS_NIVEAU`): Int32.
    Quality,
    /// A code (`*_I` indicators, weather and form codes, cloud types, a
    /// parameter whose unit is `code`): Utf8, as DWD writes it.
    Code,
    /// A measured or derived value: Float64.
    Number,
}

impl ValueType {
    fn of(code: &str, kind: dwd_catalog::ColumnKind, unit: Option<&str>) -> ValueType {
        if dwd_catalog::is_quality(code) {
            ValueType::Quality
        } else if kind != dwd_catalog::ColumnKind::Number || unit == Some("code") {
            ValueType::Code
        } else {
            ValueType::Number
        }
    }
}

/// German → English names from `Metadaten_Geraete` (`devices.yaml`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceNames {
    /// The measured quantity of a `Metadaten_Geraete_<group>` file.
    #[serde(default)]
    pub groups: BTreeMap<String, String>,
    #[serde(default)]
    pub device_types: BTreeMap<String, String>,
    #[serde(default)]
    pub methods: BTreeMap<String, String>,
}

impl DeviceNames {
    fn extend(&mut self, other: DeviceNames) {
        self.groups.extend(other.groups);
        self.device_types.extend(other.device_types);
        self.methods.extend(other.methods);
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tables {
    parameters: BTreeMap<String, BTreeMap<String, Parameter>>,
    quality: BTreeMap<u8, Meaning>,
    devices: DeviceNames,
}

impl Tables {
    /// The compiled-in tables.
    pub fn embedded() -> Result<Tables, TranslateError> {
        let source = "config/translations (embedded)";
        Ok(Tables {
            parameters: from_yaml(source, Yaml::string(PARAMETERS))?,
            quality: levels(source, from_yaml(source, Yaml::string(QUALITY_LEVELS))?)?,
            devices: from_yaml(source, Yaml::string(DEVICES))?,
        })
    }

    /// The compiled-in tables with a folder of the same shape as
    /// `config/translations` layered over them: each of `parameters.yaml`,
    /// `quality_levels.yaml`, `devices.yaml` found there adds entries and
    /// replaces those with the same key. A folder with none of them is an
    /// error (most likely a wrong path).
    pub fn with_dir(dir: &Path) -> Result<Tables, TranslateError> {
        let mut t = Tables::embedded()?;
        let file = |name: &str| {
            let p = dir.join(name);
            p.is_file().then_some(p)
        };
        let shown = |p: &Path| p.display().to_string();
        let mut found = false;
        if let Some(p) = file("parameters.yaml") {
            found = true;
            let extra: BTreeMap<String, BTreeMap<String, Parameter>> =
                from_yaml(&shown(&p), Yaml::file_exact(&p))?;
            for (dataset, params) in extra {
                t.parameters.entry(dataset).or_default().extend(params);
            }
        }
        if let Some(p) = file("quality_levels.yaml") {
            found = true;
            t.quality.extend(levels(
                &shown(&p),
                from_yaml(&shown(&p), Yaml::file_exact(&p))?,
            )?);
        }
        if let Some(p) = file("devices.yaml") {
            found = true;
            t.devices
                .extend(from_yaml(&shown(&p), Yaml::file_exact(&p))?);
        }
        if !found {
            return Err(TranslateError::Tables {
                source_name: shown(dir),
                message: "no parameters.yaml, quality_levels.yaml or devices.yaml in this folder"
                    .into(),
            });
        }
        Ok(t)
    }

    /// The embedded tables, or those layered with `dir` when given.
    pub fn load(dir: Option<&Path>) -> Result<Tables, TranslateError> {
        match dir {
            Some(d) => Tables::with_dir(d),
            None => Tables::embedded(),
        }
    }

    pub fn devices(&self) -> &DeviceNames {
        &self.devices
    }

    pub fn parameter(&self, dataset: &str, code: &str) -> Option<&Parameter> {
        self.parameters.get(dataset)?.get(code)
    }

    /// What `asked` is called now in `datasets`, when it is a name the
    /// table used before there (a row's `was`); `None` when it is no
    /// former name of theirs. A former name may still be a current one
    /// elsewhere (`temperature_air_mean_2m` of a daily mean): only the
    /// datasets where it changed are named.
    pub fn renamed<'a>(
        &self,
        datasets: impl IntoIterator<Item = &'a str>,
        asked: &str,
    ) -> Option<Renamed> {
        let mut found: Option<Renamed> = None;
        for dataset in datasets {
            for (_, p) in self.parameters(dataset) {
                if p.was.as_deref() != Some(asked) {
                    continue;
                }
                let r = found.get_or_insert_with(|| Renamed {
                    old: asked.to_owned(),
                    new: Vec::new(),
                    datasets: Vec::new(),
                    why: p.what().map(|w| w.describe()).unwrap_or_default(),
                });
                if !r.new.contains(&p.name) {
                    r.new.push(p.name.clone());
                }
                if !r.datasets.iter().any(|d| d == dataset) {
                    r.datasets.push(dataset.to_owned());
                }
            }
        }
        found
    }

    /// A fingerprint of the names `dataset`'s columns get (its codes and
    /// their names, SHA-256, 16 hex digits): a table written under another
    /// fingerprint carries names that have changed since, and is written
    /// again.
    pub fn naming(&self, dataset: &str) -> String {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        for (code, p) in self.parameters(dataset) {
            h.update(code.as_bytes());
            h.update(b"=");
            h.update(p.name.as_bytes());
            h.update(b"\n");
        }
        h.finalize()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Every parameter of `dataset`, by DWD code.
    pub fn parameters(&self, dataset: &str) -> impl Iterator<Item = (&str, &Parameter)> {
        self.parameters
            .get(dataset)
            .into_iter()
            .flatten()
            .map(|(c, p)| (c.as_str(), p))
    }

    /// What the values of column `code` of `dataset` are: as the table
    /// says, else by DWD's naming (quality and `*_I` columns may hold
    /// letter codes, the rest are numbers).
    pub fn kind(&self, dataset: &str, code: &str) -> dwd_catalog::ColumnKind {
        self.parameter(dataset, code)
            .map_or_else(|| dwd_catalog::ColumnKind::default_of(code), |p| p.kind)
    }

    pub fn datasets(&self) -> impl Iterator<Item = &str> {
        self.parameters.keys().map(String::as_str)
    }

    /// The dataset a file's parameter columns belong to when they are not
    /// `dataset`'s: a column `dataset` does not know that another dataset
    /// of its resolution does (the one knowing most of the file's columns
    /// is named). Quality columns, shared by all, say nothing; a column
    /// no dataset knows is `dataset`'s own unknown one (kept, with a
    /// warning, by [`Tables::columns`]).
    pub fn columns_belong_elsewhere(&self, dataset: &str, codes: &[String]) -> Option<&str> {
        let params: Vec<&str> = codes
            .iter()
            .map(String::as_str)
            .filter(|c| !dwd_catalog::is_quality(c))
            .collect();
        let foreign: Vec<&str> = params
            .iter()
            .copied()
            .filter(|c| self.parameter(dataset, c).is_none())
            .collect();
        if foreign.is_empty() {
            return None;
        }
        let resolution = dwd_catalog::resolution_of(dataset);
        self.datasets()
            .filter(|d| *d != dataset && dwd_catalog::resolution_of(d) == resolution)
            .filter(|d| foreign.iter().any(|c| self.parameter(d, c).is_some()))
            .max_by_key(|d| {
                (
                    params
                        .iter()
                        .filter(|c| self.parameter(d, c).is_some())
                        .count(),
                    std::cmp::Reverse(*d),
                )
            })
    }

    pub fn quality_meaning(&self, level: u8) -> Option<&Meaning> {
        self.quality.get(&level)
    }

    /// Every quality level with its English meaning, by level.
    pub fn quality_levels(&self) -> Vec<(u8, String)> {
        self.quality
            .iter()
            .map(|(l, m)| (*l, m.en.clone()))
            .collect()
    }

    /// The output columns for a file's codes: translated where known, kept
    /// under their DWD code (with a warning) where not.
    /// Each column knows the quality column that qualifies it.
    pub fn columns(&self, dataset: &str, codes: &[String], file: &str) -> Vec<Column> {
        let mut out: Vec<Column> = codes
            .iter()
            .map(|code| match self.parameter(dataset, code) {
                Some(p) => Column {
                    code: code.clone(),
                    name: p.name.clone(),
                    unit: Some(p.unit.clone()),
                    known: true,
                    quality: None,
                    description: Some(p.en.clone()),
                    missing: p
                        .missing
                        .iter()
                        .filter_map(|(v, why)| Some((v.trim().parse().ok()?, why.clone())))
                        .collect(),
                    value_type: ValueType::of(code, p.kind, Some(&p.unit)),
                    what: p.what(),
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
                        quality: None,
                        missing: Vec::new(),
                        description: None,
                        what: None,
                        value_type: ValueType::of(
                            code,
                            dwd_catalog::ColumnKind::default_of(code),
                            None,
                        ),
                    }
                }
            })
            .collect();
        // Every output name once: a second column with the same English
        // name keeps its DWD code; a code DWD repeats (`ART` five times in
        // the monthly layout before 2018) is numbered by occurrence:
        // `ART`, `ART_2`, `ART_3`, …
        let mut seen = std::collections::HashSet::new();
        for c in &mut out {
            if seen.contains(&c.name) {
                c.name = c.code.clone();
            }
            let mut n = 1;
            let base = c.name.clone();
            while seen.contains(&c.name) {
                n += 1;
                c.name = format!("{base}_{n}");
            }
            seen.insert(c.name.clone());
        }
        let qualified = dwd_parser::produkt::quality_of(codes);
        for (i, q) in qualified.into_iter().enumerate() {
            out[i].quality = q.map(|q| out[q].name.clone());
        }
        out
    }
}

fn from_yaml<T: serde::de::DeserializeOwned>(
    source: &str,
    yaml: figment::providers::Data<Yaml>,
) -> Result<T, TranslateError> {
    Figment::from(yaml)
        .extract()
        .map_err(|e| TranslateError::Tables {
            source_name: source.to_owned(),
            message: e.to_string(),
        })
}

fn levels(
    source: &str,
    by_text: BTreeMap<String, Meaning>,
) -> Result<BTreeMap<u8, Meaning>, TranslateError> {
    by_text
        .into_iter()
        .map(|(k, v)| {
            let level = k.parse::<u8>().map_err(|_| TranslateError::Tables {
                source_name: source.to_owned(),
                message: format!("quality level {k:?} is not a number"),
            })?;
            Ok((level, v))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    /// A file's set of columns says which dataset it is of: another
    /// dataset's parameters (of the same resolution) are named; a column
    /// no dataset knows, or a quality column, says nothing.
    #[test]
    fn columns_of_another_dataset_are_named() {
        let t = Tables::embedded().unwrap();
        let codes = |c: &[&str]| c.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>();
        let tu = "10_minutes/air_temperature";
        assert_eq!(
            t.columns_belong_elsewhere(tu, &codes(&["QN", "RWS_DAU_10", "RWS_10", "RWS_IND_10"])),
            Some("10_minutes/precipitation")
        );
        // one foreign parameter among the dataset's own is enough
        assert_eq!(
            t.columns_belong_elsewhere(tu, &codes(&["QN", "TT_10", "RWS_10"])),
            Some("10_minutes/precipitation")
        );
        assert_eq!(
            t.columns_belong_elsewhere(
                tu,
                &codes(&["QN", "PP_10", "TT_10", "TM5_10", "RF_10", "TD_10"])
            ),
            None
        );
        assert_eq!(
            t.columns_belong_elsewhere(tu, &codes(&["QN", "TT_10", "NEW_10"])),
            None,
            "a column no table knows is kept as the dataset's own"
        );
        assert_eq!(
            t.columns_belong_elsewhere("daily/kl", &codes(&["QN_3", "TT_10"])),
            None,
            "another resolution's code is not this resolution's dataset"
        );
    }

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
            "temperature_air_2m",
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
            "temperature_air_2m",
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
    fn the_pre_2018_daily_layout_is_known_too() {
        // tageswerte_KL_*_akt.zip of 2017: long German column names
        let zip = include_bytes!("../../../tests/data/fixtures/legacy/tageswerte_KL_03987_akt.zip");
        let z = dwd_parser::archive::parse_data_zip(
            "legacy.zip",
            std::io::Cursor::new(&zip[..]),
            64 << 20,
        )
        .unwrap();
        let t = Tables::embedded().unwrap();
        let cols = t.columns("daily/kl", &z.produkt.columns, "legacy.zip");
        let unknown = crate::table::unknown_codes(&cols);
        assert!(unknown.is_empty(), "{unknown:?}");
        assert_eq!(cols[1].name, "temperature_air_mean_2m");
        assert_eq!(
            cols[1].quality.as_deref(),
            Some("quality"),
            "QUALITAETS_NIVEAU qualifies all"
        );
    }

    /// A former name is found where it changed, with what it is now and
    /// why; where it is still current (a daily mean) it is no former name.
    #[test]
    fn former_names_say_what_they_are_now() {
        let t = Tables::embedded().unwrap();
        let hourly = ["hourly/air_temperature", "hourly/moisture", "hourly/wind"];
        let r = t.renamed(hourly, "temperature_air_mean_2m").unwrap();
        assert_eq!(r.new, ["temperature_air_2m"]);
        assert_eq!(r.datasets, ["hourly/air_temperature", "hourly/moisture"]);
        assert_eq!(
            r.to_string(),
            "temperature_air_mean_2m is now temperature_air_2m in hourly/air_temperature, hourly/moisture (a reading at the stamp, not a mean); the old name is accepted for now"
        );
        assert_eq!(
            t.renamed(
                ["daily/kl", "daily/soil_temperature"],
                "temperature_air_mean_2m"
            ),
            None
        );
        assert_eq!(t.renamed(hourly, "temperature_air_2m"), None);
        // the SYNOP wind is a mean of the 10 minutes before the hour
        let w = t
            .renamed(["hourly/wind", "hourly/wind_synop"], "wind_speed")
            .unwrap();
        assert_eq!(w.new, ["wind_speed_mean_10min"]);
        assert!(w.why.contains("a mean over 10 minutes"), "{}", w.why);
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
            ("temperature_air_2m", true)
        );
        assert_eq!(
            (cols[1].name.as_str(), cols[1].known, cols[1].unit.clone()),
            ("XY_10", false, None)
        );
    }

    #[test]
    fn a_folder_layers_over_the_embedded_tables() {
        let dir = std::env::temp_dir().join(format!("dwd-translate-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("parameters.yaml");
        std::fs::write(
            &f,
            "10_minutes/air_temperature:\n  TT_10: {name: t2m, unit: °C, de: T, en: T}\n  XY_10: {name: xy, unit: '1', de: X, en: X}\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("devices.yaml"),
            "methods:\n  Neu, elektr.: new, electrical\n",
        )
        .unwrap();
        let t = Tables::with_dir(&dir).unwrap();
        let name = |code: &str| {
            t.parameter("10_minutes/air_temperature", code)
                .unwrap()
                .name
                .clone()
        };
        assert_eq!(name("TT_10"), "t2m", "replaced");
        assert_eq!(name("XY_10"), "xy", "added");
        assert_eq!(name("RF_10"), "humidity", "kept");
        assert_eq!(t.devices().methods["Neu, elektr."], "new, electrical");
        assert_eq!(
            t.devices().methods["Temperaturmessung, elektr."],
            "temperature measurement, electrical",
            "the embedded device names stay"
        );
        std::fs::write(&f, "10_minutes/air_temperature:\n  TT_10: {name: t2m}\n").unwrap();
        let e = Tables::with_dir(&dir).unwrap_err().to_string();
        assert!(e.contains("parameters.yaml"), "{e}");
        let empty = dir.join("empty");
        std::fs::create_dir_all(&empty).unwrap();
        let e = Tables::load(Some(&empty)).unwrap_err().to_string();
        assert!(e.contains("no parameters.yaml"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
