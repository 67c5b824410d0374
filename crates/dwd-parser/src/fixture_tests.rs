//! Real DWD files (tests/data, provenance in tests/data/README.md), exact
//! values; each also re-encoded to ISO-8859-1 with CRLF, which must give the
//! same result.

use jiff::civil::{Date, DateTime};

use crate::metadata;
use crate::produkt::{self, RowTime, Value};
use crate::stations;
use crate::time::{Reference, Resolution, file_reference, name_range};

const NOW_44: &[u8] =
    include_bytes!("../../../tests/data/fixtures/produkt_zehn_now_tu_20250625_20250625_00044.txt");
const ST_2016: &[u8] = include_bytes!(
    "../../../tests/data/fixtures/2016-10_daily_kl_recent_KL_Tageswerte_Beschreibung_Stationen.txt"
);
const ST_2019: &[u8] = include_bytes!(
    "../../../tests/data/fixtures/2019-05_10_minutes_air_temperature_recent_zehn_min_tu_Beschreibung_Stationen.txt"
);
const ST_2025: &[u8] = include_bytes!(
    "../../../tests/data/fixtures/2025-07_10_minutes_air_temperature_historical_zehn_min_tu_Beschreibung_Stationen.txt"
);

/// The same text as ISO-8859-1 with CRLF line ends (as DWD serves it).
fn dwd_encoding(utf8_lf: &[u8]) -> Vec<u8> {
    let text = std::str::from_utf8(utf8_lf)
        .unwrap()
        .replace("\r\n", "\n")
        .replace('\n', "\r\n");
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap())
        .collect()
}

#[test]
fn station_44_now_file() {
    for (label, bytes) in [
        ("utf-8/lf", NOW_44.to_vec()),
        ("latin-1/crlf", dwd_encoding(NOW_44)),
    ] {
        let p = produkt::parse("produkt_zehn_now_tu_20250625_20250625_00044.txt", &bytes).unwrap();
        assert_eq!(
            p.columns,
            ["QN", "PP_10", "TT_10", "TM5_10", "RF_10", "TD_10"],
            "{label}"
        );
        assert_eq!(p.len(), 102, "{label}");
        let first = &p.rows()[0];
        assert_eq!(first.station, 44);
        assert_eq!(
            first.time,
            RowTime::At(DateTime::constant(2025, 6, 25, 0, 0, 0, 0))
        );
        assert_eq!(first.values[2], Value::Number(16.6), "TT_10");
        assert!(
            p.rows().iter().all(|r| r.values[1] == Value::Missing),
            "PP_10 is -999 throughout"
        );
        let rows = p.rows();
        let last = rows.last().unwrap();
        assert_eq!(
            last.time,
            RowTime::At(DateTime::constant(2025, 6, 25, 16, 50, 0, 0))
        );
        assert_eq!(last.values[2], Value::Number(23.0));
    }
    let (_, end) = name_range("produkt_zehn_now_tu_20250625_20250625_00044.txt").unwrap();
    let reference = file_reference(Resolution::Minutes10, Some(end), None);
    assert_eq!(reference, Reference::Utc);
    let utc = reference
        .to_utc(DateTime::constant(2025, 6, 25, 0, 0, 0, 0))
        .unwrap();
    assert_eq!(utc.to_string(), "2025-06-25T00:00:00Z");
}

struct Expect {
    id: u32,
    from: Date,
    to: Date,
    height: f64,
    lat: f64,
    lon: f64,
    name: &'static str,
    state: &'static str,
}

fn check_list(file: &str, utf8: &[u8], count: usize, samples: &[Expect]) {
    let original = stations::parse(file, utf8).unwrap();
    assert_eq!(original.len(), count, "{file}");
    for e in samples {
        let s = original
            .iter()
            .find(|s| s.id == e.id)
            .unwrap_or_else(|| panic!("{file}: no station {}", e.id));
        assert_eq!(
            (
                s.from,
                s.to,
                s.height,
                s.latitude,
                s.longitude,
                s.name.as_str(),
                s.state.as_str()
            ),
            (e.from, e.to, e.height, e.lat, e.lon, e.name, e.state),
            "{file}: station {}",
            e.id
        );
    }
}

