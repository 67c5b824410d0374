//! The catalog's datasets against the translation tables, and the layouts
//! that once failed, each pinned on a file of `tests/data` (real where one
//! exists; `tests/data/README.md` says which are built from DWD's headers).

use std::collections::HashMap;

use dwd_catalog::ColumnKind;
use dwd_parser::archive::{DataZip, parse_data_zip, parse_data_zip_kinds};
use dwd_parser::produkt::{RowTime, Series, Value};
use dwd_parser::time::Reference;

use crate::Tables;
use crate::table::{SourceInfo, Table, to_batch, translate};

fn data(rel: &str) -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data")
        .join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A data zip parsed with each column's kind from its dataset's table.
fn parse(rel: &str, tables: &Tables) -> Result<DataZip, dwd_parser::ParseError> {
    parse_data_zip_kinds(
        rel,
        std::io::Cursor::new(data(rel)),
        64 << 20,
        &|member, column| match dwd_catalog::dataset_of(member) {
            Some(d) => tables.kind(d.name, column),
            None => ColumnKind::default_of(column),
        },
    )
}

fn translated(rel: &str, tables: &Tables) -> (Table, &'static str) {
    let z = parse(rel, tables).unwrap();
    let dataset = dwd_catalog::dataset_of(&z.member).unwrap().name;
    let t = translate(z.produkt, dataset, rel, tables, Reference::Utc).unwrap();
    (t, dataset)
}

fn column<'a>(t: &'a Table, name: &str) -> &'a Series {
    let i = t
        .columns
        .iter()
        .position(|c| c.name == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    &t.series[i]
}

/// The key-value and field metadata of a table's record batch (what every
/// writer of it writes).
fn written(t: Table, dataset: &str) -> (HashMap<String, String>, arrow_schema::SchemaRef) {
    let source = SourceInfo {
        file: "x.zip".into(),
        size: None,
        modified: None,
        dataset: dataset.into(),
        time_basis: None,
    };
    let (batch, meta) = to_batch(t, &source).unwrap();
    (key_values(&meta), batch.schema())
}

/// Key-value metadata as a map.
pub(crate) fn key_values(meta: &[parquet::file::metadata::KeyValue]) -> HashMap<String, String> {
    meta.iter()
        .map(|k| (k.key.clone(), k.value.clone().unwrap_or_default()))
        .collect()
}

#[test]
fn every_catalog_dataset_has_translations_units_and_descriptions() {
    let t = Tables::embedded().unwrap();
    for d in dwd_catalog::all() {
        let params: Vec<_> = t.parameters(d.name).collect();
        if !d.converted() {
            assert!(params.is_empty(), "{} is not converted", d.name);
            continue;
        }
        assert!(!params.is_empty(), "{}: no translation rows", d.name);
        // DWD's normals carry a source code, no quality level
        assert!(
            d.resolution == dwd_catalog::Resolution::MultiAnnual
                || params.iter().any(|(c, _)| dwd_catalog::is_quality(c)),
            "{}: no quality column",
            d.name
        );
        for (code, p) in params {
            for (what, v) in [
                ("name", &p.name),
                ("unit", &p.unit),
                ("de", &p.de),
                ("en", &p.en),
            ] {
                assert!(!v.trim().is_empty(), "{} {code}: empty {what}", d.name);
            }
            assert!(
                p.name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{} {code}: {:?} is not snake_case",
                d.name,
                p.name
            );
            for v in p.missing.keys() {
                assert!(v.trim().parse::<f64>().is_ok(), "{} {code}: {v:?}", d.name);
            }
        }
    }
    // and no table for a dataset the catalog does not know (a typo)
    for ds in t.datasets() {
        assert!(dwd_catalog::get(ds).is_some(), "{ds}: not in the catalog");
    }
}

