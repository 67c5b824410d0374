//! Station lists and station metadata as tables: the German text kept,
//! English beside it where the tables know it.

use dwd_parser::metadata::StationMetadata;
use dwd_parser::stations::Station;

use crate::Tables;
use crate::frame::{Col, Frame};

/// `stations.parquet`: `station_id`, `name`, `state`, `latitude`,
/// `longitude`, `height_m`, `first_date`, `last_date` (as `climastation stations`
/// names them; no SQL reserved words
/// as names: not `from`/`to`; one name a concept: heights are `*_m`
/// everywhere).
pub fn stations_frame(stations: &[Station]) -> Frame {
    let mut f = Frame::default();
    let col =
        |get: &dyn Fn(&Station) -> f64| Col::F64(stations.iter().map(|s| Some(get(s))).collect());
    f.push(
        "station_id",
        Col::U32(stations.iter().map(|s| s.id).collect()),
    )
    .push(
        "name",
        Col::Str(stations.iter().map(|s| Some(s.name.clone())).collect()),
    )
    .push(
        "state",
        Col::Str(stations.iter().map(|s| Some(s.state.clone())).collect()),
    )
    .push("latitude", col(&|s| s.latitude))
    .push("longitude", col(&|s| s.longitude))
    .push("height_m", col(&|s| s.height))
    .push(
        "first_date",
        Col::Date(stations.iter().map(|s| Some(s.from)).collect()),
    )
    .push(
        "last_date",
        Col::Date(stations.iter().map(|s| Some(s.to)).collect()),
    );
    // the KL standard-format list's own identifier, only where it is given
    if stations.iter().any(|s| s.identifier.is_some()) {
        f.push(
            "identifier",
            Col::Str(stations.iter().map(|s| s.identifier.clone()).collect()),
        );
    }
    f
}

/// One dataset's station list from the lists of its periods (`historical`,
/// `recent`, `now` each have one): a station once, from its earliest
/// `from` to its latest `to`, with the name, state and place of the list
/// where it is seen last (the most recent). Sorted by id.
pub fn merge_station_lists(lists: Vec<Vec<Station>>) -> Vec<Station> {
    let mut by_id: std::collections::BTreeMap<u32, Station> = std::collections::BTreeMap::new();
    for s in lists.into_iter().flatten() {
        match by_id.get_mut(&s.id) {
            None => {
                by_id.insert(s.id, s);
            }
            Some(seen) => {
                let from = seen.from.min(s.from);
                let to = seen.to.max(s.to);
                if s.to >= seen.to {
                    *seen = s;
                }
                seen.from = from;
                seen.to = to;
            }
        }
    }
    by_id.into_values().collect()
}

/// The kinds of metadata table, as file names use them.
pub const KINDS: [&str; 4] = ["locations", "parameters", "devices", "names"];

/// The station metadata as tables, by kind (only the kinds present).
/// `parameters` get the English name this dataset's table gives the code;
/// `devices` the English group, device type and method names.
pub fn metadata_frames(
    meta: &StationMetadata,
    dataset: &str,
    tables: &Tables,
    file: &str,
) -> Vec<(&'static str, Frame)> {
    let mut out = Vec::new();
    if !meta.locations.is_empty() {
        out.push(("locations", locations_frame(&meta.locations)));
    }
    if !meta.parameters.is_empty() {
        out.push((
            "parameters",
            parameters_frame(&meta.parameters, dataset, tables),
        ));
    }
    if !meta.devices.is_empty() {
        out.push(("devices", devices_frame(&meta.devices, tables, file)));
    }
    if !meta.names.is_empty() || !meta.operators.is_empty() {
        out.push(("names", names_frame(meta)));
    }
    out
}

/// `Some` of a text, for the string columns.
fn text(v: &str) -> Option<String> {
    Some(v.to_owned())
}