#[test]
fn station_lists_in_all_three_layouts() {
    let d = Date::constant;
    // 2016: latin-1, CR CR LF, id right-aligned, ends with 0x1A
    check_list(
        "2016 KL_Tageswerte",
        ST_2016,
        1090,
        &[
            Expect {
                id: 1,
                from: d(1937, 1, 1),
                to: d(1986, 6, 30),
                height: 478.0,
                lat: 47.8413,
                lon: 8.8493,
                name: "Aach",
                state: "Baden-Württemberg",
            },
            Expect {
                id: 3,
                from: d(1891, 1, 1),
                to: d(2011, 3, 31),
                height: 202.0,
                lat: 50.7827,
                lon: 6.0941,
                name: "Aachen",
                state: "Nordrhein-Westfalen",
            },
        ],
    );
    // 2019: latin-1, zero-padded id
    check_list(
        "2019 zehn_min_tu",
        ST_2019,
        506,
        &[
            Expect {
                id: 44,
                from: d(2007, 2, 8),
                to: d(2019, 5, 28),
                height: 44.0,
                lat: 52.9336,
                lon: 8.237,
                name: "Großenkneten",
                state: "Niedersachsen",
            },
            Expect {
                id: 15555,
                from: d(2016, 4, 27),
                to: d(2019, 5, 28),
                height: 816.0,
                lat: 47.8761,
                lon: 10.5848,
                name: "Kaufbeuren-Oberbeuren",
                state: "Bayern",
            },
        ],
    );
    // 2025: the copy here is UTF-8 (recovered text); with Abgabe
    check_list(
        "2025 zehn_min_tu",
        ST_2025,
        522,
        &[
            Expect {
                id: 44,
                from: d(2007, 2, 9),
                to: d(2025, 7, 10),
                height: 44.0,
                lat: 52.9336,
                lon: 8.237,
                name: "Großenkneten",
                state: "Niedersachsen",
            },
            Expect {
                id: 20098,
                from: d(2025, 4, 1),
                to: d(2025, 7, 9),
                height: 1019.0,
                lat: 48.5651,
                lon: 8.2284,
                name: "Seebach (Nationalpark Schwarzwald)",
                state: "Baden-Württemberg",
            },
        ],
    );
    let latin1 = dwd_encoding(ST_2025);
    assert_eq!(
        stations::parse("2025 latin-1", &latin1).unwrap(),
        stations::parse("2025 utf-8", ST_2025).unwrap()
    );
    assert!(
        stations::parse("2025", ST_2025)
            .unwrap()
            .iter()
            .all(|s| s.abgabe.as_deref() == Some("Frei"))
    );
}

fn member(zip: &[u8], file: &str) -> produkt::Produkt {
    // streamed: the member is parsed while it is inflated
    let z = crate::archive::parse_data_zip(file, std::io::Cursor::new(zip), 64 << 20).unwrap();
    assert!(z.member.starts_with("produkt_"), "{}", z.member);
    z.produkt
}

#[test]
fn real_zips_hourly_ten_minute_and_monthly() {
    let hourly = member(
        include_bytes!(
            "../../../tests/data/dwd/hourly/air_temperature/recent/stundenwerte_TU_00320_akt.zip"
        ),
        "stundenwerte_TU_00320_akt.zip",
    );
    assert_eq!(hourly.columns, ["QN_9", "TT_TU", "RF_TU"]);
    let r = &hourly.rows()[0];
    assert_eq!(
        (r.station, r.time),
        (
            320,
            RowTime::At(DateTime::constant(2018, 9, 15, 0, 0, 0, 0))
        )
    );
    assert_eq!(
        r.values,
        [Value::Number(3.0), Value::Number(13.7), Value::Number(96.0)]
    );

    let solar = member(
        include_bytes!(
            "../../../tests/data/dwd/10_minutes/solar/recent/10minutenwerte_SOLAR_01766_akt.zip"
        ),
        "10minutenwerte_SOLAR_01766_akt.zip",
    );
    assert_eq!(solar.columns, ["QN", "DS_10", "GS_10", "SD_10", "LS_10"]);
    assert_eq!(
        solar.rows()[0].time,
        RowTime::At(DateTime::constant(2023, 6, 9, 0, 0, 0, 0))
    );
    assert_eq!(solar.rows()[0].values[4], Value::Missing, "LS_10 -999");

    let monthly = member(
        include_bytes!(
            "../../../tests/data/dwd/monthly/kl/historical/monatswerte_KL_01691_18570101_20171231_hist.zip"
        ),
        "monatswerte_KL_01691_18570101_20171231_hist.zip",
    );
    assert_eq!(&monthly.columns[..3], ["QN_4", "MO_N", "MO_TT"]);
    let m = &monthly.rows()[0];
    assert_eq!(
        m.time,
        RowTime::Span(
            DateTime::constant(1857, 1, 1, 0, 0, 0, 0),
            DateTime::constant(1857, 1, 31, 0, 0, 0, 0)
        )
    );
    assert_eq!(
        &m.values[..3],
        [Value::Number(5.0), Value::Missing, Value::Number(-1.0)]
    );
}

