//! A station's `Metadaten_*` files, `.txt` or `.html`:
//!
//! - `Metadaten_Geographie_<id>`: where the station stood, when;
//! - `Metadaten_Parameter_[<product>_]<id>`: each parameter's description,
//!   unit, data source and time-reference note (`HHMM MEZ` / `HHMM UTC`);
//! - `Metadaten_Geraete_<group>_<id>`: the devices that measured `<group>`
//!   (`Lufttemperatur`, `Rel_Feuchte`, …) and their method;
//! - `Metadaten_Stationsname[_Betreibername]_<id>`: the station's names and
//!   operators over time.
//!
//! The `.txt` files are `;`-separated tables (trailing `eor`, blocks split
//! by a blank line, a `generiert:` / `Legende:` footer); the `.html` twins
//! hold the same tables as `<table>`s. Both are read into the same rows, by
//! header name (normalised: lower case, letters and digits only), never by
//! position. Other `Metadaten_*` kinds (`Fehldaten`, …) are not read.

use jiff::civil::Date;

use crate::ParseError;
use crate::text::{decode, lines};
use crate::time::{Reference, date8};

/// The kinds of station metadata table, by file name (the catalog knows
/// DWD's names).
pub use dwd_catalog::MetadataKind as Kind;

/// Where the station stood (`Metadaten_Geographie`).
#[derive(Clone, Debug, PartialEq)]
pub struct Location {
    pub station_id: u32,
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub height_m: Option<f64>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub name: String,
}

/// One parameter over one period (`Metadaten_Parameter`).
#[derive(Clone, Debug, PartialEq)]
pub struct ParameterInfo {
    pub station_id: u32,
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub station_name: String,
    /// DWD's column name (`TT_10`, `MO_TT`).
    pub parameter: String,
    pub description: String,
    pub unit: String,
    /// `Datenquelle (Strukturversion=SV)`.
    pub source: String,
    /// `Zusatz-Info`: for minute data the time reference (`HHMM MEZ`).
    pub extra: String,
    /// `Besonderheiten`.
    pub notes: String,
    /// `Literaturhinweis`.
    pub literature: String,
}

impl ParameterInfo {
    /// The time reference this row states: `HHMM MEZ` / `HHMM UTC` (and
    /// the like) in `Zusatz-Info`, or `Zeitbezug ist MEZ|UTC` in the source.
    /// Observation hours mentioned in passing (`07:30 MEZ`) are not a
    /// statement about the timestamps and are not read as one.
    pub fn reference(&self) -> Option<Reference> {
        fn word(s: &str) -> Option<Reference> {
            match s.trim_matches(|c: char| !c.is_ascii_alphanumeric()) {
                "MEZ" => Some(Reference::Mez),
                "UTC" => Some(Reference::Utc),
                _ => None,
            }
        }
        let mut tokens = self.extra.split_whitespace();
        while let Some(t) = tokens.next() {
            if matches!(t, "HHMM" | "HH:MM" | "HH")
                && let Some(r) = tokens.next().and_then(word)
            {
                return Some(r);
            }
        }
        let s = &self.source;
        let at = s.find("Zeitbezug ist ")?;
        s[at + "Zeitbezug ist ".len()..]
            .split_whitespace()
            .next()
            .and_then(word)
    }
}

/// One device over one period (`Metadaten_Geraete_<group>`).
#[derive(Clone, Debug, PartialEq)]
pub struct Device {
    pub station_id: u32,
    /// The measured quantity, from the file name (`Lufttemperatur`).
    pub group: String,
    pub station_name: String,
    pub longitude: Option<f64>,
    pub latitude: Option<f64>,
    pub height_m: Option<f64>,
    /// Sensor height above ground, metres (not given for a barometer).
    pub sensor_height_m: Option<f64>,
    /// A barometer's height above sea level, metres (air pressure only).
    pub barometer_height_m: Option<f64>,
    pub from: Option<Date>,
    pub to: Option<Date>,
    /// `Geraetetyp Name`, in German (`PT 100 (Luft)`).
    pub device_type: String,
    /// `Messverfahren`, in German (`Temperaturmessung, elektr.`).
    pub method: String,
}

