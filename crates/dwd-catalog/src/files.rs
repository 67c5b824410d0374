//! What a DWD file is, and what its name says.
//!
//! `10minutenwerte_TU_00003_19930428_19991231_hist.zip`,
//! `stundenwerte_TU_00161_akt.zip`, `Meta_Daten_zehn_min_tu_00003.zip`,
//! `monatswerte_KL_01691_18570101_20171231_hist.zip`,
//! `historical/2021/1minutenwerte_nieder_00020_20210101_20210131_hist.zip`.

use serde::Serialize;

use crate::Period;

/// The kinds of file the archive holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    /// A zip with one `produkt*` member (and maybe `Metadaten_*` beside it).
    DataZip,
    /// A `produkt_*.txt` file on its own.
    Produkt,
    /// `Meta_Daten_*.zip`: a station's `Metadaten_*` files.
    MetadataZip,
    /// A single `Metadaten_*.txt|html` file (or its pre-2018 name).
    Metadata,
    /// `*_Beschreibung_Stationen.txt`.
    StationList,
    /// A climate normals table of `multi_annual` (`Temperatur_1991-2020.txt`).
    Normals,
    /// A normals table's station list (`Temperatur_1991-2020_Stationsliste.txt`).
    NormalsStationList,
    /// PDFs, descriptions, overviews: fetched, not parsed.
    Other,
}

impl FileKind {
    pub fn of(name: &str) -> FileKind {
        let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
        let lower = base.to_ascii_lowercase();
        if lower.ends_with(".zip") {
            if lower.starts_with("meta_daten") {
                FileKind::MetadataZip
            } else {
                FileKind::DataZip
            }
        } else if base.contains("Beschreibung_Stationen") && lower.ends_with(".txt") {
            FileKind::StationList
        } else if let Some(n) = NormalsFile::of(base) {
            match n {
                NormalsFile::Table { .. } => FileKind::Normals,
                NormalsFile::StationList { .. } => FileKind::NormalsStationList,
                // read with the normals, not a table of its own
                NormalsFile::Sources => FileKind::Other,
            }
        } else if lower.starts_with("produkt") && lower.ends_with(".txt") {
            FileKind::Produkt
        } else if MetadataKind::of(base).is_some() {
            FileKind::Metadata
        } else {
            FileKind::Other
        }
    }
}

/// What a file of a `multi_annual` folder is, by its name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NormalsFile {
    /// `Temperatur_1991-2020.txt`: the parameter's German name (the
    /// translation table's code) and the period; in the `_obsolete`
    /// folders `Temperatur_1961-1990_festerStandort.txt` with its rule.
    Table {
        parameter: String,
        period: String,
        rule: Option<LocationRule>,
    },
    /// `Temperatur_1991-2020_Stationsliste.txt`
    /// (`…_Stationsliste_aktStandort.txt` in the `_obsolete` folders).
    StationList {
        parameter: String,
        period: String,
        rule: Option<LocationRule>,
    },
    /// `Beschreibung_Datenquelle.txt`.
    Sources,
}

/// Which place an older (`_obsolete`) normal refers to, as its file name
/// says: the station's fixed place (`festerStandort`) or its current one
/// (`aktStandort`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LocationRule {
    Fixed,
    Current,
}

impl LocationRule {
    pub fn as_str(self) -> &'static str {
        match self {
            LocationRule::Fixed => "fixed",
            LocationRule::Current => "current",
        }
    }
}

impl NormalsFile {
    /// `None` for any other name (descriptions, `.html` twins).
    pub fn of(name: &str) -> Option<NormalsFile> {
        let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
        if base.eq_ignore_ascii_case("Beschreibung_Datenquelle.txt") {
            return Some(NormalsFile::Sources);
        }
        let stem = base.strip_suffix(".txt")?;
        let (stem, rule) = match (
            stem.strip_suffix("_festerStandort"),
            stem.strip_suffix("_aktStandort"),
        ) {
            (Some(s), _) => (s, Some(LocationRule::Fixed)),
            (_, Some(s)) => (s, Some(LocationRule::Current)),
            _ => (stem, None),
        };
        let (stem, list) = match stem.strip_suffix("_Stationsliste") {
            Some(s) => (s, true),
            None => (stem, false),
        };
        let (parameter, period) = stem.rsplit_once('_')?;
        let years: Vec<&str> = period.split('-').collect();
        let is_year = |y: &str| y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit());
        if years.len() != 2
            || !years.iter().all(|y| is_year(y))
            || parameter.is_empty()
            || !parameter.chars().all(char::is_alphabetic)
        {
            return None;
        }
        let (parameter, period) = (parameter.to_owned(), period.to_owned());
        Some(match list {
            true => NormalsFile::StationList {
                parameter,
                period,
                rule,
            },
            false => NormalsFile::Table {
                parameter,
                period,
                rule,
            },
        })
    }
}

/// The station metadata tables DWD ships (`Metadaten_*`, and their names
/// before 2018).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MetadataKind {
    Geography,
    Parameters,
    /// The devices of one measured quantity, e.g. `Lufttemperatur`.
    Devices(String),
    Names,
}

