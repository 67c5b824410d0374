//! Asking for what you need: which stations, places, periods and dates.
//!
//! A [`Selection`] decides which files of a dataset are registered (and so
//! downloaded and converted): by station id, by place (a radius around a
//! point, a bounding box, the station's name or state: these need the
//! dataset's station list), by period folder and by date range (the range
//! in a file's name; `recent` and `now` files cover the last ~500 days and
//! the current day). Files that belong to no station (station lists,
//! descriptions) are always selected.

use std::collections::BTreeSet;

use jiff::civil::Date;

use crate::field::{Field, Invalid, Said};
use crate::{Period, facts, said};

/// A point and a radius.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Near {
    pub latitude: f64,
    pub longitude: f64,
    pub radius_km: f64,
}

/// West, south, east, north in degrees.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BBox {
    pub west: f64,
    pub south: f64,
    pub east: f64,
    pub north: f64,
}

/// What a station list says of a station, as far as selecting goes.
#[derive(Clone, Debug, PartialEq)]
pub struct StationInfo {
    pub id: u32,
    pub latitude: f64,
    pub longitude: f64,
    pub name: String,
    pub state: String,
    pub from: Date,
    pub to: Date,
}

/// A bad selection value, naming its field ([`Field`]): each front end
/// spells the field its own way.
pub type SelectionError = Invalid;

fn err(field: Field, said: Said) -> SelectionError {
    Invalid::new(field, said)
}

/// The selection; the default selects everything.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Selection {
    /// Station ids (`44` and `00044` are the same); empty: all.
    pub stations: BTreeSet<u32>,
    pub near: Option<Near>,
    pub bbox: Option<BBox>,
    /// A part of the station's name, without case.
    pub name: Option<String>,
    /// The station's state (Bundesland), without case.
    pub state: Option<String>,
    /// Stations that measured during this span (from the station list).
    pub active: Option<(Date, Date)>,
    /// Files whose dates overlap `from..=to`.
    pub from: Option<Date>,
    pub to: Option<Date>,
    /// Period folders; empty: all.
    pub periods: Vec<Period>,
}

/// Days a `recent` file reaches back (DWD: about 500 days; a margin added).
const RECENT_DAYS: i32 = 550;
/// Days a `now` file reaches back.
const NOW_DAYS: i32 = 2;

impl Selection {
    /// Whether nothing is selected away.
    pub fn is_all(&self) -> bool {
        *self == Selection::default()
    }

    /// Whether the station list is needed to decide (place, name, state,
    /// active span).
    pub fn needs_station_list(&self) -> bool {
        self.near.is_some()
            || self.bbox.is_some()
            || self.name.is_some()
            || self.state.is_some()
            || self.active.is_some()
    }

    /// Whether `s` is one of the selected stations (by id and by what the
    /// station list says).
    pub fn station_matches(&self, s: &StationInfo) -> bool {
        let lower = |t: &str| t.to_lowercase();
        (self.stations.is_empty() || self.stations.contains(&s.id))
            && self.near.is_none_or(|n| {
                distance_km((n.latitude, n.longitude), (s.latitude, s.longitude)) <= n.radius_km
            })
            && self.bbox.is_none_or(|b| {
                (b.south..=b.north).contains(&s.latitude)
                    && (b.west..=b.east).contains(&s.longitude)
            })
            && self
                .name
                .as_ref()
                .is_none_or(|n| lower(&s.name).contains(&lower(n)))
            && self
                .state
                .as_ref()
                .is_none_or(|st| lower(&s.state) == lower(st))
            && self
                .active
                .is_none_or(|(from, to)| s.from <= to && s.to >= from)
    }

