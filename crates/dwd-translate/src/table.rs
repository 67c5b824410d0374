//! A parsed `produkt` file turned into timestamp-centric rows with English
//! column names and UTC time, and written as CSV or JSON lines.

use std::io::Write;

use dwd_parser::produkt::{Produkt, RowTime, Value};
use dwd_parser::time::Reference;

use crate::{Column, Tables};

/// The dataset a DWD file name belongs to, for its translation table.
pub fn dataset_of(name: &str) -> Option<&'static str> {
    let n = name.rsplit('/').next().unwrap_or(name).to_ascii_lowercase();
    let ten = n.starts_with("produkt_zehn_") || n.starts_with("10minutenwerte_");
    let key = |k: &str| n.contains(&format!("_{k}_"));
    Some(if ten && key("tu") {
        "10_minutes/air_temperature"
    } else if ten && key("tx") {
        "10_minutes/extreme_temperature"
    } else if ten && (key("fx") || key("extrema_wind")) {
        "10_minutes/extreme_wind"
    } else if ten && (key("rr") || key("nieder")) {
        "10_minutes/precipitation"
    } else if ten && (key("sd") || key("solar")) {
        "10_minutes/solar"
    } else if ten && (key("ff") || key("wind")) {
        "10_minutes/wind"
    } else if n.contains("tu_stunde") || n.starts_with("stundenwerte_tu_") {
        "hourly/air_temperature"
    } else if n.contains("klima_tag") || n.starts_with("tageswerte_kl_") {
        "daily/kl"
    } else if n.contains("klima_monat") || n.starts_with("monatswerte_kl_") {
        "monthly/kl"
    } else {
        return None;
    })
}

/// One output row.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    pub station: u32,
    /// The end of the interval (`MESS_DATUM`) or the start of the period.
    pub timestamp_utc: jiff::Timestamp,
    /// The end of the period, for monthly and annual rows.
    pub period_end_utc: Option<jiff::Timestamp>,
    /// The file's own time, as written (`YYYY-MM-DDTHH:MM`).
    pub time_local: String,
    pub values: Vec<Value>,
}

/// A translated file.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub columns: Vec<Column>,
    pub reference: Reference,
    pub records: Vec<Record>,
}

/// Translates `produkt` of `dataset` whose timestamps are in `reference`.
pub fn translate(
    produkt: &Produkt,
    dataset: &str,
    file: &str,
    tables: &Tables,
    reference: Reference,
) -> Table {
    let columns = tables.columns(dataset, &produkt.columns, file);
    let records = produkt
        .rows
        .iter()
        .filter_map(|r| {
            let (start, end) = match r.time {
                RowTime::At(t) => (t, None),
                RowTime::Span(b, e) => (b, Some(e)),
            };
            Some(Record {
                station: r.station,
                timestamp_utc: reference.to_utc(start)?,
                period_end_utc: match end {
                    Some(e) => Some(reference.to_utc(e)?),
                    None => None,
                },
                time_local: start.strftime("%Y-%m-%dT%H:%M").to_string(),
                values: r.values.clone(),
            })
        })
        .collect();
    Table {
        columns,
        reference,
        records,
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::Missing => String::new(),
        Value::Number(n) => n.to_string(),
        Value::Code(c) => c.clone(),
    }
}

/// CSV with a header: `station_id,timestamp_utc,[period_end_utc,]time_local,time_reference,<English names>`;
/// missing values are empty.
pub fn write_csv(table: &Table, mut w: impl Write) -> std::io::Result<()> {
    let span = table.records.iter().any(|r| r.period_end_utc.is_some());
    let mut header = vec!["station_id".to_owned(), "timestamp_utc".to_owned()];
    if span {
        header.push("period_end_utc".into());
    }
    header.extend(["time_local".to_owned(), "time_reference".to_owned()]);
    header.extend(table.columns.iter().map(|c| c.name.clone()));
    writeln!(w, "{}", header.join(","))?;
    for r in &table.records {
        let mut row = vec![r.station.to_string(), r.timestamp_utc.to_string()];
        if span {
            row.push(r.period_end_utc.map(|t| t.to_string()).unwrap_or_default());
        }
        row.extend([r.time_local.clone(), table.reference.as_str().to_owned()]);
        row.extend(r.values.iter().map(value_text));
        writeln!(w, "{}", row.join(","))?;
    }
    Ok(())
}

