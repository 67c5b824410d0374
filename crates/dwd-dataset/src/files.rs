//! What a DWD file is and how it is read, shared by the `dwd` processor
//! (`run`) and the CLI's `convert`: one path from a file on disk to tables.

use std::path::Path;

use dwd_parser::metadata::StationMetadata;
use dwd_parser::time::FileTime;
use dwd_translate::Tables;
use dwd_translate::table::Table;

pub use dwd_catalog::{FileKind, metadata_zip_of};

/// Why a DWD file on disk could not be read; the variant decides whether
/// trying again can help.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// Reading the local file failed: worth another attempt.
    #[error("{file}: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
    /// The file's content: the same every time.
    #[error(transparent)]
    Parse(#[from] dwd_parser::ParseError),
    #[error(transparent)]
    Translate(#[from] dwd_translate::TranslateError),
    #[error("{0}: not a Metadaten_* file this parser reads")]
    NotMetadata(String),
    /// A file of another dataset in this dataset's folder.
    #[error("{file}: {what} belongs to {belongs} (not {dataset}): it was put in the wrong folder")]
    Misplaced {
        file: String,
        what: String,
        belongs: String,
        dataset: String,
    },
    /// Rows of another station than the file's name says.
    #[error(
        "{file}: named for station {named}, but {others} of its {rows} rows are of station(s) {found}"
    )]
    OtherStation {
        file: String,
        named: u32,
        found: String,
        others: usize,
        rows: usize,
    },
}

/// A data file (or its `produkt*` member, `what`) of `dataset` whose name
/// carries another dataset's prefix is refused.
fn check_belongs(shown: &str, dataset: &str, what: &str, name: &str) -> Result<(), InputError> {
    match dwd_catalog::belongs_elsewhere(dataset, name) {
        Some(other) => Err(InputError::Misplaced {
            file: shown.to_owned(),
            what: what.to_owned(),
            belongs: other.name.to_owned(),
            dataset: dataset.to_owned(),
        }),
        None => Ok(()),
    }
}

/// Every row of a file named for a station is of that station.
fn check_station(shown: &str, name: &str, stations: &[u32]) -> Result<(), InputError> {
    let Some(named) = dwd_catalog::facts(name)
        .station
        .and_then(|s| s.parse::<u32>().ok())
    else {
        return Ok(());
    };
    let others: Vec<u32> = stations.iter().copied().filter(|s| *s != named).collect();
    if others.is_empty() {
        return Ok(());
    }
    let mut found: Vec<u32> = others.clone();
    found.sort_unstable();
    found.dedup();
    Err(InputError::OtherStation {
        file: shown.to_owned(),
        named,
        found: found
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        others: others.len(),
        rows: stations.len(),
    })
}

impl InputError {
    fn io(file: &str) -> impl FnOnce(std::io::Error) -> InputError + '_ {
        move |source| InputError::Io {
            file: file.to_owned(),
            source,
        }
    }
}

impl From<InputError> for pipeline::ProcessError {
    fn from(e: InputError) -> Self {
        use tracker_core::FailureCause;
        match e {
            InputError::Io { .. } => {
                pipeline::ProcessError::transient(e.to_string()).because(FailureCause::Machine)
            }
            InputError::Misplaced { .. } | InputError::OtherStation { .. } => {
                pipeline::ProcessError::permanent(e.to_string()).because(FailureCause::Misplaced)
            }
            _ => pipeline::ProcessError::permanent(e.to_string()).because(FailureCause::Content),
        }
    }
}

/// A data file read and translated.
#[derive(Debug)]
pub struct DataFile {
    /// The `produkt*` file's name.
    pub member: String,
    pub table: Table,
    pub time: FileTime,
    /// The `Metadaten_*` that came in the same zip.
    pub metadata: StationMetadata,
}

/// A data file parsed, before its time is decided.
#[derive(Debug)]
pub struct Parsed {
    pub member: String,
    pub produkt: dwd_parser::produkt::Produkt,
    /// The `Metadaten_*` that came in the same zip.
    pub metadata: StationMetadata,
}