/// Where the station stood: place, height and name, by period.
fn locations_frame(l: &[dwd_parser::metadata::Location]) -> Frame {
    let s = text;
    let mut f = Frame::default();
    f.push(
        "station_id",
        Col::U32(l.iter().map(|x| x.station_id).collect()),
    )
    .push("valid_from", Col::Date(l.iter().map(|x| x.from).collect()))
    .push("valid_to", Col::Date(l.iter().map(|x| x.to).collect()))
    .push("height_m", Col::F64(l.iter().map(|x| x.height_m).collect()))
    .push("latitude", Col::F64(l.iter().map(|x| x.latitude).collect()))
    .push(
        "longitude",
        Col::F64(l.iter().map(|x| x.longitude).collect()),
    )
    .push("name", Col::Str(l.iter().map(|x| s(&x.name)).collect()));
    f
}

/// What was measured, by period: the DWD code, this dataset's English name
/// for it, DWD's German descriptions and the time reference.
fn parameters_frame(
    p: &[dwd_parser::metadata::ParameterInfo],
    dataset: &str,
    tables: &Tables,
) -> Frame {
    let s = text;
    let mut f = Frame::default();
    f.push(
        "station_id",
        Col::U32(p.iter().map(|x| x.station_id).collect()),
    )
    .push("valid_from", Col::Date(p.iter().map(|x| x.from).collect()))
    .push("valid_to", Col::Date(p.iter().map(|x| x.to).collect()))
    .push(
        "dwd_code",
        Col::Str(p.iter().map(|x| s(&x.parameter)).collect()),
    )
    .push(
        "parameter",
        Col::Str(
            p.iter()
                .map(|x| {
                    tables
                        .parameter(dataset, &x.parameter)
                        .map(|t| t.name.clone())
                })
                .collect(),
        ),
    )
    .push(
        "description_de",
        Col::Str(p.iter().map(|x| s(&x.description)).collect()),
    )
    .push("unit_de", Col::Str(p.iter().map(|x| s(&x.unit)).collect()))
    .push(
        "data_source_de",
        Col::Str(p.iter().map(|x| s(&x.source)).collect()),
    )
    .push(
        "extra_info_de",
        Col::Str(p.iter().map(|x| s(&x.extra)).collect()),
    )
    .push(
        "notes_de",
        Col::Str(p.iter().map(|x| s(&x.notes)).collect()),
    )
    .push(
        "literature",
        Col::Str(p.iter().map(|x| s(&x.literature)).collect()),
    )
    .push(
        "time_reference",
        Col::Str(
            p.iter()
                .map(|x| x.reference().map(|r| r.as_str().to_owned()))
                .collect(),
        ),
    );
    f
}

/// The devices, by period, with the English group, device type and method
/// (a German name without a translation is kept, with a warning).
fn devices_frame(d: &[dwd_parser::metadata::Device], tables: &Tables, file: &str) -> Frame {
    let s = text;
    let names = tables.devices();
    let mut unknown: Vec<String> = Vec::new();
    let mut en = |map: &std::collections::BTreeMap<String, String>, de: &str| {
        let found = map.get(de).cloned();
        if found.is_none() && !de.is_empty() && !unknown.iter().any(|u| u == de) {
            unknown.push(de.to_owned());
        }
        found
    };
    let group_en: Vec<_> = d.iter().map(|x| en(&names.groups, &x.group)).collect();
    let type_en: Vec<_> = d
        .iter()
        .map(|x| en(&names.device_types, &x.device_type))
        .collect();
    let method_en: Vec<_> = d.iter().map(|x| en(&names.methods, &x.method)).collect();
    if !unknown.is_empty() {
        tracing::warn!(
            file,
            names = ?unknown,
            "device names without an English translation are kept in German"
        );
    }
    let mut f = Frame::default();
    f.push(
        "station_id",
        Col::U32(d.iter().map(|x| x.station_id).collect()),
    )
    .push(
        "group_de",
        Col::Str(d.iter().map(|x| s(&x.group)).collect()),
    )
    .push("group", Col::Str(group_en))
    .push("valid_from", Col::Date(d.iter().map(|x| x.from).collect()))
    .push("valid_to", Col::Date(d.iter().map(|x| x.to).collect()))
    .push(
        "device_type_de",
        Col::Str(d.iter().map(|x| s(&x.device_type)).collect()),
    )
    .push("device_type", Col::Str(type_en))
    .push(
        "method_de",
        Col::Str(d.iter().map(|x| s(&x.method)).collect()),
    )
    .push("method", Col::Str(method_en))
    .push(
        "station_name",
        Col::Str(d.iter().map(|x| s(&x.station_name)).collect()),
    )
    .push("latitude", Col::F64(d.iter().map(|x| x.latitude).collect()))
    .push(
        "longitude",
        Col::F64(d.iter().map(|x| x.longitude).collect()),
    )
    .push("height_m", Col::F64(d.iter().map(|x| x.height_m).collect()))
    .push(
        "sensor_height_m",
        Col::F64(d.iter().map(|x| x.sensor_height_m).collect()),
    )
    .push(
        "barometer_height_m",
        Col::F64(d.iter().map(|x| x.barometer_height_m).collect()),
    );
    f
}