/// A station name or an operator name over a period.
#[derive(Clone, Debug, PartialEq)]
pub struct NamePeriod {
    pub station_id: u32,
    pub name: String,
    pub from: Option<Date>,
    pub to: Option<Date>,
}

/// Everything read from one station's `Metadaten_*` files.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StationMetadata {
    pub locations: Vec<Location>,
    pub parameters: Vec<ParameterInfo>,
    pub devices: Vec<Device>,
    pub names: Vec<NamePeriod>,
    pub operators: Vec<NamePeriod>,
}

impl StationMetadata {
    pub fn is_empty(&self) -> bool {
        self.locations.is_empty()
            && self.parameters.is_empty()
            && self.devices.is_empty()
            && self.names.is_empty()
            && self.operators.is_empty()
    }

    pub fn extend(&mut self, other: StationMetadata) {
        self.locations.extend(other.locations);
        self.parameters.extend(other.parameters);
        self.devices.extend(other.devices);
        self.names.extend(other.names);
        self.operators.extend(other.operators);
    }

    /// Drops repeated rows (hourly and monthly stations carry the same
    /// metadata in each of their zips), keeping the first of each.
    pub fn dedup(&mut self) {
        fn once<T: std::fmt::Debug>(v: &mut Vec<T>) {
            let mut seen = std::collections::HashSet::new();
            v.retain(|x| seen.insert(format!("{x:?}")));
        }
        once(&mut self.locations);
        once(&mut self.parameters);
        once(&mut self.devices);
        once(&mut self.names);
        once(&mut self.operators);
    }

