//! The `produkt*` member of a DWD zip, read into memory (never extracted
//! to disk). Exactly one is expected; none or two is bad input.

use crate::produkt::ColumnKind;
use std::io::{Read, Seek};

use crate::ParseError;
use crate::metadata::StationMetadata;

type Zip<R> = zip::ZipArchive<R>;

/// The members of a DWD zip that matter: its `produkt*` members and its
/// readable `Metadaten_*` members (a `.txt` wins over its `.html` twin).
struct Scan<R> {
    zip: Zip<R>,
    produkt: Vec<(usize, String)>,
    metadata: Vec<(usize, String)>,
    /// Members the parse does not read, checked by [`Scan::check_others`].
    others: Vec<(usize, String)>,
}

/// Opens the zip and lists its members; a member whose name would leave
/// the output folder makes the whole zip bad input.
fn scan<R: Read + Seek>(file: &str, reader: R) -> Result<Scan<R>, ParseError> {
    let bad = |message: String| ParseError::File {
        file: file.to_owned(),
        message,
    };
    let mut zip = zip::ZipArchive::new(reader).map_err(|e| bad(format!("corrupt zip: {e}")))?;
    let mut produkt: Vec<(usize, String)> = Vec::new();
    let mut metadata: Vec<(usize, String)> = Vec::new();
    let mut others: Vec<(usize, String)> = Vec::new();
    for i in 0..zip.len() {
        let m = zip
            .by_index_raw(i)
            .map_err(|e| bad(format!("corrupt zip member #{i}: {e}")))?;
        let name = String::from_utf8_lossy(m.name_raw()).into_owned();
        if m.enclosed_name().is_none() {
            return Err(bad(format!(
                "zip member {name:?} would escape the output folder"
            )));
        }
        let base = name.rsplit('/').next().unwrap_or(&name);
        if base.starts_with("produkt") {
            produkt.push((i, name));
        } else if crate::metadata::Kind::of(base).is_some() {
            metadata.push((i, name));
        } else if !name.ends_with('/') {
            others.push((i, name));
        }
    }
    let stem = |n: &str| n.rsplit_once('.').map_or(n, |(s, _)| s).to_owned();
    let txt: Vec<String> = metadata
        .iter()
        .filter(|(_, n)| n.to_ascii_lowercase().ends_with(".txt"))
        .map(|(_, n)| stem(n))
        .collect();
    let (kept, twins): (Vec<_>, Vec<_>) = metadata
        .into_iter()
        .partition(|(_, n)| n.to_ascii_lowercase().ends_with(".txt") || !txt.contains(&stem(n)));
    others.extend(twins);
    Ok(Scan {
        zip,
        produkt,
        metadata: kept,
        others,
    })
}

/// Metadata files are a few KB; more than this is not one.
const MAX_METADATA_BYTES: u64 = 16 << 20;

impl<R: Read + Seek> Scan<R> {
    /// The one `produkt*` member: (index, name).
    fn the_produkt(&self, file: &str) -> Result<(usize, String), ParseError> {
        let bad = |message: String| ParseError::File {
            file: file.to_owned(),
            message,
        };
        match self.produkt.as_slice() {
            [(index, name)] => Ok((*index, name.clone())),
            [] => Err(bad("no produkt* member in the zip".into())),
            many => {
                let names: Vec<&str> = many.iter().map(|(_, n)| n.as_str()).collect();
                Err(bad(format!(
                    "{} produkt* members in the zip: {}",
                    many.len(),
                    names.join(", ")
                )))
            }
        }
    }

    /// Inflates every member the parse does not read (a `.html` twin of a
    /// `.txt`, anything else), checking its CRC: with the members the parse
    /// reads, the whole zip is checked in the one pass.
    fn check_others(&mut self, file: &str, max_bytes: u64) -> Result<(), ParseError> {
        for (index, name) in self.others.clone() {
            let bad = |message: String| ParseError::File {
                file: format!("{file}:{name}"),
                message,
            };
            let member = self
                .zip
                .by_index(index)
                .map_err(|e| bad(format!("corrupt zip member: {e}")))?;
            if member.size() > max_bytes {
                return Err(bad(format!(
                    "declares {} bytes, over the memory budget of {max_bytes} bytes",
                    member.size()
                )));
            }
            std::io::copy(&mut member.take(max_bytes + 1), &mut std::io::sink())
                .map_err(|e| bad(format!("corrupt zip member: {e}")))?;
        }
        Ok(())
    }

