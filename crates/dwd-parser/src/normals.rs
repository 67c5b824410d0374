//! DWD's climate normals (`multi_annual/mean_61-90` … `mean_91-20`): one
//! `;`-separated table per parameter over all stations
//! (`Temperatur_1991-2020.txt`), its station list
//! (`Temperatur_1991-2020_Stationsliste.txt`) and what each source code
//! means (`Beschreibung_Datenquelle.txt`).
//!
//! A normals table's header is
//! `Stations_id;Bezugszeitraum;Datenquelle;Jan.;Feb.;März;…;Dez.;Jahr;`;
//! the older tables of the `_obsolete` folders (as DWD published them
//! until 2018) have no `Datenquelle` column. Fields are padded with
//! spaces, values below 1 are written without the leading zero (`.6`,
//! `-.5`), lines end in CRLF (the older files' last line has none), the
//! text is ISO-8859-1.

use crate::ParseError;
use crate::text::{END_OF_FILE_MARK, decode, ends_whole, lines};

/// One station's normals of one parameter: each month's and the year's.
#[derive(Clone, Debug, PartialEq)]
pub struct NormalRow {
    pub station: u32,
    /// `Bezugszeitraum` as written: `1991-2020`.
    pub period: String,
    /// `Datenquelle`: how the normal was formed (see
    /// [`parse_sources`]); `None` when the field is empty or the table
    /// has no such column (the older layout).
    pub source: Option<u16>,
    /// January to December; `None` where DWD gives none (empty, `-999`, or
    /// a lone `-` or `.`, as other readers of these tables take them).
    pub months: [Option<f64>; 12],
    /// `Jahr`.
    pub year: Option<f64>,
}

/// A station of a normals station list.
#[derive(Clone, Debug, PartialEq)]
pub struct NormalsStation {
    pub id: u32,
    pub name: String,
    pub latitude: f64,
    pub longitude: f64,
    /// Metres above sea level.
    pub height: f64,
    pub state: String,
}

/// A download cut short ends inside a line ([`ends_whole`]).
fn cut(file: &str, bytes: &[u8]) -> Result<(), ParseError> {
    if !ends_whole(bytes) {
        let line = bytes.iter().filter(|b| **b == b'\n').count() + 1;
        return Err(ParseError::Line {
            file: file.to_owned(),
            line,
            message: "the last line ends inside a field: the file was cut (a short download?)"
                .into(),
        });
    }
    Ok(())
}

/// An empty line, or the end-of-file mark alone on the last.
fn blank(l: &str) -> bool {
    l.trim_matches(|c: char| c.is_whitespace() || c == char::from(END_OF_FILE_MARK))
        .is_empty()
}

/// The fields of a `;`-separated line, trimmed, without the empty one
/// after the closing `;` (and an `eor` there).
fn fields(l: &str) -> Vec<&str> {
    let mut f: Vec<&str> = l.split(';').map(str::trim).collect();
    while f
        .last()
        .is_some_and(|x| x.is_empty() || x.eq_ignore_ascii_case("eor"))
    {
        f.pop();
    }
    f
}

