//! Station lists (`*_Beschreibung_Stationen.txt`).
//!
//! Fixed width, ISO-8859-1, lines padded with spaces. Line 1 names the
//! columns: `Stations_id von_datum bis_datum Stationshoehe geoBreite
//! geoLaenge Stationsname Bundesland [Abgabe]`; line 2 is a dash ruler whose
//! widths do not match the data, so columns are not taken from it. Three
//! layouts are known: 2016 (id right-aligned, not zero-padded), 2019
//! (zero-padded id), 2025 (with `Abgabe`). Names hold spaces, commas,
//! hyphens and umlauts; a Bundesland is one token; a height can be `-0`.
//! So a line is read from both ends: six fields from the left, the state
//! (and `Abgabe`) from the right, the name in between.
//!
//! The subdaily KL standard-format list (`KL_Standardformate_Beschreibung_
//! Stationen.txt`) has its own header, `ST_KE ST_ID von bis ST_Hoehe
//! geo_Breite geo_Laenge Stationsname Bundeslandname`: the same columns
//! after a leading `ST_KE`, the station's identifier in that format.

use jiff::civil::Date;

use crate::ParseError;
use crate::text::{decode, lines};
use crate::time::date8;

#[derive(Clone, Debug, PartialEq)]
pub struct Station {
    pub id: u32,
    pub from: Date,
    pub to: Date,
    /// Metres above sea level.
    pub height: f64,
    pub latitude: f64,
    pub longitude: f64,
    pub name: String,
    pub state: String,
    /// `Frei` and the like, in the 2025 layout.
    pub abgabe: Option<String>,
    /// `ST_KE` of the KL standard-format list, as written (`10501`, and
    /// `10XXX` where DWD gives none).
    pub identifier: Option<String>,
}

/// Parses a station list; `file` names it in errors.
pub fn parse(file: &str, bytes: &[u8]) -> Result<Vec<Station>, ParseError> {
    // DWD ends every line (the 2016 lists add a DOS end-of-file mark): a
    // last line without its end was cut, by a short transfer most likely,
    // and its station would be lost or wrong without a word
    if !crate::text::ends_whole(bytes) {
        let line = bytes.iter().filter(|b| **b == b'\n').count() + 1;
        return Err(ParseError::Line {
            file: file.to_owned(),
            line,
            message: "the last line has no line end: the file was cut (a short download?)".into(),
        });
    }
    let text = decode(bytes);
    let mut it = lines(&text);
    // the 2016 standard-format list begins with an empty line
    let (header_line, header) = it
        .by_ref()
        .find(|(_, l)| !l.trim().is_empty())
        .unwrap_or((1, ""));
    let h = header.trim_start().to_ascii_lowercase();
    let words: Vec<&str> = h.split_whitespace().collect();
    let standard_format = words.starts_with(&["st_ke", "st_id", "von", "bis"]);
    let classic =
        h.starts_with("stations_id") && h.contains("von_datum") && h.contains("stationsname");
    if !(classic || standard_format) {
        return Err(ParseError::Line {
            file: file.to_owned(),
            line: header_line,
            message: format!("not a station list: the first line is {:?}", header.trim()),
        });
    }
    let with_abgabe = header
        .split_whitespace()
        .any(|t| t.eq_ignore_ascii_case("Abgabe"));
    let mut out = Vec::new();
    for (line, raw) in it {
        // the 2016 lists end with a DOS end-of-file mark (0x1A)
        let l = raw.trim_matches(|c: char| c.is_whitespace() || c == '\u{1a}');
        // the standard-format list repeats its header before a second part
        if l.is_empty() || l.starts_with("---") || l.trim_end() == header.trim() {
            continue;
        }
        out.push(if standard_format {
            // `ST_KE` first, then the classic columns
            let (ke, rest) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
            Station {
                identifier: Some(ke.to_owned()),
                ..station(file, line, rest.trim_start(), with_abgabe)?
            }
        } else {
            station(file, line, l, with_abgabe)?
        });
    }
    Ok(out)
}

