//! What a value is: its statistic (a reading at one moment, a mean, a sum,
//! an extreme, a count of days) over its span, as DWD documents each
//! parameter, and the same said in the CF conventions' words
//! (`standard_name`, `cell_methods`) that xarray, CDO and netCDF users
//! read without a manual.

use serde::{Deserialize, Serialize};

/// The statistic of a parameter's values (the `stat` of a translation
/// table row).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Statistic {
    /// A reading at one moment (DWD: "momentan", "zum Termin").
    Point,
    /// The mean over the span.
    Mean,
    /// The sum (or total duration) over the span.
    Sum,
    /// The highest value within the span.
    Max,
    /// The lowest value within the span.
    Min,
    /// The mean of the daily maxima of the span.
    MeanOfDailyMax,
    /// The mean of the daily minima of the span.
    MeanOfDailyMin,
    /// The highest daily sum of the span.
    MaxOfDailySum,
    /// How many days (or times) within the span something held.
    Count,
    /// A code or class (no statistic).
    Code,
    /// Text (no statistic).
    Text,
}

impl Statistic {
    /// As the table writes it (`point`, `mean_of_daily_max`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Statistic::Point => "point",
            Statistic::Mean => "mean",
            Statistic::Sum => "sum",
            Statistic::Max => "max",
            Statistic::Min => "min",
            Statistic::MeanOfDailyMax => "mean_of_daily_max",
            Statistic::MeanOfDailyMin => "mean_of_daily_min",
            Statistic::MaxOfDailySum => "max_of_daily_sum",
            Statistic::Count => "count",
            Statistic::Code => "code",
            Statistic::Text => "text",
        }
    }

    /// For people.
    pub fn words(self) -> &'static str {
        match self {
            Statistic::Point => "a reading at one moment",
            Statistic::Mean => "a mean",
            Statistic::Sum => "a sum",
            Statistic::Max => "a maximum",
            Statistic::Min => "a minimum",
            Statistic::MeanOfDailyMax => "a mean of daily maxima",
            Statistic::MeanOfDailyMin => "a mean of daily minima",
            Statistic::MaxOfDailySum => "the highest daily sum",
            Statistic::Count => "a count",
            Statistic::Code => "a code",
            Statistic::Text => "text",
        }
    }

    /// Whether values of several stations may be averaged into a value at
    /// a place by default: readings, means and sums may; an extreme is
    /// not averaged into a smaller extreme, a count of days not into a
    /// fraction of a day, and codes not at all.
    pub fn averages(self) -> bool {
        matches!(
            self,
            Statistic::Point
                | Statistic::Mean
                | Statistic::Sum
                | Statistic::MeanOfDailyMax
                | Statistic::MeanOfDailyMin
        )
    }
}

/// The time a value covers (the `span` of a translation table row): the
/// stamp itself, or the interval ending at it (a day, month or year is
/// the one the stamp begins; the dataset's time rule says how DWD counts
/// its day).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize)]
pub enum Span {
    #[serde(rename = "instant")]
    Instant,
    #[serde(rename = "1 minute")]
    Minute,
    #[serde(rename = "5 minutes")]
    FiveMinutes,
    #[serde(rename = "10 minutes")]
    TenMinutes,
    #[serde(rename = "1 hour")]
    Hour,
    #[serde(rename = "3 hours")]
    ThreeHours,
    #[serde(rename = "6 hours")]
    SixHours,
    #[serde(rename = "1 day")]
    Day,
    #[serde(rename = "1 month")]
    Month,
    #[serde(rename = "1 year")]
    Year,
}

impl Span {
    /// As the table writes it (and CF's `interval:`): `instant`, `10 minutes`, `1 day`.
    pub fn as_str(self) -> &'static str {
        match self {
            Span::Instant => "instant",
            Span::Minute => "1 minute",
            Span::FiveMinutes => "5 minutes",
            Span::TenMinutes => "10 minutes",
            Span::Hour => "1 hour",
            Span::ThreeHours => "3 hours",
            Span::SixHours => "6 hours",
            Span::Day => "1 day",
            Span::Month => "1 month",
            Span::Year => "1 year",
        }
    }
}

