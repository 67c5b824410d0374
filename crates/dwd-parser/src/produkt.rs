//! `produkt_*` data files.
//!
//! One header line, `;`-separated; names and values padded with spaces;
//! an optional trailing `eor` column; `-999` (padded, or `-999.0`) for a
//! missing value; CRLF or LF. `STATIONS_ID` is not zero-padded. The time is
//! `MESS_DATUM`, or `MESS_DATUM_BEGINN` and `MESS_DATUM_ENDE` (monthly,
//! annual).

use jiff::civil::DateTime;

use crate::ParseError;
use crate::text::decode;
use crate::time::StampParser;

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

/// One parameter column's values, stored by column: numbers as plain
/// `f64`s with a validity flag each (no per-value allocation, 9 bytes a
/// value, ready to become an Arrow array without a copy), switched to
/// [`Value`]s only if the column holds letter codes.
#[derive(Clone, Debug, PartialEq)]
pub enum Series {
    Numbers {
        /// 0.0 where missing.
        values: Vec<f64>,
        /// `false` where missing.
        valid: Vec<bool>,
    },
    Values(Vec<Value>),
}

impl Series {
    fn numbers(capacity: usize) -> Series {
        Series::Numbers {
            values: Vec::with_capacity(capacity),
            valid: Vec::with_capacity(capacity),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Series::Numbers { values, .. } => values.len(),
            Series::Values(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, row: usize) -> Value {
        match self {
            Series::Numbers { values, valid } => match (values.get(row), valid.get(row)) {
                (Some(n), Some(true)) => Value::Number(*n),
                _ => Value::Missing,
            },
            Series::Values(v) => v.get(row).cloned().unwrap_or(Value::Missing),
        }
    }

    /// Marks every value equal to `sentinel` as missing: a value DWD uses
    /// to say "none" besides -999 (hourly cloud cover's -1). Returns how
    /// many were.
    pub fn null_where(&mut self, sentinel: f64) -> usize {
        let mut n = 0;
        match self {
            Series::Numbers { values, valid } => {
                for (v, ok) in values.iter_mut().zip(valid.iter_mut()) {
                    if *ok && *v == sentinel {
                        *ok = false;
                        *v = 0.0;
                        n += 1;
                    }
                }
            }
            Series::Values(vs) => {
                for v in vs.iter_mut() {
                    if *v == Value::Number(sentinel) {
                        *v = Value::Missing;
                        n += 1;
                    }
                }
            }
        }
        n
    }

    fn push(&mut self, value: Value) {
        match (&mut *self, value) {
            (Series::Numbers { values, valid }, Value::Number(n)) => {
                values.push(n);
                valid.push(true);
            }
            (Series::Numbers { values, valid }, Value::Missing) => {
                values.push(0.0);
                valid.push(false);
            }
            (Series::Numbers { values, valid }, code) => {
                let mut all: Vec<Value> = values
                    .iter()
                    .zip(valid.iter())
                    .map(|(n, ok)| {
                        if *ok {
                            Value::Number(*n)
                        } else {
                            Value::Missing
                        }
                    })
                    .collect();
                all.push(code);
                *self = Series::Values(all);
            }
            (Series::Values(v), value) => v.push(value),
        }
    }
}

/// A parsed file, by column.
#[derive(Clone, Debug, PartialEq)]
pub struct Produkt {
    /// The parameter and quality columns, trimmed, in file order
    /// (without `STATIONS_ID`, the time columns and `eor`).
    pub columns: Vec<String>,
    pub stations: Vec<u32>,
    pub times: Vec<RowTime>,
    /// One series a column of [`Produkt::columns`].
    pub series: Vec<Series>,
    /// `MESS_DATUM_WOZ` (hourly solar): the row's true local solar time,
    /// a second clock beside `MESS_DATUM`; `None` where missing.
    pub true_local_times: Option<Vec<Option<DateTime>>>,
}

impl Produkt {
    /// Number of data rows.
    pub fn len(&self) -> usize {
        self.stations.len()
    }

    pub fn is_empty(&self) -> bool {
        self.stations.is_empty()
    }

    /// The values of row `row`, in column order.
    pub fn row_values(&self, row: usize) -> Vec<Value> {
        self.series.iter().map(|s| s.get(row)).collect()
    }

    /// Every row materialised (for tests and small files; large files are
    /// read by column).
    pub fn rows(&self) -> Vec<Row> {
        (0..self.len())
            .map(|i| Row {
                station: self.stations[i],
                time: self.times[i],
                values: self.row_values(i),
            })
            .collect()
    }
}

/// One row, materialised by [`Produkt::rows`].
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub station: u32,
    pub time: RowTime,
    pub values: Vec<Value>,
}

pub use dwd_catalog::{ColumnKind, is_quality};

/// For each column, the quality column that qualifies it: the nearest
/// quality column before it (DWD writes `QN_3;FX;FM;QN_4;RSK;…`: `QN_3`
/// qualifies `FX` and `FM`, `QN_4` the rest). `None` for quality columns
/// themselves and for columns before any quality column.
pub fn quality_of(columns: &[String]) -> Vec<Option<usize>> {
    let mut current = None;
    columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if is_quality(c) {
                current = Some(i);
                None
            } else {
                current
            }
        })
        .collect()
}