#[test]
fn one_name_per_meaning_across_resolutions() {
    let t = Tables::embedded().unwrap();
    let name = |ds: &str, code: &str| t.parameter(ds, code).unwrap().name.as_str();
    // a meaning includes the statistic: readings at the stamp are not
    // means (their former name stays accepted)
    assert_eq!(name("daily/kl", "TMK"), "temperature_air_mean_2m");
    assert_eq!(name("monthly/kl", "MO_TT"), "temperature_air_mean_2m");
    assert_eq!(name("annual/kl", "JA_TT"), "temperature_air_mean_2m");
    for (ds, code) in [
        ("hourly/air_temperature", "TT_TU"),
        ("hourly/moisture", "TT_STD"),
        ("10_minutes/air_temperature", "TT_10"),
        ("subdaily/air_temperature", "TT_TER"),
    ] {
        let p = t.parameter(ds, code).unwrap();
        assert_eq!(p.name, "temperature_air_2m", "{ds} {code}");
        assert_eq!(p.was.as_deref(), Some("temperature_air_mean_2m"));
    }
    assert_eq!(
        name("1_minute/precipitation", "RS_01"),
        "precipitation_height"
    );
    assert_eq!(
        name("5_minutes/precipitation", "RS_05"),
        "precipitation_height"
    );
    assert_eq!(name("hourly/precipitation", "R1"), "precipitation_height");
}

/// hourly cloud_type: `V_S1_CSA` holds abbreviations such as `SC`.
#[test]
fn cloud_type_abbreviations_are_a_text_column() {
    let rel = "dwd/hourly/cloud_type/recent/stundenwerte_CS_00044_akt.zip";
    // without the table's word, the column is numeric and the file fails
    let e = parse_data_zip(rel, std::io::Cursor::new(data(rel)), 64 << 20).unwrap_err();
    assert!(
        e.to_string().contains("V_S1_CSA: \"SC\" is not a number"),
        "{e}"
    );
    let tables = Tables::embedded().unwrap();
    let (t, dataset) = translated(rel, &tables);
    let abbr = column(&t, "cloud_type_layer1_abbreviation");
    assert_eq!(abbr.get(0), Value::Code("SC".into()));
    assert_eq!(abbr.get(1), Value::Missing, "-999 is none");
    assert_eq!(abbr.get(2), Value::Code("CU".into()));
    let (_, schema) = written(t, dataset);
    let f = schema
        .field_with_name("cloud_type_layer1_abbreviation")
        .unwrap();
    assert_eq!(f.data_type(), &arrow_schema::DataType::Utf8);
}

/// Cloud cover `-1` (sky not visible) is null; the rule is in the table
/// and in the output; the cloud type code's own `-1` stays. Pinned on the
/// real hourly cloudiness file, whose last two rows are `-1`.
#[test]
fn cloud_cover_minus_one_is_null_by_the_table_rule() {
    let tables = Tables::embedded().unwrap();
    let rel = "dwd/hourly/cloudiness/recent/stundenwerte_N_01766_akt.zip";
    let raw = parse(rel, &tables).unwrap();
    let v_n = raw.produkt.columns.iter().position(|c| c == "V_N").unwrap();
    let raw_values: Vec<Value> = (0..raw.produkt.len())
        .map(|i| raw.produkt.series[v_n].get(i))
        .collect();
    assert_eq!(
        raw_values[8],
        Value::Number(-1.0),
        "the parser reads as written"
    );
    let (t, dataset) = translated(rel, &tables);
    let cover = column(&t, "cloud_cover_total");
    for (i, raw) in raw_values.iter().enumerate() {
        match raw {
            Value::Number(n) if *n == -1.0 => assert_eq!(cover.get(i), Value::Missing, "row {i}"),
            other => assert_eq!(&cover.get(i), other, "row {i}"),
        }
    }
    let (kv, schema) = written(t, dataset);
    assert!(
        kv["missing.cloud_cover_total"].contains("-1: not determinable"),
        "{kv:?}"
    );
    // the P/I letter codes stay text and say what they mean
    let f = schema
        .field_with_name("cloud_cover_total_measurement_method")
        .unwrap();
    assert_eq!(f.data_type(), &arrow_schema::DataType::Utf8);
    assert!(f.metadata()["description"].contains("observer (P) or instrument (I)"));

    // cloud_type: cover -1 is null in every layer, the type code -1 stays
    let (t, _) = translated(
        "dwd/hourly/cloud_type/recent/stundenwerte_CS_00044_akt.zip",
        &tables,
    );
    assert_eq!(column(&t, "cloud_cover_total").get(1), Value::Missing);
    assert_eq!(column(&t, "cloud_cover_layer1").get(1), Value::Missing);
    assert_eq!(column(&t, "cloud_type_layer1").get(1), Value::Number(-1.0));
}

