//! `produkt_*` data files.
//!
//! One header line, `;`-separated; names and values padded with spaces;
//! an optional trailing `eor` column; `-999` (padded, or `-999.0`) for a
//! missing value; CRLF or LF. `STATIONS_ID` is not zero-padded. The time is
//! `MESS_DATUM`, or `MESS_DATUM_BEGINN` and `MESS_DATUM_ENDE` (monthly,
//! annual).

use jiff::civil::DateTime;

use crate::ParseError;
use crate::text::{decode, lines};
use crate::time::parse_stamp;

/// A value of a parameter column.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Missing,
    Number(f64),
    /// Letter codes in quality columns (`P`, `I`).
    Code(String),
}

impl Value {
    pub fn number(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }
}

/// When a row was measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowTime {
    /// `MESS_DATUM`: the end of the interval.
    At(DateTime),
    /// `MESS_DATUM_BEGINN` and `MESS_DATUM_ENDE`.
    Span(DateTime, DateTime),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// 1-based line in the file.
    pub line: usize,
    pub station: u32,
    pub time: RowTime,
    /// One value a parameter column, in [`Produkt::columns`] order.
    pub values: Vec<Value>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Produkt {
    /// The parameter and quality columns, trimmed, in file order
    /// (without `STATIONS_ID`, the time columns and `eor`).
    pub columns: Vec<String>,
    pub rows: Vec<Row>,
}

/// Quality columns (`QN`, `QN_x`).
pub fn is_quality(column: &str) -> bool {
    column == "QN" || column.starts_with("QN_") || column.starts_with("QUALITAETS_NIVEAU")
}

/// Columns that may hold letter codes: quality columns and indicator columns
/// (`V_N_I`: `P` observer, `I` instrument, in hourly cloudiness). Every
/// other column must be numeric.
pub fn may_hold_codes(column: &str) -> bool {
    is_quality(column) || column.ends_with("_I")
}

/// -999 and its padded or decimal spellings.
fn is_missing(v: &str) -> bool {
    v == "-999" || v.parse::<f64>().is_ok_and(|n| n == -999.0)
}