/// CF `cell_methods` of a statistic over a span; none for codes and text.
pub fn cell_methods(stat: Statistic, span: Span) -> Option<String> {
    let over = |method: &str| match span {
        Span::Instant => format!("time: {method}"),
        s => format!("time: {method} (interval: {})", s.as_str()),
    };
    Some(match stat {
        Statistic::Point => "time: point".to_owned(),
        Statistic::Mean => over("mean"),
        Statistic::Sum | Statistic::Count => over("sum"),
        Statistic::Max => over("maximum"),
        Statistic::Min => over("minimum"),
        Statistic::MeanOfDailyMax => "time: maximum within days time: mean over days".to_owned(),
        Statistic::MeanOfDailyMin => "time: minimum within days time: mean over days".to_owned(),
        Statistic::MaxOfDailySum => "time: sum within days time: maximum over days".to_owned(),
        Statistic::Code | Statistic::Text => return None,
    })
}

/// CF `cell_methods` of a climatological normal: the statistic within each
/// year's month (or the year), then the mean over the period's years
/// (CF's climatological statistics, section 7.4).
pub fn climatology_cell_methods(stat: Statistic) -> Option<String> {
    let within = match stat {
        Statistic::Mean | Statistic::Point => "mean",
        Statistic::Sum | Statistic::Count => "sum",
        Statistic::Max => "maximum",
        Statistic::Min => "minimum",
        _ => return None,
    };
    Some(format!("time: {within} within years time: mean over years"))
}

/// The CF standard name of an English parameter name, where CF has one:
/// by the name's quantity (its leading words), not by its statistic.
/// Counts of days, codes, indices and DWD-specific quantities have none.
pub fn standard_name(name: &str) -> Option<&'static str> {
    const BY_PREFIX: &[(&str, &str)] = &[
        ("temperature_air", "air_temperature"),
        ("temperature_dew_point", "dew_point_temperature"),
        ("temperature_wet_ice", ""),
        ("temperature_wet", "wet_bulb_temperature"),
        ("temperature_soil", "soil_temperature"),
        (
            "humidity_absolute",
            "mass_concentration_of_water_vapor_in_air",
        ),
        ("humidity", "relative_humidity"),
        ("pressure_vapor", "water_vapor_partial_pressure_in_air"),
        ("pressure_air_site", "surface_air_pressure"),
        ("pressure_air_sea_level", "air_pressure_at_mean_sea_level"),
        ("wind_direction_gust", "wind_gust_from_direction"),
        ("wind_direction", "wind_from_direction"),
        ("wind_gust", "wind_speed_of_gust"),
        ("wind_speed", "wind_speed"),
        ("wind_force_beaufort", "beaufort_wind_force"),
        (
            "precipitation_height",
            "lwe_thickness_of_precipitation_amount",
        ),
        ("sunshine_duration", "duration_of_sunshine"),
        (
            "radiation_global",
            "integral_wrt_time_of_surface_downwelling_shortwave_flux_in_air",
        ),
        (
            "radiation_sky_short_wave_diffuse",
            "integral_wrt_time_of_surface_diffuse_downwelling_shortwave_flux_in_air",
        ),
        (
            "radiation_sky_long_wave",
            "integral_wrt_time_of_surface_downwelling_longwave_flux_in_air",
        ),
        ("snow_depth_new", "thickness_of_snowfall_amount"),
        ("snow_depth_excelled", ""),
        ("snow_depth", "surface_snow_thickness"),
        ("water_equivalent_snow_depth_excelled", ""),
        (
            "water_equivalent_snow_depth",
            "lwe_thickness_of_surface_snow_amount",
        ),
        ("cloud_cover", "cloud_area_fraction"),
        ("visibility_range", "visibility_in_air"),
        ("sun_zenith_angle", "solar_zenith_angle"),
    ];
    // the longest matching prefix decides (`wind_direction_gust` before `wind_direction`)
    BY_PREFIX
        .iter()
        .filter(|(prefix, _)| {
            name == *prefix
                || name
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with('_'))
        })
        .max_by_key(|(prefix, _)| prefix.len())
        .and_then(|(_, standard)| (!standard.is_empty()).then_some(*standard))
        .filter(|_| !name.ends_with("_measurement_method") && !name.ends_with("_index"))
}

