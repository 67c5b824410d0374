//! The `produkt*` member of a DWD zip, read into memory (never extracted
//! to disk). Exactly one is expected; none or two is bad input.

use std::io::{Read, Seek};

use crate::ParseError;

/// A member's name and bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub name: String,
    pub bytes: Vec<u8>,
}

type Zip<R> = zip::ZipArchive<R>;

/// Opens the zip and finds its one `produkt*` member: (archive, index, name).
fn find_produkt<R: Read + Seek>(
    file: &str,
    reader: R,
) -> Result<(Zip<R>, usize, String), ParseError> {
    let bad = |message: String| ParseError::File {
        file: file.to_owned(),
        message,
    };
    let mut zip = zip::ZipArchive::new(reader).map_err(|e| bad(format!("corrupt zip: {e}")))?;
    let mut found: Vec<(usize, String)> = Vec::new();
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
            found.push((i, name));
        }
    }
    match found.as_slice() {
        [(index, name)] => {
            let (index, name) = (*index, name.clone());
            Ok((zip, index, name))
        }
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

/// Reads the one `produkt*` member of the zip `file` (named in errors).
/// `max_bytes` refuses members that declare more (a worker's memory budget).
pub fn produkt_member<R: Read + Seek>(
    file: &str,
    reader: R,
    max_bytes: u64,
) -> Result<Member, ParseError> {
    let bad = |message: String| ParseError::File {
        file: file.to_owned(),
        message,
    };
    let (mut zip, index, name) = find_produkt(file, reader)?;
    let mut member = zip
        .by_index(index)
        .map_err(|e| bad(format!("corrupt zip member {name}: {e}")))?;
    if member.size() > max_bytes {
        return Err(bad(format!(
            "zip member {name} declares {} bytes, over the limit of {max_bytes}",
            member.size()
        )));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(member.size()).unwrap_or(0));
    member
        .by_ref()
        .take(max_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| bad(format!("corrupt zip member {name}: {e}")))?;
    if bytes.len() as u64 > max_bytes {
        return Err(bad(format!(
            "zip member {name} inflates past the limit of {max_bytes} bytes"
        )));
    }
    Ok(Member { name, bytes })
}

/// Parses the one `produkt*` member of the zip `file` while inflating it,
/// without holding its text: returns the member's name and the parsed file.
/// A member that declares (or inflates to) more than `max_bytes` is refused.
pub fn parse_produkt_member<R: Read + Seek>(
    file: &str,
    reader: R,
    max_bytes: u64,
) -> Result<(String, crate::produkt::Produkt), ParseError> {
    let bad = |message: String| ParseError::File {
        file: file.to_owned(),
        message,
    };
    let (mut zip, index, name) = find_produkt(file, reader)?;
    let member = zip
        .by_index(index)
        .map_err(|e| bad(format!("corrupt zip member {name}: {e}")))?;
    if member.size() > max_bytes {
        return Err(bad(format!(
            "zip member {name} declares {} bytes, over the limit of {max_bytes}",
            member.size()
        )));
    }
    let shown = format!("{file}:{name}");
    let declared = member.size();
    let produkt = crate::produkt::parse_reader_sized(
        &shown,
        std::io::BufReader::with_capacity(256 * 1024, member.take(max_bytes)),
        declared,
    )?;
    Ok((name, produkt))
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

    #[test]
    fn the_one_produkt_member() {
        let z = zip(&[
            ("Metadaten_Geographie_00320.txt", b"m"),
            ("produkt_tu_stunde_20180915_20200317_00320.txt", b"data"),
        ]);
        let m = produkt_member("a.zip", Cursor::new(z), 1 << 20).unwrap();
        assert_eq!(
            (m.name.as_str(), m.bytes.as_slice()),
            (
                "produkt_tu_stunde_20180915_20200317_00320.txt",
                &b"data"[..]
            )
        );
    }

    #[test]
    fn none_two_escaping_oversized_and_corrupt_are_errors() {
        let check = |bytes: Vec<u8>, max: u64, want: &str| {
            let e = produkt_member("bad.zip", Cursor::new(bytes), max)
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("bad.zip: ") && e.contains(want), "{e}");
        };
        check(zip(&[("Metadaten.txt", b"m")]), 1 << 20, "no produkt");
        check(
            zip(&[("produkt_a.txt", b"a"), ("produkt_b.txt", b"b")]),
            1 << 20,
            "2 produkt",
        );
        check(zip(&[("../produkt_a.txt", b"a")]), 1 << 20, "escape");
        check(
            zip(&[("produkt_a.txt", &[b'x'; 5000])]),
            100,
            "over the limit",
        );
        check(b"PK\x03\x04 truncated".to_vec(), 1 << 20, "corrupt zip");
        check(Vec::new(), 1 << 20, "corrupt zip");
    }
}
