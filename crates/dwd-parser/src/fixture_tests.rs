//! Real DWD files (tests/data, provenance in tests/data/README.md), exact
//! values; each also re-encoded to ISO-8859-1 with CRLF, which must give the
//! same result.

use jiff::civil::{Date, DateTime};

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
    let (name, p) =
        crate::archive::parse_produkt_member(file, std::io::Cursor::new(zip), 64 << 20).unwrap();
    assert!(name.starts_with("produkt_"), "{name}");
    p
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