    /// Whether the file at `path` (relative to its dataset) is selected.
    /// `stations` is the set the station list gave when
    /// [`Selection::needs_station_list`]; `today` dates `recent` and `now`.
    pub fn file_matches(&self, path: &str, stations: Option<&BTreeSet<u32>>, today: Date) -> bool {
        let f = facts(path);
        let Some(station) = f.station.as_deref().and_then(|s| s.parse::<u32>().ok()) else {
            // station lists, descriptions: every selection needs them
            return true;
        };
        if !self.stations.is_empty() && !self.stations.contains(&station) {
            return false;
        }
        if let Some(set) = stations
            && !set.contains(&station)
        {
            return false;
        }
        if !self.periods.is_empty() && f.period.is_some_and(|p| !self.periods.contains(&p)) {
            return false;
        }
        if self.from.is_none() && self.to.is_none() {
            return true;
        }
        let days_back = |n: i32| {
            today
                .checked_sub(jiff::Span::new().days(n))
                .unwrap_or(today)
        };
        let range = match (f.from.as_deref(), f.to.as_deref()) {
            (Some(a), Some(b)) => date8(a).zip(date8(b)),
            _ => match f.period {
                Some(Period::Recent) => Some((days_back(RECENT_DAYS), today)),
                Some(Period::Now) => Some((days_back(NOW_DAYS), today)),
                // a metadata zip or a file without dates: its station decides
                _ => None,
            },
        };
        match range {
            Some((a, b)) => {
                self.from.is_none_or(|from| b >= from) && self.to.is_none_or(|to| a <= to)
            }
            None => true,
        }
    }

    /// One line for `status` and logs.
    pub fn describe(&self) -> String {
        if self.is_all() {
            return "everything".into();
        }
        let mut parts = Vec::new();
        if !self.stations.is_empty() {
            let ids: Vec<String> = self.stations.iter().map(|s| format!("{s:05}")).collect();
            parts.push(format!("stations {}", ids.join(",")));
        }
        if let Some(n) = self.near {
            parts.push(format!(
                "within {} km of {},{}",
                n.radius_km, n.latitude, n.longitude
            ));
        }
        if let Some(b) = self.bbox {
            parts.push(format!("in {},{},{},{}", b.west, b.south, b.east, b.north));
        }
        if let Some(n) = &self.name {
            parts.push(format!("name ~ {n:?}"));
        }
        if let Some(s) = &self.state {
            parts.push(format!("state {s}"));
        }
        if let Some((a, b)) = self.active {
            parts.push(format!("active {a}..{b}"));
        }
        if self.from.is_some() || self.to.is_some() {
            let d = |d: Option<Date>| d.map_or(String::new(), |d| d.to_string());
            parts.push(format!("dates {}..{}", d(self.from), d(self.to)));
        }
        if !self.periods.is_empty() {
            let p: Vec<&str> = self.periods.iter().map(|p| p.folder()).collect();
            parts.push(format!("periods {}", p.join(",")));
        }
        parts.join("; ")
    }
}

/// `YYYYMMDD` (a date in a DWD file name) as a date.
pub fn date8(s: &str) -> Option<Date> {
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Date::new(
        s[..4].parse().ok()?,
        s[4..6].parse().ok()?,
        s[6..].parse().ok()?,
    )
    .ok()
}

/// Great-circle distance in km (haversine, mean earth radius 6371.0088 km).
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1) = (a.0.to_radians(), a.1.to_radians());
    let (la2, lo2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6371.0088 * h.sqrt().asin()
}

// ---- one layer of parsed values ---------------------------------------------

/// The selection values one layer gives — the configuration's
/// `selection:` section, a command line, Python's keyword arguments, an
/// HTTP query — each already parsed, none yet combined with the others:
/// [`SelectionLayer::over`] lays one over another, and
/// [`SelectionLayer::selection`] checks what only the whole can tell (a
/// point needs a radius, the start is not after the end).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SelectionLayer {
    pub stations: Option<BTreeSet<u32>>,
    /// `(latitude, longitude)`.
    pub near: Option<(f64, f64)>,
    pub radius_km: Option<f64>,
    pub bbox: Option<BBox>,
    pub name: Option<String>,
    pub state: Option<String>,
    pub active: Option<(Date, Date)>,
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub periods: Option<Vec<Period>>,
}

