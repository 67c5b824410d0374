//! What DWD's file names say: period folder, station id, date range.
//!
//! `10minutenwerte_TU_00003_19930428_19991231_hist.zip`,
//! `stundenwerte_TU_00161_akt.zip`, `Meta_Daten_zehn_min_tu_00003.zip`,
//! `monatswerte_KL_01691_18570101_20171231_hist.zip`.

/// Facts read from a relative path such as `historical/10minutenwerte_…zip`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NameFacts {
    /// The first folder: `historical`, `recent`, `now`, `meta_data`.
    pub period: Option<String>,
    /// The 5-digit station id.
    pub station: Option<String>,
    /// `YYYYMMDD` first and last day in the name.
    pub from: Option<String>,
    pub to: Option<String>,
}

pub fn facts(relative_path: &str) -> NameFacts {
    let mut parts = relative_path.rsplit('/');
    let file = parts.next().unwrap_or(relative_path);
    let period = relative_path
        .split('/')
        .next()
        .filter(|p| *p != file)
        .map(str::to_owned);
    let stem = file.split('.').next().unwrap_or(file);
    let tokens: Vec<&str> = stem.split('_').collect();
    let digits = |t: &str, n: usize| t.len() == n && t.bytes().all(|b| b.is_ascii_digit());
    let station = tokens
        .iter()
        .find(|t| digits(t, 5))
        .map(|s| (*s).to_owned());
    let range = tokens
        .windows(2)
        .find(|w| digits(w[0], 8) && digits(w[1], 8))
        .map(|w| (w[0].to_owned(), w[1].to_owned()));
    NameFacts {
        period,
        station,
        from: range.as_ref().map(|r| r.0.clone()),
        to: range.map(|r| r.1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(path: &str, period: Option<&str>, station: Option<&str>, range: Option<(&str, &str)>) {
        let f = facts(path);
        assert_eq!(f.period.as_deref(), period, "{path}");
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
        check(
            "historical/monatswerte_KL_01691_18570101_20171231_hist.zip",
            Some("historical"),
            Some("01691"),
            Some(("18570101", "20171231")),
        );
        check(
            "recent/stundenwerte_TU_00161_akt.zip",
            Some("recent"),
            Some("00161"),
            None,
        );
        check("zehn_min_tu_Beschreibung_Stationen.txt", None, None, None);
        check(
            "historical/BESCHREIBUNG_obsgermany.pdf",
            Some("historical"),
            None,
            None,
        );
    }
}