impl MetadataKind {
    /// From a file name (any folder prefix); `None` for other files.
    pub fn of(name: &str) -> Option<MetadataKind> {
        let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
        let (stem, ext) = base.rsplit_once('.')?;
        if !(ext.eq_ignore_ascii_case("txt") || ext.eq_ignore_ascii_case("html")) {
            return None;
        }
        // DWD's layout before 2018, the same tables under other names:
        // `Stationsmetadaten_<klima|monat>_stationen_<id>_…` (Geographie),
        // `Beschreibung_<klima|monat>_Element_<id>` (Parameter) and
        // `Beschreibung_klima_<group>_Detail_<id>` (Geraete_<group>)
        if stem.starts_with("Stationsmetadaten_") {
            return Some(MetadataKind::Geography);
        }
        if let Some(rest) = stem.strip_prefix("Beschreibung_") {
            let (_, rest) = rest.split_once('_')?;
            if rest.starts_with("Element_") {
                return Some(MetadataKind::Parameters);
            }
            let (group, _) = rest.split_once("_Detail_")?;
            return Some(MetadataKind::Devices(group.to_owned()));
        }
        let rest = stem.strip_prefix("Metadaten_")?;
        if rest.starts_with("Geographie_") {
            Some(MetadataKind::Geography)
        } else if rest.starts_with("Parameter_") {
            Some(MetadataKind::Parameters)
        } else if rest.starts_with("Stationsname_") {
            Some(MetadataKind::Names)
        } else if let Some(g) = rest.strip_prefix("Geraete_") {
            // `Geraete_<group>_<id>`: the group may hold underscores
            let group = g.rsplit_once('_').map_or(g, |(group, _)| group);
            Some(MetadataKind::Devices(group.to_owned()))
        } else {
            None
        }
    }

    /// The table's name in the output (`metadata/<kind>/…`).
    pub fn table(&self) -> &'static str {
        match self {
            MetadataKind::Geography => "locations",
            MetadataKind::Parameters => "parameters",
            MetadataKind::Devices(_) => "devices",
            MetadataKind::Names => "names",
        }
    }
}

/// Facts read from a path relative to a dataset, such as
/// `historical/2021/1minutenwerte_…zip`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NameFacts {
    /// The first folder: `historical`, `recent`, `now`, `meta_data`.
    pub folder: Option<String>,
    /// The first folder as a period, when it is one.
    pub period: Option<Period>,
    /// The 5-digit station id.
    pub station: Option<String>,
    /// `YYYYMMDD` first and last day in the name.
    pub from: Option<String>,
    pub to: Option<String>,
}

/// What a path relative to its dataset says.
pub fn facts(relative_path: &str) -> NameFacts {
    let file = relative_path.rsplit('/').next().unwrap_or(relative_path);
    let folder = relative_path
        .split('/')
        .next()
        .filter(|p| *p != file)
        .map(str::to_owned);
    let stem = file.split('.').next().unwrap_or(file);
    let tokens: Vec<&str> = stem.split('_').collect();
    let range = tokens
        .windows(2)
        .find(|w| digits(w[0], 8) && digits(w[1], 8))
        .map(|w| (w[0].to_owned(), w[1].to_owned()));
    NameFacts {
        period: folder.as_deref().and_then(Period::parse),
        folder,
        station: station_of(file).map(str::to_owned),
        from: range.as_ref().map(|r| r.0.clone()),
        to: range.map(|r| r.1),
    }
}

fn digits(t: &str, n: usize) -> bool {
    t.len() == n && t.bytes().all(|b| b.is_ascii_digit())
}

/// The 5-digit station id in a DWD file name (`…_00044_…`, `…_00044.txt`).
pub fn station_of(name: &str) -> Option<&str> {
    let file = name.rsplit(['/', '\\', ':']).next().unwrap_or(name);
    let stem = file.split('.').next().unwrap_or(file);
    stem.split('_').find(|t| digits(t, 5))
}

/// Where DWD keeps the metadata of a minute-data file's station, by the
/// name of its `produkt*` member or zip: `produkt_zehn_{min,now}_tu_…_<id>.txt`
/// → `meta_data/Meta_Daten_zehn_min_tu_<id>.zip`. `None` for datasets whose
/// zips carry their own metadata.
pub fn metadata_zip_of(name: &str) -> Option<String> {
    let dataset = crate::dataset_of(name)?;
    let prefix = dataset.metadata_zip?;
    let file = name.rsplit(['/', '\\', ':']).next().unwrap_or(name);
    // the id is the member's last token, the zip's first 5-digit one
    let station = if file.to_ascii_lowercase().starts_with("produkt") {
        let stem = file.split('.').next().unwrap_or(file);
        stem.rsplit('_').next().filter(|t| digits(t, 5))?
    } else {
        station_of(file)?
    };
    Some(format!("meta_data/{prefix}{station}.zip"))
}
