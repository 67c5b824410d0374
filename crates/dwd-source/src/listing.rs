//! nginx autoindex pages, as DWD's server sends them.
//!
//! One entry a line: `<a href="NAME">SHOWN</a>`, spaces, a date
//! (`22-Nov-2021 16:18:02`, or without seconds on older pages), spaces, a
//! size in bytes (`-` for folders). SHOWN is cut to 50 characters, so the
//! name always comes from `href`. The parent link, sort links, absolute or
//! foreign links and names that would leave the folder are ignored.

use tracker_core::Timestamp;

/// One line of a listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The decoded name, one path component, without a trailing `/`.
    pub name: String,
    pub is_dir: bool,
    pub modified: Option<Timestamp>,
    /// Bytes; `None` for folders.
    pub size: Option<u64>,
}

/// What a listing held besides its entries: the links it refused.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Listing {
    pub entries: Vec<Entry>,
    /// hrefs ignored because they leave the folder or point elsewhere.
    pub refused: Vec<String>,
}

/// Parses a listing page. Lines that are not entries are skipped.
pub fn parse(html: &str) -> Listing {
    let mut out = Listing::default();
    for line in html.lines() {
        let mut rest = line;
        while let Some(start) = rest.find("<a href=\"") {
            let after = &rest[start + 9..];
            let Some(end) = after.find('"') else { break };
            let href = &after[..end];
            let tail = after.find("</a>").map_or("", |i| &after[i + 4..]);
            // the date and size follow the link on the same line
            let tail = tail.split('<').next().unwrap_or("");
            rest = &after[end..];
            match entry(href, tail) {
                Some(Ok(e)) => out.entries.push(e),
                Some(Err(())) => out.refused.push(href.to_owned()),
                None => {}
            }
        }
    }
    out
}

/// `None`: not an entry (parent, sort link); `Err`: a link refused for safety.
fn entry(href: &str, tail: &str) -> Option<Result<Entry, ()>> {
    if href == "../" || href.starts_with('?') || href.is_empty() {
        return None;
    }
    if href.contains("://")
        || href.starts_with('/')
        || href.starts_with("//")
        || href.contains('?')
        || href.contains('#')
    {
        return Some(Err(()));
    }
    let decoded = percent_decode(&entity_decode(href))?;
    let (name, is_dir) = match decoded.strip_suffix('/') {
        Some(n) => (n.to_owned(), true),
        None => (decoded, false),
    };
    if name.is_empty()
        || name == "."
        || name == ".."
        || name.contains('/')
        || name.contains('\\')
        || name.chars().any(char::is_control)
    {
        return Some(Err(()));
    }
    let mut tokens = tail.split_whitespace();
    let (date, time, size) = (tokens.next(), tokens.next(), tokens.next());
    let modified = date.zip(time).and_then(|(d, t)| parse_time(d, t));
    let size = if is_dir {
        None
    } else {
        size.and_then(|s| s.parse().ok())
    };
    Some(Ok(Entry {
        name,
        is_dir,
        modified,
        size,
    }))
}

/// `22-Nov-2021` and `16:18:02` or `16:18`, read as UTC.
pub fn parse_time(date: &str, time: &str) -> Option<Timestamp> {
    let mut d = date.split('-');
    let day: i8 = d.next()?.parse().ok()?;
    let month = match d.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i16 = d.next()?.parse().ok()?;
    let mut t = time.split(':');
    let hour: i8 = t.next()?.parse().ok()?;
    let minute: i8 = t.next()?.parse().ok()?;
    let second: i8 = match t.next() {
        Some(s) => s.parse().ok()?,
        None => 0,
    };
    let dt = jiff::civil::DateTime::new(year, month, day, hour, minute, second, 0).ok()?;
    let ts = jiff::tz::TimeZone::UTC.to_timestamp(dt).ok()?;
    Some(Timestamp::from_millis(ts.as_millisecond()))
}