/// README's table of every parameter (between the markers
/// `<!-- parameters:begin -->` and `<!-- parameters:end -->`): dataset,
/// DWD code, name, unit, statistic, span and the CF attributes, from the
/// translation tables, so it is current by construction
/// (`cargo xtask readme-parameters` writes it; a test compares).
pub fn markdown_table(tables: &crate::Tables) -> String {
    let mut out = String::from(
        "| dataset | DWD code | name | unit | statistic | span | CF standard_name | CF cell_methods |\n|---|---|---|---|---|---|---|---|\n",
    );
    for dataset in tables.datasets() {
        for (code, p) in tables.parameters(dataset) {
            if dwd_catalog::is_quality(code) || p.name.starts_with("quality") {
                continue;
            }
            let what = p.what();
            let cell = |v: Option<&str>| v.unwrap_or("–").replace('|', "\\|");
            out.push_str(&format!(
                "| {dataset} | `{}` | `{}`{} | {} | {} | {} | {} | {} |\n",
                code.replace('|', "\\|"),
                p.name,
                p.was
                    .as_ref()
                    .map(|w| format!(" (was `{w}`)"))
                    .unwrap_or_default(),
                p.unit.replace('|', "\\|"),
                cell(what.as_ref().map(|w| w.stat.as_str())),
                cell(what.as_ref().map(|w| w.span.as_str())),
                cell(what.as_ref().and_then(|w| w.standard_name.as_deref())),
                cell(what.as_ref().and_then(|w| w.cell_methods.as_deref())),
            ));
        }
    }
    out
}

pub const README_BEGIN: &str = "<!-- parameters:begin (cargo xtask readme-parameters) -->\n";
pub const README_END: &str = "<!-- parameters:end -->";

/// `readme` with its parameter table replaced by [`markdown_table`]; `None`
/// when the markers are missing.
pub fn readme_with_table(readme: &str, tables: &crate::Tables) -> Option<String> {
    let start = readme.find(README_BEGIN)? + README_BEGIN.len();
    let end = start + readme[start..].find(README_END)?;
    Some(format!(
        "{}{}{}",
        &readme[..start],
        markdown_table(tables),
        &readme[end..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readmes_parameter_table_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
        let readme = std::fs::read_to_string(&path).unwrap();
        let tables = crate::Tables::embedded().unwrap();
        let current = readme_with_table(&readme, &tables)
            .unwrap_or_else(|| panic!("README.md has no parameter table markers"));
        assert!(
            current == readme,
            "README.md's parameter table is not the translation table's: run `cargo xtask readme-parameters`"
        );
        assert!(readme.contains("| 10_minutes/air_temperature | `TT_10` |"));
    }

    #[test]
    fn cell_methods_say_statistic_and_interval() {
        assert_eq!(
            cell_methods(Statistic::Point, Span::Instant).as_deref(),
            Some("time: point")
        );
        assert_eq!(
            cell_methods(Statistic::Mean, Span::TenMinutes).as_deref(),
            Some("time: mean (interval: 10 minutes)")
        );
        assert_eq!(
            cell_methods(Statistic::Max, Span::Day).as_deref(),
            Some("time: maximum (interval: 1 day)")
        );
        assert_eq!(
            cell_methods(Statistic::MeanOfDailyMax, Span::Month).as_deref(),
            Some("time: maximum within days time: mean over days")
        );
        assert_eq!(cell_methods(Statistic::Code, Span::Day), None);
    }

    #[test]
    fn standard_names_follow_the_quantity_not_the_statistic() {
        assert_eq!(
            standard_name("temperature_air_mean_2m"),
            Some("air_temperature")
        );
        assert_eq!(
            standard_name("temperature_air_max_2m_mean"),
            Some("air_temperature")
        );
        assert_eq!(
            standard_name("temperature_dew_point_mean_2m"),
            Some("dew_point_temperature")
        );
        assert_eq!(
            standard_name("wind_direction_gust_max"),
            Some("wind_gust_from_direction")
        );
        assert_eq!(standard_name("wind_direction"), Some("wind_from_direction"));
        assert_eq!(
            standard_name("wind_gust_max_last_3h"),
            Some("wind_speed_of_gust")
        );
        assert_eq!(
            standard_name("precipitation_height_max"),
            Some("lwe_thickness_of_precipitation_amount")
        );
        assert_eq!(
            standard_name("snow_depth_new"),
            Some("thickness_of_snowfall_amount")
        );
        assert_eq!(standard_name("snow_depth_excelled"), None);
        assert_eq!(standard_name("humidity"), Some("relative_humidity"));
        assert_eq!(
            standard_name("humidity_absolute"),
            Some("mass_concentration_of_water_vapor_in_air")
        );
        assert_eq!(standard_name("count_days_frost"), None);
        assert_eq!(standard_name("precipitation_index"), None);
        assert_eq!(standard_name("cloud_cover_total_measurement_method"), None);
        assert_eq!(standard_name("visibility_range"), Some("visibility_in_air"));
        assert_eq!(standard_name("temperature_wet_ice_formation"), None);
    }
}
