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

/// The parser: the header read into a [`Layout`], then every line through
/// one [`RowParser`]. `reuse_layout` off splits every row in full (tests
/// compare).
fn parse_rows(
    file: &str,
    reader: impl std::io::BufRead,
    text_bytes: u64,
    reuse_layout: bool,
    kinds: &dyn Fn(&str) -> ColumnKind,
) -> Result<Produkt, ParseError> {
    let mut lines = Lines::new(file, reader);
    let Some(header) = lines.header()? else {
        return Err(ParseError::File {
            file: file.to_owned(),
            message: "empty file: no header line".into(),
        });
    };
    let layout = Layout::of_header(file, &header, kinds)?;
    // rows are about as long as the header; at most 50M rows are reserved
    let expected_rows = usize::try_from(text_bytes / (header.len() as u64 + 1))
        .unwrap_or(0)
        .min(50_000_000);
    let mut rows = RowParser::new(file, layout, expected_rows, reuse_layout);
    lines.rest(|line, number| rows.row(line, number))?;
    Ok(rows.out)
}

/// Which byte ends a line.
#[derive(Clone, Copy, PartialEq)]
enum LineEnd {
    /// Before the header is read: LF, CRLF or CR alone (old Mac files).
    Unknown,
    /// LF or CRLF: lines are split at LF, a CR before it is trimmed.
    Lf,
    /// CR alone: every row of the file is read by it.
    Cr,
}

/// A file's lines, read in place from the reader's buffer: only a line
/// split across two fills is gathered in `carry`. Lines are numbered from
/// 1, blank ones included.
struct Lines<'f, R> {
    file: &'f str,
    reader: R,
    carry: Vec<u8>,
    end: LineEnd,
    number: usize,
}

impl<'f, R: std::io::BufRead> Lines<'f, R> {
    fn new(file: &'f str, reader: R) -> Self {
        Lines {
            file,
            reader,
            carry: Vec::with_capacity(256),
            end: LineEnd::Unknown,
            number: 0,
        }
    }

    fn read_error(&self, e: std::io::Error) -> ParseError {
        ParseError::File {
            file: self.file.to_owned(),
            message: format!("read error (a corrupt zip member?): {e}"),
        }
    }

    /// Calls `each` with the next line (its line end included, when it
    /// has one) and its number; `None` at the end of the file.
    fn next_line<T>(
        &mut self,
        each: impl FnOnce(&[u8], usize) -> T,
    ) -> Result<Option<T>, ParseError> {
        let end = self.end;
        loop {
            let avail = match self.reader.fill_buf() {
                Ok(a) => a,
                Err(e) => return Err(self.read_error(e)),
            };
            if avail.is_empty() {
                if self.carry.is_empty() {
                    return Ok(None);
                }
                // the last line, without a line end
                self.number += 1;
                let out = each(&self.carry, self.number);
                self.carry.clear();
                return Ok(Some(out));
            }
            let found = match end {
                LineEnd::Unknown => memchr::memchr2(b'\n', b'\r', avail),
                LineEnd::Lf => memchr::memchr(b'\n', avail),
                LineEnd::Cr => memchr::memchr(b'\r', avail),
            };
            let Some(i) = found else {
                self.carry.extend_from_slice(avail);
                let n = avail.len();
                self.reader.consume(n);
                continue;
            };
            self.number += 1;
            let out = if self.carry.is_empty() {
                each(&avail[..=i], self.number)
            } else {
                self.carry.extend_from_slice(&avail[..=i]);
                let out = each(&self.carry, self.number);
                self.carry.clear();
                out
            };
            self.reader.consume(i + 1);
            return Ok(Some(out));
        }
    }

    /// Calls `each` with every line after the header (its line end
    /// included, when it has one) and its number, in bulk: each line found
    /// in the reader's buffer is handed on where it lies (the same lines as
    /// [`Lines::next_line`] gives, at 38 fewer instructions a line).
    fn rest(
        &mut self,
        mut each: impl FnMut(&[u8], usize) -> Result<(), ParseError>,
    ) -> Result<(), ParseError> {
        let end = match self.end {
            LineEnd::Cr => b'\r',
            LineEnd::Lf | LineEnd::Unknown => b'\n',
        };
        loop {
            let avail = match self.reader.fill_buf() {
                Ok(a) => a,
                Err(e) => return Err(self.read_error(e)),
            };
            if avail.is_empty() {
                break;
            }
            let mut pos = 0;
            while let Some(i) = memchr::memchr(end, &avail[pos..]) {
                let next = pos + i + 1;
                self.number += 1;
                if self.carry.is_empty() {
                    each(&avail[pos..next], self.number)?;
                } else {
                    self.carry.extend_from_slice(&avail[pos..next]);
                    each(&self.carry, self.number)?;
                    self.carry.clear();
                }
                pos = next;
            }
            self.carry.extend_from_slice(&avail[pos..]);
            let used = avail.len();
            self.reader.consume(used);
        }
        if !self.carry.is_empty() {
            // the last line, without a line end
            self.number += 1;
            each(&self.carry, self.number)?;
        }
        Ok(())
    }