// ---- station metadata (Metadaten_*) ----

const META_1766: &[u8] = include_bytes!(
    "../../../tests/data/dwd/10_minutes/solar/meta_data/Meta_Daten_zehn_min_sd_01766.zip"
);
const MONTHLY_01691: &[u8] = include_bytes!(
    "../../../tests/data/dwd/monthly/kl/historical/monatswerte_KL_01691_18570101_20171231_hist.zip"
);
const MONTHLY_03987: &[u8] = include_bytes!(
    "../../../tests/data/dwd/monthly/kl/historical/monatswerte_KL_03987_18930101_20161231_hist.zip"
);

/// Every member of a zip: (name, bytes).
fn members(zip: &[u8]) -> Vec<(String, Vec<u8>)> {
    use std::io::Read;
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    (0..z.len())
        .map(|i| {
            let mut m = z.by_index(i).unwrap();
            let mut b = Vec::new();
            m.read_to_end(&mut b).unwrap();
            (String::from_utf8_lossy(m.name_raw()).into_owned(), b)
        })
        .collect()
}

/// The metadata read from the members whose names end in `ext`, each also
/// re-encoded to UTF-8 with CRLF (the zips hold ISO-8859-1), which must
/// read the same.
fn metadata_of(zip: &[u8], ext: &str) -> metadata::StationMetadata {
    let mut out = metadata::StationMetadata::default();
    let mut recoded = metadata::StationMetadata::default();
    for (name, bytes) in members(zip) {
        if !name.ends_with(ext) {
            continue;
        }
        if let Some(m) = metadata::parse(&name, &name, &bytes).unwrap() {
            out.extend(m);
        }
        let utf8_crlf: String = bytes
            .iter()
            .map(|&b| char::from(b))
            .collect::<String>()
            .replace('\n', "\r\n");
        if let Some(m) = metadata::parse(&name, &name, utf8_crlf.as_bytes()).unwrap() {
            recoded.extend(m);
        }
    }
    assert_eq!(out, recoded, "UTF-8/CRLF reads like ISO-8859-1/LF");
    out
}

#[test]
fn station_1766_metadata_txt_and_html_twins_agree() {
    let txt = metadata_of(META_1766, ".txt");
    let html = metadata_of(META_1766, ".html");
    // the zip has no Geographie .html twin
    assert_eq!(html.parameters, txt.parameters);
    assert_eq!(html.devices, txt.devices);
    assert_eq!(html.names, txt.names);
    assert_eq!(html.operators, txt.operators);
    let d = |y, m, day| Some(Date::constant(y, m, day));
    assert_eq!(txt.locations.len(), 4);
    assert_eq!(
        txt.locations[3],
        metadata::Location {
            station_id: 1766,
            from: d(2017, 4, 25),
            to: None,
            height_m: Some(47.8),
            latitude: Some(52.1344),
            longitude: Some(7.6969),
            name: "Münster/Osnabrück".into(),
        }
    );
    assert_eq!(txt.parameters.len(), 5);
    let sd = &txt.parameters[2];
    assert_eq!(
        (sd.parameter.as_str(), sd.from, sd.to, sd.unit.as_str()),
        ("SD_10", d(1995, 7, 5), d(1999, 12, 31), "Stunde")
    );
    assert_eq!(sd.reference(), Some(Reference::Mez), "Zeitbezug ist MEZ");
    assert_eq!(txt.parameters[3].reference(), Some(Reference::Utc));
    assert_eq!(txt.parameters[0].unit, "J/cm²");
    assert_eq!(txt.devices.len(), 4);
    assert_eq!(
        txt.devices[0],
        metadata::Device {
            station_id: 1766,
            group: "Sonnenscheindauer".into(),
            station_name: "Münster/Osnabrück".into(),
            longitude: Some(7.7),
            latitude: Some(52.13),
            height_m: Some(48.4),
            sensor_height_m: Some(2.0),
            barometer_height_m: None,
            from: d(1995, 8, 1),
            to: d(2008, 9, 24),
            device_type: "SONIe Sonnenenergie-Sensor".into(),
            method: "Sonnenscheindauer, elektr.".into(),
        }
    );
    assert_eq!(
        periods(&txt.names, |n| (n.name.as_str(), n.from, n.to)),
        [
            ("Greven", d(1982, 1, 1), d(1989, 9, 30)),
            ("Münster/Osnabrück", d(1989, 10, 1), None)
        ]
    );
    assert_eq!(txt.operators.len(), 2);
    assert!(txt.operators.iter().all(|o| o.name == "DWD"));
    // the same files read twice (a station's historical and recent zips) merge to one
    let mut twice = txt.clone();
    twice.extend(txt.clone());
    twice.extend(html.clone());
    twice.dedup();
    assert_eq!(twice.devices, txt.devices);
    assert_eq!(twice.parameters.len(), txt.parameters.len());
    // the zip as the archive reader sees it: .txt wins over its twin
    let read = crate::archive::read_metadata("m.zip", std::io::Cursor::new(META_1766)).unwrap();
    assert_eq!(read, txt);
}