    /// Reads every `Metadaten_*` member this parser knows.
    fn read_metadata(&mut self, file: &str) -> Result<StationMetadata, ParseError> {
        let mut out = StationMetadata::default();
        for (index, name) in self.metadata.clone() {
            let shown = format!("{file}:{name}");
            let bad = |message: String| ParseError::File {
                file: shown.clone(),
                message,
            };
            let member = self
                .zip
                .by_index(index)
                .map_err(|e| bad(format!("corrupt zip member: {e}")))?;
            if member.size() > MAX_METADATA_BYTES {
                return Err(bad(format!(
                    "declares {} bytes, more than a metadata file holds",
                    member.size()
                )));
            }
            let mut bytes = Vec::new();
            member
                .take(MAX_METADATA_BYTES + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| bad(format!("corrupt zip member: {e}")))?;
            if let Some(m) = crate::metadata::parse(&shown, &name, &bytes)? {
                out.extend(m);
            }
        }
        Ok(out)
    }
}

/// Reads the `Metadaten_*` members of a zip (DWD's `Meta_Daten_*.zip`, or
/// the metadata beside a `produkt*` file); other members are ignored.
pub fn read_metadata<R: Read + Seek>(file: &str, reader: R) -> Result<StationMetadata, ParseError> {
    let mut scan = scan(file, reader)?;
    let metadata = scan.read_metadata(file)?;
    scan.check_others(file, MAX_METADATA_BYTES)?;
    if metadata.is_empty() {
        return Err(ParseError::File {
            file: file.to_owned(),
            message: "no Metadaten_* member in the zip".into(),
        });
    }
    Ok(metadata)
}

/// The `Metadaten_*` members of any DWD zip, read; empty when it has none
/// (10-minute data zips).
pub fn metadata_in<R: Read + Seek>(file: &str, reader: R) -> Result<StationMetadata, ParseError> {
    scan(file, reader)?.read_metadata(file)
}

/// A data zip, parsed: its `produkt*` member and the station metadata
/// that came with it (empty for 10-minute zips, whose metadata is a zip
/// of its own).
#[derive(Debug)]
pub struct DataZip {
    pub member: String,
    pub produkt: crate::produkt::Produkt,
    pub metadata: StationMetadata,
}

/// Parses the one `produkt*` member of the zip `file` while inflating it,
/// without holding its text, and the `Metadaten_*` members beside it, and
/// inflates the rest: every member's CRC is checked in this one pass.
/// A member that declares (or inflates to) more than `max_bytes` is refused.
pub fn parse_data_zip<R: Read + Seek>(
    file: &str,
    reader: R,
    max_bytes: u64,
) -> Result<DataZip, ParseError> {
    parse_data_zip_kinds(file, reader, max_bytes, &|_, column| {
        ColumnKind::default_of(column)
    })
}

