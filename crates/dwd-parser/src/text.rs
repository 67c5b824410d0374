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

#[cfg(test)]
mod tests {
    use super::*;

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