/// Parses a data file. `file` names it in errors.
pub fn parse(file: &str, bytes: &[u8]) -> Result<Produkt, ParseError> {
    let text = decode(bytes);
    let blank = |l: &str| {
        l.trim_matches(|c: char| c.is_whitespace() || c == '\u{1a}')
            .is_empty()
    };
    let mut lines = lines(&text).filter(|(_, l)| !blank(l));
    let Some((_, header)) = lines.next() else {
        return Err(ParseError::File {
            file: file.to_owned(),
            message: "empty file: no header line".into(),
        });
    };
    let names: Vec<String> = header.split(';').map(|h| h.trim().to_owned()).collect();
    let has_eor = names.last().is_some_and(|n| n.eq_ignore_ascii_case("eor"));
    let width = names.len();
    let pos = |n: &str| names.iter().position(|h| h == n);
    let Some(station_col) = pos("STATIONS_ID") else {
        return Err(ParseError::Line {
            file: file.to_owned(),
            line: 1,
            message: format!("no STATIONS_ID column in the header {header:?}"),
        });
    };
    let time_cols = match (
        pos("MESS_DATUM"),
        pos("MESS_DATUM_BEGINN"),
        pos("MESS_DATUM_ENDE"),
    ) {
        (Some(t), _, _) => vec![t],
        (None, Some(b), Some(e)) => vec![b, e],
        _ => {
            return Err(ParseError::Line {
                file: file.to_owned(),
                line: 1,
                message: "no MESS_DATUM (or MESS_DATUM_BEGINN and MESS_DATUM_ENDE) column".into(),
            });
        }
    };
    let data_cols: Vec<usize> = (0..width)
        .filter(|i| *i != station_col && !time_cols.contains(i) && !(has_eor && *i == width - 1))
        .filter(|i| !names[*i].is_empty())
        .collect();
    let columns: Vec<String> = data_cols.iter().map(|i| names[*i].clone()).collect();

    let mut rows = Vec::new();
    for (line, raw) in lines {
        let fields: Vec<&str> = raw.split(';').map(str::trim).collect();
        let at = |column: &str, message: String| ParseError::At {
            file: file.to_owned(),
            line,
            column: column.to_owned(),
            message,
        };
        if fields.len() != width {
            return Err(ParseError::Line {
                file: file.to_owned(),
                line,
                message: format!("{} fields, the header has {width}", fields.len()),
            });
        }
        let station: u32 = fields[station_col].parse().map_err(|_| {
            at(
                "STATIONS_ID",
                format!("{:?} is not a station id", fields[station_col]),
            )
        })?;
        let stamp = |i: usize| {
            parse_stamp(fields[i]).ok_or_else(|| {
                at(
                    &names[i],
                    format!("{:?} is not a valid date/time", fields[i]),
                )
            })
        };
        let time = match time_cols.as_slice() {
            [t] => RowTime::At(stamp(*t)?),
            [b, e] => RowTime::Span(stamp(*b)?, stamp(*e)?),
            _ => unreachable!("one or two time columns"),
        };
        let mut values = Vec::with_capacity(data_cols.len());
        for &i in &data_cols {
            let v = fields[i];
            let value = if v.is_empty() || is_missing(v) {
                Value::Missing
            } else if let Ok(n) = v.parse::<f64>() {
                Value::Number(n)
            } else if may_hold_codes(&names[i])
                && v.len() <= 3
                && v.chars().all(|c| c.is_ascii_alphanumeric())
            {
                Value::Code(v.to_owned())
            } else {
                return Err(at(&names[i], format!("{v:?} is not a number")));
            };
            values.push(value);
        }
        rows.push(Row {
            line,
            station,
            time,
            values,
        });
    }
    Ok(Produkt { columns, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: &str = "STATIONS_ID;MESS_DATUM;  QN;PP_10;TT_10;TM5_10;RF_10;TD_10;eor\r\n         44;202506250000;    3;   -999;  16.6;  16.4;  98.9;  16.4;eor\r\n         44;202506250010;    3;   -999;  16.7;  16.5;  99.6;  16.6;eor\r\n";

    #[test]
    fn padded_names_values_eor_and_missing() {
        let p = parse("now.txt", NOW.as_bytes()).unwrap();
        assert_eq!(
            p.columns,
            ["QN", "PP_10", "TT_10", "TM5_10", "RF_10", "TD_10"]
        );
        assert_eq!(p.rows.len(), 2);
        let r = &p.rows[0];
        assert_eq!((r.line, r.station), (2, 44));
        assert_eq!(
            r.time,
            RowTime::At(DateTime::constant(2025, 6, 25, 0, 0, 0, 0))
        );
        assert_eq!(r.values[0], Value::Number(3.0));
        assert_eq!(r.values[1], Value::Missing);
        assert_eq!(r.values[2], Value::Number(16.6));
    }

    #[test]
    fn without_eor_and_with_begin_end() {
        let p = parse("m.txt", b"STATIONS_ID;MESS_DATUM_BEGINN;MESS_DATUM_ENDE;QN_4;MO_TT\n1691;18570101;18570131;5;-1.00\n").unwrap();
        assert_eq!(p.columns, ["QN_4", "MO_TT"]);
        assert_eq!(
            p.rows[0].time,
            RowTime::Span(
                DateTime::constant(1857, 1, 1, 0, 0, 0, 0),
                DateTime::constant(1857, 1, 31, 0, 0, 0, 0)
            )
        );
        assert_eq!(p.rows[0].values[1], Value::Number(-1.0));
    }

    #[test]
    fn bad_input_names_file_line_and_column() {
        let check = |text: &str, want: &str| {
            let e = parse("produkt_x.txt", text.as_bytes())
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("produkt_x.txt") && e.contains(want), "{e}");
        };
        check("", "empty file");
        check("A;B\n1;2\n", "STATIONS_ID");
        check(
            "STATIONS_ID;MESS_DATUM;TT_10;eor\n44;202506250000;1.0\n",
            "line 2: 3 fields, the header has 4",
        );
        check(
            "STATIONS_ID;MESS_DATUM;TT_10;eor\n44;202502300000;1.0;eor\n",
            "line 2, column MESS_DATUM",
        );
        check(
            "STATIONS_ID;MESS_DATUM;TT_10;eor\n44;202501010000;1.0;eor\n44;202501010010;warm;eor\n",
            "line 3, column TT_10: \"warm\" is not a number",
        );
        check(
            "STATIONS_ID;MESS_DATUM;TT_10;eor\nx;202501010000;1.0;eor\n",
            "column STATIONS_ID",
        );
    }

    #[test]
    fn indicator_columns_hold_letter_codes() {
        // hourly cloudiness, station 1766 (tests/data/dwd/hourly/cloudiness)
        let p = parse(
            "n.txt",
            b"STATIONS_ID;MESS_DATUM;QN_8;V_N_I;  V_N;eor\n1766;2018120300;    3;P;   7;eor\n",
        )
        .unwrap();
        assert_eq!(
            p.rows[0].values,
            [
                Value::Number(3.0),
                Value::Code("P".into()),
                Value::Number(7.0)
            ]
        );
    }

    #[test]
    fn quality_letter_codes_and_decimal_missing() {
        let p = parse(
            "q.txt",
            b"STATIONS_ID;MESS_DATUM;QN_8;R1;eor\n1;2020010100;P;-999.0;eor\n",
        )
        .unwrap();
        assert_eq!(p.rows[0].values, [Value::Code("P".into()), Value::Missing]);
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "(STATIONS_ID;MESS_DATUM;TT_10;eor\n)?[0-9;. \\-a-z\r\n]{0,300}") {
            let _ = parse("fuzz.txt", s.as_bytes());
        }
    }
}