impl SelectionLayer {
    /// `self` laid over `under`: each value `self` gives replaces `under`'s.
    pub fn over(&self, under: &SelectionLayer) -> SelectionLayer {
        SelectionLayer {
            stations: self.stations.clone().or_else(|| under.stations.clone()),
            near: self.near.or(under.near),
            radius_km: self.radius_km.or(under.radius_km),
            bbox: self.bbox.or(under.bbox),
            name: self.name.clone().or_else(|| under.name.clone()),
            state: self.state.clone().or_else(|| under.state.clone()),
            active: self.active.or(under.active),
            from: self.from.or(under.from),
            to: self.to.or(under.to),
            periods: self.periods.clone().or_else(|| under.periods.clone()),
        }
    }

    /// Whether the layer gives no value.
    pub fn is_empty(&self) -> bool {
        *self == SelectionLayer::default()
    }

    /// The selection the layer's values make together.
    pub fn selection(&self) -> Result<Selection, SelectionError> {
        let near = match (self.near, self.radius_km) {
            (Some((latitude, longitude)), Some(radius_km)) => Some(Near {
                latitude,
                longitude,
                radius_km: check_radius(radius_km)?,
            }),
            (Some(_), None) => {
                return Err(err(Field::Near, said!("needs ", Field::RadiusKm, " (km)")));
            }
            (None, Some(_)) => {
                return Err(err(
                    Field::RadiusKm,
                    said!("needs ", Field::Near, " (LAT,LON)"),
                ));
            }
            (None, None) => None,
        };
        check_range(self.from, self.to)?;
        let text = |t: &Option<String>| t.clone().filter(|n| !n.trim().is_empty());
        Ok(Selection {
            stations: self.stations.clone().unwrap_or_default(),
            near,
            bbox: self.bbox,
            name: text(&self.name),
            state: text(&self.state),
            active: self.active,
            from: self.from,
            to: self.to,
            periods: self.periods.clone().unwrap_or_default(),
        })
    }
}

// ---- parsing the values as users write them ---------------------------------

/// Station ids as DWD writes them: `44`, `00044`; several as `44,3987`.
/// A list with an empty item (`44,,45`, a trailing comma).
fn empty_item(field: Field, values: &[String]) -> SelectionError {
    Invalid::of(
        field,
        format!("{:?}", values.join(",")),
        said!("an empty item"),
    )
}

/// Refuses an empty range: `from` after `to`.
pub fn check_range(from: Option<Date>, to: Option<Date>) -> Result<(), SelectionError> {
    match (from, to) {
        (Some(f), Some(t)) if f > t => Err(Invalid::of(
            Field::Start,
            f,
            said!("after ", Field::End, format!(" {t}: the range is empty")),
        )),
        _ => Ok(()),
    }
}

pub fn parse_stations(values: &[String]) -> Result<BTreeSet<u32>, SelectionError> {
    let mut out = BTreeSet::new();
    for v in values.iter().flat_map(|v| v.split(',')) {
        let t = v.trim();
        if t.is_empty() {
            return Err(empty_item(Field::Stations, values));
        }
        let id = t
            .parse::<u32>()
            .ok()
            .filter(|id| *id <= 99_999 && t.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| {
                Invalid::of(
                    Field::Stations,
                    format!("{t:?}"),
                    said!("not a station id like 44 or 00044"),
                )
            })?;
        out.insert(id);
    }
    Ok(out)
}

fn numbers<const N: usize>(field: Field, s: &str, form: &str) -> Result<[f64; N], SelectionError> {
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    let bad = || Invalid::of(field, format!("{s:?}"), said!(format!("not {form}")));
    if parts.len() != N {
        return Err(bad());
    }
    let mut out = [0.0; N];
    for (o, p) in out.iter_mut().zip(parts) {
        *o = p
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(bad)?;
    }
    Ok(out)
}