#[test]
fn station_3_metadata_html() {
    let read = |name: &str, bytes: &[u8]| {
        let utf8 = metadata::parse(name, name, bytes).unwrap().unwrap();
        // the copies here are UTF-8 (recovered text); DWD serves ISO-8859-1
        let latin1: Vec<u8> = std::str::from_utf8(bytes)
            .unwrap()
            .chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap())
            .collect();
        assert_eq!(
            metadata::parse(name, name, &latin1).unwrap().unwrap(),
            utf8,
            "{name}"
        );
        utf8
    };
    let d = |y, m, day| Some(Date::constant(y, m, day));
    let temp = read(
        "Metadaten_Geraete_Lufttemperatur_00003.html",
        include_bytes!(
            "../../../tests/data/fixtures/metadata/Metadaten_Geraete_Lufttemperatur_00003.html"
        ),
    );
    assert_eq!(
        temp.devices,
        [metadata::Device {
            station_id: 3,
            group: "Lufttemperatur".into(),
            station_name: "Aachen".into(),
            longitude: Some(6.09),
            latitude: Some(50.78),
            height_m: Some(202.0),
            sensor_height_m: Some(2.0),
            barometer_height_m: None,
            from: d(1993, 4, 29),
            to: d(2012, 4, 6),
            device_type: "PT 100 (Luft)".into(),
            method: "Temperaturmessung, elektr.".into(),
        }]
    );
    let t5 = read(
        "Metadaten_Geraete_Momentane_Temperatur_In_5cm_00003.html",
        include_bytes!(
            "../../../tests/data/fixtures/metadata/Metadaten_Geraete_Momentane_Temperatur_In_5cm_00003.html"
        ),
    );
    assert_eq!(t5.devices.len(), 1);
    assert_eq!(t5.devices[0].group, "Momentane_Temperatur_In_5cm");
    assert_eq!(t5.devices[0].sensor_height_m, Some(0.05), "written .05");
    let rf = read(
        "Metadaten_Geraete_Rel_Feuchte_00003.html",
        include_bytes!(
            "../../../tests/data/fixtures/metadata/Metadaten_Geraete_Rel_Feuchte_00003.html"
        ),
    );
    assert_eq!(
        periods(&rf.devices, |x| (x.device_type.as_str(), x.from, x.to)),
        [
            ("HYGROMER MP100", d(1993, 7, 1), d(2004, 1, 5)),
            ("Feuchtesonde HMP45D", d(2004, 1, 6), d(2012, 4, 6))
        ]
    );
    let names = read(
        "Metadaten_Stationsname_Betreibername_00003.html",
        include_bytes!(
            "../../../tests/data/fixtures/metadata/Metadaten_Stationsname_Betreibername_00003.html"
        ),
    );
    assert_eq!(
        names.names,
        [metadata::NamePeriod {
            station_id: 3,
            name: "Aachen".into(),
            from: d(1891, 1, 1),
            to: d(2012, 4, 6)
        }]
    );
    assert_eq!(names.operators.len(), 1);
    assert_eq!(names.operators[0].name, "DWD");
    let params = read(
        "Metadaten_Parameter_00003.html",
        include_bytes!("../../../tests/data/fixtures/metadata/Metadaten_Parameter_00003.html"),
    );
    let pp: Vec<_> = params
        .parameters
        .iter()
        .filter(|p| p.parameter == "PP_10")
        .map(|p| (p.from, p.to, p.unit.as_str(), p.reference()))
        .collect();
    assert_eq!(
        pp,
        [
            (d(1993, 4, 29), d(1999, 12, 31), "hpa", Some(Reference::Mez)),
            (d(2000, 1, 1), d(2008, 10, 7), "hpa", Some(Reference::Utc)),
            (d(2008, 10, 9), d(2011, 3, 31), "hpa", Some(Reference::Utc)),
        ]
    );
    // what DWD states agrees with the period rule on both sides of the seam
    let cols = ["PP_10", "TT_10", "TM5_10", "RF_10", "TD_10"];
    for (name, want) in [
        (
            "produkt_zehn_min_tu_19930428_19991231_00003.txt",
            Reference::Mez,
        ),
        (
            "produkt_zehn_min_tu_20000101_20091231_00003.txt",
            Reference::Utc,
        ),
        (
            "produkt_zehn_min_tu_20100101_20110331_00003.txt",
            Reference::Utc,
        ),
    ] {
        let (from, to) = name_range(name).unwrap();
        assert_eq!(params.time_reference(&cols, from, to), Some(want), "{name}");
        let columns: Vec<String> = cols.iter().map(|c| (*c).to_owned()).collect();
        let t = crate::time::decide(name, "", &columns, Some(&params));
        assert_eq!((t.reference, t.basis), (want, crate::time::Basis::Metadata));
        assert_eq!(file_reference(Resolution::Minutes10, Some(to), None), want);
    }
    // a file across the seam: its rows disagree, so the period rule decides
    let (from, to) = name_range("produkt_zehn_min_tu_19991231_20001231_00003.txt").unwrap();
    assert_eq!(params.time_reference(&cols, from, to), None);
}