/// DWD's monthly layout before 2018 repeats `ART` five times: every
/// output column has its own name.
#[test]
fn repeated_codes_get_unique_output_names() {
    let tables = Tables::embedded().unwrap();
    let rel = "fixtures/legacy/monatswerte_03987_18930101_20151231_hist.zip";
    let (t, dataset) = translated(rel, &tables);
    assert_eq!(dataset, "monthly/kl");
    let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
    let mut unique = names.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "{names:?}");
    for n in ["ART", "ART_2", "ART_3", "ART_4", "ART_5"] {
        assert!(names.contains(&n), "{names:?}");
    }
    assert!(names.contains(&"temperature_air_mean_2m"), "{names:?}");
    assert!(names.contains(&"precipitation_height_max"), "{names:?}");
    // pyarrow reads it: the schema has no duplicate field
    let (_, schema) = written(t, dataset);
    assert_eq!(
        schema.fields().len(),
        schema
            .fields()
            .iter()
            .map(|f| f.name())
            .collect::<std::collections::HashSet<_>>()
            .len()
    );
}

/// 1-minute historical rows stand for every minute of their range. The
/// output keeps one row per range, half-open: `[timestamp_utc,
/// period_end_utc)`; expanded, it equals the file expanded minute by minute
/// from its text (whose ranges include their last minute).
#[test]
fn one_minute_ranges_expand_to_the_minutes_of_the_file() {
    let rel = "dwd/1_minute/precipitation/historical/2022/1minutenwerte_nieder_00020_20220101_20220102_hist.zip";
    let tables = Tables::embedded().unwrap();
    let (t, dataset) = translated(rel, &tables);
    let height = column(&t, "precipitation_height");
    let ends = t.period_ends_ms.clone().unwrap();
    let mut from_output: Vec<(i64, Option<f64>)> = Vec::new();
    for (i, start) in t.timestamps_ms.iter().enumerate() {
        let mut m = *start;
        while m < ends[i] {
            from_output.push((m, height.get(i).number()));
            m += 60_000;
        }
    }
    // the same file expanded from its text, independently of the parser
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(data(rel))).unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut zip.by_index(0).unwrap(), &mut text).unwrap();
    let mut from_text = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(';').map(str::trim).collect();
        let minute = |s: &str| {
            let dt = jiff::civil::DateTime::strptime("%Y%m%d%H%M", s).unwrap();
            jiff::tz::TimeZone::UTC
                .to_timestamp(dt)
                .unwrap()
                .as_millisecond()
        };
        let value = match f[4] {
            "-999" => None,
            v => Some(v.parse::<f64>().unwrap()),
        };
        let (mut m, end) = (minute(f[1]), minute(f[2]));
        while m <= end {
            from_text.push((m, value));
            m += 60_000;
        }
    }
    assert_eq!(from_text.len(), 2 * 24 * 60, "two whole days");
    assert_eq!(from_output, from_text);
    assert!(matches!(
        dwd_parser::produkt::parse("x", text.as_bytes())
            .unwrap()
            .times[0],
        RowTime::Span(..)
    ));
    let (kv, _) = written(t, dataset);
    assert!(
        kv["row_span"].starts_with("each minute from timestamp_utc up to period_end_utc (excluded")
    );
}