fn entity_decode(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// `%XX` escapes; `None` for malformed ones or invalid UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT: &str = include_str!("../../../tests/data/listings/climate/index.html");
    const HIST: &str = include_str!(
        "../../../tests/data/listings/climate/10_minutes/air_temperature/historical/index.html"
    );
    const DATASET: &str =
        include_str!("../../../tests/data/listings/climate/10_minutes/air_temperature/index.html");
    const OLD: &str =
        include_str!("../../../tests/data/listings/old-format/hourly_wind_recent.html");

    fn ts(s: &str) -> Timestamp {
        let t: jiff::Timestamp = s.parse().unwrap();
        Timestamp::from_millis(t.as_millisecond())
    }

    #[test]
    fn real_dataset_listing_with_seconds() {
        let l = parse(HIST);
        assert!(l.refused.is_empty());
        let first = &l.entries[0];
        assert_eq!(
            first.name,
            "10minutenwerte_TU_00003_19930428_19991231_hist.zip"
        );
        assert_eq!(first.size, Some(2_948_612));
        assert_eq!(first.modified, Some(ts("2021-11-22T16:18:02Z")));
        assert!(l.entries.iter().all(|e| !e.is_dir && e.size.is_some()));
        assert_eq!(
            l.entries.len(),
            HIST.matches("<a href=\"").count() - 1,
            "all but ../"
        );
        assert!(
            l.entries
                .iter()
                .any(|e| e.name == "zehn_min_tu_Beschreibung_Stationen.txt"
                    && e.size == Some(540_303))
        );
    }

    #[test]
    fn folders_and_long_names_come_from_href() {
        let l = parse(DATASET);
        let names: Vec<_> = l
            .entries
            .iter()
            .map(|e| (e.name.as_str(), e.is_dir))
            .collect();
        assert_eq!(
            names,
            [
                ("historical", true),
                ("meta_data", true),
                ("now", true),
                ("recent", true),
                (
                    "BESCHREIBUNG_obsgermany_climate_10min_air_temperature_de.pdf",
                    false
                ),
                (
                    "DESCRIPTION_obsgermany_climate_10min_air_temperature_en.pdf",
                    false
                ),
            ]
        );
        assert_eq!(l.entries[0].size, None);
        assert_eq!(l.entries[4].size, Some(32_719));
        assert_eq!(parse(ROOT).entries.len(), 9);
    }

    #[test]
    fn old_pages_without_seconds_use_href_not_the_shown_text() {
        let l = parse(OLD);
        let td = l
            .entries
            .iter()
            .find(|e| e.name.starts_with("stundenwerte_TD"))
            .unwrap();
        assert_eq!(
            td.name, "stundenwerte_TD_00163_akt.zip",
            "the shown text says 00161"
        );
        assert_eq!(td.modified, Some(ts("2020-03-29T09:02:00Z")));
        assert_eq!(td.size, Some(70_167));
        let long = l
            .entries
            .iter()
            .find(|e| e.name.contains("20100101_20191231"))
            .unwrap();
        assert_eq!(
            long.name,
            "10minutenwerte_extrema_wind_01766_20100101_20191231_hist.zip"
        );
    }

    #[test]
    fn escaping_and_foreign_links_are_refused() {
        let html = r#"<pre><a href="../">../</a>
<a href="?C=N;O=D">Name</a>
<a href="../../etc/passwd">x</a> 22-Nov-2021 16:18:02 10
<a href="/etc/">x</a> 22-Nov-2021 16:18:02 -
<a href="https://evil.example/a.zip">x</a> 22-Nov-2021 16:18:02 10
<a href="%2e%2e/x.zip">x</a> 22-Nov-2021 16:18:02 10
<a href="a%2Fb.zip">x</a> 22-Nov-2021 16:18:02 10
<a href="ok%20name.zip">ok name.zip</a> 22-Nov-2021 16:18:02 10
</pre>"#;
        let l = parse(html);
        assert_eq!(l.entries.len(), 1);
        assert_eq!(l.entries[0].name, "ok name.zip");
        assert_eq!(l.refused.len(), 5, "{:?}", l.refused);
    }

    #[test]
    fn bad_dates_and_sizes_become_unknown() {
        let l = parse("<a href=\"a.zip\">a.zip</a> 31-Foo-2021 16:18 12x\n");
        assert_eq!(l.entries[0].modified, None);
        assert_eq!(l.entries[0].size, None);
        assert_eq!(parse_time("31-Feb-2021", "10:00"), None);
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_never_yields_an_escaping_name(s in ".{0,400}") {
            for e in parse(&s).entries {
                proptest::prop_assert!(!e.name.is_empty() && !e.name.contains('/') && e.name != ".." && e.name != ".");
            }
        }
    }
}