#[test]
fn monthly_zips_metadata_txt_and_html_twins_agree() {
    for (zip, id, locations, devices) in
        [(MONTHLY_01691, 1691, 3, 27), (MONTHLY_03987, 3987, 3, 45)]
    {
        let txt = metadata_of(zip, ".txt");
        let html = metadata_of(zip, ".html");
        assert_eq!(txt.station_ids(), [id]);
        assert_eq!(txt.locations.len(), locations, "{id}");
        assert_eq!(txt.devices.len(), devices, "{id}");
        assert_eq!(html.parameters, txt.parameters, "{id}");
        assert_eq!(html.devices, txt.devices, "{id}");
        assert_eq!(html.names, txt.names, "{id}");
        assert!(!txt.parameters.is_empty() && !txt.names.is_empty());
        // DWD's free text as written: its runs of spaces stay (they were
        // squeezed to one: `um  07` read as `um 07`)
        assert!(
            txt.parameters
                .iter()
                .any(|p| p.source.contains("(3 Termine: um  07, 14, 21 MOZ")),
            "{id}"
        );
        // monthly notes mention MEZ observation hours, not a time reference
        assert!(
            txt.parameters.iter().all(|p| p.reference().is_none()),
            "{id}"
        );
        let z =
            crate::archive::parse_data_zip("m.zip", std::io::Cursor::new(zip), 64 << 20).unwrap();
        assert_eq!(z.metadata, txt, "the data zip carries the same metadata");
    }
    let m = metadata_of(MONTHLY_01691, ".txt");
    let unknown = &m
        .devices
        .iter()
        .find(|d| d.group == "Niederschlagshoehe")
        .unwrap();
    assert_eq!(
        (
            unknown.device_type.as_str(),
            unknown.from,
            unknown.to,
            unknown.latitude
        ),
        (
            "Gerätetyp unbekannt",
            None,
            Some(Date::constant(1946, 3, 31)),
            None
        ),
        "a device row without a start date or place"
    );
    assert_eq!(m.names[0].name, "Göttingen", "padded name trimmed");
}

/// The subdaily KL standard-format list: `ST_KE ST_ID von bis …`, and a
/// second part under a repeated header whose identifier DWD writes `10XXX`.
#[test]
fn the_kl_standard_format_station_list() {
    let bytes = include_bytes!(
        "../../../tests/data/fixtures/2019-05_subdaily_standard_format_KL_Standardformate_Beschreibung_Stationen.txt"
    );
    let s = crate::stations::parse("KL_Standardformate_Beschreibung_Stationen.txt", bytes).unwrap();
    assert_eq!(s.len(), 81);
    let aachen = &s[0];
    assert_eq!(
        (
            aachen.id,
            aachen.identifier.as_deref(),
            aachen.name.as_str()
        ),
        (3, Some("10501"), "Aachen")
    );
    assert_eq!(
        (aachen.latitude, aachen.longitude, aachen.height),
        (50.7827, 6.0941, 202.0)
    );
    assert_eq!(aachen.from, jiff::civil::date(1891, 1, 1));
    assert_eq!(aachen.to, jiff::civil::date(2011, 3, 31));
    assert_eq!(aachen.state, "Nordrhein-Westfalen");
    let last = s.last().unwrap();
    assert_eq!((last.id, last.identifier.as_deref()), (402, Some("10XXX")));
    assert_eq!(last.name, "Berlin-Dahlem (LFAG)");
}