/// One JSON object a row; missing values are `null`.
pub fn write_jsonl(table: &Table, mut w: impl Write) -> std::io::Result<()> {
    for r in &table.records {
        let mut line = format!(
            "{{\"station_id\":{},\"timestamp_utc\":\"{}\"",
            r.station, r.timestamp_utc
        );
        if let Some(e) = r.period_end_utc {
            line.push_str(&format!(",\"period_end_utc\":\"{e}\""));
        }
        line.push_str(&format!(
            ",\"time_local\":\"{}\",\"time_reference\":\"{}\"",
            r.time_local,
            table.reference.as_str()
        ));
        for (c, v) in table.columns.iter().zip(&r.values) {
            let value = match v {
                Value::Missing => "null".to_owned(),
                Value::Number(n) if n.is_finite() => n.to_string(),
                Value::Number(_) => "null".to_owned(),
                Value::Code(s) => format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")),
            };
            line.push_str(&format!(
                ",\"{}\":{value}",
                c.name.replace('\\', "\\\\").replace('"', "\\\"")
            ));
        }
        line.push('}');
        writeln!(w, "{line}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: &str = "STATIONS_ID;MESS_DATUM;  QN;PP_10;TT_10;TM5_10;RF_10;TD_10;eor\r\n         44;202506250000;    3;   -999;  16.6;  16.4;  98.9;  16.4;eor\r\n";

    #[test]
    fn names_for_files() {
        assert_eq!(
            dataset_of("produkt_zehn_now_tu_20250625_20250625_00044.txt"),
            Some("10_minutes/air_temperature")
        );
        assert_eq!(
            dataset_of("10minutenwerte_SOLAR_01766_akt.zip"),
            Some("10_minutes/solar")
        );
        assert_eq!(
            dataset_of("produkt_zehn_min_sd_20211209_20230611_01766.txt"),
            Some("10_minutes/solar")
        );
        assert_eq!(
            dataset_of("produkt_tu_stunde_20180915_20200317_00320.txt"),
            Some("hourly/air_temperature")
        );
        assert_eq!(
            dataset_of("produkt_klima_monat_18570101_20171231_01691.txt"),
            Some("monthly/kl")
        );
        assert_eq!(dataset_of("Metadaten_Geographie_00044.txt"), None);
    }

    #[test]
    fn csv_and_jsonl_with_english_names_and_utc() {
        let p = dwd_parser::produkt::parse("now.txt", NOW.as_bytes()).unwrap();
        let t = translate(
            &p,
            "10_minutes/air_temperature",
            "now.txt",
            &Tables::embedded().unwrap(),
            Reference::Utc,
        );
        let mut csv = Vec::new();
        write_csv(&t, &mut csv).unwrap();
        let csv = String::from_utf8(csv).unwrap();
        assert_eq!(
            csv,
            "station_id,timestamp_utc,time_local,time_reference,quality,pressure_air_site,temperature_air_mean_2m,temperature_air_mean_0_05m,humidity,temperature_dew_point_mean_2m\n\
             44,2025-06-25T00:00:00Z,2025-06-25T00:00,UTC,3,,16.6,16.4,98.9,16.4\n"
        );
        let mut jl = Vec::new();
        write_jsonl(&t, &mut jl).unwrap();
        assert_eq!(
            String::from_utf8(jl).unwrap(),
            "{\"station_id\":44,\"timestamp_utc\":\"2025-06-25T00:00:00Z\",\"time_local\":\"2025-06-25T00:00\",\"time_reference\":\"UTC\",\"quality\":3,\"pressure_air_site\":null,\"temperature_air_mean_2m\":16.6,\"temperature_air_mean_0_05m\":16.4,\"humidity\":98.9,\"temperature_dew_point_mean_2m\":16.4}\n"
        );
    }

    #[test]
    fn the_mez_seam_has_no_gap_and_no_duplicate() {
        let tables = Tables::embedded().unwrap();
        let mez = "STATIONS_ID;MESS_DATUM;  QN;TT_10;eor\n3;199912312340;3;1.0;eor\n3;199912312350;3;1.1;eor\n";
        let utc = "STATIONS_ID;MESS_DATUM;  QN;TT_10;eor\n3;199912312300;3;1.2;eor\n3;199912312310;3;1.3;eor\n";
        let reference = |name: &str| {
            let (_, end) = dwd_parser::time::name_range(name).unwrap();
            dwd_parser::time::file_reference(
                dwd_parser::time::Resolution::Minutes10,
                Some(end),
                None,
            )
        };
        let a_name = "produkt_zehn_min_tu_19930428_19991231_00003.txt";
        let b_name = "produkt_zehn_min_tu_20000101_20091231_00003.txt";
        let a = translate(
            &dwd_parser::produkt::parse(a_name, mez.as_bytes()).unwrap(),
            "10_minutes/air_temperature",
            a_name,
            &tables,
            reference(a_name),
        );
        let b = translate(
            &dwd_parser::produkt::parse(b_name, utc.as_bytes()).unwrap(),
            "10_minutes/air_temperature",
            b_name,
            &tables,
            reference(b_name),
        );
        let times: Vec<String> = a
            .records
            .iter()
            .chain(&b.records)
            .map(|r| r.timestamp_utc.to_string())
            .collect();
        assert_eq!(
            times,
            [
                "1999-12-31T22:40:00Z",
                "1999-12-31T22:50:00Z",
                "1999-12-31T23:00:00Z",
                "1999-12-31T23:10:00Z"
            ]
        );
        assert_eq!((a.reference, b.reference), (Reference::Mez, Reference::Utc));
    }
}