    /// The station ids these files describe.
    pub fn station_ids(&self) -> Vec<u32> {
        let mut ids: Vec<u32> = (self.locations.iter().map(|l| l.station_id))
            .chain(self.parameters.iter().map(|p| p.station_id))
            .chain(self.devices.iter().map(|d| d.station_id))
            .chain(self.names.iter().map(|n| n.station_id))
            .chain(self.operators.iter().map(|n| n.station_id))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The time reference `Metadaten_Parameter` states for a file with
    /// these `columns` covering `from..=to`: the rows of those parameters
    /// whose period overlaps the file's must all state the same one.
    /// `None` when none states one, or they disagree (a file across the
    /// seam); the caller then falls back to the period rule.
    pub fn time_reference(&self, columns: &[&str], from: Date, to: Date) -> Option<Reference> {
        let mut found: Option<Reference> = None;
        for p in &self.parameters {
            if !columns.contains(&p.parameter.as_str()) {
                continue;
            }
            let overlaps = p.from.is_none_or(|f| f <= to) && p.to.is_none_or(|t| t >= from);
            if !overlaps {
                continue;
            }
            match (found, p.reference()) {
                (_, None) => {}
                (None, Some(r)) => found = Some(r),
                (Some(a), Some(b)) if a == b => {}
                (Some(_), Some(_)) => return None,
            }
        }
        found
    }
}

/// A table as read from either form: header and rows of trimmed cells,
/// each row with the place it came from (a line, or a table row in HTML).
#[derive(Clone, Debug, PartialEq)]
struct Table {
    header: Vec<String>,
    rows: Vec<(Place, Vec<String>)>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Place {
    Line(usize),
    Row { table: usize, row: usize },
}

/// Lower case, letters and digits only: `Stations-<br>hoehe [m]`,
/// `Stationshoehe [m]` and `Stationshoehe` become alike.
fn norm(h: &str) -> String {
    h.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// An `.html` cell's text: a run of white space that breaks or indents the
/// source's lines is one space, none at the ends; runs of plain spaces are
/// DWD's text (as in the `.txt` twin) and stay.
fn squeeze(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut run = String::new();
    for c in s.trim().chars() {
        if c.is_whitespace() {
            run.push(c);
            continue;
        }
        if !run.is_empty() {
            if run.chars().all(|w| w == ' ') {
                out.push_str(&run);
            } else {
                out.push(' ');
            }
            run.clear();
        }
        out.push(c);
    }
    out
}

/// A `.txt` cell as DWD wrote it: only the padding at its ends goes; runs
/// of spaces inside (`(ab  01.04.2001)`) are DWD's text and stay.
fn trimmed(s: &str) -> String {
    s.trim().to_owned()
}

/// `;`-separated cells, trimmed, without the trailing `eor` and empty cell.
fn cells(line: &str) -> Vec<String> {
    let mut c: Vec<String> = line.split(';').map(trimmed).collect();
    if c.last().is_some_and(String::is_empty) {
        c.pop();
    }
    if c.last().is_some_and(|s| s.eq_ignore_ascii_case("eor")) {
        c.pop();
    }
    c
}

fn tables_txt(text: &str) -> Vec<Table> {
    let mut out: Vec<Table> = Vec::new();
    let mut current: Option<Table> = None;
    for (line, l) in lines(text) {
        let t = l.trim_matches(|c: char| c.is_whitespace() || c == '\u{1a}');
        if t.is_empty() || t.starts_with("generiert:") || t.starts_with("Legende:") {
            out.extend(current.take());
            continue;
        }
        match &mut current {
            None => {
                current = Some(Table {
                    header: cells(t),
                    rows: Vec::new(),
                })
            }
            Some(table) => table.rows.push((Place::Line(line), cells(t))),
        }
    }
    out.extend(current);
    out
}

fn tables_html(text: &str) -> Vec<Table> {
    use scraper::{Html, Selector};
    let doc = Html::parse_document(text);
    let (Ok(tables), Ok(trs), Ok(cell)) = (
        Selector::parse("table"),
        Selector::parse("tr"),
        Selector::parse("th, td"),
    ) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (ti, table) in doc.select(&tables).enumerate() {
        let mut header: Option<Vec<String>> = None;
        let mut rows = Vec::new();
        for (ri, tr) in table.select(&trs).enumerate() {
            let cells: Vec<(bool, String)> = tr
                .select(&cell)
                .map(|c| {
                    let text: String = c.text().collect();
                    (c.value().name() == "th", squeeze(&text))
                })
                .collect();
            if cells.is_empty() {
                continue;
            }
            let all_th = cells.iter().all(|(th, _)| *th);
            if all_th {
                // the title row is one cell spanning the table
                if cells.len() > 1 && header.is_none() {
                    header = Some(cells.into_iter().map(|(_, t)| t).collect());
                }
            } else if header.is_some() {
                rows.push((
                    Place::Row {
                        table: ti + 1,
                        row: ri + 1,
                    },
                    cells.into_iter().map(|(_, t)| t).collect(),
                ));
            }
        }
        if let Some(header) = header {
            out.push(Table { header, rows });
        }
    }
    out
}

fn is_html(name: &str, text: &str) -> bool {
    name.to_ascii_lowercase().ends_with(".html")
        || text
            .trim_start()
            .get(..5)
            .is_some_and(|s| s.eq_ignore_ascii_case("<html"))
}

/// Reads one `Metadaten_*` file (`name` picks the kind; `file` names it in
/// errors). `Ok(None)` for a kind this parser does not read.
pub fn parse(file: &str, name: &str, bytes: &[u8]) -> Result<Option<StationMetadata>, ParseError> {
    let Some(kind) = Kind::of(name) else {
        return Ok(None);
    };
    let text = decode(bytes);
    let tables = if is_html(name, &text) {
        tables_html(&text)
    } else {
        tables_txt(&text)
    };
    let tables: Vec<Table> = tables
        .into_iter()
        .filter(|t| t.header.iter().any(|h| norm(h) == "stationsid"))
        .collect();
    if tables.is_empty() {
        return Err(ParseError::File {
            file: file.to_owned(),
            message: "no table with a Stations_ID column".into(),
        });
    }
    let mut out = StationMetadata::default();
    for table in &tables {
        let r = Reader { file, table };
        match &kind {
            Kind::Geography => out.locations.extend(r.rows(|c| {
                // cells are read in column order, so the first bad one is named
                let station_id = c.id()?;
                let from = c.date(&["vondatum"])?;
                let to = c.date(&["bisdatum"])?;
                let height_m = c.number(&["stationshoehe", "stationshoehem"])?;
                let (latitude, longitude) = c.coordinates(true)?;
                Ok(Location {
                    station_id,
                    from,
                    to,
                    height_m,
                    latitude,
                    longitude,
                    name: c.text(&["stationsname"])?,
                })
            })?),
            Kind::Parameters => out.parameters.extend(r.rows(|c| {
                Ok(ParameterInfo {
                    station_id: c.id()?,
                    from: c.date(&["vondatum"])?,
                    to: c.date(&["bisdatum"])?,
                    station_name: c.text(&["stationsname"])?,
                    parameter: c.text(&["parameter"])?,
                    description: c.text(&["parameterbeschreibung"])?,
                    unit: c.text(&["einheit"])?,
                    source: c.optional_text(&["datenquellestrukturversionsv", "datenquelle"]),
                    extra: c.optional_text(&["zusatzinfo"]),
                    notes: c.optional_text(&["besonderheiten"]),
                    literature: c.optional_text(&["literaturhinweis"]),
                })
            })?),
            Kind::Devices(group) => out.devices.extend(r.rows(|c| {
                let station_id = c.id()?;
                let station_name = c.text(&["stationsname"])?;
                // where the device stood: DWD's device tables vary in these
                let (latitude, longitude) = c.coordinates(false)?;
                Ok(Device {
                    station_id,
                    group: group.clone(),
                    station_name,
                    longitude,
                    latitude,
                    height_m: c.optional_number(&["stationshoehem", "stationshoehe"])?,
                    sensor_height_m: c.optional_number(&["geberhoeheuebergrundm"])?,
                    barometer_height_m: c.optional_number(&["barometerhoeheuebernnm"])?,
                    from: c.date(&["vondatum"])?,
                    to: c.date(&["bisdatum"])?,
                    device_type: c.text(&["geraetetypname"])?,
                    method: c.text(&["messverfahren"])?,
                })
            })?),
            Kind::Names => {
                let operators = table.header.iter().any(|h| norm(h) == "betreibername");
                let rows = r.rows(|c| {
                    Ok(NamePeriod {
                        station_id: c.id()?,
                        name: c.text(&["betreibername", "stationsname"])?,
                        from: c.date(&["vondatum"])?,
                        to: c.date(&["bisdatum"])?,
                    })
                })?;
                if operators {
                    out.operators.extend(rows);
                } else {
                    out.names.extend(rows);
                }
            }
        }
    }
    Ok(Some(out))
}

struct Reader<'a> {
    file: &'a str,
    table: &'a Table,
}

impl Reader<'_> {
    fn rows<T>(
        &self,
        mut row: impl FnMut(&Cells<'_>) -> Result<T, ParseError>,
    ) -> Result<Vec<T>, ParseError> {
        let index: Vec<String> = self.table.header.iter().map(|h| norm(h)).collect();
        let mut out = Vec::with_capacity(self.table.rows.len());
        for (place, values) in &self.table.rows {
            let c = Cells {
                file: self.file,
                header: &self.table.header,
                index: &index,
                place: *place,
                values,
            };
            if values.len() > index.len() {
                return Err(c.error(
                    None,
                    format!("{} fields, the header names {}", values.len(), index.len()),
                ));
            }
            out.push(row(&c)?);
        }
        Ok(out)
    }
}

struct Cells<'a> {
    file: &'a str,
    header: &'a [String],
    index: &'a [String],
    place: Place,
    values: &'a [String],
}

impl Cells<'_> {
    fn error(&self, column: Option<usize>, message: String) -> ParseError {
        let file = self.file.to_owned();
        let column = column.and_then(|i| self.header.get(i)).cloned();
        match (self.place, column) {
            (Place::Line(line), Some(column)) => ParseError::At {
                file,
                line,
                column,
                message,
            },
            (Place::Line(line), None) => ParseError::Line {
                file,
                line,
                message,
            },
            (Place::Row { table, row }, column) => ParseError::File {
                file,
                message: match column {
                    Some(c) => format!("table {table}, row {row}, column {c}: {message}"),
                    None => format!("table {table}, row {row}: {message}"),
                },
            },
        }
    }

