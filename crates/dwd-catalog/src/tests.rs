use super::*;

#[test]
fn names_are_unique_and_resolution_prefixed() {
    let mut seen = std::collections::BTreeSet::new();
    for d in all() {
        assert!(seen.insert(d.name), "{} twice", d.name);
        let folder = d.name.split('/').next().unwrap_or_default();
        assert_eq!(folder, d.resolution.folder(), "{}", d.name);
        // the normals are tables over all stations, not per-station zips
        if d.converted() && d.resolution != Resolution::MultiAnnual {
            assert!(!d.zips.is_empty() && !d.members.is_empty(), "{}", d.name);
            assert!(!d.station_lists.is_empty(), "{}", d.name);
        }
    }
    // every resolution has a dataset
    for r in Resolution::ALL {
        assert!(all().iter().any(|d| d.resolution == r), "{r:?}");
    }
}

#[test]
fn every_zip_and_member_prefix_finds_its_own_dataset() {
    for d in all() {
        for z in d.zips {
            let name = format!("historical/{z}00044_19930101_19991231_hist.zip");
            assert_eq!(dataset_of(&name).map(|x| x.name), Some(d.name), "{name}");
        }
        for m in d.members {
            let name = format!("{m}_19930101_19991231_00044.txt");
            assert_eq!(dataset_of(&name).map(|x| x.name), Some(d.name), "{name}");
        }
        for l in d.station_lists {
            assert_eq!(dataset_of(l).map(|x| x.name), Some(d.name), "{l}");
        }
    }
}

#[test]
fn real_names_find_their_dataset() {
    let cases = [
        (
            "10minutenwerte_TU_00044_now.zip",
            "10_minutes/air_temperature",
        ),
        ("10minutenwerte_wind_00044_now.zip", "10_minutes/wind"),
        (
            "10minutenwerte_extrema_wind_01766_akt.zip",
            "10_minutes/extreme_wind",
        ),
        (
            "produkt_zehn_now_tu_20250625_20250625_00044.txt",
            "10_minutes/air_temperature",
        ),
        (
            "produkt_zehn_min_sd_20211209_20230611_01766.txt",
            "10_minutes/solar",
        ),
        ("Meta_Daten_zehn_min_sd_01766.zip", "10_minutes/solar"),
        ("stundenwerte_F_00044_akt.zip", "hourly/wind_synop"),
        ("stundenwerte_FF_04911_akt.zip", "hourly/wind"),
        ("stundenwerte_ST_05906_row.zip", "hourly/solar"),
        (
            "produkt_n_stunde_20181203_20200604_01766.txt",
            "hourly/cloudiness",
        ),
        (
            "produkt_cs_stunde_19550101_20191231_00403.txt",
            "hourly/cloud_type",
        ),
        ("tageswerte_RR_00001_akt.zip", "daily/more_precip"),
        (
            "wetter_tageswerte_RR_00001_akt.zip",
            "daily/more_weather_phenomena",
        ),
        ("wetter_tageswerte_00001_akt.zip", "daily/weather_phenomena"),
        (
            "produkt_klima_Tageswerte_20150802_20170201_03987.txt",
            "daily/kl",
        ),
        ("produkt_klima_tag_18790101_20221231_05440.txt", "daily/kl"),
        (
            "produkt_monat_Monatswerte_18930101_20151231_03987.txt",
            "monthly/kl",
        ),
        (
            "monatswerte_KLINDEX_00003_akt.zip",
            "monthly/climate_indices/kl",
        ),
        (
            "1minutenwerte_nieder_00020_20220101_20220131_hist.zip",
            "1_minute/precipitation",
        ),
        (
            "produkt_5min_hist_rr_20220101_20220131_00020.txt",
            "5_minutes/precipitation",
        ),
        (
            "KL_Standardformate_Beschreibung_Stationen.txt",
            "subdaily/standard_format",
        ),
        ("terminwerte_FX6_00044_akt.zip", "subdaily/extreme_wind"),
        ("jahreswerte_KL_00044_akt.zip", "annual/kl"),
    ];
    for (name, dataset) in cases {
        assert_eq!(dataset_of(name).map(|d| d.name), Some(dataset), "{name}");
    }
    assert_eq!(dataset_of("Metadaten_Geographie_00044.txt"), None);
    assert_eq!(
        dataset_of("BESCHREIBUNG_obsgermany_climate_10min_tu_de.pdf"),
        None
    );
}

