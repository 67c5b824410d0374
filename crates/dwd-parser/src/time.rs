//! DWD timestamps and their reference (MEZ or UTC).
//!
//! For 1-, 5- and 10-minute data DWD states that timestamps before
//! 2000-01-01 are MEZ (UTC+1, no daylight saving) and later ones UTC. A rule
//! applied per row misreads the seam between the chunk that ends 1999-12-31
//! and the one that starts 2000-01-01 (whose first rows may be dated
//! 1999-12-31 23:00, already UTC). So the reference is decided once per
//! file, from the period the file covers, and every row of the file uses it.

use jiff::civil::{Date, DateTime};
use jiff::{SignedDuration, Timestamp};

/// The reference of a file's local timestamps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reference {
    /// UTC+1, no daylight saving (Mitteleuropäische Zeit).
    Mez,
    Utc,
}

impl Reference {
    pub fn as_str(self) -> &'static str {
        match self {
            Reference::Mez => "MEZ",
            Reference::Utc => "UTC",
        }
    }

    /// How far this reference is ahead of UTC, in ms.
    pub fn offset_ms(self) -> i64 {
        match self {
            Reference::Mez => 3_600_000,
            Reference::Utc => 0,
        }
    }

    /// The UTC instant of a local time in this reference.
    pub fn to_utc(self, local: DateTime) -> Option<Timestamp> {
        let as_utc = jiff::tz::TimeZone::UTC.to_timestamp(local).ok()?;
        match self {
            Reference::Utc => Some(as_utc),
            Reference::Mez => as_utc.checked_sub(SignedDuration::from_hours(1)).ok(),
        }
    }
}

pub use dwd_catalog::Resolution;

/// The reference of a whole file. `stated` is what the station's
/// `Metadaten_Parameter` say for the file's parameters and period (see
/// [`crate::metadata::StationMetadata::time_reference`]) and wins when
/// known. Otherwise the period rule: MEZ for minute data whose period ends
/// before 2000-01-01 (the name's `_<from>_<to>` range), UTC for the rest.
pub fn file_reference(
    resolution: Resolution,
    period_end: Option<Date>,
    stated: Option<Reference>,
) -> Reference {
    if let Some(r) = stated {
        return r;
    }
    match period_end {
        Some(end) if resolution.minute_data() && end < Date::constant(2000, 1, 1) => Reference::Mez,
        _ => Reference::Utc,
    }
}

/// What decided a file's reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Basis {
    /// The station's `Metadaten_Parameter`.
    Metadata,
    /// The period rule of [`file_reference`].
    Period,
}

impl Basis {
    pub fn as_str(self) -> &'static str {
        match self {
            Basis::Metadata => "Metadaten_Parameter",
            Basis::Period => "period",
        }
    }
}

/// A data file's resolution and time reference, decided once per file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileTime {
    pub resolution: Resolution,
    pub reference: Reference,
    pub basis: Basis,
}

/// Decides the reference of the data file `name` (a `produkt_*` name; `hint`
/// is the dataset or zip name when the member name does not tell the
/// resolution) holding `columns`, with the station's metadata if known.
pub fn decide(
    name: &str,
    hint: &str,
    columns: &[String],
    metadata: Option<&crate::metadata::StationMetadata>,
) -> FileTime {
    let resolution = Resolution::detect(name)
        .or_else(|| Resolution::detect(hint))
        .unwrap_or(Resolution::Hourly);
    let range = name_range(name);
    let cols: Vec<&str> = columns.iter().map(String::as_str).collect();
    let stated = match (metadata, range) {
        (Some(m), Some((from, to))) => m.time_reference(&cols, from, to),
        _ => None,
    };
    FileTime {
        resolution,
        reference: file_reference(resolution, range.map(|(_, end)| end), stated),
        basis: if stated.is_some() {
            Basis::Metadata
        } else {
            Basis::Period
        },
    }
}

/// `YYYYMMDD` of a name token.
pub use dwd_catalog::date8;

/// The `_<from>_<to>` range of a DWD name (`produkt_zehn_min_tu_19930428_19991231_00003.txt`).
pub fn name_range(name: &str) -> Option<(Date, Date)> {
    let stem = name.rsplit('/').next().unwrap_or(name);
    let tokens: Vec<&str> = stem.split(['_', '.']).collect();
    tokens
        .windows(2)
        .find_map(|w| Some((date8(w[0])?, date8(w[1])?)))
}

