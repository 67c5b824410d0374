//! The statistic and span of the translation table's rows, pinned against
//! DWD's own words: the `Metadaten_Parameter` files in real zips of
//! `tests/data/dwd` (provenance in `tests/data/README.md`) where they
//! exist, and DWD's dataset descriptions for the rest.

use std::io::Read;

use crate::Tables;
use crate::what::{Span, Statistic};

fn data(rel: &str) -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/dwd")
        .join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Each parameter's description (and DWD's note on how it was formed) in
/// the `Metadaten_Parameter` member of a real zip.
fn described(rel: &str) -> Vec<(String, String)> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(data(rel))).unwrap();
    let name = (0..zip.len())
        .filter_map(|i| {
            zip.by_index(i)
                .ok()
                .and_then(|f| f.name().ok().map(|n| n.into_owned()))
        })
        .find(|n| n.starts_with("Metadaten_Parameter"))
        .unwrap_or_else(|| panic!("{rel}: no Metadaten_Parameter member"));
    let mut bytes = Vec::new();
    zip.by_name(&name).unwrap().read_to_end(&mut bytes).unwrap();
    let meta = dwd_parser::metadata::parse(rel, &name, &bytes)
        .unwrap()
        .unwrap_or_else(|| panic!("{rel}: {name} not read"));
    assert!(
        !meta.parameters.is_empty(),
        "{rel}: no parameters in {name}"
    );
    meta.parameters
        .into_iter()
        .map(|p| (p.parameter, format!("{} | {}", p.description, p.extra)))
        .collect()
}

/// What DWD's words say a value is, where they say it plainly.
fn documented(words: &str) -> Option<(Statistic, Option<Span>)> {
    let w = words.to_lowercase();
    let span = if w.contains("stunden") {
        Some(Span::Hour)
    } else if w.contains("monats") {
        Some(Span::Month)
    } else if w.contains("10 min") {
        Some(Span::TenMinutes)
    } else {
        None
    };
    let stat = if w.contains("momentan") {
        return Some((Statistic::Point, Some(Span::Instant)));
    } else if w.contains("mittel des lufttemperatur minimums") {
        Statistic::MeanOfDailyMin
    } else if w.contains("mittel des lufttemperatur maximums") {
        Statistic::MeanOfDailyMax
    } else if w.contains("maximum der tagessumme") || w.contains("max. der tagessumme") {
        Statistic::MaxOfDailySum
    } else if w.contains("summe") {
        Statistic::Sum
    } else if w.contains("maximum") {
        Statistic::Max
    } else if w.contains("minimum") {
        Statistic::Min
    } else if w.contains("mittel") || w.contains("der voran. 10 min") {
        Statistic::Mean
    } else {
        return None;
    };
    Some((stat, span))
}

#[test]
fn statistics_agree_with_dwds_metadaten_parameter() {
    let tables = Tables::embedded().unwrap();
    let files = [
        (
            "10_minutes/air_temperature",
            "10_minutes/air_temperature/meta_data/Meta_Daten_zehn_min_tu_00003.zip",
        ),
        ("hourly/solar", "hourly/solar/stundenwerte_ST_05906_row.zip"),
        (
            "monthly/kl",
            "monthly/kl/historical/monatswerte_KL_03987_18930101_20161231_hist.zip",
        ),
        (
            "monthly/kl",
            "monthly/kl/historical/monatswerte_KL_01691_18570101_20171231_hist.zip",
        ),
    ];
    let mut pinned = std::collections::BTreeSet::new();
    for (dataset, rel) in files {
        for (code, words) in described(rel) {
            let Some((stat, span)) = documented(&words) else {
                continue;
            };
            let p = tables
                .parameter(dataset, &code)
                .unwrap_or_else(|| panic!("{dataset} {code} is not in the table"));
            assert_eq!(p.stat, Some(stat), "{dataset} {code}: DWD says {words:?}");
            if stat == Statistic::Point {
                assert!(
                    !p.name.contains("mean"),
                    "{dataset} {code}: DWD says {words:?}, a reading, but it is named {}",
                    p.name
                );
            }
            if let Some(span) = span {
                assert_eq!(p.span, Some(span), "{dataset} {code}: DWD says {words:?}");
            }
            pinned.insert(format!("{dataset} {code}"));
        }
    }
    // the rows the issue names, and a sum and a mean of each kind of file
    for must in [
        "10_minutes/air_temperature TT_10",
        "10_minutes/air_temperature TM5_10",
        "hourly/solar FG_LBERG",
        "hourly/solar SD_LBERG",
        "monthly/kl MO_TT",
        "monthly/kl MO_RR",
        "monthly/kl MO_TN",
    ] {
        assert!(
            pinned.contains(must),
            "{must} not pinned; pinned: {pinned:?}"
        );
    }
}

