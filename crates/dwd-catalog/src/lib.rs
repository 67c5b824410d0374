//! The DWD catalog: the one place that knows what DWD's climate archive
//! (`observations_germany/climate/`) holds and how DWD names it.
//!
//! Every dataset (`hourly/cloud_type`), its resolution, its periods
//! (`historical`, `recent`, `now`, the year folders of 1- and 5-minute
//! historical data), the names of its data zips, of the `produkt_*` file
//! inside them, of its metadata zips and station lists, its timestamp format
//! and time rule. What a file *is* ([`FileKind`], [`MetadataKind`]) and what
//! its name says ([`facts`]) are read here too. The parameters of a dataset
//! (DWD code, English name, unit, descriptions, which columns hold text) are
//! its rows in the translation tables (`config/translations/parameters.yaml`).
//!
//! Adding a dataset is one entry in [`DATASETS`] plus its translation rows.
//!
//! The table was built from DWD's own listing of the archive: the file index
//! of 758,223 paths below `observations_germany/climate/` that the rdwd
//! project keeps (`brry/rdwd`, `data/fileIndex.rda`, updated 2026-07-01), and
//! the dataset list of wetterdienst (`earthobservations/wetterdienst`,
//! `provider/dwd/observation/metadata.py`), whose English dataset names are
//! given as [`Dataset::wetterdienst`]. `produkt_*` member prefixes that no
//! real file in the test data confirms follow the tokens of DWD's
//! `ZeitReihen_<token>_GE_*` overview files in the same folder.

pub mod field;
mod files;
pub mod selection;
mod table;

use serde::Serialize;

pub use field::{Field, Invalid, Said};
pub use files::{
    FileKind, LocationRule, MetadataKind, NameFacts, NormalsFile, facts, metadata_zip_of,
    station_of,
};
pub use selection::{Selection, SelectionError, SelectionLayer, StationInfo, date8};
pub use table::DATASETS;

/// The temporal resolution of a dataset: its folder below the archive root.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    Minute1,
    Minutes5,
    Minutes10,
    Hourly,
    Subdaily,
    Daily,
    Monthly,
    Annual,
    MultiAnnual,
}

impl Resolution {
    pub const ALL: [Resolution; 9] = [
        Resolution::Minute1,
        Resolution::Minutes5,
        Resolution::Minutes10,
        Resolution::Hourly,
        Resolution::Subdaily,
        Resolution::Daily,
        Resolution::Monthly,
        Resolution::Annual,
        Resolution::MultiAnnual,
    ];