/// Parses a normals table; `file` names it in errors.
pub fn parse_table(file: &str, bytes: &[u8]) -> Result<Vec<NormalRow>, ParseError> {
    cut(file, bytes)?;
    let text = decode(bytes);
    let mut it = lines(&text).filter(|(_, l)| !blank(l));
    let Some((hl, header)) = it.next() else {
        return Err(ParseError::File {
            file: file.to_owned(),
            message: "empty: no header".into(),
        });
    };
    let names = fields(header);
    // the current layout, or the older one without `Datenquelle`
    let first_month = match names.get(2) {
        Some(n) if n.eq_ignore_ascii_case("Datenquelle") => 3,
        _ => 2,
    };
    let width = first_month + 13;
    if names.len() != width
        || !names[0].eq_ignore_ascii_case("Stations_id")
        || !names[1].eq_ignore_ascii_case("Bezugszeitraum")
        || !names[width - 1].eq_ignore_ascii_case("Jahr")
    {
        return Err(ParseError::Line {
            file: file.to_owned(),
            line: hl,
            message: format!(
                "not a normals table: the header is {:?}, not Stations_id;Bezugszeitraum;[Datenquelle;]Jan.;…;Dez.;Jahr;",
                header.trim()
            ),
        });
    }
    let mut out = Vec::new();
    for (line, l) in it {
        let f = fields(l);
        let err = |column: &str, message: String| ParseError::At {
            file: file.to_owned(),
            line,
            column: column.to_owned(),
            message,
        };
        if f.len() != width {
            return Err(ParseError::Line {
                file: file.to_owned(),
                line,
                message: format!("{} fields where the header has {width}", f.len()),
            });
        }
        let station = f[0]
            .parse::<u32>()
            .map_err(|_| err("Stations_id", format!("{:?} is not a station id", f[0])))?;
        let source = match f.get(2).filter(|_| first_month == 3) {
            None | Some(&"") => None,
            Some(s) => Some(
                s.parse::<u16>()
                    .map_err(|_| err("Datenquelle", format!("{s:?} is not a source code")))?,
            ),
        };
        let value = |i: usize| -> Result<Option<f64>, ParseError> {
            match f[i] {
                "" | "-" | "." => Ok(None),
                v => match v.parse::<f64>() {
                    // DWD's "no value"
                    Ok(-999.0) => Ok(None),
                    Ok(x) if x.is_finite() => Ok(Some(x)),
                    _ => Err(err(names[i], format!("{v:?} is not a number"))),
                },
            }
        };
        let mut months = [None; 12];
        for (m, slot) in months.iter_mut().enumerate() {
            *slot = value(first_month + m)?;
        }
        out.push(NormalRow {
            station,
            period: f[1].to_owned(),
            source,
            months,
            year: value(width - 1)?,
        });
    }
    Ok(out)
}

/// Parses a normals station list
/// (`Stations_id;Stationsname;geogr. Breite;geogr. Laenge;Stationshoehe;Bundesland;`).
pub fn parse_stations(file: &str, bytes: &[u8]) -> Result<Vec<NormalsStation>, ParseError> {
    cut(file, bytes)?;
    let text = decode(bytes);
    let mut it = lines(&text).filter(|(_, l)| !blank(l));
    let header = it.next().map(|(_, h)| fields(h)).unwrap_or_default();
    if header.len() != 6
        || !header[0].eq_ignore_ascii_case("Stations_id")
        || !header[1].eq_ignore_ascii_case("Stationsname")
    {
        return Err(ParseError::Line {
            file: file.to_owned(),
            line: 1,
            message: format!(
                "not a normals station list: the header is {:?}, not Stations_id;Stationsname;geogr. Breite;geogr. Laenge;Stationshoehe;Bundesland;",
                header.join(";")
            ),
        });
    }
    let mut out = Vec::new();
    for (line, l) in it {
        let f = fields(l);
        if f.len() != 6 {
            return Err(ParseError::Line {
                file: file.to_owned(),
                line,
                message: format!("{} fields where the header has 6", f.len()),
            });
        }
        let err = |i: usize, what: &str| ParseError::At {
            file: file.to_owned(),
            line,
            column: header[i].to_owned(),
            message: format!("{:?} is not {what}", f[i]),
        };
        let num = |i: usize| f[i].parse::<f64>().map_err(|_| err(i, "a number"));
        out.push(NormalsStation {
            id: f[0].parse().map_err(|_| err(0, "a station id"))?,
            name: f[1].to_owned(),
            latitude: num(2)?,
            longitude: num(3)?,
            height: num(4)?,
            state: f[5].to_owned(),
        });
    }
    Ok(out)
}