    /// The first line that is not blank, decoded; it decides the line end
    /// of the rest (a CR not followed by LF anywhere before it: CR alone).
    fn header(&mut self) -> Result<Option<String>, ParseError> {
        let mut cr_only = false;
        loop {
            let line = self.next_line(|line, _| {
                let ended_cr = line.last() == Some(&b'\r');
                (trim_line_end(line).to_vec(), ended_cr)
            })?;
            let Some((line, ended_cr)) = line else {
                return Ok(None);
            };
            if ended_cr {
                match self.reader.fill_buf() {
                    Ok(next) if next.first() == Some(&b'\n') => self.reader.consume(1),
                    Ok(_) => cr_only = true,
                    Err(e) => return Err(self.read_error(e)),
                }
            }
            let text = decode(&line);
            if !is_blank(text.as_bytes()) {
                self.end = if cr_only { LineEnd::Cr } else { LineEnd::Lf };
                return Ok(Some(text.into_owned()));
            }
        }
    }
}

/// `line` without its line end (LF, CRLF, CR, or several).
fn trim_line_end(line: &[u8]) -> &[u8] {
    let mut end = line.len();
    while end > 0 && matches!(line[end - 1], b'\n' | b'\r') {
        end -= 1;
    }
    &line[..end]
}

/// Only white space and DOS end-of-file marks (`0x1a`).
fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|b| b.is_ascii_whitespace() || *b == 0x1a)
}

/// Where a row holds the time.
#[derive(Clone, Copy)]
enum TimeColumns {
    /// `MESS_DATUM`.
    At(usize),
    /// `MESS_DATUM_BEGINN`, `MESS_DATUM_ENDE`.
    Span(usize, usize),
}

impl TimeColumns {
    fn contains(self, i: usize) -> bool {
        match self {
            TimeColumns::At(t) => t == i,
            TimeColumns::Span(b, e) => b == i || e == i,
        }
    }
}

/// What the header says of each field of a row.
struct Layout {
    /// Every name, trimmed (upper case for the pre-2015 mixed-case header).
    names: Vec<String>,
    station: usize,
    time: TimeColumns,
    /// `MESS_DATUM_WOZ`, hourly solar's true local time.
    woz: Option<usize>,
    /// The parameter and quality columns, in file order.
    data: Vec<usize>,
    /// The kind of each of `data`.
    kinds: Vec<ColumnKind>,
    /// Fields no column reads (`eor`, a column without a name).
    unread: Vec<usize>,
}

impl Layout {
    fn of_header(
        file: &str,
        header: &str,
        kinds: &dyn Fn(&str) -> ColumnKind,
    ) -> Result<Layout, ParseError> {
        let at_header = |message: String| ParseError::Line {
            file: file.to_owned(),
            line: 1,
            message,
        };
        // a UTF-8 byte order mark is no part of the first name
        let header = header.trim_start_matches('\u{feff}');
        let mut names: Vec<String> = header.split(';').map(|h| h.trim().to_owned()).collect();
        // hourly files before 2015 wrote the header in mixed case with spaces
        // after `;` (`Stations_ID; Mess_Datum; Qualitaets_Niveau; …`): that
        // layout's names are read as the upper-case codes they stand for
        // (other layouts keep their names exactly as written)
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
            return Err(at_header(format!(
                "the header holds the value {v:?} where a column name belongs: not a DWD header (unknown line ends?)"
            )));
        }
        let width = names.len();
        let pos = |n: &str| names.iter().position(|h| h == n);
        let station = pos("STATIONS_ID")
            .ok_or_else(|| at_header(format!("no STATIONS_ID column in the header {header:?}")))?;
        let time = match (
            pos("MESS_DATUM"),
            pos("MESS_DATUM_BEGINN"),
            pos("MESS_DATUM_ENDE"),
        ) {
            (Some(t), _, _) => TimeColumns::At(t),
            (None, Some(b), Some(e)) => TimeColumns::Span(b, e),
            _ => {
                return Err(at_header(
                    "no MESS_DATUM (or MESS_DATUM_BEGINN and MESS_DATUM_ENDE) column".into(),
                ));
            }
        };
        let woz = pos("MESS_DATUM_WOZ");
        let eor = names
            .last()
            .is_some_and(|n| n.eq_ignore_ascii_case("eor"))
            .then(|| width - 1);
        let other = |i: &usize| *i != station && !time.contains(*i) && Some(*i) != woz;
        let data: Vec<usize> = (0..width)
            .filter(other)
            .filter(|i| Some(*i) != eor && !names[*i].is_empty())
            .collect();
        let unread = (0..width)
            .filter(other)
            .filter(|i| !data.contains(i))
            .collect();
        Ok(Layout {
            kinds: data.iter().map(|i| kinds(&names[*i])).collect(),
            names,
            station,
            time,
            woz,
            data,
            unread,
        })
    }

    fn width(&self) -> usize {
        self.names.len()
    }
}