/// Every converted dataset of the catalog has a data zip in `tests/data`
/// (the sample mirror, or `fixtures/datasets/` built from DWD's header):
/// its name and its member's name find the dataset, and every column
/// converts with an English name. The sample mirror (README's main job)
/// holds data of every resolution.
#[test]
fn every_catalog_dataset_converts_its_fixture_with_english_names() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data");
    let tables = Tables::embedded().unwrap();
    let mut zips = Vec::new();
    let mut normals = Vec::new();
    let mut dirs = vec![root.join("dwd"), root.join("fixtures/datasets")];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "zip")
                && dwd_catalog::FileKind::of(&p.to_string_lossy()) == dwd_catalog::FileKind::DataZip
            {
                zips.push(p);
            } else if dwd_catalog::FileKind::of(&p.to_string_lossy())
                == dwd_catalog::FileKind::Normals
            {
                normals.push(p);
            }
        }
    }
    let mut covered = std::collections::BTreeSet::new();
    let mut sample_resolutions = std::collections::BTreeSet::new();
    for zip in &zips {
        let rel = zip
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let name = zip.file_name().unwrap().to_string_lossy().into_owned();
        let dataset = dwd_catalog::dataset_of(&name)
            .unwrap_or_else(|| panic!("{rel}: no dataset"))
            .name;
        assert!(
            rel.contains(&format!("/{dataset}/")),
            "{rel} is not in {dataset}'s folder"
        );
        let z = parse(&rel, &tables).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            dwd_catalog::dataset_of(&z.member).map(|d| d.name),
            Some(dataset),
            "{rel}: {}",
            z.member
        );
        let t = translate(z.produkt, dataset, &rel, &tables, Reference::Utc).unwrap();
        assert!(!t.is_empty(), "{rel}");
        let unknown = t.unknown_codes();
        assert!(unknown.is_empty(), "{rel}: {unknown:?}");
        covered.insert(dataset);
        if rel.starts_with("dwd/") {
            sample_resolutions.insert(dwd_catalog::get(dataset).unwrap().resolution);
        }
    }
    // the normals: a table per parameter in its period's folder, each
    // code (the file's German name) with an English name
    for p in &normals {
        let rel = p
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let dataset = dwd_catalog::all()
            .iter()
            .find(|d| rel.contains(&format!("/{}/", d.name)))
            .unwrap_or_else(|| panic!("{rel}: in no dataset's folder"))
            .name;
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let Some(dwd_catalog::NormalsFile::Table {
            parameter, period, ..
        }) = dwd_catalog::NormalsFile::of(&name)
        else {
            panic!("{rel}: not a normals table")
        };
        assert_eq!(
            dwd_catalog::ReferencePeriod::of_dataset(dataset).map(|p| p.to_string()),
            Some(period.clone()),
            "{rel}"
        );
        let rows = dwd_parser::normals::parse_table(&rel, &std::fs::read(p).unwrap())
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            !rows.is_empty() && rows.iter().all(|r| r.period == period),
            "{rel}"
        );
        assert!(
            tables.parameter(dataset, &parameter).is_some(),
            "{rel}: {parameter} has no translation row"
        );
        covered.insert(dataset);
        if rel.starts_with("dwd/") {
            sample_resolutions.insert(dwd_catalog::Resolution::MultiAnnual);
        }
    }
    for d in dwd_catalog::all().iter().filter(|d| d.converted()) {
        assert!(
            sample_resolutions.contains(&d.resolution),
            "no {:?} data in the sample mirror",
            d.resolution
        );
    }
    let missing: Vec<&str> = dwd_catalog::all()
        .iter()
        .filter(|d| d.converted() && !covered.contains(d.name))
        .map(|d| d.name)
        .collect();
    assert!(missing.is_empty(), "no fixture for {missing:?}");
}

/// A repeated (station, time) and a station id that changes inside one
/// file are kept as written, warned about and counted in the metadata;
/// the real file of station 44 has neither.
#[test]
fn repeated_times_and_a_second_station_are_counted_in_the_metadata() {
    let tables = Tables::embedded().unwrap();
    let text = String::from_utf8(data(
        "fixtures/produkt_zehn_now_tu_20250625_20250625_00044.txt",
    ))
    .unwrap();
    let convert = |text: &str| {
        let p = dwd_parser::produkt::parse("now.txt", text.as_bytes()).unwrap();
        let t = translate(
            p,
            "10_minutes/air_temperature",
            "now.txt",
            &tables,
            Reference::Utc,
        )
        .unwrap();
        let n = t.len();
        (written(t, "10_minutes/air_temperature").0, n)
    };
    let (kv, rows) = convert(&text);
    assert_eq!(rows, 102);
    assert!(
        !kv.contains_key("rows.repeated_times") && !kv.contains_key("rows.stations"),
        "{kv:?}"
    );
    // the second data row twice, and the last row under another station id
    let lines: Vec<&str> = text.lines().collect();
    let mut changed: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    changed.insert(2, lines[2].to_owned());
    let last = changed.len() - 1;
    changed[last] = changed[last].replacen("44;", "45;", 1);
    let (kv, rows) = convert(&changed.join("\n"));
    assert_eq!(rows, 103, "every row kept");
    assert_eq!(kv["rows.repeated_times"], "1");
    assert_eq!(kv["rows.stations"], "44,45");
}