/// Columns that may hold letter codes when no table says otherwise:
/// quality columns and indicator columns (`V_N_I`: `P` observer, `I`
/// instrument, in hourly cloudiness). Every other column must be numeric.
pub fn may_hold_codes(column: &str) -> bool {
    ColumnKind::default_of(column) == ColumnKind::Code
}

/// -999 and its padded or decimal spellings.
/// A number in DWD's plain decimal notation (`-12.3`, `1013`, `0.000`),
/// computed as an integer over a power of ten: exactly the nearest double,
/// like `str::parse`, for up to 15 significant digits; anything else
/// (exponents, long mantissas) falls back to `str::parse`.
#[cfg(test)]
fn decimal(v: &str) -> Option<f64> {
    decimal_bytes(v.as_bytes())
}

/// [`decimal`] of bytes; non-UTF-8 is not a number.
fn decimal_bytes(bytes: &[u8]) -> Option<f64> {
    const POW10: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    let slow = || std::str::from_utf8(bytes).ok()?.parse().ok();
    let (negative, d) = match bytes.first() {
        Some(b'-') => (true, &bytes[1..]),
        Some(b'+') => (false, &bytes[1..]),
        _ => (false, bytes),
    };
    // at most 15 digits and a point: exact in the fast path, no overflow
    if d.is_empty() || d.len() > 16 {
        return slow();
    }
    let mut mantissa: u64 = 0;
    let mut i = 0;
    while i < d.len() {
        let c = d[i].wrapping_sub(b'0');
        if c > 9 {
            break;
        }
        mantissa = mantissa * 10 + u64::from(c);
        i += 1;
    }
    let int_digits = i;
    let mut scale = 0;
    if i < d.len() {
        if d[i] != b'.' {
            return slow();
        }
        i += 1;
        while i < d.len() {
            let c = d[i].wrapping_sub(b'0');
            if c > 9 {
                return slow();
            }
            mantissa = mantissa * 10 + u64::from(c);
            i += 1;
            scale += 1;
        }
    }
    if int_digits + scale == 0 || int_digits + scale > 15 {
        return slow();
    }
    let n = mantissa as f64 / POW10[scale];
    Some(if negative { -n } else { n })
}

/// Parses a data file held in memory. `file` names it in errors.
pub fn parse(file: &str, bytes: &[u8]) -> Result<Produkt, ParseError> {
    parse_reader(file, bytes)
}

/// Parses a data file line by line from `reader` (a zip member, streamed):
/// the text is never held whole. Each line is read as UTF-8 when it is valid
/// UTF-8, else as ISO-8859-1 (data rows are ASCII either way).
pub fn parse_reader(file: &str, reader: impl std::io::BufRead) -> Result<Produkt, ParseError> {
    parse_reader_sized(file, reader, 0)
}

/// [`parse_reader`] with the text's size when known (a zip member declares
/// it): columns are allocated once for the expected rows instead of
/// doubling, which keeps the peak memory near the data's own size.
pub fn parse_reader_sized(
    file: &str,
    reader: impl std::io::BufRead,
    text_bytes: u64,
) -> Result<Produkt, ParseError> {
    parse_rows(file, reader, text_bytes, true, &ColumnKind::default_of)
}