    /// DWD's folder name.
    pub fn folder(self) -> &'static str {
        match self {
            Resolution::Minute1 => "1_minute",
            Resolution::Minutes5 => "5_minutes",
            Resolution::Minutes10 => "10_minutes",
            Resolution::Hourly => "hourly",
            Resolution::Subdaily => "subdaily",
            Resolution::Daily => "daily",
            Resolution::Monthly => "monthly",
            Resolution::Annual => "annual",
            Resolution::MultiAnnual => "multi_annual",
        }
    }

    /// The resolution of a dataset name (`hourly/air_temperature`).
    pub fn of(dataset: &str) -> Option<Resolution> {
        resolution_of(dataset).parse().ok()
    }

    /// 1-, 5- and 10-minute data: the resolutions whose timestamps before
    /// 2000-01-01 are MEZ.
    pub fn minute_data(self) -> bool {
        matches!(
            self,
            Resolution::Minute1 | Resolution::Minutes5 | Resolution::Minutes10
        )
    }

    /// How the `produkt_*` files of this resolution write time.
    pub fn timestamps(self) -> &'static str {
        match self {
            Resolution::Minute1 => {
                "MESS_DATUM as YYYYMMDDHHMM (recent, now); MESS_DATUM_BEGINN and MESS_DATUM_ENDE as YYYYMMDDHHMM (historical: one row stands for every minute of its range)"
            }
            Resolution::Minutes5 | Resolution::Minutes10 => {
                "MESS_DATUM as YYYYMMDDHHMM, the end of the interval"
            }
            Resolution::Hourly => {
                "MESS_DATUM as YYYYMMDDHH (hourly solar: YYYYMMDDHH:MM, with MESS_DATUM_WOZ, the true local solar time)"
            }
            Resolution::Subdaily => "MESS_DATUM as YYYYMMDDHH, the observation time",
            Resolution::Daily => "MESS_DATUM as YYYYMMDD, a calendar day",
            Resolution::Monthly | Resolution::Annual => {
                "MESS_DATUM_BEGINN and MESS_DATUM_ENDE as YYYYMMDD, the first and last day"
            }
            Resolution::MultiAnnual => "reference periods (1961-1990, …), not per-station series",
        }
    }

    /// What decides the UTC instant of a row.
    pub fn time_rule(self) -> &'static str {
        match self {
            Resolution::Minute1 | Resolution::Minutes5 | Resolution::Minutes10 => {
                "MEZ (UTC+1) for files whose period ends before 2000-01-01, UTC after; the station's Metadaten_Parameter wins where it states the reference; decided per file"
            }
            Resolution::Hourly | Resolution::Subdaily => {
                "UTC, unless the station's Metadaten_Parameter states MEZ for the file's parameters and period; decided per file"
            }
            Resolution::Daily | Resolution::Monthly | Resolution::Annual => {
                "calendar dates: no time zone conversion (timestamp_utc is the day's 00:00)"
            }
            Resolution::MultiAnnual => "none",
        }
    }

    /// From a DWD folder (`10_minutes`, `hourly`, …) or a file name
    /// (`10minutenwerte_…`, `produkt_zehn_min_…`, `stundenwerte_…`): the
    /// catalog's dataset of the name first, then the words DWD uses.
    pub fn detect(name: &str) -> Option<Resolution> {
        if let Some(d) = dataset_of(name) {
            return Some(d.resolution);
        }
        let n = name.to_ascii_lowercase();
        let has = |s: &str| n.contains(s);
        Some(
            if has("10_minutes") || has("10minutenwerte") || has("zehn_min") || has("zehn_now") {
                Resolution::Minutes10
            } else if has("5_minutes") || has("5minutenwerte") || has("5min") {
                Resolution::Minutes5
            } else if has("1_minute") || has("1minutenwerte") || has("ein_min") || has("ein_now") {
                Resolution::Minute1
            } else if has("hourly") || has("stundenwerte") || has("_stunde_") {
                Resolution::Hourly
            } else if has("subdaily") || has("terminwerte") || has("_termin_") {
                Resolution::Subdaily
            } else if has("multi_annual") {
                Resolution::MultiAnnual
            } else if has("daily") || has("tageswerte") || has("_tag_") {
                Resolution::Daily
            } else if has("monthly") || has("monatswerte") || has("_monat_") {
                Resolution::Monthly
            } else if has("annual") || has("jahreswerte") || has("_jahr_") {
                Resolution::Annual
            } else {
                return None;
            },
        )
    }
}

/// A period folder of a dataset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// Quality-controlled data, closed files `…_<from>_<to>_hist.zip`.
    Historical,
    /// About the last 500 days, `…_akt.zip`.
    Recent,
    /// The current day(s), `…_now.zip` (1-, 5- and 10-minute data).
    Now,
}

impl Period {
    pub fn folder(self) -> &'static str {
        match self {
            Period::Historical => "historical",
            Period::Recent => "recent",
            Period::Now => "now",
        }
    }

    pub fn parse(s: &str) -> Option<Period> {
        match s {
            "historical" => Some(Period::Historical),
            "recent" => Some(Period::Recent),
            "now" => Some(Period::Now),
            _ => None,
        }
    }
}

/// How a dataset's files are laid out, and whether ClimaStation converts them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "reason")]
pub enum Layout {
    /// Per-station zips, each with one `produkt_*` file: converted.
    Produkt,
    /// Fetched and verified only, with the reason.
    NotConverted(&'static str),
}

/// What the values of a `produkt_*` column are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    /// Numbers, or DWD's `-999` for none.
    #[default]
    Number,
    /// Numbers or short letter codes (`P`, `I` in `*_I` columns).
    Code,
    /// Text (cloud type abbreviations such as `SC`): every value kept as
    /// written, `-999` for none.
    Text,
}

impl ColumnKind {
    /// The kind of a column no table describes: quality columns and `*_I`
    /// indicator columns may hold letter codes, the rest are numbers.
    pub fn default_of(column: &str) -> ColumnKind {
        if is_quality(column) || column.ends_with("_I") {
            ColumnKind::Code
        } else {
            ColumnKind::Number
        }
    }
}

/// Quality columns (`QN`, `QN_x`, `QUALITAETS_NIVEAU` before 2018).
pub fn is_quality(column: &str) -> bool {
    column == "QN" || column.starts_with("QN_") || column.starts_with("QUALITAETS_NIVEAU")
}