    fn find(&self, names: &[&str]) -> Option<usize> {
        names
            .iter()
            .find_map(|n| self.index.iter().position(|h| h == n))
    }

    /// The cell of the first of `names` in the header; a missing column is
    /// an error, a short row reads as empty cells.
    fn cell(&self, names: &[&str]) -> Result<(usize, &str), ParseError> {
        let i = self.find(names).ok_or_else(|| {
            self.error(
                None,
                format!("no column {:?} in the header", names.first().unwrap_or(&"")),
            )
        })?;
        Ok((i, self.values.get(i).map_or("", |s| s.trim())))
    }

    /// Latitude and longitude. DWD swapped their headers in some tables
    /// (the pre-2018 `Beschreibung_klima_Sonne_Detail`: "Geo. Breite" 13.06,
    /// "Geo. Laenge" 52.38). German stations lie within 47–56° N and
    /// 5–16° E, ranges that do not overlap, so a swap is certain; it is
    /// undone, with a warning.
    /// Without `required`, a table lacking the columns reads as nulls.
    fn coordinates(&self, required: bool) -> Result<(Option<f64>, Option<f64>), ParseError> {
        let (lat, lon) = (
            ["geogrbreite", "geobreitegrad"],
            ["geogrlaenge", "geolaengegrad"],
        );
        let (lat, lon) = if required {
            (self.number(&lat)?, self.number(&lon)?)
        } else {
            (self.optional_number(&lat)?, self.optional_number(&lon)?)
        };
        if let (Some(la), Some(lo)) = (lat, lon)
            && (5.0..=16.0).contains(&la)
            && (47.0..=56.0).contains(&lo)
        {
            tracing::warn!(
                component = "PARS",
                file = self.file,
                latitude = la,
                longitude = lo,
                "latitude and longitude are swapped in this row; read the other way round"
            );
            return Ok((lon, lat));
        }
        Ok((lat, lon))
    }