/// Parses a data zip (or a lone `produkt_*.txt`) at `path` (`shown` in
/// errors) of `dataset` (when known; else the `produkt*` member's name
/// tells it), each column read as its dataset's table says (numbers,
/// codes or text). Errors name the file (and line and column where there
/// are some).
pub fn parse_data(
    path: &Path,
    shown: &str,
    max_bytes: u64,
    dataset: Option<&str>,
    tables: &Tables,
) -> Result<Parsed, InputError> {
    let file = std::fs::File::open(path).map_err(InputError::io(shown))?;
    let reader = std::io::BufReader::new(file);
    let kinds = |member: &str, column: &str| {
        let dataset = dataset.or_else(|| dwd_catalog::dataset_of(member).map(|d| d.name));
        match dataset {
            Some(d) => tables.kind(d, column),
            None => dwd_parser::produkt::ColumnKind::default_of(column),
        }
    };
    if FileKind::of(shown) == FileKind::Produkt {
        let member = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let produkt =
            dwd_parser::produkt::parse_reader_kinds(shown, reader, 0, &|c| kinds(&member, c))?;
        return Ok(Parsed {
            member,
            produkt,
            metadata: StationMetadata::default(),
        });
    }
    let z = dwd_parser::archive::parse_data_zip_kinds(shown, reader, max_bytes, &kinds)?;
    Ok(Parsed {
        member: z.member,
        produkt: z.produkt,
        metadata: z.metadata,
    })
}

/// Decides the time reference of a parsed file of `dataset` (from the
/// metadata in its zip, and `extra` metadata of its station when known)
/// and translates it.
pub fn translate_data(
    parsed: Parsed,
    extra: Option<&StationMetadata>,
    dataset: &str,
    tables: &Tables,
) -> Result<DataFile, InputError> {
    let Parsed {
        member,
        produkt,
        metadata,
    } = parsed;
    let time = match extra {
        Some(e) if !e.is_empty() => {
            let mut known = metadata.clone();
            known.extend(e.clone());
            dwd_parser::time::decide(&member, dataset, &produkt.columns, Some(&known))
        }
        _ => dwd_parser::time::decide(&member, dataset, &produkt.columns, Some(&metadata)),
    };
    let table = dwd_translate::table::translate(produkt, dataset, &member, tables, time.reference)?;
    Ok(DataFile {
        member,
        table,
        time,
        metadata,
    })
}

/// Reads a `Meta_Daten_*.zip` or a single `Metadaten_*` file.
pub fn read_metadata(path: &Path, shown: &str) -> Result<StationMetadata, InputError> {
    if FileKind::of(shown) == FileKind::MetadataZip {
        let file = std::fs::File::open(path).map_err(InputError::io(shown))?;
        Ok(dwd_parser::archive::read_metadata(
            shown,
            std::io::BufReader::new(file),
        )?)
    } else {
        let bytes = std::fs::read(path).map_err(InputError::io(shown))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        dwd_parser::metadata::parse(shown, &name, &bytes)?
            .ok_or_else(|| InputError::NotMetadata(shown.to_owned()))
    }
}

/// Reads a station list.
pub fn read_station_list(
    path: &Path,
    shown: &str,
) -> Result<Vec<dwd_parser::stations::Station>, InputError> {
    let bytes = std::fs::read(path).map_err(InputError::io(shown))?;
    Ok(dwd_parser::stations::parse(shown, &bytes)?)
}

/// A station list of either kind, by its name at the source (`name`;
/// `path` may be a temp copy): DWD's fixed-width `…_Beschreibung_Stationen.txt`
/// or a normals list ([`read_normals_list`]).
pub fn read_any_station_list(
    path: &Path,
    name: &str,
    shown: &str,
) -> Result<Vec<dwd_parser::stations::Station>, InputError> {
    match FileKind::of(name) {
        FileKind::NormalsStationList => read_normals_list(path, name, shown),
        _ => read_station_list(path, shown),
    }
}

/// A normals station list (`Temperatur_1991-2020_Stationsliste.txt`) as
/// stations listed over the period its name gives.
fn read_normals_list(
    path: &Path,
    name: &str,
    shown: &str,
) -> Result<Vec<dwd_parser::stations::Station>, InputError> {
    let bytes = std::fs::read(path).map_err(InputError::io(shown))?;
    let stations = dwd_parser::normals::parse_stations(shown, &bytes)?;
    let Some(dwd_catalog::NormalsFile::StationList { period, .. }) =
        dwd_catalog::NormalsFile::of(name)
    else {
        return Err(dwd_parser::ParseError::File {
            file: shown.to_owned(),
            message: "not a normals station list by its name (<Parameter>_<YYYY>-<YYYY>_Stationsliste.txt)".into(),
        }
        .into());
    };
    dwd_translate::normals::normals_stations(&stations, &period).ok_or_else(|| {
        dwd_parser::ParseError::File {
            file: shown.to_owned(),
            message: format!("{period:?} is not a period of years"),
        }
        .into()
    })
}

