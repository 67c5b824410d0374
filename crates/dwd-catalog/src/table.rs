//! The datasets of `observations_germany/climate/`, one entry each.
//!
//! Not here: `10_minutes/wind_test` (DWD's test folder; its zips share the
//! names of `10_minutes/wind`), the `urban_*` datasets (they live under
//! `observations_germany/climate_urban/`, outside the archive root this
//! catalog describes) and the `timeseries_overview` folders (DWD's
//! HTML/text overviews, not data).

use crate::Resolution::*;
use crate::{Dataset, Layout, Period, Resolution};

const HR: &[Period] = &[Period::Historical, Period::Recent];
const HRN: &[Period] = &[Period::Historical, Period::Recent, Period::Now];
const NONE: &[Period] = &[];

// A table row: positional arguments read like the table they build.
#[allow(clippy::too_many_arguments)]
const fn ds(
    name: &'static str,
    resolution: Resolution,
    title: &'static str,
    zips: &'static [&'static str],
    members: &'static [&'static str],
    station_lists: &'static [&'static str],
    periods: &'static [Period],
    wetterdienst: Option<&'static str>,
) -> Dataset {
    Dataset {
        name,
        resolution,
        title,
        zips,
        members,
        metadata_zip: None,
        station_lists,
        periods,
        year_folders: false,
        layout: Layout::Produkt,
        wetterdienst,
    }
}

impl Dataset {
    const fn meta(mut self, prefix: &'static str) -> Dataset {
        self.metadata_zip = Some(prefix);
        self
    }

    const fn years(mut self) -> Dataset {
        self.year_folders = true;
        self
    }

    const fn not_converted(mut self, reason: &'static str) -> Dataset {
        self.layout = Layout::NotConverted(reason);
        self
    }
}

/// 10-minute data: `10minutenwerte_<KEY>_…`, `produkt_zehn_{min,now}_<k>_…`.
const fn ten(
    name: &'static str,
    title: &'static str,
    zip: &'static [&'static str],
    members: &'static [&'static str],
    lists: &'static [&'static str],
    meta: &'static str,
    wd: &'static str,
) -> Dataset {
    ds(name, Minutes10, title, zip, members, lists, HRN, Some(wd)).meta(meta)
}