#[test]
fn unknown_names_get_suggestions() {
    let e = require("10_minute/air_temperature").unwrap_err();
    assert_eq!(e.suggestions.first(), Some(&"10_minutes/air_temperature"));
    assert!(
        e.to_string()
            .contains("did you mean 10_minutes/air_temperature"),
        "{e}"
    );
    let e = require("hourly/cloud_typ").unwrap_err();
    assert_eq!(e.suggestions.first(), Some(&"hourly/cloud_type"));
    assert!(require("hourly/cloud_type").is_ok());
    assert!(suggest("zzzzzzzz").is_empty());
}

#[test]
fn metadata_zip_of_minute_data() {
    assert_eq!(
        metadata_zip_of("produkt_zehn_now_tu_20250625_20250625_00044.txt").as_deref(),
        Some("meta_data/Meta_Daten_zehn_min_tu_00044.zip")
    );
    assert_eq!(
        metadata_zip_of("produkt_zehn_min_sd_20211209_20230611_01766.txt").as_deref(),
        Some("meta_data/Meta_Daten_zehn_min_sd_01766.zip")
    );
    assert_eq!(
        metadata_zip_of("produkt_ein_min_rr_20220101_20220131_00020.txt").as_deref(),
        Some("meta_data/Meta_Daten_ein_min_rr_00020.zip")
    );
    assert_eq!(
        metadata_zip_of("produkt_tu_stunde_20180915_20200317_00320.txt"),
        None
    );
    assert_eq!(metadata_zip_of("produkt_zehn_now_tu_x.txt"), None);
}

#[test]
fn file_kinds() {
    let k = FileKind::of;
    assert_eq!(k("now/10minutenwerte_TU_00044_now.zip"), FileKind::DataZip);
    assert_eq!(
        k("meta_data/Meta_Daten_zehn_min_tu_00003.zip"),
        FileKind::MetadataZip
    );
    assert_eq!(
        k("zehn_now_tu_Beschreibung_Stationen.txt"),
        FileKind::StationList
    );
    assert_eq!(
        k("produkt_zehn_now_tu_20250625_20250625_00044.txt"),
        FileKind::Produkt
    );
    assert_eq!(k("Metadaten_Geographie_00044.txt"), FileKind::Metadata);
    assert_eq!(
        k("DESCRIPTION_obsgermany_climate_10min_tu_en.pdf"),
        FileKind::Other
    );
    assert_eq!(k("mean_91-20/Temperatur_1991-2020.txt"), FileKind::Normals);
    assert_eq!(
        k("Temperatur_1991-2020_Stationsliste.txt"),
        FileKind::NormalsStationList
    );
    assert_eq!(k("Beschreibung_Datenquelle.txt"), FileKind::Other);
}

#[test]
fn names_say_what_a_file_is() {
    assert_eq!(
        NormalsFile::of("mean_91-20/Temperatur_1991-2020.txt"),
        Some(NormalsFile::Table {
            parameter: "Temperatur".into(),
            period: "1991-2020".into(),
            rule: None,
        })
    );
    assert_eq!(
        NormalsFile::of("Heissetage_1991-2020_Stationsliste.txt"),
        Some(NormalsFile::StationList {
            parameter: "Heissetage".into(),
            period: "1991-2020".into(),
            rule: None,
        })
    );
    assert_eq!(
        NormalsFile::of("Beschreibung_Datenquelle.txt"),
        Some(NormalsFile::Sources)
    );
    // the _obsolete folders' variants, as rdwd's index names them
    assert_eq!(
        NormalsFile::of("mean_61-90_obsolete/Temperatur_1961-1990_festerStandort.txt"),
        Some(NormalsFile::Table {
            parameter: "Temperatur".into(),
            period: "1961-1990".into(),
            rule: Some(LocationRule::Fixed),
        })
    );
    assert_eq!(
        NormalsFile::of("Niederschlag_1961-1990_Stationsliste_aktStandort.txt"),
        Some(NormalsFile::StationList {
            parameter: "Niederschlag".into(),
            period: "1961-1990".into(),
            rule: Some(LocationRule::Current),
        })
    );
    for other in [
        "Beschreibung_Datenquelle.html",
        "produkt_klima_tag_1.txt",
        "Temperatur_1991.txt",
        "x_1991-2020.pdf",
    ] {
        assert_eq!(NormalsFile::of(other), None, "{other}");
    }
}