/// What the normals' source codes mean (`Beschreibung_Datenquelle.txt`).
pub fn read_sources(path: &Path, shown: &str) -> Result<Vec<(u16, String)>, InputError> {
    let bytes = std::fs::read(path).map_err(InputError::io(shown))?;
    Ok(dwd_parser::normals::parse_sources(shown, &bytes)?)
}

/// A normals table read.
#[derive(Clone, Debug)]
pub struct ReadNormals {
    /// The file's German parameter name (the translation table's code).
    pub code: String,
    pub rows: Vec<dwd_parser::normals::NormalRow>,
    /// An older normal's place (`_obsolete` folders).
    pub rule: Option<dwd_catalog::LocationRule>,
}

/// A normals table read: its code (the German parameter name of the
/// file's name at the source, `name`) and rows.
pub fn read_normals(path: &Path, name: &str, shown: &str) -> Result<ReadNormals, InputError> {
    let bytes = std::fs::read(path).map_err(InputError::io(shown))?;
    let rows = dwd_parser::normals::parse_table(shown, &bytes)?;
    match dwd_catalog::NormalsFile::of(name) {
        Some(dwd_catalog::NormalsFile::Table {
            parameter, rule, ..
        }) => Ok(ReadNormals {
            code: parameter,
            rows,
            rule,
        }),
        _ => Err(dwd_parser::ParseError::File {
            file: shown.to_owned(),
            message: "not a normals table by its name (<Parameter>_<YYYY>-<YYYY>.txt)".into(),
        }
        .into()),
    }
}

use dwd_series::output::{Format, OutputError, Written, write_atomic};

/// Writes a translated data file to `out` (atomically) in `format`;
/// returns what was written and its rows. Parquet carries `source` in its
/// key-value metadata.
pub fn write_data(
    table: Table,
    format: Format,
    source: &dwd_translate::table::SourceInfo,
    out: &Path,
) -> Result<(Written, usize), OutputError> {
    let rows = table.len();
    let written = write_atomic(out, |w| {
        let (batch, meta) = dwd_translate::table::to_batch(table, source)?;
        dwd_series::encode::write(format, &batch, meta, w)
    })?;
    Ok((written, rows))
}

/// Writes a station list or metadata table to `out` (atomically) in `format`.
pub fn write_frame(
    frame: &dwd_translate::frame::Frame,
    format: Format,
    source: &dwd_translate::table::SourceInfo,
    out: &Path,
) -> Result<Written, OutputError> {
    write_frame_with(frame, format, source, Vec::new(), out)
}

/// [`write_frame`] with `extra` key-value metadata after the source's.
pub fn write_frame_with(
    frame: &dwd_translate::frame::Frame,
    format: Format,
    source: &dwd_translate::table::SourceInfo,
    extra: Vec<parquet::file::metadata::KeyValue>,
    out: &Path,
) -> Result<Written, OutputError> {
    write_atomic(out, |w| {
        let mut meta = dwd_translate::table::source_metadata(source);
        meta.extend(extra);
        dwd_series::encode::write(format, &frame.to_batch()?, meta, w)
    })
}

/// Where the tables of one converted file go (`run` and `convert` differ
/// only in this).
pub trait Targets {
    /// The data table of a data file of `dataset`.
    fn data(&self, dataset: &str) -> std::path::PathBuf;
    /// Metadata table `kind` (`locations`, `devices`, …) of `station`
    /// (`00044`, or `mixed` when a file names several).
    fn metadata(&self, dataset: &str, kind: &str, station: &str) -> std::path::PathBuf;
    /// A station list's table.
    fn stations(&self, dataset: &str) -> std::path::PathBuf;
}

/// Why a file could not be converted; the variant decides what happens.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(
        "{0}: not a DWD data zip, produkt_*.txt, Meta_Daten_*.zip, Metadaten_* file or station list"
    )]
    NotDwd(String),
    /// Finding the station's metadata failed (the `dwd` processor reads it
    /// from the source).
    #[error(transparent)]
    Process(#[from] pipeline::ProcessError),
}

