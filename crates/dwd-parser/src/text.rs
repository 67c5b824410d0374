//! Decoding and line splitting.
//!
//! DWD serves ISO-8859-1; copies of its files found elsewhere are often
//! re-encoded as UTF-8. Input that is valid UTF-8 is read as UTF-8 (ISO-8859-1
//! text with umlauts is practically never valid UTF-8), anything else as
//! ISO-8859-1, so both give the same text.

use std::borrow::Cow;

pub fn decode(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect()),
    }
}

/// Lines without their `\n` and any `\r`s before it (DWD's station lists
/// end lines in CR CR LF); 1-based line numbers.
pub fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split('\n')
        .map(|l| l.trim_end_matches('\r'))
        .enumerate()
        .map(|(i, l)| (i + 1, l))
}

/// DOS's end-of-file mark, which some of DWD's older text files end with.
pub const END_OF_FILE_MARK: u8 = 0x1A;

/// Whether a text file whose last bytes are `tail` ends where its writer
/// finished, not inside a line cut short in transfer: at a line end, at
/// DOS's end-of-file mark, or (spaces aside) at the `;` that closes each
/// line of DWD's `;`-separated files, whose older ones (the normals of
/// the `_obsolete` folders) have no line end after the last line.
pub fn ends_whole(tail: &[u8]) -> bool {
    match tail.last() {
        None | Some(b'\n' | b'\r') | Some(&END_OF_FILE_MARK) => true,
        Some(_) => tail.trim_ascii_end().ends_with(b";"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_end_and_a_cut_one() {
        for whole in [
            &b""[..],
            b"a;b;\r\n",
            b"a;b;\n\x1a",
            b"a;1430;",
            b"a;Pfalz ; ",
        ] {
            assert!(ends_whole(whole), "{whole:?}");
        }
        for cut in [&b"a;14"[..], b"a;b;\r\n3;19", b"name   "] {
            assert!(!ends_whole(cut), "{cut:?}");
        }
    }

    #[test]
    fn latin1_and_utf8_decode_alike() {
        let utf8 = "Großenkneten".as_bytes();
        let latin1: Vec<u8> = "Großenkneten".chars().map(|c| c as u8).collect();
        assert_eq!(decode(utf8), decode(&latin1));
    }

    #[test]
    fn crlf_crcrlf_and_lf() {
        let got: Vec<_> = lines("a\r\nb\r\r\nc\nd").collect();
        assert_eq!(got, [(1, "a"), (2, "b"), (3, "c"), (4, "d")]);
    }
}