    fn text(&self, names: &[&str]) -> Result<String, ParseError> {
        Ok(self.cell(names)?.1.to_owned())
    }

    fn optional_text(&self, names: &[&str]) -> String {
        self.find(names)
            .and_then(|i| self.values.get(i))
            .map(|s| s.trim().to_owned())
            .unwrap_or_default()
    }

    fn id(&self) -> Result<u32, ParseError> {
        let (i, s) = self.cell(&["stationsid"])?;
        s.parse()
            .map_err(|_| self.error(Some(i), format!("{s:?} is not a station id")))
    }

    fn date(&self, names: &[&str]) -> Result<Option<Date>, ParseError> {
        let (i, s) = self.cell(names)?;
        if s.is_empty() {
            return Ok(None);
        }
        date8(s)
            .map(Some)
            .ok_or_else(|| self.error(Some(i), format!("{s:?} is not a date (YYYYMMDD)")))
    }

    /// [`Self::number`] of a column a table may lack: `None` without it.
    fn optional_number(&self, names: &[&str]) -> Result<Option<f64>, ParseError> {
        if self.find(names).is_none() {
            return Ok(None);
        }
        self.number(names)
    }

    fn number(&self, names: &[&str]) -> Result<Option<f64>, ParseError> {
        let (i, s) = self.cell(names)?;
        if s.is_empty() {
            return Ok(None);
        }
        s.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .map(Some)
            .ok_or_else(|| self.error(Some(i), format!("{s:?} is not a number")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_stated_and_not() {
        let p = |extra: &str, source: &str| ParameterInfo {
            station_id: 3,
            from: None,
            to: None,
            station_name: String::new(),
            parameter: "TT_10".into(),
            description: String::new(),
            unit: String::new(),
            source: source.into(),
            extra: extra.into(),
            notes: String::new(),
            literature: String::new(),
        };
        assert_eq!(p("HHMM MEZ", "").reference(), Some(Reference::Mez));
        assert_eq!(p("HHMM UTC", "").reference(), Some(Reference::Utc));
        assert_eq!(
            p("", "ESAU-Daten bis 31.12.1999 (Zeitbezug ist MEZ)").reference(),
            Some(Reference::Mez)
        );
        assert_eq!(
            p(
                "arithm.Mittel aus Tagesmittelwerten",
                "3 Termine: um 07, 14, 21 MOZ, ab 01.01.1987 07:30,14:30,21:30 MEZ"
            )
            .reference(),
            None
        );
    }

    #[test]
    fn swapped_coordinates_are_read_the_right_way_round() {
        let text = "Stations_id;Stationshoehe;Geogr.Breite;Geogr.Laenge;von_datum;bis_datum;Stationsname\n\
                    3;202.00;50.7827;6.0941;19370101;19391231;Aachen\n\
                    3;202.00;6.0941;50.7827;19400101;20110331;Aachen\n\
                    3;202.00;;50.7827;20110401;;Aachen\n";
        let m = parse("g.txt", "Metadaten_Geographie_00003.txt", text.as_bytes())
            .unwrap()
            .unwrap();
        let at = |l: &Location| (l.latitude, l.longitude);
        assert_eq!(at(&m.locations[0]), (Some(50.7827), Some(6.0941)));
        assert_eq!(
            at(&m.locations[1]),
            (Some(50.7827), Some(6.0941)),
            "swapped"
        );
        assert_eq!(
            at(&m.locations[2]),
            (None, Some(50.7827)),
            "one alone stays"
        );
    }

    #[test]
    fn a_device_table_may_lack_place_and_heights_but_not_its_devices() {
        let name = "Metadaten_Geraete_Luftdruck_00003.txt";
        let text = "Stations_ID;Stationsname;Von_Datum;Bis_Datum;Geraetetyp Name;Messverfahren;eor\n\
                    3;Aachen;19850101;20090326;Stationsbarometer;Luftdruckmessung, konv.;eor\n";
        let m = parse("g.txt", name, text.as_bytes()).unwrap().unwrap();
        let d = &m.devices[0];
        assert_eq!((d.latitude, d.longitude, d.height_m), (None, None, None));
        assert_eq!((d.sensor_height_m, d.barometer_height_m), (None, None));
        assert_eq!(d.device_type, "Stationsbarometer");
        // a column that is there must hold a number
        let text = "Stations_ID;Stationsname;Geo. Breite [Grad];Von_Datum;Bis_Datum;Geraetetyp Name;Messverfahren\n\
                    3;Aachen;x;19850101;20090326;Stationsbarometer;Luftdruckmessung, konv.\n";
        let e = parse("g.txt", name, text.as_bytes())
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "g.txt: line 2, column Geo. Breite [Grad]: \"x\" is not a number"
        );
        // and the device columns must be there
        let text = "Stations_ID;Stationsname;Von_Datum;Bis_Datum\n3;Aachen;19850101;20090326\n";
        let e = parse("g.txt", name, text.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(e.contains("no column \"geraetetypname\""), "{e}");
    }

    #[test]
    fn bad_cells_name_file_line_and_column() {
        let text = "Stations_id;Stationshoehe;Geogr.Breite;Geogr.Laenge;von_datum;bis_datum;Stationsname\n\
                    3;202.00;50.7827;6.0941;19370101;20110331;Aachen\n\
                    3;202.00;50.7827;6.0941;19370132;20110331;Aachen\n";
        let e = parse(
            "m.zip:Metadaten_Geographie_00003.txt",
            "Metadaten_Geographie_00003.txt",
            text.as_bytes(),
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            e,
            "m.zip:Metadaten_Geographie_00003.txt: line 3, column von_datum: \"19370132\" is not a date (YYYYMMDD)"
        );
        let e = parse(
            "g.txt",
            "Metadaten_Geographie_00003.txt",
            b"Stations_id;Stationshoehe\nx;1\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("g.txt: line 2, column Stations_id:"), "{e}");
        let e = parse("g.txt", "Metadaten_Geographie_00003.txt", b"just text\n")
            .unwrap_err()
            .to_string();
        assert_eq!(e, "g.txt: no table with a Stations_ID column");
        let e = parse(
            "g.txt",
            "Metadaten_Geographie_00003.txt",
            b"Stations_id;von_datum\n3;19370101;x;y\n",
        )
        .unwrap_err()
        .to_string();
        assert_eq!(e, "g.txt: line 2: 4 fields, the header names 2");
        let html = "<table><tr><th>Stations_ID</th><th>Stationsname</th><th>Von_Datum</th><th>Bis_Datum</th></tr>\
                    <tr><td>3</td><td>Aachen</td><td>1891</td><td></td></tr></table>";
        let e = parse(
            "n.html",
            "Metadaten_Stationsname_00003.html",
            html.as_bytes(),
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            e,
            "n.html: table 1, row 2, column Von_Datum: \"1891\" is not a date (YYYYMMDD)"
        );
    }

    const PARAMETER_HTML: &[u8] =
        include_bytes!("../../../tests/data/fixtures/metadata/Metadaten_Parameter_00003.html");
    const DEVICES_TXT: &[u8] = b"Stations_ID;Stationsname;Geo. Laenge [Grad];Geo. Breite [Grad];Stationshoehe [m];Geberhoehe ueber Grund [m];Von_Datum;Bis_Datum;Geraetetyp Name;Messverfahren;eor;\r\n\
1766;M\xfcnster/Osnabr\xfcck;7.7;52.13;48.4;2;19950801;20080924;SONIe Sonnenenergie-Sensor;Sonnenscheindauer, elektr.;eor;\r\n\
1766;M\xfcnster/Osnabr\xfcck;7.7;52.13;48.4;2;20081007;20091013;SCAPP;Strahlungsmessung, elektr.;eor;\r\n\
generiert: 12.04.2023 --  Deutscher Wetterdienst  --\r\n";

    proptest::proptest! {
        #![proptest_config(crate::fuzz::config())]

        /// Real metadata, `.txt` and `.html`, with a few bytes changed.
        #[test]
        fn mutated_metadata_parses_or_fails_by_name(
            txt in crate::fuzz::mutated(DEVICES_TXT),
            html in crate::fuzz::mutated(PARAMETER_HTML),
        ) {
            for (name, bytes) in [
                ("Metadaten_Geraete_Sonnenscheindauer_01766.txt", &txt),
                ("Metadaten_Parameter_00003.html", &html),
            ] {
                if let Err(e) = parse("fuzz", name, bytes) {
                    proptest::prop_assert!(e.to_string().starts_with("fuzz"), "{}", e);
                }
            }
        }
    }
}