/// One dataset of the archive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Dataset {
    /// `<resolution>/<name>`: the folder below the archive root.
    pub name: &'static str,
    pub resolution: Resolution,
    /// English title.
    pub title: &'static str,
    /// Data zip name prefixes (`stundenwerte_TU_`), compared without case.
    pub zips: &'static [&'static str],
    /// `produkt_*` member name prefixes (`produkt_tu_stunde`), without case.
    pub members: &'static [&'static str],
    /// `meta_data/<prefix><station>.zip` (1-, 5- and 10-minute data).
    pub metadata_zip: Option<&'static str>,
    /// Station list file names.
    pub station_lists: &'static [&'static str],
    /// Period folders; empty where the files lie in the dataset's folder.
    pub periods: &'static [Period],
    /// Historical files sit in year folders (`historical/<YYYY>/`).
    pub year_folders: bool,
    pub layout: Layout,
    /// The name wetterdienst gives the same dataset, where it has one.
    pub wetterdienst: Option<&'static str>,
}

impl Dataset {
    /// Whether the dataset's data files are converted.
    pub fn converted(&self) -> bool {
        self.layout == Layout::Produkt
    }
}

/// Every dataset of the archive, in DWD's order.
pub fn all() -> &'static [Dataset] {
    DATASETS
}

/// The dataset of this name (`hourly/cloud_type`).
pub fn get(name: &str) -> Option<&'static Dataset> {
    DATASETS.iter().find(|d| d.name == name)
}

/// A dataset name the catalog does not know.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown dataset {name:?}{}", hint(suggestions))]
pub struct UnknownDataset {
    pub name: String,
    /// The closest known names, best first.
    pub suggestions: Vec<&'static str>,
}

fn hint(suggestions: &[&str]) -> String {
    if suggestions.is_empty() {
        " (`climastation datasets` lists them)".into()
    } else {
        format!(
            "; did you mean {}? (`climastation datasets` lists them all)",
            suggestions.join(", ")
        )
    }
}

/// The dataset of this name, or an error with the closest names.
/// The resolution folder a dataset name begins with (`hourly` of
/// `hourly/air_temperature`).
impl std::fmt::Display for Resolution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.folder())
    }
}

/// A resolution by DWD's folder name (`hourly`, `10_minutes`, …); a name
/// the archive has not is refused, naming those it has.
impl std::str::FromStr for Resolution {
    type Err = Invalid;

    fn from_str(s: &str) -> Result<Self, Invalid> {
        Resolution::ALL
            .into_iter()
            .find(|r| r.folder() == s.trim())
            .ok_or_else(|| {
                let known: Vec<&str> = Resolution::ALL.iter().map(|r| r.folder()).collect();
                Invalid::of(
                    Field::Resolution,
                    format!("{s:?}"),
                    said!(format!(
                        "not a resolution of the archive; one of {}",
                        known.join(", ")
                    )),
                )
            })
    }
}

pub fn resolution_of(dataset: &str) -> &str {
    dataset.split('/').next().unwrap_or(dataset)
}

pub fn require(name: &str) -> Result<&'static Dataset, UnknownDataset> {
    get(name).ok_or_else(|| UnknownDataset {
        name: name.to_owned(),
        suggestions: suggest(name),
    })
}

/// Up to three known dataset names close to `name`: by edit distance, and
/// names ending in the same dataset (`air_temperature` → every resolution's).
pub fn suggest(name: &str) -> Vec<&'static str> {
    let lower = name.to_ascii_lowercase();
    let mut scored: Vec<(f64, &'static str)> = DATASETS
        .iter()
        .map(|d| {
            let whole = strsim::jaro_winkler(&lower, d.name);
            let tail = d
                .name
                .split_once('/')
                .map_or(0.0, |(_, t)| strsim::jaro_winkler(&lower, t));
            (whole.max(tail), d.name)
        })
        .filter(|(score, _)| *score >= 0.8)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    scored.into_iter().take(3).map(|(_, n)| n).collect()
}

/// The dataset a file name belongs to: by its data zip name, its
/// `produkt_*` member name (a renamed zip still knows its dataset), its
/// metadata zip name or its station list name. Any folder prefix is ignored.
pub fn dataset_of(name: &str) -> Option<&'static Dataset> {
    let base = name.rsplit(['/', '\\', ':']).next().unwrap_or(name);
    let lower = base.to_ascii_lowercase();
    let longest = |prefixes: fn(&Dataset) -> &[&'static str]| {
        DATASETS
            .iter()
            .filter_map(|d| {
                prefixes(d)
                    .iter()
                    .filter(|p| lower.starts_with(&p.to_ascii_lowercase()))
                    .map(|p| p.len())
                    .max()
                    .map(|len| (len, d))
            })
            .max_by_key(|(len, _)| *len)
            .map(|(_, d)| d)
    };
    longest(|d| d.zips)
        .or_else(|| longest(|d| d.members))
        .or_else(|| {
            DATASETS.iter().find(|d| {
                d.metadata_zip
                    .is_some_and(|p| lower.starts_with(&p.to_ascii_lowercase()))
                    || d.station_lists.iter().any(|l| l.eq_ignore_ascii_case(base))
            })
        })
}