/// [`parse_reader_sized`] with the kind of each column (by its DWD name)
/// from the dataset's tables: a text column keeps every value as written,
/// a number column refuses anything that is not a number.
pub fn parse_reader_kinds(
    file: &str,
    reader: impl std::io::BufRead,
    text_bytes: u64,
    kinds: &dyn Fn(&str) -> ColumnKind,
) -> Result<Produkt, ParseError> {
    parse_rows(file, reader, text_bytes, true, kinds)
}

/// The parser. `reuse_layout` off splits every row in full (tests compare).
///
/// One function on purpose (it is the longest of the workspace): it is the
/// per-row loop every byte of every file goes through (about 240 MB/s of
/// text, `bench parse`), and its state — the header's layout, the byte
/// offsets of the last row's fields, the columns being filled, the time of
/// the last row — is shared by each step of a row. Split into functions,
/// that state would be passed around or re-derived once per row.
fn parse_rows(
    file: &str,
    mut reader: impl std::io::BufRead,
    text_bytes: u64,
    reuse_layout: bool,
    kinds: &dyn Fn(&str) -> ColumnKind,
) -> Result<Produkt, ParseError> {
    let mut buf: Vec<u8> = Vec::with_capacity(256);
    let mut number = 0usize;
    // The line end: LF or CRLF, or CR alone (old Mac files; the header
    // tells, and every row of the file is read by it).
    let mut cr_only = false;
    // the next non-blank line, decoded, with its 1-based number
    let mut next_line =
        |buf: &mut Vec<u8>, cr_only: &mut bool| -> Result<Option<(usize, String)>, ParseError> {
            let read_error = |e: std::io::Error| ParseError::File {
                file: file.to_owned(),
                message: format!("read error (a corrupt zip member?): {e}"),
            };
            loop {
                buf.clear();
                // up to the first CR or LF; a CR followed by LF is one line end
                let mut ended = None;
                loop {
                    let avail = reader.fill_buf().map_err(read_error)?;
                    if avail.is_empty() {
                        break;
                    }
                    match memchr::memchr2(b'\n', b'\r', avail) {
                        Some(i) => {
                            buf.extend_from_slice(&avail[..i]);
                            ended = Some(avail[i]);
                            reader.consume(i + 1);
                            break;
                        }
                        None => {
                            buf.extend_from_slice(avail);
                            let n = avail.len();
                            reader.consume(n);
                        }
                    }
                }
                if ended == Some(b'\r') {
                    let next = reader.fill_buf().map_err(read_error)?;
                    if next.first() == Some(&b'\n') {
                        reader.consume(1);
                    } else {
                        *cr_only = true;
                    }
                }
                if ended.is_none() && buf.is_empty() {
                    return Ok(None);
                }
                number += 1;
                let text = decode(buf);
                let line = text.as_ref();
                if line
                    .trim_matches(|c: char| c.is_whitespace() || c == '\u{1a}')
                    .is_empty()
                {
                    continue;
                }
                return Ok(Some((number, line.to_owned())));
            }
        };
    let Some((_, header)) = next_line(&mut buf, &mut cr_only)? else {
        return Err(ParseError::File {
            file: file.to_owned(),
            message: "empty file: no header line".into(),
        });
    };
    // a UTF-8 byte order mark is no part of the first name
    let header = header.trim_start_matches('\u{feff}');
    let mut names: Vec<String> = header.split(';').map(|h| h.trim().to_owned()).collect();
    // hourly files before 2015 wrote the header in mixed case with spaces
    // after `;` (`Stations_ID; Mess_Datum; Qualitaets_Niveau; …`): that
    // layout's names are read as the upper-case codes they stand for (other
    // layouts keep their names exactly as written)
    if !names.iter().any(|n| n == "STATIONS_ID")
        && names.iter().any(|n| n.eq_ignore_ascii_case("STATIONS_ID"))
    {
        for n in &mut names {
            *n = n.to_ascii_uppercase();
        }
    }
    // a header of values (a file whose line ends were not found) is not one
    if let Some(v) = names
        .iter()
        .find(|n| !n.is_empty() && decimal_bytes(n.as_bytes()).is_some())
    {
        return Err(ParseError::Line {
            file: file.to_owned(),
            line: 1,
            message: format!(
                "the header holds the value {v:?} where a column name belongs: not a DWD header (unknown line ends?)"
            ),
        });
    }
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
    let woz_col = pos("MESS_DATUM_WOZ");
    let data_cols: Vec<usize> = (0..width)
        .filter(|i| *i != station_col && !time_cols.contains(i) && !(has_eor && *i == width - 1))
        .filter(|i| Some(*i) != woz_col)
        .filter(|i| !names[*i].is_empty())
        .collect();
    // fields no column reads (`eor`, a column without a name)
    let unread: Vec<usize> = (0..width)
        .filter(|i| *i != station_col && !time_cols.contains(i) && Some(*i) != woz_col)
        .filter(|i| !data_cols.contains(i))
        .collect();
    // rows are about as long as the header; at most 50M rows are reserved
    let expected_rows = usize::try_from(text_bytes / (header.len() as u64 + 1))
        .unwrap_or(0)
        .min(50_000_000);
    let kind: Vec<ColumnKind> = data_cols.iter().map(|i| kinds(&names[*i])).collect();
    let mut out = Produkt {
        columns: data_cols.iter().map(|i| names[*i].clone()).collect(),
        stations: Vec::with_capacity(expected_rows),
        times: Vec::with_capacity(expected_rows),
        series: kind
            .iter()
            .map(|k| match k {
                ColumnKind::Text => Series::Values(Vec::with_capacity(expected_rows)),
                _ => Series::numbers(expected_rows),
            })
            .collect(),
        true_local_times: woz_col.map(|_| Vec::with_capacity(expected_rows)),
    };
    let mut woz_stamps = StampParser::default();

    // Rows are read as bytes (a data row is ASCII; anything else in a
    // value is an error, decoded only to be named), split into reused field
    // ranges: no allocation per row.
    let mut stamps = StampParser::default();
    let mut fields: Vec<(usize, usize)> = Vec::with_capacity(width);
    // the length of the row whose separators `fields` holds
    let mut last_layout_len = usize::MAX;
    let field_count_error = |line: usize, n: usize| ParseError::Line {
        file: file.to_owned(),
        line,
        message: format!("{n} fields, the header has {width}"),
    };
    // the station id of the row before, its length and bytes packed in a u64
    let mut last_station: Option<(u64, u32)> = None;
    let pack = |b: &[u8]| -> Option<u64> {
        (b.len() <= 7).then(|| {
            b.iter().fold(0u64, |a, &x| (a << 8) | u64::from(x)) | ((b.len() as u64) << 56)
        })
    };
    let text = |b: &[u8]| decode(b).into_owned();
    // one line, `\n` included when it has one
    let mut handle = |line_bytes: &[u8], line: usize| -> Result<(), ParseError> {
        let mut end = line_bytes.len();
        while end > 0 && matches!(line_bytes[end - 1], b'\n' | b'\r') {
            end -= 1;
        }
        let row = &line_bytes[..end];
        if row.iter().all(|b| b.is_ascii_whitespace() || *b == 0x1a) {
            return Ok(());
        }
        // DWD pads its columns, so a row is most often laid out like the
        // row before: same length, separators at the same places. Then its
        // fields are the same ranges. A `;` inside one of them would fail
        // that field's parse, and the row is split in full to name the error.
        // (A field no column reads, `eor`, is checked here instead.)
        let same_layout = reuse_layout
            && row.len() == last_layout_len
            && fields.len() == width
            && fields[..width - 1].iter().all(|&(_, e)| row[e] == b';')
            && unread
                .iter()
                .all(|&i| !row[fields[i].0..fields[i].1].contains(&b';'));
        if !same_layout {
            split_fields(row, &mut fields);
            if fields.len() != width {
                return Err(field_count_error(line, fields.len()));
            }
            last_layout_len = row.len();
        }
        let field = |i: usize| -> &[u8] {
            let (a, b) = fields[i];
            row[a..b].trim_ascii()
        };
        let at = |column: &str, message: String| {
            // a row reusing the layout before may hide a `;` in a field
            let n = row.iter().filter(|b| **b == b';').count() + 1;
            if n != width {
                return field_count_error(line, n);
            }
            ParseError::At {
                file: file.to_owned(),
                line,
                column: column.to_owned(),
                message,
            }
        };
        let id = field(station_col);
        let packed = pack(id);
        let station = match last_station {
            Some((p, s)) if packed == Some(p) => s,
            _ => {
                let s: u32 = std::str::from_utf8(id)
                    .ok()
                    .and_then(|t| t.parse().ok())
                    .ok_or_else(|| {
                        at("STATIONS_ID", format!("{:?} is not a station id", text(id)))
                    })?;
                last_station = packed.map(|p| (p, s));
                s
            }
        };
        let mut stamp = |i: usize| -> Result<DateTime, ParseError> {
            let f = field(i);
            stamps
                .parse(f)
                .ok_or_else(|| at(&names[i], format!("{:?} is not a valid date/time", text(f))))
        };
        let time = match time_cols.as_slice() {
            [t] => RowTime::At(stamp(*t)?),
            [b, e] => {
                let begin = stamp(*b)?;
                RowTime::Span(begin, stamp(*e)?)
            }
            _ => unreachable!("one or two time columns"),
        };
        if let (Some(c), Some(times)) = (woz_col, out.true_local_times.as_mut()) {
            let f = field(c);
            times.push(if f.is_empty() || f == b"-999" {
                None
            } else {
                Some(woz_stamps.parse(f).ok_or_else(|| {
                    at(&names[c], format!("{:?} is not a valid date/time", text(f)))
                })?)
            });
        }
        for (k, &i) in data_cols.iter().enumerate() {
            let v = field(i);
            // the common case, a number or a missing value in a numeric
            // column, goes straight into the column
            if let Series::Numbers { values, valid } = &mut out.series[k] {
                // empty and -999 (padded, or -999.0) are DWD's missing value
                let n = if v.is_empty() {
                    Some(-999.0)
                } else {
                    decimal_bytes(v)
                };
                if let Some(n) = n {
                    let present = n != -999.0;
                    values.push(if present { n } else { 0.0 });
                    valid.push(present);
                    continue;
                }
            }
            // -999 (padded, or -999.0) is DWD's missing value
            let value = if v.is_empty() {
                Value::Missing
            } else if kind[k] == ColumnKind::Text {
                // text as written; only DWD's -999 means none
                if decimal_bytes(v) == Some(-999.0) {
                    Value::Missing
                } else {
                    Value::Code(text(v))
                }
            } else if let Some(n) = decimal_bytes(v) {
                if n == -999.0 {
                    Value::Missing
                } else {
                    Value::Number(n)
                }
            } else if kind[k] == ColumnKind::Code
                && v.len() <= 3
                && v.iter().all(u8::is_ascii_alphanumeric)
            {
                Value::Code(text(v))
            } else {
                return Err(at(&names[i], format!("{:?} is not a number", text(v))));
            };
            out.series[k].push(value);
        }
        out.stations.push(station);
        out.times.push(time);
        Ok(())
    };
    // Lines are read in place from the reader's buffer; only a line split
    // across two fills is gathered in `buf`.
    let read_error = |e: std::io::Error| ParseError::File {
        file: file.to_owned(),
        message: format!("read error (a corrupt zip member?): {e}"),
    };
    buf.clear();
    loop {
        let avail = reader.fill_buf().map_err(read_error)?;
        if avail.is_empty() {
            break;
        }
        let mut pos = 0;
        let end = if cr_only { b'\r' } else { b'\n' };
        while let Some(i) = memchr::memchr(end, &avail[pos..]) {
            let next = pos + i + 1;
            number += 1;
            if buf.is_empty() {
                handle(&avail[pos..next], number)?;
            } else {
                buf.extend_from_slice(&avail[pos..next]);
                handle(&buf, number)?;
                buf.clear();
            }
            pos = next;
        }
        buf.extend_from_slice(&avail[pos..]);
        let used = avail.len();
        reader.consume(used);
    }
    if !buf.is_empty() {
        // the last line, without a line end
        number += 1;
        handle(&buf, number)?;
    }
    Ok(out)
}