/// The station's names and operators, by period.
fn names_frame(meta: &StationMetadata) -> Frame {
    let s = text;
    let rows: Vec<(&str, &dwd_parser::metadata::NamePeriod)> =
        (meta.names.iter().map(|n| ("station", n)))
            .chain(meta.operators.iter().map(|n| ("operator", n)))
            .collect();
    let mut f = Frame::default();
    f.push(
        "station_id",
        Col::U32(rows.iter().map(|(_, x)| x.station_id).collect()),
    )
    .push("kind", Col::Str(rows.iter().map(|(k, _)| s(k)).collect()))
    .push(
        "name",
        Col::Str(rows.iter().map(|(_, x)| s(&x.name)).collect()),
    )
    .push(
        "valid_from",
        Col::Date(rows.iter().map(|(_, x)| x.from).collect()),
    )
    .push(
        "valid_to",
        Col::Date(rows.iter().map(|(_, x)| x.to).collect()),
    );
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::Date;

    const META_1766: &[u8] = include_bytes!(
        "../../../tests/data/dwd/10_minutes/solar/meta_data/Meta_Daten_zehn_min_sd_01766.zip"
    );
    const MONTHLY_01691: &[u8] = include_bytes!(
        "../../../tests/data/dwd/monthly/kl/historical/monatswerte_KL_01691_18570101_20171231_hist.zip"
    );
    const SOLAR_05906: &[u8] =
        include_bytes!("../../../tests/data/dwd/hourly/solar/stundenwerte_ST_05906_row.zip");
    const MONTHLY_03987: &[u8] = include_bytes!(
        "../../../tests/data/dwd/monthly/kl/historical/monatswerte_KL_03987_18930101_20161231_hist.zip"
    );

    const LEGACY_03987: &[u8] =
        include_bytes!("../../../tests/data/fixtures/legacy/tageswerte_KL_03987_akt.zip");

    fn read(zip: &[u8]) -> StationMetadata {
        dwd_parser::archive::read_metadata("m.zip", std::io::Cursor::new(zip)).unwrap()
    }

    fn strs(f: &Frame, name: &str) -> Vec<Option<String>> {
        match &f.columns.iter().find(|(n, _)| n == name).unwrap().1 {
            Col::Str(v) => v.clone(),
            other => panic!("{name}: {other:?}"),
        }
    }

    /// Soil-temperature devices (`Erdbodentemperatur`, `Erdbodenthermometer`,
    /// `PT 100 (Erdboden)`) have English names; a real file of station 403.
    #[test]
    fn soil_temperature_devices_have_english_names() {
        let t = Tables::embedded().unwrap();
        let name = "Metadaten_Geraete_Erdbodentemperatur_00403.txt";
        let bytes = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../tests/data/fixtures/metadata")
                .join(name),
        )
        .unwrap();
        let meta = dwd_parser::metadata::parse(name, name, &bytes)
            .unwrap()
            .unwrap();
        let frames = metadata_frames(&meta, "daily/soil_temperature", &t, name);
        let devices = &frames.iter().find(|(k, _)| *k == "devices").unwrap().1;
        assert_eq!(devices.len(), 15);
        for col in ["group", "device_type", "method"] {
            let de = strs(devices, &format!("{col}_de"));
            let en = strs(devices, col);
            for (de, en) in de.iter().zip(&en) {
                assert!(en.is_some(), "no English for {col} {de:?}");
            }
        }
        assert_eq!(
            strs(devices, "group")[0].as_deref(),
            Some("soil temperature")
        );
        assert_eq!(
            strs(devices, "device_type")[..3],
            [
                Some("soil thermometer".to_owned()),
                Some("soil thermometer".to_owned()),
                Some("PT 100 (soil)".to_owned())
            ]
        );
    }

    #[test]
    fn every_device_name_in_the_fixtures_has_english() {
        let t = Tables::embedded().unwrap();
        for (zip, dataset) in [
            (META_1766, "10_minutes/solar"),
            (MONTHLY_01691, "monthly/kl"),
            (MONTHLY_03987, "monthly/kl"),
            (SOLAR_05906, "hourly/solar"),
            (LEGACY_03987, "daily/kl"),
        ] {
            let frames = metadata_frames(&read(zip), dataset, &t, "m.zip");
            let devices = &frames.iter().find(|(k, _)| *k == "devices").unwrap().1;
            for col in ["group", "device_type", "method"] {
                let de = strs(devices, &format!("{col}_de"));
                let en = strs(devices, col);
                for (de, en) in de.iter().zip(&en) {
                    assert!(en.is_some(), "{dataset}: no English for {col} {de:?}");
                }
            }
        }
        let frames = metadata_frames(&read(META_1766), "10_minutes/solar", &t, "m.zip");
        let devices = &frames.iter().find(|(k, _)| *k == "devices").unwrap().1;
        assert_eq!(
            strs(devices, "method")[0].as_deref(),
            Some("sunshine duration, electrical")
        );
        let params = &frames.iter().find(|(k, _)| *k == "parameters").unwrap().1;
        assert_eq!(
            strs(params, "parameter")[4].as_deref(),
            Some("sunshine_duration"),
            "SD_10 under its English name"
        );
        assert_eq!(
            strs(params, "time_reference"),
            [
                Some("UTC"),
                Some("UTC"),
                Some("MEZ"),
                Some("UTC"),
                Some("UTC")
            ]
            .map(|s| s.map(String::from))
        );
        let kinds: Vec<&str> = frames.iter().map(|(k, _)| *k).collect();
        assert_eq!(kinds, KINDS);
    }

    #[test]
    fn station_lists_merge_into_one_per_dataset() {
        let st = |id, from: Date, to: Date, name: &str| Station {
            id,
            from,
            to,
            height: 1.0,
            latitude: 50.0,
            longitude: 8.0,
            name: name.into(),
            state: "Hessen".into(),
            abgabe: None,
            identifier: None,
        };
        let d = Date::constant;
        let historical = vec![
            st(3, d(1993, 4, 29), d(2011, 3, 31), "Aachen"),
            st(44, d(2007, 2, 8), d(2024, 12, 31), "Großenkneten alt"),
        ];
        let recent = vec![st(44, d(2023, 1, 1), d(2025, 7, 10), "Großenkneten")];
        let merged = merge_station_lists(vec![recent, historical]);
        let got: Vec<_> = merged
            .iter()
            .map(|s| (s.id, s.from, s.to, s.name.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (3, d(1993, 4, 29), d(2011, 3, 31), "Aachen"),
                (44, d(2007, 2, 8), d(2025, 7, 10), "Großenkneten")
            ]
        );
    }
}