/// A value as DWD writes it, before a column takes it.
enum Cell<'r> {
    /// Empty, or `-999` (padded, or `-999.0`): DWD's missing value.
    Missing,
    Number(f64),
    /// Anything else: a letter code, or an error in a number column.
    Other(&'r [u8]),
}

impl Cell<'_> {
    fn of(v: &[u8]) -> Cell<'_> {
        if v.is_empty() {
            return Cell::Missing;
        }
        match decimal_bytes(v) {
            Some(-999.0) => Cell::Missing,
            Some(n) => Cell::Number(n),
            None => Cell::Other(v),
        }
    }
}

/// The row loop's state, shared by each step of a row: the header's
/// layout, the byte ranges of the last row's fields, the columns being
/// filled, the last station id. Rows are read as bytes (a data row is
/// ASCII; anything else in a value is an error, decoded only to be named)
/// into reused field ranges: no allocation per row.
struct RowParser<'f> {
    file: &'f str,
    layout: Layout,
    reuse_layout: bool,
    /// The `(start, end)` of each field of the last row split.
    fields: Vec<(usize, usize)>,
    /// The length of the row whose separators `fields` holds.
    fields_of_len: usize,
    /// The station id of the row before: its bytes packed in a u64, and
    /// the id.
    last_station: Option<(u64, u32)>,
    stamps: StampParser,
    woz_stamps: StampParser,
    out: Produkt,
}

impl<'f> RowParser<'f> {
    fn new(file: &'f str, layout: Layout, expected_rows: usize, reuse_layout: bool) -> Self {
        let out = Produkt {
            columns: layout
                .data
                .iter()
                .map(|i| layout.names[*i].clone())
                .collect(),
            stations: Vec::with_capacity(expected_rows),
            times: Vec::with_capacity(expected_rows),
            series: layout
                .kinds
                .iter()
                .map(|k| match k {
                    ColumnKind::Text => Series::Values(Vec::with_capacity(expected_rows)),
                    _ => Series::numbers(expected_rows),
                })
                .collect(),
            true_local_times: layout.woz.map(|_| Vec::with_capacity(expected_rows)),
        };
        RowParser {
            file,
            fields: Vec::with_capacity(layout.width()),
            layout,
            reuse_layout,
            fields_of_len: usize::MAX,
            last_station: None,
            stamps: StampParser::default(),
            woz_stamps: StampParser::default(),
            out,
        }
    }

    /// One line, its line end included when it has one.
    fn row(&mut self, line: &[u8], number: usize) -> Result<(), ParseError> {
        let row = trim_line_end(line);
        if is_blank(row) {
            return Ok(());
        }
        self.split(row, number)?;
        let station = self.station(row, number)?;
        let time = match self.layout.time {
            TimeColumns::At(t) => RowTime::At(self.stamp(row, number, t)?),
            TimeColumns::Span(b, e) => {
                let begin = self.stamp(row, number, b)?;
                RowTime::Span(begin, self.stamp(row, number, e)?)
            }
        };
        if let Some(c) = self.layout.woz {
            let f = self.field(row, c);
            let woz = if f.is_empty() || f == b"-999" {
                None
            } else {
                match self.woz_stamps.parse(f) {
                    Some(t) => Some(t),
                    None => return Err(self.not_a_time(row, number, c, f)),
                }
            };
            if let Some(times) = self.out.true_local_times.as_mut() {
                times.push(woz);
            }
        }
        let columns = self.layout.data.iter().zip(&self.layout.kinds);
        for ((&i, &kind), series) in columns.zip(self.out.series.iter_mut()) {
            let (a, b) = self.fields[i];
            if let Err(bad) = push_value(series, kind, row[a..b].trim_ascii()) {
                let message = format!("{:?} is not a number", text(bad));
                return Err(self.at(row, number, i, message));
            }
        }
        self.out.stations.push(station);
        self.out.times.push(time);
        Ok(())
    }