/// The `(start, end)` of each `;`-separated field of `row`.
fn split_fields(row: &[u8], fields: &mut Vec<(usize, usize)>) {
    fields.clear();
    let mut start = 0;
    for (k, &b) in row.iter().enumerate() {
        if b == b';' {
            fields.push((start, k));
            start = k + 1;
        }
    }
    fields.push((start, row.len()));
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: &str = "STATIONS_ID;MESS_DATUM;  QN;PP_10;TT_10;TM5_10;RF_10;TD_10;eor\r\n         44;202506250000;    3;   -999;  16.6;  16.4;  98.9;  16.4;eor\r\n         44;202506250010;    3;   -999;  16.7;  16.5;  99.6;  16.6;eor\r\n";

    #[test]
    fn quality_columns_qualify_the_columns_after_them() {
        let cols = |s: &str| s.split(';').map(str::to_owned).collect::<Vec<_>>();
        // daily kl: QN_3 for the wind values, QN_4 for the rest
        let daily = cols("QN_3;FX;FM;QN_4;RSK;RSKF;SDK;SHK_TAG;NM;VPM;PM;TMK;UPM;TXK;TNK;TGK");
        let q = quality_of(&daily);
        assert_eq!(&q[..4], [None, Some(0), Some(0), None]);
        assert!(q[4..].iter().all(|x| *x == Some(3)));
        // monthly: QN_4, then QN_6 for precipitation
        let monthly = cols("QN_4;MO_N;MO_TT;QN_6;MO_RR;MX_RS");
        assert_eq!(
            quality_of(&monthly),
            [None, Some(0), Some(0), None, Some(3), Some(3)]
        );
        assert_eq!(quality_of(&cols("TT;QN")), [None, None], "none before");
    }

    #[test]
    fn lines_across_buffer_fills_read_as_whole_lines() {
        let no_end = NOW.trim_end();
        let blank = NOW.replace(
            "eor\r\n         44;202506250010",
            "eor\r\n\r\n  \n         44;202506250010",
        );
        for text in [NOW, no_end, &blank] {
            let whole = parse("now.txt", text.as_bytes()).unwrap();
            assert_eq!(whole.len(), 2);
            for cap in [1, 2, 3, 7, 64, 65, 66] {
                let r = std::io::BufReader::with_capacity(cap, text.as_bytes());
                assert_eq!(parse_reader("now.txt", r).unwrap(), whole, "capacity {cap}");
            }
        }
        // line numbers count across fills
        let bad = format!("{NOW}         44;202506250020;    3;   -999;  x;eor\r\n");
        for cap in [1, 5, 4096] {
            let r = std::io::BufReader::with_capacity(cap, bad.as_bytes());
            let e = parse_reader("now.txt", r).unwrap_err().to_string();
            assert!(e.contains("line 4: 6 fields, the header has 9"), "{e}");
        }
    }

    #[test]
    fn padded_names_values_eor_and_missing() {
        let p = parse("now.txt", NOW.as_bytes()).unwrap();
        assert_eq!(
            p.columns,
            ["QN", "PP_10", "TT_10", "TM5_10", "RF_10", "TD_10"]
        );
        assert_eq!(p.len(), 2);
        assert!(
            matches!(p.series[2], Series::Numbers { .. }),
            "numeric columns stay unboxed"
        );
        let r = &p.rows()[0];
        assert_eq!(r.station, 44);
        assert_eq!(
            r.time,
            RowTime::At(DateTime::constant(2025, 6, 25, 0, 0, 0, 0))
        );
        assert_eq!(r.values[0], Value::Number(3.0));
        assert_eq!(r.values[1], Value::Missing);
        assert_eq!(r.values[2], Value::Number(16.6));
    }

    #[test]
    fn true_local_solar_time_is_a_clock_not_a_value() {
        // hourly solar: MESS_DATUM at HH:MM and the true local time beside it
        let text = "STATIONS_ID;MESS_DATUM;QN_592;ATMO_LBERG;FD_LBERG;FG_LBERG;SD_LBERG;ZENIT;MESS_DATUM_WOZ;eor\n       5906;1979010100:28;    1;   -999;    0.0;    0.0;   0;   152.90;1979010101:00;eor\n       5906;1979010101:28;    1;   -999;    0.0;    0.0;   0;   148.20;-999;eor\n";
        let p = parse("st.txt", text.as_bytes()).unwrap();
        assert_eq!(
            p.columns,
            [
                "QN_592",
                "ATMO_LBERG",
                "FD_LBERG",
                "FG_LBERG",
                "SD_LBERG",
                "ZENIT"
            ]
        );
        assert_eq!(
            p.times[0],
            RowTime::At(DateTime::constant(1979, 1, 1, 0, 28, 0, 0))
        );
        assert_eq!(
            p.true_local_times,
            Some(vec![Some(DateTime::constant(1979, 1, 1, 1, 0, 0, 0)), None])
        );
        let e = parse(
            "st.txt",
            text.replace("1979010101:00", "1979013201:00").as_bytes(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("line 2, column MESS_DATUM_WOZ"), "{e}");
    }

    #[test]
    fn without_eor_and_with_begin_end() {
        let p = parse("m.txt", b"STATIONS_ID;MESS_DATUM_BEGINN;MESS_DATUM_ENDE;QN_4;MO_TT\n1691;18570101;18570131;5;-1.00\n").unwrap();
        assert_eq!(p.columns, ["QN_4", "MO_TT"]);
        assert_eq!(
            p.times[0],
            RowTime::Span(
                DateTime::constant(1857, 1, 1, 0, 0, 0, 0),
                DateTime::constant(1857, 1, 31, 0, 0, 0, 0)
            )
        );
        assert_eq!(p.row_values(0)[1], Value::Number(-1.0));
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
        // a row as long as the row before, with its separators where they
        // were, and one more inside a field: still a count error
        let prev = "44;202501010000;  1.0;eor";
        for row in [
            "44;202501010010;1;1.0;eor",
            "44;2025010;0100;  1.0;eor",
            "4;;202501010010;  1.0;eor",
            "44;202501010010;  1.0;e;r",
        ] {
            assert_eq!(prev.len(), row.len());
            check(
                &format!("STATIONS_ID;MESS_DATUM;TT_10;eor\n{prev}\n{row}\n"),
                "line 3: 5 fields, the header has 4",
            );
        }
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
            p.row_values(0),
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
        assert_eq!(
            p.rows()[0].values,
            [Value::Code("P".into()), Value::Missing]
        );
    }

    #[test]
    fn fast_numbers_equal_std_parsing() {
        for v in [
            "16.6",
            "-0.3",
            "1013.25",
            "0.000",
            "-999",
            "-999.0",
            "98.9",
            "12345678901234.5",
            "123456789012345678901234",
            "1234567890123456",
            "-0.0000000000000001",
            "999999999999999.",
            "-.5",
            "-",
            "+",
            "1e3",
            "+7",
            "-",
            ".",
            "1.2.3",
        ] {
            assert_eq!(decimal(v), v.parse::<f64>().ok(), "{v}");
        }
    }

    proptest::proptest! {
        #[test]
        fn fast_numbers_equal_std_parsing_everywhere(int in -99_999_999i64..99_999_999, frac in 0u32..6) {
            let v = if frac == 0 { int.to_string() } else { format!("{}.{:0width$}", int, int.unsigned_abs() % 10u64.pow(frac), width = frac as usize) };
            proptest::prop_assert_eq!(decimal(&v), v.parse::<f64>().ok(), "{}", v);
        }

        #[test]
        fn never_panics(s in "(STATIONS_ID;MESS_DATUM;TT_10;eor\n)?[0-9;. \\-a-z\r\n]{0,300}") {
            let _ = parse("fuzz.txt", s.as_bytes());
        }
    }

    const NOW_44: &[u8] = include_bytes!(
        "../../../tests/data/fixtures/produkt_zehn_now_tu_20250625_20250625_00044.txt"
    );

    proptest::proptest! {
        #![proptest_config(crate::fuzz::config())]

        /// A real file with a few bytes changed: parsed consistently or
        /// refused with an error naming the file; never a panic.
        #[test]
        fn mutated_real_files_parse_or_fail_by_name(bytes in crate::fuzz::mutated(NOW_44)) {
            let parsed = parse("fuzz.txt", &bytes);
            // reusing the row before's layout changes nothing, not even an error
            let split = parse_rows("fuzz.txt", &bytes[..], 0, false, &ColumnKind::default_of);
            proptest::prop_assert_eq!(
                parsed.as_ref().map_err(ToString::to_string),
                split.as_ref().map_err(ToString::to_string)
            );
            // nor does reading it in small pieces (lines across fills)
            let pieces = std::io::BufReader::with_capacity(13, &bytes[..]);
            let in_pieces = parse_reader("fuzz.txt", pieces);
            proptest::prop_assert_eq!(
                parsed.as_ref().map_err(ToString::to_string),
                in_pieces.as_ref().map_err(ToString::to_string)
            );
            match parsed {
                Ok(p) => {
                    proptest::prop_assert_eq!(p.stations.len(), p.times.len());
                    for s in &p.series {
                        proptest::prop_assert_eq!(s.len(), p.len());
                    }
                }
                Err(e) => proptest::prop_assert!(e.to_string().starts_with("fuzz.txt"), "{}", e),
            }
        }
    }
}