pub static DATASETS: &[Dataset] = &[
    // 1 minute
    ds(
        "1_minute/precipitation",
        Minute1,
        "precipitation, 1-minute values (historical rows stand for ranges of minutes)",
        &["1minutenwerte_nieder_"],
        &["produkt_ein_min_rr_", "produkt_ein_now_rr_", "produkt_ein_hist_rr_"],
        &[
            "ein_min_rr_Beschreibung_Stationen.txt",
            "ein_now_rr_Beschreibung_Stationen.txt",
            "ein_hist_rr_Beschreibung_Stationen.txt",
        ],
        HRN,
        Some("precipitation"),
    )
    .meta("Meta_Daten_ein_min_rr_")
    .years(),
    // 5 minutes
    ds(
        "5_minutes/precipitation",
        Minutes5,
        "precipitation, 5-minute values",
        &["5minutenwerte_nieder_"],
        &["produkt_5min_"],
        &[
            "5min_rr_Beschreibung_Stationen.txt",
            "5min_now_rr_Beschreibung_Stationen.txt",
            "5min_hist_rr_Beschreibung_Stationen.txt",
        ],
        HRN,
        Some("precipitation"),
    )
    .meta("Meta_Daten_5min_rr_")
    .years(),
    // 10 minutes
    ten(
        "10_minutes/air_temperature",
        "air temperature, humidity, pressure, 10-minute values",
        &["10minutenwerte_TU_"],
        &["produkt_zehn_min_tu_", "produkt_zehn_now_tu_"],
        &[
            "zehn_min_tu_Beschreibung_Stationen.txt",
            "zehn_now_tu_Beschreibung_Stationen.txt",
        ],
        "Meta_Daten_zehn_min_tu_",
        "temperature_air",
    ),
    ten(
        "10_minutes/extreme_temperature",
        "extreme air temperatures, 10-minute values",
        &["10minutenwerte_extrema_temp_", "10minutenwerte_TX_"],
        &["produkt_zehn_min_tx_", "produkt_zehn_now_tx_"],
        &[
            "zehn_min_tx_Beschreibung_Stationen.txt",
            "zehn_now_tx_Beschreibung_Stationen.txt",
        ],
        "Meta_Daten_zehn_min_tx_",
        "temperature_extreme",
    ),
    ten(
        "10_minutes/extreme_wind",
        "extreme wind, 10-minute values",
        &["10minutenwerte_extrema_wind_"],
        &["produkt_zehn_min_fx_", "produkt_zehn_now_fx_"],
        &[
            "zehn_min_fx_Beschreibung_Stationen.txt",
            "zehn_now_fx_Beschreibung_Stationen.txt",
        ],
        "Meta_Daten_zehn_min_fx_",
        "wind_extreme",
    ),
    ten(
        "10_minutes/precipitation",
        "precipitation, 10-minute values",
        &["10minutenwerte_nieder_"],
        &["produkt_zehn_min_rr_", "produkt_zehn_now_rr_"],
        &[
            "zehn_min_rr_Beschreibung_Stationen.txt",
            "zehn_now_rr_Beschreibung_Stationen.txt",
        ],
        "Meta_Daten_zehn_min_rr_",
        "precipitation",
    ),
    ten(
        "10_minutes/solar",
        "radiation and sunshine duration, 10-minute values",
        &["10minutenwerte_SOLAR_"],
        &["produkt_zehn_min_sd_", "produkt_zehn_now_sd_"],
        &[
            "zehn_min_sd_Beschreibung_Stationen.txt",
            "zehn_now_sd_Beschreibung_Stationen.txt",
        ],
        "Meta_Daten_zehn_min_sd_",
        "solar",
    ),
    ten(
        "10_minutes/wind",
        "wind speed and direction, 10-minute values",
        &["10minutenwerte_wind_"],
        &["produkt_zehn_min_ff_", "produkt_zehn_now_ff_"],
        &[
            "zehn_min_ff_Beschreibung_Stationen.txt",
            "zehn_now_ff_Beschreibung_Stationen.txt",
        ],
        "Meta_Daten_zehn_min_ff_",
        "wind",
    ),
    // hourly
    ds(
        "hourly/air_temperature",
        Hourly,
        "air temperature and humidity, hourly",
        &["stundenwerte_TU_"],
        // (before 2015: `produkt_temp_Terminwerte_`)
        &["produkt_tu_stunde_", "produkt_temp_Terminwerte_"],
        &["TU_Stundenwerte_Beschreibung_Stationen.txt"],
        HR,
        Some("temperature_air"),
    ),
    ds(
        "hourly/cloud_type",
        Hourly,
        "cloud cover and cloud types of up to four layers, hourly",
        &["stundenwerte_CS_"],
        &["produkt_cs_stunde_"],
        &["CS_Stundenwerte_Beschreibung_Stationen.txt"],
        HR,
        Some("cloud_type"),
    ),
    ds(
        "hourly/cloudiness",
        Hourly,
        "total cloud cover, hourly",
        &["stundenwerte_N_"],
        &["produkt_n_stunde_"],
        &["N_Stundenwerte_Beschreibung_Stationen.txt"],
        HR,
        Some("cloudiness"),
    ),
    ds(
        "hourly/dew_point",
        Hourly,
        "air and dew point temperature, hourly",
        &["stundenwerte_TD_"],
        &["produkt_td_stunde_"],
        &["TD_Stundenwerte_Beschreibung_Stationen.txt"],
        HR,
        Some("dew_point"),
    ),
    ds(
        "hourly/extreme_wind",
        Hourly,
        "maximum wind gust, hourly",
        &["stundenwerte_FX_"],
        &["produkt_fx_stunde_"],
        &["FX_Stundenwerte_Beschreibung_Stationen.txt"],
        HR,
        Some("wind_extreme"),
    ),
    ds(
        "hourly/moisture",
        Hourly,
        "humidity, vapour pressure and related quantities, hourly",
        &["stundenwerte_TF_"],
        &["produkt_tf_stunde_"],
        &["TF_Stundenwerte_Beschreibung_Stationen.txt"],
        HR,
        Some("moisture"),
    ),
    ds(
        "hourly/precipitation",
        Hourly,
        "precipitation, hourly",
        &["stundenwerte_RR_"],
        &["produkt_rr_stunde_"],
        &["RR_Stundenwerte_Beschreibung_Stationen.txt"],
        HR,
        Some("precipitation"),
    ),
    ds(
        "hourly/pressure",
        Hourly,
        "air pressure, hourly",
        &["stundenwerte_P0_"],
        &["produkt_p0_stunde_"],
        &["P0_Stundenwerte_Beschreibung_Stationen.txt"],
        HR,
        Some("pressure"),
    ),
    ds(
        "hourly/soil_temperature",
        Hourly,
        "soil temperature at 2 to 100 cm, hourly",
        &["stundenwerte_EB_"],
        &["produkt_eb_stunde_"],
        &["EB_Stundenwerte_Beschreibung_Stationen.txt"],
        HR,
        Some("temperature_soil"),
    ),
    ds(
        "hourly/solar",
        Hourly,
        "radiation and sunshine duration, hourly",
        &["stundenwerte_ST_"],
        &["produkt_st_stunde_"],
        &["ST_Stundenwerte_Beschreibung_Stationen.txt"],
        NONE,
        Some("solar"),
    ),
    ds(
        "hourly/sun",
        Hourly,
        "sunshine duration, hourly",
        &["stundenwerte_SD_"],
        &["produkt_sd_stunde_"],
        &["SD_Stundenwerte_Beschreibung_Stationen.txt"],
        HR,
        Some("sun"),
    ),
    ds(
        "hourly/visibility",
        Hourly,
        "visibility, hourly",
        &["stundenwerte_VV_"],
        &["produkt_vv_stunde_"],
        &["VV_Stundenwerte_Beschreibung_Stationen.txt"],
        HR,
        Some("visibility"),
    ),
    ds(
        "hourly/weather_phenomena",
        Hourly,
        "present weather (ww code), hourly",
        &["stundenwerte_WW_"],
        &["produkt_ww_stunde_"],
        &["WW_Stundenwerte_Beschreibung_Stationen.txt"],
        HR,
        Some("weather_phenomena"),
    ),
    ds(
        "hourly/wind",
        Hourly,
        "wind speed and direction, hourly",
        &["stundenwerte_FF_"],
        // (before 2015: `produkt_wind_Terminwerte_`)
        &["produkt_ff_stunde_", "produkt_wind_Terminwerte_"],
        &["FF_Stundenwerte_Beschreibung_Stationen.txt"],
        HR,
        Some("wind"),
    ),
    ds(
        "hourly/wind_synop",
        Hourly,
        "wind from SYNOP reports, hourly",
        &["stundenwerte_F_"],
        &["produkt_f_stunde_"],
        &["F_Stundenwerte_Beschreibung_Stationen.txt"],
        HR,
        Some("wind_synoptic"),
    ),
    // subdaily
    ds(
        "subdaily/air_temperature",
        Subdaily,
        "air temperature and humidity at the observation times",
        &["terminwerte_TU_"],
        &["produkt_tu_termin_"],
        &["TU_Terminwerte_Beschreibung_Stationen.txt"],
        HR,
        Some("temperature_air"),
    ),
    ds(
        "subdaily/cloudiness",
        Subdaily,
        "cloud cover and density at the observation times",
        &["terminwerte_N_"],
        &["produkt_n_termin_"],
        &["N_Terminwerte_Beschreibung_Stationen.txt"],
        HR,
        Some("cloudiness"),
    ),
    ds(
        "subdaily/extreme_wind",
        Subdaily,
        "maximum wind gust of the last 3 and 6 hours",
        &["terminwerte_FX3_", "terminwerte_FX6_"],
        &["produkt_fx3_termin_", "produkt_fx6_termin_"],
        &[
            "FX3_Terminwerte_Beschreibung_Stationen.txt",
            "FX6_Terminwerte_Beschreibung_Stationen.txt",
        ],
        HR,
        Some("wind_extreme"),
    ),
    ds(
        "subdaily/moisture",
        Subdaily,
        "humidity and vapour pressure at the observation times",
        &["terminwerte_TF_"],
        &["produkt_tf_termin_"],
        &["TF_Terminwerte_Beschreibung_Stationen.txt"],
        HR,
        Some("moisture"),
    ),
    ds(
        "subdaily/pressure",
        Subdaily,
        "air pressure at the observation times",
        &["terminwerte_PP_"],
        &["produkt_pp_termin_"],
        &["PP_Terminwerte_Beschreibung_Stationen.txt"],
        HR,
        Some("pressure"),
    ),
    ds(
        "subdaily/soil",
        Subdaily,
        "state of the ground and soil temperature at the observation times",
        &["terminwerte_EK_"],
        &["produkt_ek_termin_"],
        &["EK_Terminwerte_Beschreibung_Stationen.txt"],
        HR,
        Some("soil"),
    ),
    ds(
        "subdaily/visibility",
        Subdaily,
        "visibility at the observation times",
        &["terminwerte_VK_"],
        &["produkt_vk_termin_"],
        &["VK_Terminwerte_Beschreibung_Stationen.txt"],
        HR,
        Some("visibility"),
    ),
    ds(
        "subdaily/wind",
        Subdaily,
        "wind speed and direction at the observation times",
        &["terminwerte_FK_"],
        &["produkt_fk_termin_"],
        &["FK_Terminwerte_Beschreibung_Stationen.txt"],
        HR,
        Some("wind"),
    ),
    ds(
        "subdaily/standard_format",
        Subdaily,
        "climate observations in DWD's fixed-width KL standard format",
        &[],
        &[],
        &["KL_Standardformate_Beschreibung_Stationen.txt"],
        HR,
        None,
    )
    .not_converted(
        "fixed-width KL standard format (formate_kl.html), one text file per station and period, not produkt zips; the same observations are published as the other subdaily datasets; its station list is read",
    ),
    // daily
    ds(
        "daily/kl",
        Daily,
        "daily climate summary: temperatures, precipitation, sunshine, wind, cloud cover, pressure, humidity, snow",
        &["tageswerte_KL_"],
        &["produkt_klima_tag"],
        &["KL_Tageswerte_Beschreibung_Stationen.txt"],
        HR,
        Some("climate_summary"),
    ),
    ds(
        "daily/more_precip",
        Daily,
        "precipitation and snow at precipitation stations, daily",
        &["tageswerte_RR_"],
        &["produkt_nieder_tag_"],
        &["RR_Tageswerte_Beschreibung_Stationen.txt"],
        HR,
        Some("precipitation_more"),
    ),
    ds(
        "daily/more_weather_phenomena",
        Daily,
        "weather phenomena at precipitation stations, daily",
        &["wetter_tageswerte_RR_"],
        &["produkt_rr_wetter_tag_"],
        &["rr_wetter_tageswerte_Beschreibung_Stationen.txt"],
        HR,
        Some("weather_phenomena_more"),
    ),
    ds(
        "daily/soil_temperature",
        Daily,
        "soil temperature at 2 to 100 cm, daily",
        &["tageswerte_EB_"],
        &["produkt_erdbo_tag_"],
        &["EB_Tageswerte_Beschreibung_Stationen.txt"],
        HR,
        Some("temperature_soil"),
    ),
    ds(
        "daily/solar",
        Daily,
        "radiation and sunshine duration, daily",
        &["tageswerte_ST_"],
        &["produkt_st_tag_"],
        &["ST_Tageswerte_Beschreibung_Stationen.txt"],
        NONE,
        Some("solar"),
    ),
    ds(
        "daily/water_equiv",
        Daily,
        "snow depth and water equivalent, daily",
        &["tageswerte_Wa_"],
        &["produkt_waequi_tag_"],
        &["Wa_Tageswerte_Beschreibung_Stationen.txt"],
        HR,
        Some("water_equivalent"),
    ),
    ds(
        "daily/weather_phenomena",
        Daily,
        "weather phenomena (fog, thunder, storm, dew, frost, hail, …), daily",
        &["wetter_tageswerte_"],
        &["produkt_wetter_tag_"],
        &["wetter_tageswerte_Beschreibung_Stationen.txt"],
        HR,
        Some("weather_phenomena"),
    ),
    // monthly
    ds(
        "monthly/climate_indices/kl",
        Monthly,
        "climate indices (frost, ice, summer, hot days), monthly",
        &["monatswerte_KLINDEX_"],
        &["produkt_klindex_monat_"],
        &["monatswerte_klindex_Beschreibung_Stationen.txt"],
        HR,
        Some("climate_indices"),
    ),
    ds(
        "monthly/climate_indices/precip",
        Monthly,
        "precipitation indices (days over thresholds), monthly",
        &["monatswerte_RRINDEX_"],
        &["produkt_rrindex_monat_"],
        &["monatswerte_rrindex_Beschreibung_Stationen.txt"],
        HR,
        Some("precipitation_indices"),
    ),
    ds(
        "monthly/kl",
        Monthly,
        "monthly climate summary",
        &["monatswerte_KL_"],
        &["produkt_klima_monat", "produkt_monat_monatswerte"],
        &["KL_Monatswerte_Beschreibung_Stationen.txt"],
        HR,
        Some("climate_summary"),
    ),
    ds(
        "monthly/more_precip",
        Monthly,
        "precipitation and snow at precipitation stations, monthly",
        &["monatswerte_RR_"],
        &["produkt_nieder_monat_"],
        &["RR_Monatswerte_Beschreibung_Stationen.txt"],
        HR,
        Some("precipitation_more"),
    ),
    ds(
        "monthly/weather_phenomena",
        Monthly,
        "days with weather phenomena, monthly",
        &["wetter_monatswerte_"],
        &["produkt_wetter_monat_"],
        &["wetter_monatswerte_Beschreibung_Stationen.txt"],
        HR,
        Some("weather_phenomena"),
    ),
    // annual
    ds(
        "annual/climate_indices/kl",
        Annual,
        "climate indices (frost, ice, summer, hot days), annual",
        &["jahreswerte_KLINDEX_"],
        &["produkt_klindex_jahr_"],
        &["jahreswerte_klindex_Beschreibung_Stationen.txt"],
        HR,
        Some("climate_indices"),
    ),
    ds(
        "annual/climate_indices/precip",
        Annual,
        "precipitation indices (days over thresholds), annual",
        &["jahreswerte_RRINDEX_"],
        &["produkt_rrindex_jahr_"],
        &["jahreswerte_rrindex_Beschreibung_Stationen.txt"],
        HR,
        Some("precipitation_indices"),
    ),
    ds(
        "annual/kl",
        Annual,
        "annual climate summary",
        &["jahreswerte_KL_"],
        &["produkt_klima_jahr"],
        &["KL_Jahreswerte_Beschreibung_Stationen.txt"],
        HR,
        Some("climate_summary"),
    ),
    ds(
        "annual/more_precip",
        Annual,
        "precipitation and snow at precipitation stations, annual",
        &["jahreswerte_RR_"],
        &["produkt_nieder_jahr_"],
        &["RR_Jahreswerte_Beschreibung_Stationen.txt"],
        HR,
        Some("precipitation_more"),
    ),
    ds(
        "annual/weather_phenomena",
        Annual,
        "days with weather phenomena, annual",
        &["wetter_jahreswerte_"],
        &["produkt_wetter_jahr_"],
        &["wetter_jahreswerte_Beschreibung_Stationen.txt"],
        HR,
        Some("weather_phenomena"),
    ),
    // multi-annual
    multi_annual("multi_annual/mean_61-90", "station means of the reference period 1961-1990"),
    multi_annual("multi_annual/mean_71-00", "station means of the period 1971-2000"),
    multi_annual("multi_annual/mean_81-10", "station means of the period 1981-2010"),
    multi_annual("multi_annual/mean_91-20", "station means of the reference period 1991-2020"),
    multi_annual(
        "multi_annual/mean_61-90_obsolete",
        "older station means of 1961-1990, at the station's fixed place and at its current place",
    ),
    multi_annual(
        "multi_annual/mean_71-00_obsolete",
        "older station means of 1971-2000, at the station's fixed place",
    ),
    multi_annual(
        "multi_annual/mean_81-10_obsolete",
        "older station means of 1981-2010, at the station's fixed place and at its current place",
    ),
];

/// A `multi_annual` period: DWD's climate normals, one table per
/// parameter over all stations (`Temperatur_1991-2020.txt`, each with its
/// `_Stationsliste.txt`), converted into one tidy `normals.parquet`.
const fn multi_annual(name: &'static str, title: &'static str) -> Dataset {
    ds(name, MultiAnnual, title, &[], &[], &[], NONE, None)
}