fn station(file: &str, line: usize, l: &str, with_abgabe: bool) -> Result<Station, ParseError> {
    let err = |column: &str, message: String| ParseError::At {
        file: file.to_owned(),
        line,
        column: column.to_owned(),
        message,
    };
    let tokens: Vec<&str> = l.split_whitespace().collect();
    let tail = if with_abgabe { 2 } else { 1 };
    if tokens.len() < 6 + 1 + tail {
        return Err(ParseError::Line {
            file: file.to_owned(),
            line,
            message: format!(
                "{} fields, a station needs at least {}",
                tokens.len(),
                7 + tail
            ),
        });
    }
    let num = |i: usize, column: &str| -> Result<f64, ParseError> {
        tokens[i]
            .parse::<f64>()
            .map_err(|_| err(column, format!("{:?} is not a number", tokens[i])))
    };
    let date = |i: usize, column: &str| {
        date8(tokens[i]).ok_or_else(|| err(column, format!("{:?} is not a date", tokens[i])))
    };
    let id = tokens[0].parse::<u32>().map_err(|_| {
        err(
            "Stations_id",
            format!("{:?} is not a station id", tokens[0]),
        )
    })?;
    let (abgabe, state) = if with_abgabe {
        (
            Some(tokens[tokens.len() - 1].to_owned()),
            tokens[tokens.len() - 2],
        )
    } else {
        (None, tokens[tokens.len() - 1])
    };
    let height = num(3, "Stationshoehe")?;
    Ok(Station {
        id,
        from: date(1, "von_datum")?,
        to: date(2, "bis_datum")?,
        // `-0` is DWD's; keep it a plain 0
        height: if height == 0.0 { 0.0 } else { height },
        latitude: num(4, "geoBreite")?,
        longitude: num(5, "geoLaenge")?,
        name: tokens[6..tokens.len() - tail].join(" "),
        state: state.to_owned(),
        abgabe,
        identifier: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_three_layouts() {
        let y2016 = "Stations_id von_datum bis_datum Stationshoehe geoBreite geoLaenge Stationsname Bundesland\r\r\n\
                     ----------- --------- --------- ------------- --------- --------- ----------------------------------------- ----------\r\r\n\
                     \x20         1 19370101 19860630            478     47.8413    8.8493 Aach                                     Baden-Württemberg                   \n";
        let s = parse("2016.txt", y2016.as_bytes()).unwrap();
        assert_eq!(
            (
                s[0].id,
                s[0].name.as_str(),
                s[0].state.as_str(),
                s[0].abgabe.as_deref()
            ),
            (1, "Aach", "Baden-Württemberg", None)
        );
        assert_eq!(s[0].from, Date::constant(1937, 1, 1));

        let y2025 = "Stations_id von_datum bis_datum Stationshoehe geoBreite geoLaenge Stationsname Bundesland Abgabe\n\
                     ----------- --------- --------- ------------- --------- --------- ----------------------------------------- ---------- ------\n\
                     00044 20070209 20250710             44     52.9336    8.2370 Großenkneten                             Niedersachsen                            Frei\n\
                     00379 19410101 20250710             -0     49.3   7.9 Bergzabern, Bad                          Rheinland-Pfalz                          Frei\n";
        let s = parse("2025.txt", y2025.as_bytes()).unwrap();
        assert_eq!(s[0].name, "Großenkneten");
        assert_eq!(s[0].abgabe.as_deref(), Some("Frei"));
        assert_eq!(
            (s[0].latitude, s[0].longitude, s[0].height),
            (52.9336, 8.237, 44.0)
        );
        assert_eq!((s[1].name.as_str(), s[1].height), ("Bergzabern, Bad", 0.0));
    }

    #[test]
    fn bad_lines_are_named() {
        let e = parse("l.txt", b"Stations_id von_datum bis_datum Stationshoehe geoBreite geoLaenge Stationsname Bundesland\nxx 1 2\n").unwrap_err();
        assert!(e.to_string().contains("l.txt: line 2"), "{e}");
        let e = parse("l.txt", b"Stations_id von_datum bis_datum Stationshoehe geoBreite geoLaenge Stationsname Bundesland\n7 19370101 19861350 1 2 3 Aach Bayern\n").unwrap_err();
        assert!(e.to_string().contains("column bis_datum"), "{e}");
        assert!(parse("x.txt", b"STATIONS_ID;MESS_DATUM\n").is_err());
    }

    /// The header, the ruler and 38 stations of the 2019 list (latin-1, CR CR LF).
    static LIST_2019: std::sync::LazyLock<&'static [u8]> = std::sync::LazyLock::new(|| {
        const ALL: &[u8] = include_bytes!(
            "../../../tests/data/fixtures/2019-05_10_minutes_air_temperature_recent_zehn_min_tu_Beschreibung_Stationen.txt"
        );
        let end = (ALL.iter().enumerate())
            .filter(|(_, b)| **b == b'\n')
            .nth(39)
            .map_or(ALL.len(), |(i, _)| i + 1);
        &ALL[..end]
    });

    proptest::proptest! {
        #![proptest_config(crate::fuzz::config())]

        /// The first 40 lines of a real list with a few bytes changed.
        #[test]
        fn mutated_real_lists_parse_or_fail_by_name(bytes in crate::fuzz::mutated(*LIST_2019)) {
            match parse("fuzz.txt", &bytes) {
                Ok(list) => proptest::prop_assert!(list.len() <= 40),
                Err(e) => proptest::prop_assert!(e.to_string().starts_with("fuzz.txt"), "{}", e),
            }
        }

        #[test]
        fn never_panics(s in "[ -~äöüß\r\n]{0,300}") {
            let _ = parse("fuzz.txt", format!("Stations_id von_datum bis_datum Stationshoehe geoBreite geoLaenge Stationsname Bundesland\n{s}").as_bytes());
        }
    }
}