/// Parses `MESS_DATUM` in any of DWD's formats: `YYYYMMDDHHMM`, `YYYYMMDDHH`,
/// `YYYYMMDDHH:MM`, `YYYYMMDD`. `None` for anything else or an impossible date.
pub fn parse_stamp(s: &str) -> Option<DateTime> {
    // byte offsets below: a non-ASCII character would split (found by fuzzing)
    if !s.is_ascii() {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<i32> {
        let t = s.get(r)?;
        if t.bytes().all(|b| b.is_ascii_digit()) {
            t.parse().ok()
        } else {
            None
        }
    };
    let (date, hour, minute) = match s.len() {
        8 => (s, 0, 0),
        10 => (&s[..8], digits(8..10)?, 0),
        12 => (&s[..8], digits(8..10)?, digits(10..12)?),
        13 if s.as_bytes()[10] == b':' => (&s[..8], digits(8..10)?, digits(11..13)?),
        _ => return None,
    };
    let d = date8(date)?;
    let h = i8::try_from(hour).ok()?;
    let m = i8::try_from(minute).ok()?;
    if h == 24 && m == 0 {
        // some series write midnight as 24:00 of the day before
        return d.tomorrow().ok().map(|t| t.at(0, 0, 0, 0));
    }
    DateTime::new(d.year(), d.month(), d.day(), h, m, 0, 0).ok()
}

/// [`parse_stamp`] for a file's rows, which mostly share the date of the
/// row before: the date part is parsed and validated once per day, then
/// only hour and minute. Gives exactly what [`parse_stamp`] gives.
#[derive(Debug, Default)]
pub struct StampParser {
    /// The last `YYYYMMDD` seen and its date.
    day: Option<([u8; 8], Date)>,
}

impl StampParser {
    pub fn parse(&mut self, s: &[u8]) -> Option<DateTime> {
        let two = |a: u8, b: u8| -> Option<i8> {
            if a.is_ascii_digit() && b.is_ascii_digit() {
                Some(((a - b'0') * 10 + (b - b'0')) as i8)
            } else {
                None
            }
        };
        let (hour, minute) = match s.len() {
            8 => (Some(0), Some(0)),
            10 => (two(s[8], s[9]), Some(0)),
            12 => (two(s[8], s[9]), two(s[10], s[11])),
            _ => (None, None),
        };
        let (Some(h), Some(m)) = (hour, minute) else {
            // `HH:MM` and anything odd: the general path
            return parse_stamp(std::str::from_utf8(s).ok()?);
        };
        let key: [u8; 8] = s[..8].try_into().ok()?;
        let date = match self.day {
            Some((k, d)) if k == key => d,
            _ => {
                let d = date8(std::str::from_utf8(&key).ok()?)?;
                self.day = Some((key, d));
                d
            }
        };
        if h == 24 && m == 0 {
            return date.tomorrow().ok().map(|t| t.at(0, 0, 0, 0));
        }
        let time = jiff::civil::Time::new(h, m, 0, 0).ok()?;
        Some(date.to_datetime(time))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stamp_format() {
        let dt = |y, mo, d, h, mi| DateTime::new(y, mo, d, h, mi, 0, 0).unwrap();
        let check = |s: &str, want: Option<DateTime>| assert_eq!(parse_stamp(s), want, "{s}");
        check("202506250010", Some(dt(2025, 6, 25, 0, 10)));
        check("2018091500", Some(dt(2018, 9, 15, 0, 0)));
        check("2018091523:30", Some(dt(2018, 9, 15, 23, 30)));
        check("18570101", Some(dt(1857, 1, 1, 0, 0)));
        check("1999123124", Some(dt(2000, 1, 1, 0, 0)));
        check("20210230", None);
        check("202506251260", None);
        check("2025062500x0", None);
        check("", None);
        check("2025062ü120", None);
    }

    #[test]
    fn the_stamp_parser_agrees_with_parse_stamp() {
        let mut p = StampParser::default();
        for s in [
            "202506250010",
            "202506250020",
            "202506252400",
            "202506260000",
            "2018091500",
            "2018091523:30",
            "18570101",
            "1999123124",
            "20210230",
            "202506251260",
            "2025062500x0",
            "202506250",
            "",
            "2025062ü120",
            "202506262500",
        ] {
            assert_eq!(p.parse(s.as_bytes()), parse_stamp(s), "{s}");
        }
    }

    proptest::proptest! {
        #[test]
        fn the_stamp_parser_agrees_everywhere(stamps in proptest::collection::vec("(19|20)[0-9]{2}(0[0-9]|1[0-3])([0-3][0-9])([0-2][0-9]([0-6][0-9])?)?", 1..20)) {
            let mut p = StampParser::default();
            for s in &stamps {
                proptest::prop_assert_eq!(p.parse(s.as_bytes()), parse_stamp(s), "{}", s);
            }
        }
    }

    #[test]
    fn mez_is_one_hour_ahead_of_utc() {
        let local = DateTime::new(1999, 12, 31, 23, 50, 0, 0).unwrap();
        assert_eq!(
            Reference::Mez.to_utc(local).unwrap().to_string(),
            "1999-12-31T22:50:00Z"
        );
        assert_eq!(
            Reference::Utc.to_utc(local).unwrap().to_string(),
            "1999-12-31T23:50:00Z"
        );
    }

    #[test]
    fn the_reference_is_decided_per_file() {
        let (_, end) = name_range("produkt_zehn_min_tu_19930428_19991231_00003.txt").unwrap();
        assert_eq!(
            file_reference(Resolution::Minutes10, Some(end), None),
            Reference::Mez
        );
        let (_, end) = name_range("produkt_zehn_min_tu_20000101_20091231_00003.txt").unwrap();
        assert_eq!(
            file_reference(Resolution::Minutes10, Some(end), None),
            Reference::Utc
        );
        assert_eq!(
            file_reference(Resolution::Hourly, Some(Date::constant(1990, 1, 1)), None),
            Reference::Utc
        );
        assert_eq!(
            file_reference(Resolution::Minutes10, None, Some(Reference::Mez)),
            Reference::Mez
        );
        assert_eq!(
            file_reference(Resolution::Minutes10, Some(end), Some(Reference::Utc)),
            Reference::Utc
        );
    }

    #[test]
    fn resolutions_from_names() {
        assert_eq!(
            Resolution::detect("10minutenwerte_TU_00003_akt.zip"),
            Some(Resolution::Minutes10)
        );
        assert_eq!(
            Resolution::detect("produkt_zehn_now_tu_20250625_20250625_00044.txt"),
            Some(Resolution::Minutes10)
        );
        assert_eq!(
            Resolution::detect("produkt_tu_stunde_20180915_20200317_00320.txt"),
            Some(Resolution::Hourly)
        );
        assert_eq!(
            Resolution::detect("produkt_klima_monat_18570101_20171231_01691.txt"),
            Some(Resolution::Monthly)
        );
        assert_eq!(Resolution::detect("daily/kl"), Some(Resolution::Daily));
    }
}
