//! DWD's climate normals as one tidy table (`normals.parquet`): a row per
//! station, period, parameter and month (month null: the year), with the
//! value and DWD's source code, the parameter under its English name.

use dwd_parser::normals::{NormalRow, NormalsStation};
use parquet::file::metadata::KeyValue;

use crate::Tables;
use crate::frame::{Col, Frame};

/// The rule a normals table follows, in its metadata (`normals`).
pub const RULE: &str = "a row per station, reference period, parameter and month (1-12; null: the year) with DWD's published normal for it (the mean over the period's 30 years of that month's value: of monthly means, of monthly sums, of monthly counts of days; the parameter's statistic says which) and `source`, DWD's Datenquelle code for how it was formed; `location_rule` (older normals of the _obsolete folders only): fixed, at the station's fixed place (festerStandort), or current, at its current place (aktStandort) (source.<code> in this metadata says what each means, from DWD's Beschreibung_Datenquelle.txt); values as DWD writes them, -999, empty, a lone - or . read as null";

/// One normals file of `dataset`: its code (the file's German parameter
/// name, `Temperatur`) and rows.
#[derive(Clone, Copy, Debug)]
pub struct NormalsPart<'a> {
    pub code: &'a str,
    pub rows: &'a [NormalRow],
    /// An older normal's place (`_obsolete` folders); `None` for the
    /// current normals.
    pub rule: Option<dwd_catalog::LocationRule>,
}