impl From<ConvertError> for pipeline::ProcessError {
    fn from(e: ConvertError) -> Self {
        match e {
            ConvertError::Input(e) => e.into(),
            ConvertError::Output(e) => e.into(),
            ConvertError::Process(e) => e,
            e @ ConvertError::NotDwd(_) => pipeline::ProcessError::permanent(e.to_string())
                .because(tracker_core::FailureCause::Misplaced),
        }
    }
}

/// One file to convert.
#[derive(Debug)]
pub struct FileToConvert<'a> {
    /// Where its bytes are (a download's `.part` until it is committed).
    pub path: &'a Path,
    /// How errors name it.
    pub shown: &'a str,
    /// Its file name (the kind of file and the dataset follow from it).
    pub name: &'a str,
    /// Its dataset when known; else its name (or its `produkt*` member's) tells.
    pub dataset: Option<&'a str>,
    /// What the tables' metadata says about the source.
    pub source: dwd_translate::table::SourceInfo,
    /// The most a member may declare (the worker's memory budget).
    pub budget: u64,
    /// `dataset` is the folder the file was found in (`run`), not a
    /// reading the user asked for (`convert --dataset`): a file or member
    /// named for another dataset is refused as misplaced.
    pub placed: bool,
}

/// What converting one file wrote.
#[derive(Debug, Default)]
pub struct Converted {
    pub dataset: String,
    /// Each table with its rows.
    pub written: Vec<(Written, usize)>,
    /// Rows of the data table, or of the station list or metadata.
    pub rows: u64,
    /// The data file's `produkt*` member and what decided its time reference.
    pub member: Option<String>,
    pub time: Option<FileTime>,
}

/// The station metadata a data file's time reference may need beyond its
/// own zip, by dataset and `produkt*` member name.
pub type StationMetadataOf<'a> =
    &'a dyn Fn(
        &str,
        &str,
    ) -> Result<Option<std::sync::Arc<StationMetadata>>, pipeline::ProcessError>;

