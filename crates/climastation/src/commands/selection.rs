//! The selection options shared by `crawl`, `run` and `stations`, layered
//! over the configuration's `selection:` section (an option given replaces
//! the section's value of the same name).

use dwd_catalog::Selection;
use tracker_config::{OneOrMany, RawSelection, Scalar};

use crate::context::Ctx;

#[derive(Debug, Default, Clone, clap::Args)]
pub struct SelectionArgs {
    #[command(flatten)]
    pub place: StationArgs,
    /// Stations that measured during this span, e.g. `1990..2020`.
    #[arg(long, value_name = "FROM..TO")]
    pub active: Option<String>,
    /// Files whose dates reach this day or later (`1990-01-01`, or a year).
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Files whose dates begin on this day or earlier (`2020-12-31`, or a year).
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// Period folders: `historical`, `recent`, `now`; comma-separated or repeated.
    #[arg(long = "period", value_name = "P,…")]
    pub periods: Vec<String>,
}

/// Which stations, by id, place, name or state (what a selection has that
/// is not about time: also `normals`' options).
#[derive(Debug, Default, Clone, clap::Args)]
pub struct StationArgs {
    /// Station ids as DWD writes them (`44` or `00044`); comma-separated or repeated.
    #[arg(long = "station", value_name = "ID,…")]
    pub stations: Vec<String>,
    /// Stations within --radius km of this point (`51.34,12.37`).
    #[arg(long, value_name = "LAT,LON", allow_hyphen_values = true)]
    pub near: Option<String>,
    /// The radius of --near, in km.
    #[arg(long, value_name = "KM", allow_hyphen_values = true)]
    pub radius: Option<f64>,
    /// Stations in this box: west, south, east, north in degrees.
    #[arg(long, value_name = "W,S,E,N", allow_hyphen_values = true)]
    pub bbox: Option<String>,
    /// Stations whose name contains this text (without case).
    #[arg(long, value_name = "TEXT")]
    pub name: Option<String>,
    /// Stations of this state (Bundesland), e.g. `Sachsen`.
    #[arg(long, value_name = "STATE")]
    pub state: Option<String>,
}

impl StationArgs {
    /// These options as the configuration's selection takes them.
    pub fn raw(&self) -> RawSelection {
        RawSelection {
            stations: (!self.stations.is_empty()).then(|| {
                OneOrMany::Many(
                    self.stations
                        .iter()
                        .map(|s| Scalar::Text(s.clone()))
                        .collect(),
                )
            }),
            near: self.near.clone(),
            radius_km: self.radius,
            bbox: self.bbox.clone(),
            name: self.name.clone(),
            state: self.state.clone(),
            ..RawSelection::default()
        }
    }
}

impl SelectionArgs {
    /// Whether any selection option was given.
    pub fn given(&self) -> bool {
        self.raw() != RawSelection::default()
    }

    fn raw(&self) -> RawSelection {
        let many = |v: &[String]| {
            (!v.is_empty())
                .then(|| OneOrMany::Many(v.iter().map(|s| Scalar::Text(s.clone())).collect()))
        };
        RawSelection {
            active: self.active.clone(),
            from: self.from.clone().map(Scalar::Text),
            to: self.to.clone().map(Scalar::Text),
            periods: many(&self.periods),
            ..self.place.raw()
        }
    }

    /// The configuration's selection with these options over it; a bad
    /// value exits 2 naming the option.
    pub fn resolve(&self, ctx: &Ctx) -> anyhow::Result<Selection> {
        let layer = self
            .raw()
            .to_layer()
            .map_err(|e| crate::context::job(climastation_jobs::JobError::Invalid(e)))?;
        ctx.session.selection(&layer).map_err(crate::context::job)
    }
}