/// DWD's 2016 standard-format list begins with an empty line: the header
/// is the first line with text (it was refused: "the first line is \"\"").
#[test]
fn a_station_list_that_begins_with_an_empty_line() {
    let bytes = include_bytes!(
        "../../../tests/data/fixtures/2016-10_subdaily_standard_format_KL_Standardformate_Beschreibung_Stationen.excerpt.txt"
    );
    let s = crate::stations::parse("KL_Standardformate_Beschreibung_Stationen.txt", bytes).unwrap();
    assert_eq!(s.len(), 6);
    assert_eq!((s[0].id, s[0].name.as_str()), (3, "Aachen"));
    assert_eq!((s[2].id, s[2].name.as_str()), (164, "Angermünde"));
    assert_eq!((s[5].id, s[5].identifier.as_deref()), (402, Some("10XXX")));
    // an empty file is still no list
    let e = crate::stations::parse("x.txt", b"\n\n").unwrap_err();
    assert!(e.to_string().contains("not a station list"), "{e}");
}

/// CR, LF and CRLF line ends read the same (the real `now` file of station
/// 44 in each), with and without a UTF-8 byte order mark, through buffers
/// of any size; a file whose line ends are not found is refused, not read
/// as a header of values (once converted "successfully" into 0 rows).
#[test]
fn cr_lf_and_crlf_line_ends_and_a_bom_read_the_same() {
    let text = std::str::from_utf8(NOW_44).unwrap().replace("\r\n", "\n");
    let lf = crate::produkt::parse("now.txt", text.as_bytes()).unwrap();
    assert_eq!(lf.len(), 102);
    let crlf = text.replace('\n', "\r\n");
    let cr = text.replace('\n', "\r");
    let bom = format!("\u{feff}{crlf}");
    for (what, t) in [("CRLF", &crlf), ("CR", &cr), ("BOM", &bom)] {
        for cap in [1, 2, 13, 8192] {
            let r = std::io::BufReader::with_capacity(cap, t.as_bytes());
            assert_eq!(
                crate::produkt::parse_reader("now.txt", r).unwrap(),
                lf,
                "{what}, buffer {cap}"
            );
        }
    }
    // line numbers in errors count CR lines too
    let bad = cr.replacen("  16.6", "  1x.6", 1);
    let e = crate::produkt::parse("now.txt", bad.as_bytes())
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 2") && e.contains("\"1x.6\""), "{e}");
    // line ends the parser does not know (here: none at all, the rows run
    // together) make the header a row of values: refused with the reason
    let run_together = text.replace('\n', " ");
    let e = crate::produkt::parse("now.txt", run_together.as_bytes())
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a DWD header"), "{e}");
}

/// A station list cut inside its last line (a short transfer that nothing
/// caught) fails with the reason instead of losing a station silently; cut
/// at a line end it is a shorter list, which only a size check can tell.
#[test]
fn a_station_list_cut_inside_a_line_is_refused() {
    let whole = crate::stations::parse("list.txt", ST_2019).unwrap();
    let cut = &ST_2019[..ST_2019.len() - 40];
    let e = crate::stations::parse("list.txt", cut)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("list.txt") && e.contains("the file was cut"),
        "{e}"
    );
    // at a line end: one station fewer, read without complaint
    let last_break = ST_2019[..ST_2019.len() - 4]
        .iter()
        .rposition(|b| *b == b'\n')
        .unwrap();
    let shorter = crate::stations::parse("list.txt", &ST_2019[..=last_break]).unwrap();
    assert_eq!(shorter.len(), whole.len() - 1);
}

/// What each item of a metadata table says and the period it holds for.
fn periods<T>(
    items: &[T],
    of: impl Fn(&T) -> (&str, Option<Date>, Option<Date>),
) -> Vec<(&str, Option<Date>, Option<Date>)> {
    items.iter().map(of).collect()
}