/// The rest of the examples, pinned against DWD's dataset
/// descriptions (the words in the table's `de`, as DWD's
/// `DESCRIPTION_obsgermany_climate_*` documents and the files' headers
/// give them; wetterdienst's parameter docs quote the same: hourly `TT_TU`
/// "air temperature at 2 m height", subdaily `TT_TER` "air temperature at
/// the observation time", daily `TMK` "daily mean of temperature").
#[test]
fn readings_terms_and_daily_means_are_told_apart() {
    let t = Tables::embedded().unwrap();
    let what = |d: &str, c: &str| {
        let p = t.parameter(d, c).unwrap_or_else(|| panic!("{d} {c}"));
        (p.stat, p.span)
    };
    assert_eq!(
        what("hourly/air_temperature", "TT_TU"),
        (Some(Statistic::Point), Some(Span::Instant))
    );
    assert_eq!(
        what("subdaily/air_temperature", "TT_TER"),
        (Some(Statistic::Point), Some(Span::Instant))
    );
    assert!(
        t.parameter("subdaily/air_temperature", "TT_TER")
            .unwrap()
            .de
            .contains("zum Termin")
    );
    assert_eq!(
        what("daily/kl", "TMK"),
        (Some(Statistic::Mean), Some(Span::Day))
    );
    assert!(
        t.parameter("daily/kl", "TMK")
            .unwrap()
            .de
            .starts_with("Tagesmittel")
    );
    assert_eq!(
        what("daily/kl", "RSK"),
        (Some(Statistic::Sum), Some(Span::Day))
    );
    assert_eq!(
        what("10_minutes/solar", "GS_10"),
        (Some(Statistic::Sum), Some(Span::TenMinutes))
    );
    assert_eq!(
        what("10_minutes/wind", "FF_10"),
        (Some(Statistic::Mean), Some(Span::TenMinutes))
    );
    assert_eq!(
        what("daily/kl", "TXK"),
        (Some(Statistic::Max), Some(Span::Day))
    );
}

#[test]
fn every_value_row_says_what_it_is() {
    let t = Tables::embedded().unwrap();
    let mut rows = 0;
    for dataset in t.datasets() {
        for (code, p) in t.parameters(dataset) {
            if dwd_catalog::is_quality(code) || p.name.starts_with("quality") {
                continue;
            }
            rows += 1;
            let w = p
                .what()
                .unwrap_or_else(|| panic!("{dataset} {code}: no stat and span"));
            // a reading at one moment covers the stamp, a statistic a span
            let coded = matches!(w.stat, Statistic::Code | Statistic::Text);
            if !coded {
                assert_eq!(
                    w.stat == Statistic::Point,
                    w.span == Span::Instant,
                    "{dataset} {code}"
                );
            }
            assert_eq!(w.cell_methods.is_none(), coded, "{dataset} {code}");
            // a text or code column is one; a number column has a number's statistic
            let numeric = p.kind == dwd_catalog::ColumnKind::Number && p.unit != "code";
            assert_eq!(
                numeric, !coded,
                "{dataset} {code}: kind {:?}, unit {}",
                p.kind, p.unit
            );
        }
    }
    assert!(rows > 250, "{rows} rows");
}

/// No name says `mean` for a reading at one moment (the rows DWD's files
/// describe are checked against its words above; the rest by the table's
/// audited statistic), and a former name is never a row's current name in
/// the same dataset.
#[test]
fn no_reading_is_named_a_mean() {
    let tables = Tables::embedded().unwrap();
    let mut renamed = 0;
    for dataset in tables.datasets() {
        for (code, p) in tables.parameters(dataset) {
            if p.stat == Some(Statistic::Point) {
                assert!(
                    !p.name.split('_').any(|w| w == "mean"),
                    "{dataset} {code}: a reading at one moment named {}",
                    p.name
                );
            }
            if let Some(was) = &p.was {
                renamed += 1;
                assert_ne!(was, &p.name, "{dataset} {code}");
                assert!(
                    tables.parameters(dataset).all(|(_, q)| &q.name != was),
                    "{dataset} {code}: its former name {was} is a current name there"
                );
            }
        }
    }
    assert_eq!(renamed, 20, "the renames README lists");
}