/// Converts one DWD file, by kind: a data file's `produkt*` parsed,
/// translated and written with the metadata beside it; a metadata file's
/// tables; a station list. The one function `run` (the `dwd` processor)
/// and `convert` call per file.
pub fn convert_file(
    input: FileToConvert<'_>,
    tables: &Tables,
    format: Format,
    targets: &dyn Targets,
    station_metadata: StationMetadataOf<'_>,
) -> Result<Converted, ConvertError> {
    let FileToConvert {
        path,
        shown,
        name,
        dataset,
        mut source,
        budget,
        placed,
    } = input;
    let named = dataset
        .map(str::to_owned)
        .or_else(|| dwd_catalog::dataset_of(name).map(|d| d.name.to_owned()))
        .or_else(|| dwd_catalog::dataset_of(shown).map(|d| d.name.to_owned()));
    let mut dataset = named.clone().unwrap_or_else(|| "unknown".into());
    source.dataset = dataset.clone();
    let mut out = Converted::default();
    let write_meta = |meta: &StationMetadata,
                      dataset: &str,
                      source: &dwd_translate::table::SourceInfo,
                      out: &mut Converted|
     -> Result<u64, ConvertError> {
        let station = match meta.station_ids().as_slice() {
            [one] => format!("{one:05}"),
            _ => "mixed".to_owned(),
        };
        let mut rows = 0;
        for (kind, frame) in
            dwd_translate::meta::metadata_frames(meta, dataset, tables, &source.file)
        {
            let target = targets.metadata(dataset, kind, &station);
            let written = write_frame(&frame, format, source, &target)?;
            out.written.push((written, frame.len()));
            rows += frame.len() as u64;
        }
        Ok(rows)
    };
    match FileKind::of(name) {
        FileKind::DataZip | FileKind::Produkt => {
            let placed_in = named.as_deref().filter(|_| placed);
            if let Some(d) = placed_in {
                check_belongs(shown, d, "the file", name)?;
            }
            let parsed = parse_data(path, shown, budget, named.as_deref(), tables)?;
            if let Some(d) = placed_in {
                check_belongs(
                    shown,
                    d,
                    &format!("its member {}", parsed.member),
                    &parsed.member,
                )?;
                // a member named right with another dataset's columns
                if let Some(other) = tables.columns_belong_elsewhere(d, &parsed.produkt.columns) {
                    return Err(InputError::Misplaced {
                        file: shown.to_owned(),
                        what: format!(
                            "its set of columns ({})",
                            parsed
                                .produkt
                                .columns
                                .iter()
                                .filter(|c| !dwd_catalog::is_quality(c))
                                .map(String::as_str)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        belongs: other.to_owned(),
                        dataset: d.to_owned(),
                    }
                    .into());
                }
            }
            check_station(shown, name, &parsed.produkt.stations)?;
            if parsed.produkt.is_empty() {
                // DWD does publish empty periods: a 0-row table, counted
                tracing::warn!(file = shown, member = %parsed.member, "a data file with a header and no rows: its table has 0 rows");
            }
            if named.is_none()
                && let Some(d) = dwd_catalog::dataset_of(&parsed.member)
            {
                dataset = d.name.to_owned();
                source.dataset = dataset.clone();
            }
            let extra = station_metadata(&dataset, &parsed.member)?;
            let data = translate_data(parsed, extra.as_deref(), &dataset, tables)?;
            source.time_basis = Some(data.time.basis.as_str());
            let target = targets.data(&dataset);
            let (written, rows) = write_data(data.table, format, &source, &target)?;
            out.written.push((written, rows));
            out.rows = rows as u64;
            write_meta(&data.metadata, &dataset, &source, &mut out)?;
            out.member = Some(data.member);
            out.time = Some(data.time);
        }
        FileKind::MetadataZip | FileKind::Metadata => {
            let meta = read_metadata(path, shown)?;
            out.rows = write_meta(&meta, &dataset, &source, &mut out)?;
        }
        kind @ (FileKind::StationList | FileKind::NormalsStationList) => {
            let stations = read_any_station_list(path, name, shown)?;
            let target = match kind {
                // several normals lists share a folder: a file's own table
                FileKind::NormalsStationList => targets.data(&dataset),
                _ => targets.stations(&dataset),
            };
            let written = write_frame(
                &dwd_translate::meta::stations_frame(&stations),
                format,
                &source,
                &target,
            )?;
            out.written.push((written, stations.len()));
            out.rows = stations.len() as u64;
        }
        FileKind::Normals => {
            let read = read_normals(path, name, shown)?;
            let (frame, extra) = dwd_translate::normals::normals_frame(
                &dataset,
                &[dwd_translate::normals::NormalsPart {
                    code: &read.code,
                    rows: &read.rows,
                    rule: read.rule,
                }],
                &[],
                tables,
            );
            let written =
                write_frame_with(&frame, format, &source, extra, &targets.data(&dataset))?;
            out.written.push((written, frame.len()));
            out.rows = frame.len() as u64;
        }
        FileKind::Other => return Err(ConvertError::NotDwd(shown.to_owned())),
    }
    out.dataset = dataset;
    Ok(out)
}

/// The kind of the file at `path`, by its name.
pub(crate) fn kind_of(path: &Path) -> FileKind {
    FileKind::of(&path.file_name().unwrap_or_default().to_string_lossy())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The error's type decides: a local read that failed may succeed
    /// next time; content that does not parse never will.
    #[test]
    fn read_errors_are_transient_and_content_errors_permanent() {
        let tables = Tables::embedded().unwrap();
        let missing = Path::new("/no/such/dir/stundenwerte_TU_00320_akt.zip");
        let e: pipeline::ProcessError = parse_data(missing, "x.zip", 1 << 20, None, &tables)
            .unwrap_err()
            .into();
        assert_eq!(
            e.kind(),
            tracker_core::FailureKind::Transient,
            "{}",
            e.message()
        );
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("zehn_now_tu_Beschreibung_Stationen.txt");
        std::fs::write(&bad, "this is not a station list\n").unwrap();
        let e: pipeline::ProcessError = read_station_list(&bad, "list.txt").unwrap_err().into();
        assert_eq!(
            e.kind(),
            tracker_core::FailureKind::Permanent,
            "{}",
            e.message()
        );
        assert!(e.message().contains("list.txt"), "{}", e.message());
    }

    #[test]
    fn the_metadata_zip_name_is_one_in_a_real_listing() {
        // the name is one DWD's real meta_data listing has
        let listing = include_str!(
            "../../../tests/data/listings/climate/10_minutes/air_temperature/meta_data/index.html"
        );
        let name = metadata_zip_of("produkt_zehn_now_tu_20250625_20250625_00044.txt").unwrap();
        let file = name.trim_start_matches("meta_data/");
        assert!(listing.contains(&format!("href=\"{file}\"")), "{file}");
    }
}
