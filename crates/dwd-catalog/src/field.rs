//! The fields of a request, by what they mean, and messages that name them.
//!
//! A library error says which value is wrong by its [`Field`], never by a
//! front end's spelling of it: the command line writes `--from`, Python
//! `start=`, the HTTP API `start`. A message that names fields is a
//! [`Said`]: text and fields in order, shown with the fields' own names
//! ([`Field::name`], which are Python's keywords and the HTTP API's query
//! parameters) or rendered with a front end's spelling ([`Said::render`]).

use std::fmt;

/// A value a request carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// Station ids.
    Stations,
    /// A point whose surroundings are selected.
    Near,
    /// The radius around [`Field::Near`].
    RadiusKm,
    /// A box: west, south, east, north.
    Bbox,
    /// Part of a station's name.
    Name,
    /// A federal state.
    State,
    /// The span a station must have been active in.
    Active,
    /// The first day.
    Start,
    /// The last day.
    End,
    /// Period folders (historical, recent, now).
    Periods,
    Dataset,
    Resolution,
    /// Parallel workers of a run.
    Workers,
    /// What a run does with each file.
    Processor,
    /// Parameters (output names).
    Parameters,
    /// Places given as coordinates.
    At,
    /// A file of places.
    Points,
    /// How a value is taken from the stations (nearest, idw).
    Method,
    /// The farthest station used for a value.
    MaxDistanceKm,
    /// Stations averaged by idw.
    K,
    /// The lowest quality level used.
    MinQuality,
    /// The file written.
    Output,
    /// The format of what is written.
    Format,
    /// Where the archive is read from (DWD's server or a mirror).
    Source,
    /// A file's status in the tracker (pending, completed, …).
    Status,
    /// A reference period of DWD's climate normals (`1991-2020`).
    ReferencePeriod,
    /// The reference period whose normals values are compared with.
    Anomaly,
}

impl Field {
    /// Every field.
    pub const ALL: [Field; 27] = [
        Field::Stations,
        Field::Near,
        Field::RadiusKm,
        Field::Bbox,
        Field::Name,
        Field::State,
        Field::Active,
        Field::Start,
        Field::End,
        Field::Periods,
        Field::Dataset,
        Field::Resolution,
        Field::Workers,
        Field::Processor,
        Field::Parameters,
        Field::At,
        Field::Points,
        Field::Method,
        Field::MaxDistanceKm,
        Field::K,
        Field::MinQuality,
        Field::Output,
        Field::Format,
        Field::Source,
        Field::Status,
        Field::ReferencePeriod,
        Field::Anomaly,
    ];

    /// The field's own name: Python's keyword and the HTTP API's query
    /// parameter.
    pub fn name(self) -> &'static str {
        match self {
            Field::Stations => "stations",
            Field::Near => "near",
            Field::RadiusKm => "radius_km",
            Field::Bbox => "bbox",
            Field::Name => "name",
            Field::State => "state",
            Field::Active => "active",
            Field::Start => "start",
            Field::End => "end",
            Field::Periods => "periods",
            Field::Dataset => "dataset",
            Field::Resolution => "resolution",
            Field::Workers => "workers",
            Field::Processor => "processor",
            Field::Parameters => "parameters",
            Field::At => "at",
            Field::Points => "points",
            Field::Method => "method",
            Field::MaxDistanceKm => "max_distance_km",
            Field::K => "k",
            Field::MinQuality => "min_quality",
            Field::Output => "output",
            Field::Format => "format",
            Field::Source => "source",
            Field::Status => "status",
            Field::ReferencePeriod => "period",
            Field::Anomaly => "anomaly",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A piece of a [`Said`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    Text(String),
    Field(Field),
}

impl From<Field> for Part {
    fn from(f: Field) -> Part {
        Part::Field(f)
    }
}

impl From<&str> for Part {
    fn from(s: &str) -> Part {
        Part::Text(s.to_owned())
    }
}

impl From<String> for Part {
    fn from(s: String) -> Part {
        Part::Text(s)
    }
}

/// A message that names fields: shown with their own names, or rendered
/// with a front end's spelling. Built with [`said!`](crate::said).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Said(Vec<Part>);

impl Said {
    pub fn new(parts: Vec<Part>) -> Said {
        Said(parts)
    }

    /// The message with each field spelled by `spell`.
    pub fn render(&self, spell: &dyn Fn(Field) -> String) -> String {
        let mut out = String::new();
        for p in &self.0 {
            match p {
                Part::Text(t) => out.push_str(t),
                Part::Field(f) => out.push_str(&spell(*f)),
            }
        }
        out
    }

    /// The fields the message names, in order.
    pub fn fields(&self) -> impl Iterator<Item = Field> + '_ {
        self.0.iter().filter_map(|p| match p {
            Part::Field(f) => Some(*f),
            Part::Text(_) => None,
        })
    }
}

impl fmt::Display for Said {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(&|field| field.name().to_owned()))
    }
}

/// A [`Said`] of text and fields: `said!(Field::Start, " ", d, " is after ",
/// Field::End)`; each item is a [`Field`], a `&str` or a `String`.
#[macro_export]
macro_rules! said {
    ($($part:expr),* $(,)?) => {
        $crate::field::Said::new(vec![$($crate::field::Part::from($part)),*])
    };
}

/// A value of a field that is wrong, and why: shown with the fields' own
/// names (`start 2021-01-01: …`); each front end renders it with its
/// spelling ([`Invalid::render`]: `--from 2021-01-01: …`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    pub field: Field,
    /// The value as it was given, when there is one to show.
    pub value: Option<String>,
    pub said: Said,
}

impl Invalid {
    /// `field` is missing or wrong as a whole: `why`.
    pub fn new(field: Field, said: Said) -> Invalid {
        Invalid {
            field,
            value: None,
            said,
        }
    }

    /// `field` has the wrong `value`: `why`.
    pub fn of(field: Field, value: impl fmt::Display, said: Said) -> Invalid {
        Invalid {
            field,
            value: Some(value.to_string()),
            said,
        }
    }

    /// `field value: what`, each field spelled by `spell`.
    pub fn render(&self, spell: &dyn Fn(Field) -> String) -> String {
        match &self.value {
            Some(v) => format!("{} {v}: {}", spell(self.field), self.said.render(spell)),
            None => format!("{}: {}", spell(self.field), self.said.render(spell)),
        }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(&|field| field.name().to_owned()))
    }
}

impl std::error::Error for Invalid {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_names_fields_in_each_front_ends_spelling() {
        let e = Invalid::of(
            Field::Start,
            "2021-01-01",
            said!("after ", Field::End, " 2020-12-31"),
        );
        assert_eq!(e.to_string(), "start 2021-01-01: after end 2020-12-31");
        let cli = |f: Field| match f {
            Field::Start => "--from".to_owned(),
            Field::End => "--to".to_owned(),
            f => format!("--{}", f.name()),
        };
        assert_eq!(e.render(&cli), "--from 2021-01-01: after --to 2020-12-31");
        assert_eq!(e.said.fields().collect::<Vec<_>>(), [Field::End]);
    }

    #[test]
    fn every_field_has_a_name_of_its_own() {
        let mut names: Vec<&str> = Field::ALL.iter().map(|f| f.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Field::ALL.len());
    }
}