fn check_lat_lon(field: Field, lat: f64, lon: f64) -> Result<(), SelectionError> {
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
        return Err(Invalid::of(
            field,
            format!("{lat},{lon}"),
            said!("latitude must be within ±90, longitude within ±180 (LAT,LON order)"),
        ));
    }
    Ok(())
}

/// A point `LAT,LON` with a radius in km.
pub fn parse_near(near: &str, radius_km: Option<f64>) -> Result<Near, SelectionError> {
    let (latitude, longitude) = parse_point(near)?;
    let radius_km =
        radius_km.ok_or_else(|| err(Field::Near, said!("needs ", Field::RadiusKm, " (km)")))?;
    Ok(Near {
        latitude,
        longitude,
        radius_km: check_radius(radius_km)?,
    })
}

/// A point `LAT,LON`.
pub fn parse_point(near: &str) -> Result<(f64, f64), SelectionError> {
    let [latitude, longitude] = numbers::<2>(Field::Near, near, "LAT,LON (e.g. 51.34,12.37)")?;
    check_lat_lon(Field::Near, latitude, longitude)?;
    Ok((latitude, longitude))
}

/// A radius around a point: above 0, at most half the earth's circumference.
pub fn check_radius(radius_km: f64) -> Result<f64, SelectionError> {
    if !(radius_km > 0.0 && radius_km <= 20_000.0) {
        return Err(Invalid::of(
            Field::RadiusKm,
            format!("{radius_km} km"),
            said!("give a radius above 0 km"),
        ));
    }
    Ok(radius_km)
}

/// A box `W,S,E,N`.
pub fn parse_bbox(s: &str) -> Result<BBox, SelectionError> {
    let [west, south, east, north] =
        numbers::<4>(Field::Bbox, s, "W,S,E,N (e.g. 11.5,50.9,13.2,51.8)")?;
    check_lat_lon(Field::Bbox, south, west)?;
    check_lat_lon(Field::Bbox, north, east)?;
    if west > east || south > north {
        return Err(Invalid::of(
            Field::Bbox,
            format!("{s:?}"),
            said!("west must not exceed east, nor south north (W,S,E,N)"),
        ));
    }
    Ok(BBox {
        west,
        south,
        east,
        north,
    })
}

/// A date `YYYY-MM-DD` (or `YYYYMMDD`, or a year `YYYY`: its first day, or
/// its last day when `end`).
pub fn parse_date(field: Field, s: &str, end: bool) -> Result<Date, SelectionError> {
    let t = s.trim();
    let bad = || Invalid::of(field, format!("{t:?}"), said!("not a date like 1990-01-01"));
    if t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()) {
        let y: i16 = t.parse().map_err(|_| bad())?;
        return Date::new(y, if end { 12 } else { 1 }, if end { 31 } else { 1 }).map_err(|_| bad());
    }
    if let Some(d) = date8(t) {
        return Ok(d);
    }
    t.parse::<Date>().map_err(|_| bad())
}

/// `FROM..TO`, either side optional.
pub fn parse_span(field: Field, s: &str) -> Result<(Date, Date), SelectionError> {
    let (a, b) = s
        .split_once("..")
        .ok_or_else(|| Invalid::of(field, format!("{s:?}"), said!("not a span like 1990..2020")))?;
    let from = if a.trim().is_empty() {
        Date::MIN
    } else {
        parse_date(field, a, false)?
    };
    let to = if b.trim().is_empty() {
        Date::MAX
    } else {
        parse_date(field, b, true)?
    };
    if from > to {
        return Err(Invalid::of(
            field,
            format!("{s:?}"),
            said!("the start is after the end"),
        ));
    }
    Ok((from, to))
}