    /// Finds the row's fields. DWD pads its columns, so a row is most
    /// often laid out like the row before: same length, separators at the
    /// same places. Then its fields are the same ranges. A `;` inside one
    /// of them would fail that field's parse, and the row is split in full
    /// to name the error ([`RowParser::at`]). A field no column reads
    /// (`eor`) is checked here instead.
    fn split(&mut self, row: &[u8], number: usize) -> Result<(), ParseError> {
        let width = self.layout.width();
        let fields = &self.fields;
        let same_layout = self.reuse_layout
            && row.len() == self.fields_of_len
            && fields.len() == width
            && fields[..width - 1].iter().all(|&(_, e)| row[e] == b';')
            && self
                .layout
                .unread
                .iter()
                .all(|&i| !row[fields[i].0..fields[i].1].contains(&b';'));
        if same_layout {
            return Ok(());
        }
        self.fields.clear();
        let mut start = 0;
        for (k, &b) in row.iter().enumerate() {
            if b == b';' {
                self.fields.push((start, k));
                start = k + 1;
            }
        }
        self.fields.push((start, row.len()));
        if self.fields.len() != width {
            return Err(self.field_count(number, self.fields.len()));
        }
        self.fields_of_len = row.len();
        Ok(())
    }

    /// Field `i` of `row`, trimmed.
    fn field<'r>(&self, row: &'r [u8], i: usize) -> &'r [u8] {
        let (a, b) = self.fields[i];
        row[a..b].trim_ascii()
    }

    fn station(&mut self, row: &[u8], number: usize) -> Result<u32, ParseError> {
        let id = self.field(row, self.layout.station);
        // the id's bytes and length packed in a u64: the row before's id
        // is known without parsing it again
        let packed = (id.len() <= 7).then(|| {
            id.iter().fold(0u64, |a, &x| (a << 8) | u64::from(x)) | ((id.len() as u64) << 56)
        });
        if let (Some((p, s)), Some(packed)) = (self.last_station, packed)
            && p == packed
        {
            return Ok(s);
        }
        let s: u32 = std::str::from_utf8(id)
            .ok()
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| {
                let station = self.layout.station;
                self.at(
                    row,
                    number,
                    station,
                    format!("{:?} is not a station id", text(id)),
                )
            })?;
        self.last_station = packed.map(|p| (p, s));
        Ok(s)
    }

    fn stamp(&mut self, row: &[u8], number: usize, i: usize) -> Result<DateTime, ParseError> {
        let f = self.field(row, i);
        match self.stamps.parse(f) {
            Some(t) => Ok(t),
            None => Err(self.not_a_time(row, number, i, f)),
        }
    }

    #[cold]
    #[inline(never)]
    fn not_a_time(&self, row: &[u8], number: usize, i: usize, f: &[u8]) -> ParseError {
        self.at(
            row,
            number,
            i,
            format!("{:?} is not a valid date/time", text(f)),
        )
    }

    /// An error in column `i` of the row; a row that reused the layout
    /// before may hide a `;` in a field, which is then the error.
    #[cold]
    #[inline(never)]
    fn at(&self, row: &[u8], number: usize, i: usize, message: String) -> ParseError {
        let n = row.iter().filter(|b| **b == b';').count() + 1;
        if n != self.layout.width() {
            return self.field_count(number, n);
        }
        ParseError::At {
            file: self.file.to_owned(),
            line: number,
            column: self.layout.names[i].clone(),
            message,
        }
    }

    #[cold]
    #[inline(never)]
    fn field_count(&self, number: usize, n: usize) -> ParseError {
        ParseError::Line {
            file: self.file.to_owned(),
            line: number,
            message: format!("{n} fields, the header has {}", self.layout.width()),
        }
    }
}

/// A value into its column's series; `Err` with the value where a number
/// column holds something else.
#[inline]
fn push_value<'v>(series: &mut Series, kind: ColumnKind, v: &'v [u8]) -> Result<(), &'v [u8]> {
    match (kind, Cell::of(v), series) {
        // text as written; only DWD's -999 means none
        (ColumnKind::Text, Cell::Missing, s) => s.push(Value::Missing),
        (ColumnKind::Text, _, s) => s.push(Value::Code(text(v))),
        // the common case goes straight into the column
        (_, Cell::Missing, Series::Numbers { values, valid }) => {
            values.push(0.0);
            valid.push(false);
        }
        (_, Cell::Number(n), Series::Numbers { values, valid }) => {
            values.push(n);
            valid.push(true);
        }
        (_, Cell::Missing, s) => s.push(Value::Missing),
        (_, Cell::Number(n), s) => s.push(Value::Number(n)),
        (ColumnKind::Code, Cell::Other(c), s)
            if c.len() <= 3 && c.iter().all(u8::is_ascii_alphanumeric) =>
        {
            s.push(Value::Code(text(c)))
        }
        (_, Cell::Other(c), _) => return Err(c),
    }
    Ok(())
}

/// Bytes as text, for an error message.
fn text(b: &[u8]) -> String {
    decode(b).into_owned()
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