/// The tidy table of `parts`, sorted by parameter, station and month (the
/// year last), and its metadata: the rule, each parameter's unit,
/// description, DWD code and statistic, and what each source code means
/// (`sources`). A code the table does not know keeps its German name, with
/// a warning.
pub fn normals_frame(
    dataset: &str,
    parts: &[NormalsPart<'_>],
    sources: &[(u16, String)],
    tables: &Tables,
) -> (Frame, Vec<KeyValue>) {
    let mut meta = vec![KeyValue::new("normals".into(), RULE.to_owned())];
    struct Row {
        parameter: String,
        station: u32,
        month: Option<u32>,
        period: String,
        value: Option<f64>,
        source: Option<u32>,
        rule: Option<dwd_catalog::LocationRule>,
    }
    let mut rows: Vec<Row> = Vec::new();
    for part in parts {
        let name = match tables.parameter(dataset, part.code) {
            Some(p) => {
                let n = p.name.clone();
                meta.push(KeyValue::new(format!("unit.{n}"), p.unit.clone()));
                meta.push(KeyValue::new(format!("description.{n}"), p.en.clone()));
                meta.push(KeyValue::new(format!("dwd_code.{n}"), part.code.to_owned()));
                if let Some(w) = p.what() {
                    meta.push(KeyValue::new(
                        format!("statistic.{n}"),
                        w.stat.as_str().to_owned(),
                    ));
                    // CF: the climatological statistic, and the quantity
                    for (key, v) in [
                        ("cell_methods", w.cell_methods),
                        ("standard_name", w.standard_name),
                    ] {
                        if let Some(v) = v {
                            meta.push(KeyValue::new(format!("{key}.{n}"), v));
                        }
                    }
                }
                n
            }
            None => {
                tracing::warn!(
                    dataset,
                    code = part.code,
                    "a normals file the translation table does not know: kept under its German name"
                );
                part.code.to_owned()
            }
        };
        for r in part.rows {
            let source = r.source.map(u32::from);
            let row = |month: Option<u32>, value: Option<f64>| Row {
                parameter: name.clone(),
                station: r.station,
                month,
                period: r.period.clone(),
                value,
                source,
                rule: part.rule,
            };
            for (m, v) in r.months.iter().enumerate() {
                rows.push(row(Some(m as u32 + 1), *v));
            }
            rows.push(row(None, r.year));
        }
    }
    // the year after December
    rows.sort_by(|a, b| {
        (
            &a.parameter,
            a.station,
            &a.period,
            a.rule,
            a.month.unwrap_or(13),
        )
            .cmp(&(
                &b.parameter,
                b.station,
                &b.period,
                b.rule,
                b.month.unwrap_or(13),
            ))
    });
    for (code, meaning) in sources {
        meta.push(KeyValue::new(format!("source.{code}"), meaning.clone()));
    }
    let mut f = Frame::default();
    f.push(
        "station_id",
        Col::U32(rows.iter().map(|r| r.station).collect()),
    )
    .push(
        "period",
        Col::Str(rows.iter().map(|r| Some(r.period.clone())).collect()),
    )
    .push(
        "parameter",
        Col::Str(rows.iter().map(|r| Some(r.parameter.clone())).collect()),
    )
    .push("month", Col::U32Opt(rows.iter().map(|r| r.month).collect()))
    .push("value", Col::F64(rows.iter().map(|r| r.value).collect()))
    .push(
        "source",
        Col::U32Opt(rows.iter().map(|r| r.source).collect()),
    )
    .push(
        "location_rule",
        Col::Str(
            rows.iter()
                .map(|r| r.rule.map(|l| l.as_str().to_owned()))
                .collect(),
        ),
    );
    (f, meta)
}

/// A normals station list as the station lists of other datasets are
/// (`stations_frame`): its dates are the reference period's first and last
/// day (`1991-2020`: 1991-01-01 to 2020-12-31), the span the normals cover.
pub fn normals_stations(
    stations: &[NormalsStation],
    period: &str,
) -> Option<Vec<dwd_parser::stations::Station>> {
    let (a, b) = period.split_once('-')?;
    let (a, b): (i16, i16) = (a.parse().ok()?, b.parse().ok()?);
    let from = jiff::civil::Date::new(a, 1, 1).ok()?;
    let to = jiff::civil::Date::new(b, 12, 31).ok()?;
    Some(
        stations
            .iter()
            .map(|s| dwd_parser::stations::Station {
                id: s.id,
                from,
                to,
                height: s.height,
                latitude: s.latitude,
                longitude: s.longitude,
                name: s.name.clone(),
                state: s.state.clone(),
                abgabe: None,
                identifier: None,
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(rel: &str) -> Vec<u8> {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/data/dwd/multi_annual")
            .join(rel);
        std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    #[test]
    fn real_normals_become_one_tidy_table_with_english_names() {
        let tables = Tables::embedded().unwrap();
        let t = dwd_parser::normals::parse_table("T", &data("mean_61-90/Temperatur_1961-1990.txt"))
            .unwrap();
        let r =
            dwd_parser::normals::parse_table("R", &data("mean_61-90/Niederschlag_1961-1990.txt"))
                .unwrap();
        let (f, meta) = normals_frame(
            "multi_annual/mean_61-90",
            &[
                NormalsPart {
                    code: "Temperatur",
                    rows: &t,
                    rule: None,
                },
                NormalsPart {
                    code: "Niederschlag",
                    rows: &r,
                    rule: None,
                },
            ],
            &[(51, "homogenisiert".into())],
            &tables,
        );
        assert_eq!(f.len(), 2 * 10 * 13);
        let b = f.to_batch().unwrap();
        let kv: std::collections::BTreeMap<String, String> = meta
            .into_iter()
            .map(|k| (k.key, k.value.unwrap_or_default()))
            .collect();
        assert_eq!(kv["unit.temperature_air_mean_2m"], "°C");
        assert_eq!(kv["unit.precipitation_height"], "mm");
        assert_eq!(kv["dwd_code.temperature_air_mean_2m"], "Temperatur");
        assert_eq!(kv["source.51"], "homogenisiert");
        assert_eq!(
            kv["cell_methods.temperature_air_mean_2m"],
            "time: mean within years time: mean over years"
        );
        assert_eq!(
            kv["cell_methods.precipitation_height"],
            "time: sum within years time: mean over years"
        );
        assert_eq!(
            kv["standard_name.temperature_air_mean_2m"],
            "air_temperature"
        );
        // precipitation first (sorted), station 44: January 60 mm, year last
        use arrow_array::cast::AsArray;
        let p = b.column_by_name("parameter").unwrap().as_string::<i32>();
        let v = b
            .column_by_name("value")
            .unwrap()
            .as_primitive::<arrow_array::types::Float64Type>();
        let m = b
            .column_by_name("month")
            .unwrap()
            .as_primitive::<arrow_array::types::UInt32Type>();
        assert_eq!(
            (p.value(0), m.value(0), v.value(0)),
            ("precipitation_height", 1, 60.0)
        );
        assert!(
            arrow_array::Array::is_null(m, 12),
            "the year after December"
        );
        let potsdam_july = (0..b.num_rows())
            .find(|&i| {
                p.value(i) == "temperature_air_mean_2m"
                    && b.column(0)
                        .as_primitive::<arrow_array::types::UInt32Type>()
                        .value(i)
                        == 3987
                    && m.value(i) == 7
            })
            .unwrap();
        assert_eq!(v.value(potsdam_july), 17.9, "DWD: Potsdam, July 1961-1990");
    }

    #[test]
    fn a_normals_station_list_spans_its_period() {
        let s = dwd_parser::normals::parse_stations(
            "S",
            &data("mean_61-90/Temperatur_1961-1990_Stationsliste.txt"),
        )
        .unwrap();
        let st = normals_stations(&s, "1961-1990").unwrap();
        assert_eq!(st[0].from, jiff::civil::date(1961, 1, 1));
        assert_eq!(st[0].to, jiff::civil::date(1990, 12, 31));
        assert_eq!(normals_stations(&s, "1961"), None);
    }
}