/// Period folders: `historical,recent`.
pub fn parse_periods(values: &[String]) -> Result<Vec<Period>, SelectionError> {
    let mut out = Vec::new();
    for v in values.iter().flat_map(|v| v.split(',')) {
        let t = v.trim();
        if t.is_empty() {
            return Err(empty_item(Field::Periods, values));
        }
        let p = Period::parse(t).ok_or_else(|| {
            Invalid::of(
                Field::Periods,
                format!("{t:?}"),
                said!("one of historical, recent, now"),
            )
        })?;
        if !out.contains(&p) {
            out.push(p);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leipzig() -> Near {
        Near {
            latitude: 51.34,
            longitude: 12.37,
            radius_km: 50.0,
        }
    }

    fn station(id: u32, lat: f64, lon: f64) -> StationInfo {
        StationInfo {
            id,
            latitude: lat,
            longitude: lon,
            name: "Leipzig/Halle".into(),
            state: "Sachsen".into(),
            from: Date::constant(1950, 1, 1),
            to: Date::constant(2025, 1, 1),
        }
    }

    #[test]
    fn distances_are_great_circle_km() {
        // Leipzig/Halle airport (2932) to Leipzig centre: about 15 km
        let d = distance_km((51.4348, 12.2396), (51.34, 12.37));
        assert!((13.0..15.0).contains(&d), "{d}");
        // Berlin to Munich, about 504 km
        let d = distance_km((52.52, 13.405), (48.137, 11.575));
        assert!((500.0..510.0).contains(&d), "{d}");
        assert_eq!(distance_km((50.0, 10.0), (50.0, 10.0)), 0.0);
    }

    #[test]
    fn stations_by_place_name_state_and_span() {
        let s = Selection {
            near: Some(leipzig()),
            ..Selection::default()
        };
        assert!(s.station_matches(&station(2932, 51.4348, 12.2396)));
        assert!(!s.station_matches(&station(44, 52.9336, 8.237)));
        let s = Selection {
            bbox: Some(parse_bbox("11.5,50.9,13.2,51.8").unwrap()),
            name: Some("halle".into()),
            state: Some("sachsen".into()),
            active: Some(parse_span(Field::Active, "1990..2020").unwrap()),
            ..Selection::default()
        };
        assert!(s.station_matches(&station(2932, 51.4348, 12.2396)));
        let mut closed = station(2932, 51.4348, 12.2396);
        closed.to = Date::constant(1980, 1, 1);
        assert!(!s.station_matches(&closed));
    }

    #[test]
    fn files_by_station_period_and_dates() {
        let today = Date::constant(2026, 12, 2);
        let s = Selection {
            stations: parse_stations(&["44,00003".into()]).unwrap(),
            from: Some(parse_date(Field::Start, "1990", false).unwrap()),
            to: Some(parse_date(Field::End, "2020", true).unwrap()),
            periods: parse_periods(&["historical".into(), "recent".into()]).unwrap(),
            ..Selection::default()
        };
        let m = |p: &str| s.file_matches(p, None, today);
        assert!(m(
            "historical/10minutenwerte_TU_00003_19930428_19991231_hist.zip"
        ));
        assert!(!m(
            "historical/10minutenwerte_TU_00003_20210101_20241231_hist.zip"
        ));
        assert!(!m(
            "historical/10minutenwerte_TU_00164_19930428_19991231_hist.zip"
        ));
        assert!(
            !m("recent/10minutenwerte_TU_00044_akt.zip"),
            "recent reaches back to 2025 only"
        );
        assert!(!m("now/10minutenwerte_TU_00044_now.zip"), "period");
        assert!(m(
            "historical/2019/1minutenwerte_nieder_00044_20190101_20190131_hist.zip"
        ));
        assert!(
            m("zehn_min_tu_Beschreibung_Stationen.txt"),
            "lists are always needed"
        );
        assert!(m("meta_data/Meta_Daten_zehn_min_tu_00003.zip"));
        assert!(!m("meta_data/Meta_Daten_zehn_min_tu_00164.zip"));
        // a station set from the station list
        let set: BTreeSet<u32> = [3].into();
        assert!(Selection::default().file_matches(
            "recent/10minutenwerte_TU_00003_akt.zip",
            Some(&set),
            today
        ));
        assert!(!Selection::default().file_matches(
            "recent/10minutenwerte_TU_00044_akt.zip",
            Some(&set),
            today
        ));
        assert!(Selection::default().is_all());
    }

    #[test]
    fn bad_values_name_their_field() {
        assert_eq!(
            parse_stations(&["44x".into()]).unwrap_err().field,
            Field::Stations
        );
        assert_eq!(
            parse_stations(&["123456".into()]).unwrap_err().field,
            Field::Stations
        );
        assert!(parse_near("51.3", Some(5.0)).is_err());
        let e = parse_near("51.3,12.4", None).unwrap_err();
        assert_eq!(e.field, Field::Near);
        assert_eq!(e.to_string(), "near: needs radius_km (km)");
        let e = parse_stations(&["44,,45".into()]).unwrap_err();
        assert_eq!(e.to_string(), "stations \"44,,45\": an empty item");
        assert_eq!(
            parse_near("51.3,12.4", Some(0.0)).unwrap_err().field,
            Field::RadiusKm
        );
        assert!(parse_near("151.3,12.4", Some(5.0)).is_err());
        assert!(parse_bbox("13,51,12,52").is_err(), "west > east");
        assert!(parse_date(Field::Start, "1990-13-01", false).is_err());
        assert_eq!(
            parse_date(Field::Start, "19900102", false).unwrap(),
            Date::constant(1990, 1, 2)
        );
        assert!(parse_span(Field::Active, "2020..1990").is_err());
        assert_eq!(parse_span(Field::Active, "..2000").unwrap().0, Date::MIN);
        let e = check_range(
            Some(Date::constant(2021, 1, 1)),
            Some(Date::constant(2020, 1, 1)),
        );
        assert_eq!(
            e.unwrap_err().to_string(),
            "start 2021-01-01: after end 2020-01-01: the range is empty"
        );
        assert!(parse_periods(&["later".into()]).is_err());
    }

    #[test]
    fn layers_combine_before_the_whole_is_checked() {
        let file = SelectionLayer {
            near: Some((51.34, 12.37)),
            radius_km: Some(50.0),
            from: parse_date(Field::Start, "1990", false).ok(),
            ..SelectionLayer::default()
        };
        // a radius alone over a file's point: the point stays
        let over = SelectionLayer {
            radius_km: Some(20.0),
            ..SelectionLayer::default()
        };
        let s = over.over(&file).selection().unwrap();
        assert_eq!(s.near.unwrap().radius_km, 20.0);
        assert_eq!(s.near.unwrap().latitude, 51.34);
        assert!(over.selection().unwrap_err().to_string().contains("needs"));
        // an end before the file's start: the whole is empty
        let early = SelectionLayer {
            to: parse_date(Field::End, "1980", true).ok(),
            ..SelectionLayer::default()
        };
        let e = early.over(&file).selection().unwrap_err();
        assert_eq!(e.field, Field::Start);
        assert!(SelectionLayer::default().over(&file).selection().is_ok());
        assert!(SelectionLayer::default().is_empty() && !file.is_empty());
    }

    proptest::proptest! {
        #[test]
        fn distance_is_symmetric_and_bounded(
            a in -89.0f64..89.0, b in -179.0f64..179.0, c in -89.0f64..89.0, d in -179.0f64..179.0
        ) {
            let x = distance_km((a, b), (c, d));
            let y = distance_km((c, d), (a, b));
            proptest::prop_assert!((x - y).abs() < 1e-6);
            proptest::prop_assert!((0.0..=20_016.0).contains(&x));
        }
    }
}