#[test]
fn metadata_kinds() {
    let k = MetadataKind::of;
    assert_eq!(
        k("Metadaten_Geographie_01766.txt"),
        Some(MetadataKind::Geography)
    );
    assert_eq!(
        k("x/Metadaten_Parameter_klima_monat_01691.html"),
        Some(MetadataKind::Parameters)
    );
    assert_eq!(
        k("Metadaten_Geraete_Momentane_Temperatur_In_5cm_00003.html"),
        Some(MetadataKind::Devices("Momentane_Temperatur_In_5cm".into()))
    );
    assert_eq!(
        k("Metadaten_Stationsname_Betreibername_00003.txt"),
        Some(MetadataKind::Names)
    );
    assert_eq!(
        k("Metadaten_Stationsname_01691.txt"),
        Some(MetadataKind::Names)
    );
    assert_eq!(
        k("Stationsmetadaten_klima_stationen_03987_20150802_20170201.txt"),
        Some(MetadataKind::Geography)
    );
    assert_eq!(
        k("Stationsmetadaten_monat_stationen_03987_18930101_20151231.txt"),
        Some(MetadataKind::Geography)
    );
    assert_eq!(
        k("Beschreibung_klima_Element_03987.html"),
        Some(MetadataKind::Parameters)
    );
    assert_eq!(
        k("Beschreibung_monat_Element_03987.html"),
        Some(MetadataKind::Parameters)
    );
    assert_eq!(
        k("Beschreibung_klima_Lufttemperatur_Detail_03987.html"),
        Some(MetadataKind::Devices("Lufttemperatur".into()))
    );
    assert_eq!(k("Beschreibung_klima_03987.html"), None);
    assert_eq!(k("Metadaten_Fehldaten_01766.txt"), None);
    assert_eq!(k("produkt_zehn_min_tu_x.txt"), None);
    assert_eq!(k("Metadaten_Geographie_01766.pdf"), None);
}

fn check(path: &str, folder: Option<&str>, station: Option<&str>, range: Option<(&str, &str)>) {
    let f = facts(path);
    assert_eq!(f.folder.as_deref(), folder, "{path}");
    assert_eq!(f.station.as_deref(), station, "{path}");
    assert_eq!(f.from.as_deref().zip(f.to.as_deref()), range, "{path}");
}

#[test]
fn dwd_names() {
    check(
        "historical/10minutenwerte_TU_00003_19930428_19991231_hist.zip",
        Some("historical"),
        Some("00003"),
        Some(("19930428", "19991231")),
    );
    assert_eq!(
        facts("historical/10minutenwerte_TU_00003_19930428_19991231_hist.zip").period,
        Some(Period::Historical)
    );
    check(
        "recent/10minutenwerte_TU_00044_akt.zip",
        Some("recent"),
        Some("00044"),
        None,
    );
    check(
        "now/10minutenwerte_TU_00044_now.zip",
        Some("now"),
        Some("00044"),
        None,
    );
    check(
        "meta_data/Meta_Daten_zehn_min_tu_00003.zip",
        Some("meta_data"),
        Some("00003"),
        None,
    );
    assert_eq!(
        facts("meta_data/Meta_Daten_zehn_min_tu_00003.zip").period,
        None
    );
    check(
        "historical/2022/1minutenwerte_nieder_00020_20220101_20220131_hist.zip",
        Some("historical"),
        Some("00020"),
        Some(("20220101", "20220131")),
    );
    check("zehn_min_tu_Beschreibung_Stationen.txt", None, None, None);
    check(
        "historical/BESCHREIBUNG_obsgermany.pdf",
        Some("historical"),
        None,
        None,
    );
}

proptest::proptest! {
    #[test]
    fn any_name_is_looked_up_without_panic(s in "\\PC{0,60}") {
        let _ = dataset_of(&s);
        let _ = facts(&s);
        let _ = FileKind::of(&s);
        let _ = metadata_zip_of(&s);
        let _ = suggest(&s);
    }
}

/// A file named for another dataset is told apart from one of the
/// dataset's own (and from names nobody claims).
#[test]
fn files_named_for_another_dataset_are_found() {
    use crate::belongs_elsewhere;
    let at = "10_minutes/air_temperature";
    assert!(belongs_elsewhere(at, "10minutenwerte_TU_00044_now.zip").is_none());
    assert!(belongs_elsewhere(at, "produkt_zehn_min_tu_20250101_20250102_00044.txt").is_none());
    assert_eq!(
        belongs_elsewhere(at, "10minutenwerte_nieder_00044_now.zip").map(|d| d.name),
        Some("10_minutes/precipitation")
    );
    assert_eq!(
        belongs_elsewhere(at, "stundenwerte_TU_00044_akt.zip").map(|d| d.name),
        Some("hourly/air_temperature")
    );
    assert_eq!(
        belongs_elsewhere(at, "produkt_zehn_min_rr_20250101_20250102_00044.txt").map(|d| d.name),
        Some("10_minutes/precipitation")
    );
    assert!(belongs_elsewhere(at, "something_else.zip").is_none());
}