/// [`parse_data_zip`] with the kind of each column, asked by the
/// `produkt*` member's name and the column's DWD name.
pub fn parse_data_zip_kinds<R: Read + Seek>(
    file: &str,
    reader: R,
    max_bytes: u64,
    kinds: &dyn Fn(&str, &str) -> ColumnKind,
) -> Result<DataZip, ParseError> {
    let bad = |message: String| ParseError::File {
        file: file.to_owned(),
        message,
    };
    let mut scan = scan(file, reader)?;
    let (index, name) = scan.the_produkt(file)?;
    let metadata = scan.read_metadata(file)?;
    let member = scan
        .zip
        .by_index(index)
        .map_err(|e| bad(format!("corrupt zip member {name}: {e}")))?;
    if member.size() > max_bytes {
        return Err(bad(format!(
            "zip member {name} declares {} bytes, over the memory budget of {max_bytes} bytes",
            member.size()
        )));
    }
    let shown = format!("{file}:{name}");
    let declared = member.size();
    let produkt = crate::produkt::parse_reader_kinds(
        &shown,
        std::io::BufReader::with_capacity(256 * 1024, member.take(max_bytes)),
        declared,
        &|column| kinds(&name, column),
    )?;
    scan.check_others(file, max_bytes)?;
    Ok(DataZip {
        member: name,
        produkt,
        metadata,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};

    fn zip(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut c = Cursor::new(Vec::new());
        let mut w = zip::ZipWriter::new(&mut c);
        for (n, d) in members {
            w.start_file(*n, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(d).unwrap();
        }
        w.finish().unwrap();
        c.into_inner()
    }

    const PRODUKT: &[u8] = b"STATIONS_ID;MESS_DATUM;QN_9;TT_TU;RF_TU;eor\r\n        320;2018091500;    3;  13.7;  96.0;eor\r\n";

    /// The parse checks every member's CRC in its one pass, also of members
    /// it does not parse (the `dwd` processor relies on it: no second inflate).
    #[test]
    fn a_bad_crc_in_any_member_fails_the_parse() {
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        let mut c = Cursor::new(Vec::new());
        let mut w = zip::ZipWriter::new(&mut c);
        w.start_file("produkt_tu_stunde_20180915_20200317_00320.txt", stored)
            .unwrap();
        w.write_all(PRODUKT).unwrap();
        w.start_file("Beschreibung_00320.txt", stored).unwrap();
        w.write_all(b"<html>UNIQUE-BYTES</html>").unwrap();
        w.finish().unwrap();
        let good = c.into_inner();
        assert!(parse_data_zip("z.zip", Cursor::new(good.clone()), 1 << 20).is_ok());
        for needle in [&b"UNIQUE-BYTES"[..], &b"13.7"[..]] {
            let mut bad = good.clone();
            let at = bad.windows(needle.len()).position(|w| w == needle).unwrap();
            bad[at] ^= 0x01;
            let e = parse_data_zip("z.zip", Cursor::new(bad), 1 << 20).unwrap_err();
            let text = e.to_string().to_lowercase();
            assert!(text.contains("checksum") || text.contains("corrupt"), "{e}");
        }
    }

    #[test]
    fn the_one_produkt_member_and_the_metadata_beside_it() {
        let geo = b"Stations_id;Stationshoehe;Geogr.Breite;Geogr.Laenge;von_datum;bis_datum;Stationsname\n   320;  350.00; 49.9667; 11.5197;20060701;        ;Heinersreuth-Vollhof\n";
        let z = zip(&[
            ("Metadaten_Geographie_00320.txt", geo),
            ("Metadaten_Fehldaten_00320.txt", b"not read"),
            ("produkt_tu_stunde_20180915_20200317_00320.txt", PRODUKT),
        ]);
        let d = parse_data_zip("a.zip", Cursor::new(z), 1 << 20).unwrap();
        assert_eq!(d.member, "produkt_tu_stunde_20180915_20200317_00320.txt");
        assert_eq!(d.produkt.len(), 1);
        assert_eq!(d.metadata.locations.len(), 1);
        assert_eq!(d.metadata.locations[0].name, "Heinersreuth-Vollhof");
        assert_eq!(d.metadata.locations[0].to, None);
    }

    #[test]
    fn none_two_escaping_oversized_and_corrupt_are_errors() {
        let check = |bytes: Vec<u8>, max: u64, want: &str| {
            let e = parse_data_zip("bad.zip", Cursor::new(bytes), max)
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("bad.zip"), "{e}");
            assert!(e.contains(want), "{e}");
        };
        check(zip(&[("Metadaten.txt", b"m")]), 1 << 20, "no produkt");
        check(
            zip(&[("produkt_a.txt", PRODUKT), ("produkt_b.txt", PRODUKT)]),
            1 << 20,
            "2 produkt",
        );
        check(zip(&[("../produkt_a.txt", PRODUKT)]), 1 << 20, "escape");
        check(
            zip(&[("produkt_a.txt", &[b'x'; 5000])]),
            100,
            "over the memory budget",
        );
        check(b"PK\x03\x04 truncated".to_vec(), 1 << 20, "corrupt zip");
        check(Vec::new(), 1 << 20, "corrupt zip");
        check(
            zip(&[
                ("produkt_a.txt", PRODUKT),
                (
                    "Metadaten_Geographie_00320.txt",
                    b"Stations_id;von_datum\nx;1\n",
                ),
            ]),
            1 << 20,
            "bad.zip:Metadaten_Geographie_00320.txt: line 2, column Stations_id",
        );
        let e = read_metadata("m.zip", Cursor::new(zip(&[("produkt_a.txt", PRODUKT)])))
            .unwrap_err()
            .to_string();
        assert_eq!(e, "m.zip: no Metadaten_* member in the zip");
    }

    const HOURLY: &[u8] = include_bytes!(
        "../../../tests/data/dwd/hourly/air_temperature/recent/stundenwerte_TU_00320_akt.zip"
    );

    proptest::proptest! {
        #![proptest_config(crate::fuzz::config())]

        /// A real zip with a few bytes changed (headers, deflate stream,
        /// CRCs): read or refused by name, never a panic.
        #[test]
        fn mutated_zips_parse_or_fail_by_name(bytes in crate::fuzz::mutated(HOURLY)) {
            if let Err(e) = parse_data_zip("fuzz.zip", Cursor::new(bytes), 1 << 20) {
                proptest::prop_assert!(e.to_string().starts_with("fuzz.zip"), "{}", e);
            }
        }
    }
}