/// The dataset a data zip or `produkt*` member named `name` belongs to
/// when that is not `dataset`: its name carries another dataset's prefix
/// and none of `dataset`'s. `None` when it may belong (its prefix is one of
/// `dataset`'s, or nobody's).
pub fn belongs_elsewhere(dataset: &str, name: &str) -> Option<&'static Dataset> {
    let base = name.rsplit(['/', '\\', ':']).next().unwrap_or(name);
    let lower = base.to_ascii_lowercase();
    let matches = |prefixes: &[&str]| {
        prefixes
            .iter()
            .any(|p| lower.starts_with(&p.to_ascii_lowercase()))
    };
    let own = DATASETS.iter().find(|d| d.name == dataset)?;
    if matches(own.zips) || matches(own.members) {
        return None;
    }
    DATASETS
        .iter()
        .find(|d| d.name != dataset && (matches(d.zips) || matches(d.members)))
}

#[cfg(test)]
mod tests;

/// A reference period of DWD's climate normals (`1991-2020`): one of the
/// four `multi_annual` datasets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReferencePeriod {
    pub first: i16,
    pub last: i16,
}

impl ReferencePeriod {
    /// The current WMO reference period, the default where one is asked.
    pub const CURRENT: ReferencePeriod = ReferencePeriod::new(1991, 2020);

    /// The periods DWD publishes normals for.
    pub const ALL: [ReferencePeriod; 4] = [
        ReferencePeriod::new(1961, 1990),
        ReferencePeriod::new(1971, 2000),
        ReferencePeriod::new(1981, 2010),
        ReferencePeriod::new(1991, 2020),
    ];

    const fn new(first: i16, last: i16) -> ReferencePeriod {
        ReferencePeriod { first, last }
    }

    /// Its `multi_annual` dataset (`multi_annual/mean_91-20`).
    pub fn dataset(self) -> &'static str {
        match (self.first, self.last) {
            (1961, _) => "multi_annual/mean_61-90",
            (1971, _) => "multi_annual/mean_71-00",
            (1981, _) => "multi_annual/mean_81-10",
            _ => "multi_annual/mean_91-20",
        }
    }

    /// Its folder of older normals (`multi_annual/mean_61-90_obsolete`:
    /// at the station's fixed place, or its current one); DWD has none of
    /// 1991-2020.
    pub fn obsolete_dataset(self) -> Option<&'static str> {
        match self.first {
            1961 => Some("multi_annual/mean_61-90_obsolete"),
            1971 => Some("multi_annual/mean_71-00_obsolete"),
            1981 => Some("multi_annual/mean_81-10_obsolete"),
            _ => None,
        }
    }

    /// The period of a `multi_annual` dataset (its older normals' too).
    pub fn of_dataset(dataset: &str) -> Option<ReferencePeriod> {
        ReferencePeriod::ALL
            .into_iter()
            .find(|p| p.dataset() == dataset || p.obsolete_dataset() == Some(dataset))
    }

    /// [`ReferencePeriod::parse`] of a value that may not be given.
    pub fn parse_given(
        field: Field,
        text: Option<&str>,
    ) -> Result<Option<ReferencePeriod>, Invalid> {
        text.map(|t| ReferencePeriod::parse(field, t)).transpose()
    }

    /// `1991-2020` (or `91-20`, as DWD's folder names it), checked against
    /// the periods DWD publishes; `field` names what was given.
    pub fn parse(field: Field, text: &str) -> Result<ReferencePeriod, Invalid> {
        let t = text.trim();
        ReferencePeriod::ALL
            .into_iter()
            .find(|p| {
                t == p.to_string() || t == format!("{:02}-{:02}", p.first % 100, p.last % 100)
            })
            .ok_or_else(|| {
                Invalid::of(
                    field,
                    format!("{t:?}"),
                    said!(format!(
                        "DWD publishes normals for {}",
                        ReferencePeriod::ALL.map(|p| p.to_string()).join(", ")
                    )),
                )
            })
    }
}

impl std::fmt::Display for ReferencePeriod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.first, self.last)
    }
}