/// Parses `Beschreibung_Datenquelle.txt`: each source code with what it
/// means (`44;Vieljährige Mittelwerte …;eor;`); lines that do not begin
/// with a code (a header) are skipped.
pub fn parse_sources(file: &str, bytes: &[u8]) -> Result<Vec<(u16, String)>, ParseError> {
    cut(file, bytes)?;
    let text = decode(bytes);
    let mut out = Vec::new();
    for (line, l) in lines(&text) {
        let f = fields(l);
        let Some(code) = f.first().and_then(|c| c.parse::<u16>().ok()) else {
            continue;
        };
        let meaning = f[1..].join(";");
        if meaning.is_empty() {
            return Err(ParseError::Line {
                file: file.to_owned(),
                line,
                message: format!("source code {code} without a description"),
            });
        }
        out.push((code, meaning));
    }
    Ok(out)
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

    /// DWD's padded 1961-1990 layout (ISO-8859-1, CRLF, `.9` and `-.5`).
    #[test]
    fn the_1961_1990_layout() {
        let rows = parse_table("T", &data("mean_61-90/Temperatur_1961-1990.txt")).unwrap();
        assert_eq!(rows.len(), 10);
        let r44 = &rows[0];
        assert_eq!(
            (r44.station, r44.period.as_str(), r44.source),
            (44, "1961-1990", Some(42))
        );
        assert_eq!(r44.months[0], Some(0.9));
        assert_eq!(r44.months[11], Some(2.0));
        assert_eq!(r44.year, Some(8.7));
        let potsdam = rows.iter().find(|r| r.station == 3987).unwrap();
        assert_eq!(potsdam.months[0], Some(-0.8));
        assert_eq!(potsdam.source, Some(51));
        let rr = parse_table("R", &data("mean_61-90/Niederschlag_1961-1990.txt")).unwrap();
        assert_eq!(
            rr.iter().find(|r| r.station == 44).unwrap().months[0],
            Some(60.0)
        );
        let st = parse_stations(
            "S",
            &data("mean_61-90/Temperatur_1961-1990_Stationsliste.txt"),
        )
        .unwrap();
        let g = st.iter().find(|s| s.id == 44).unwrap();
        assert_eq!(
            (
                g.name.as_str(),
                g.latitude,
                g.longitude,
                g.height,
                g.state.as_str()
            ),
            ("Großenkneten", 52.933593, 8.237018, 44.0, "Niedersachsen")
        );
        assert_eq!(st.iter().find(|s| s.id == 1691).unwrap().name, "Göttingen");
    }

    /// The 1991-2020 lines as DWD's files give them (unpadded here), and
    /// the source codes' meanings.
    #[test]
    fn the_1991_2020_layout_and_sources() {
        let rows = parse_table("S", &data("mean_91-20/Sommertage_1991-2020.txt")).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].station, 400);
        assert_eq!(rows[0].months[9], Some(0.1));
        assert_eq!(rows[2].year, Some(49.5));
        let s = parse_sources("B", &data("mean_91-20/Beschreibung_Datenquelle.txt")).unwrap();
        assert_eq!(
            s.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
            [44, 42, 46, 51]
        );
        assert!(s[3].1.contains("Hannak"), "{}", s[3].1);
    }

    /// The current 1981-2010 and 1991-2020 tables: DWD's real lines of
    /// the precipitation normals (CRLF and LF as the copies store them).
    #[test]
    fn the_1981_2010_and_1991_2020_precipitation() {
        for (file, period, leipzig_july, potsdam_year) in [
            (
                "mean_81-10/Niederschlag_1981-2010.txt",
                "1981-2010",
                68.9,
                585.8,
            ),
            (
                "mean_91-20/Niederschlag_1991-2020.txt",
                "1991-2020",
                75.8,
                580.4,
            ),
        ] {
            let rows = parse_table(file, &data(file)).unwrap();
            assert_eq!(rows.len(), 12, "{file}");
            assert!(rows.iter().all(|r| r.period == period), "{file}");
            let leipzig = rows.iter().find(|r| r.station == 2932).unwrap();
            assert_eq!(
                (leipzig.source, leipzig.months[6]),
                (Some(45), Some(leipzig_july))
            );
            let potsdam = rows.iter().find(|r| r.station == 3987).unwrap();
            assert_eq!(potsdam.year, Some(potsdam_year), "{file}");
        }
        let st = parse_stations(
            "L",
            &data("mean_91-20/Niederschlag_1991-2020_Stationsliste.txt"),
        )
        .unwrap();
        assert_eq!(
            st.iter().find(|s| s.id == 4271).unwrap().name,
            "Rostock-Warnemünde"
        );
    }

    /// DWD's older layout (`mean_81-10_obsolete`, as published until
    /// 2018): no `Datenquelle` column, and the last line of the table and
    /// of its station list has no line end.
    #[test]
    fn the_older_layout_without_a_source_column() {
        let bytes = data("mean_81-10_obsolete/Sonnenscheindauer_1981-2010_festerStandort.txt");
        assert!(!bytes.ends_with(b"\n"));
        let rows = parse_table("S", &bytes).unwrap();
        assert_eq!(rows.len(), 260);
        assert!(
            rows.iter()
                .all(|r| r.source.is_none() && r.period == "1981-2010")
        );
        let leipzig = rows.iter().find(|r| r.station == 2932).unwrap();
        assert_eq!(leipzig.months[6], Some(228.0));
        assert_eq!(leipzig.year, Some(1683.0));
        let last = rows.last().unwrap();
        assert_eq!((last.station, last.year), (14311, Some(1430.0)));
        let st = parse_stations(
            "L",
            &data(
                "mean_81-10_obsolete/Sonnenscheindauer_1981-2010_Stationsliste_festerStandort.txt",
            ),
        )
        .unwrap();
        assert_eq!(st.len(), 260);
        let l = st.iter().find(|s| s.id == 2932).unwrap();
        assert_eq!(
            (l.name.as_str(), l.state.as_str()),
            ("Leipzig/Halle", "Sachsen")
        );
        assert_eq!(st.last().unwrap().name, "Hersdorf-Weißenseifen");
        // the same table cut inside its last line is refused
        let cut = &bytes[..bytes.len() - 3];
        let e = parse_table("S", cut).unwrap_err();
        assert!(e.to_string().contains("was cut"), "{e}");
    }

    /// A file cut anywhere (a short transfer) gives an error or, where the
    /// cut falls after a line's closing `;`, the whole lines' rows exactly:
    /// never a row with a value cut short.
    #[test]
    fn a_cut_file_never_gives_a_wrong_row() {
        let bytes = data("mean_81-10_obsolete/Sonnenscheindauer_1981-2010_festerStandort.txt");
        let all = parse_table("S", &bytes).unwrap();
        let tail = bytes.len() - 400;
        let cuts = (1..tail).step_by(37).chain(tail..bytes.len());
        let mut whole = 0;
        for n in cuts {
            if let Ok(rows) = parse_table("S", &bytes[..n]) {
                assert_eq!(rows[..], all[..rows.len()], "cut at {n}");
                whole += 1;
            }
        }
        // the cuts that end a line (before its CRLF, or after it) parse
        assert!(whole > 0);
    }

    #[test]
    fn bad_input_is_named() {
        let h = "Stations_id;Bezugszeitraum;Datenquelle;Jan.;Feb.;März;Apr.;Mai;Jun.;Jul.;Aug.;Sept.;Okt.;Nov.;Dez.;Jahr;\r\n";
        let e = parse_table(
            "t.txt",
            format!("{h}44;1991-2020;44;x;0;0;0;0;0;0;0;0;0;0;0;0;\r\n").as_bytes(),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.txt: line 2, column Jan.: \"x\" is not a number"
        );
        let e = parse_table("t.txt", format!("{h}44;1991-2020;44;1;2\r\n").as_bytes()).unwrap_err();
        assert!(
            e.to_string()
                .contains("line 2: 5 fields where the header has 16"),
            "{e}"
        );
        let e = parse_table("t.txt", b"STATIONS_ID;MESS_DATUM;TT\r\n").unwrap_err();
        assert!(e.to_string().contains("not a normals table"), "{e}");
        let e = parse_table("t.txt", format!("{h}44;1991").as_bytes()).unwrap_err();
        assert!(e.to_string().contains("was cut"), "{e}");
        let none = parse_table(
            "t.txt",
            format!("{h}44;1991-2020;;-999;;-;.;1;1;1;1;1;1;1;1;1;\r\n").as_bytes(),
        )
        .unwrap();
        assert_eq!(
            (none[0].source, none[0].months[0], none[0].months[1]),
            (None, None, None)
        );
        assert_eq!((none[0].months[2], none[0].months[3]), (None, None));
    }
}