/// Hourly files of the layout before 2015 (`Stations_ID; Mess_Datum;
/// Qualitaets_Niveau; Struktur_Version; LUFTTEMPERATUR;REL_FEUCHTE;eor`:
/// mixed case, spaces after `;`, German long names) and the wind file of
/// the same time: read, their dataset found by the member's name, and
/// every column in English with its quality column. Real files.
#[test]
fn hourly_files_before_2015_convert_with_english_names() {
    let tables = Tables::embedded().unwrap();
    for (rel, dataset, want) in [
        (
            "fixtures/legacy/produkt_temp_Terminwerte_20131114_20141214_04642.excerpt.txt",
            "hourly/air_temperature",
            [("temperature_air_2m", 3.8), ("humidity", 100.0)],
        ),
        (
            "fixtures/legacy/produkt_wind_Terminwerte_20131206_20150105_04642.excerpt.txt",
            "hourly/wind",
            [("wind_speed", 10.0), ("wind_direction", 260.0)],
        ),
    ] {
        let name = rel.rsplit('/').next().unwrap();
        assert_eq!(dwd_catalog::dataset_of(name).map(|d| d.name), Some(dataset));
        let p = dwd_parser::produkt::parse_reader_kinds(
            rel,
            std::io::Cursor::new(data(rel)),
            0,
            &|c| tables.kind(dataset, c),
        )
        .unwrap();
        assert_eq!(p.stations[0], 4642);
        let t = translate(p, dataset, rel, &tables, Reference::Utc).unwrap();
        let unknown = t.unknown_codes();
        assert!(unknown.is_empty(), "{rel}: unknown {unknown:?}");
        for (col, first) in want {
            assert_eq!(column(&t, col).get(0), Value::Number(first), "{rel} {col}");
            let c = t.columns.iter().find(|c| c.name == col).unwrap();
            assert_eq!(c.quality.as_deref(), Some("quality"), "{rel} {col}");
        }
        assert_eq!(column(&t, "quality").get(0), Value::Number(7.0));
        assert_eq!(column(&t, "structure_version").len(), t.len());
    }
}

/// Hourly solar files before 2015 named their columns in German
/// (`SONNENSCHEINDAUER`, `DIFFUS_HIMMEL_KW_J`, `GLOBAL_KW_J`,
/// `ATMOSPHAERE_LW_J`, `SONNENZENIT`): they get today's English names. The
/// header is DWD's (as other projects' readers spell it); **the rows are
/// ours**: no real file of this layout was found that we may copy.
#[test]
fn hourly_solar_names_before_2015_get_english_names() {
    let tables = Tables::embedded().unwrap();
    let text = "STATIONS_ID; MESS_DATUM; QUALITAETS_NIVEAU; SONNENSCHEINDAUER;DIFFUS_HIMMEL_KW_J;GLOBAL_KW_J;ATMOSPHAERE_LW_J;SONNENZENIT;MESS_DATUM_WOZ;eor\n  4642;2013111412:00;    1;   30;  12.0;  40.0; 110.0;  72.50;2013111412:53;eor\n";
    let dataset = "hourly/solar";
    let p = dwd_parser::produkt::parse_reader_kinds(
        "produkt_st_stunde_x.txt",
        std::io::Cursor::new(text.as_bytes()),
        0,
        &|c| tables.kind(dataset, c),
    )
    .unwrap();
    let t = translate(p, dataset, "x", &tables, Reference::Utc).unwrap();
    let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "quality",
            "sunshine_duration",
            "radiation_sky_short_wave_diffuse",
            "radiation_global",
            "radiation_sky_long_wave",
            "sun_zenith_angle"
        ]
    );
    assert!(t.columns.iter().all(|c| c.known));
    assert_eq!(column(&t, "radiation_global").get(0), Value::Number(40.0));
}
