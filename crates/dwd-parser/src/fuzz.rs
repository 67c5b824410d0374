//! Mutation fuzzing for the parsers (proptest): real DWD text with a few
//! bytes replaced, inserted or deleted, the bytes drawn from those that
//! matter to the formats (separators, digits, signs, line ends, Latin-1
//! and UTF-8 bytes). Inputs run per parser: `FUZZ_CASES` (default 1,000).

use proptest::prelude::*;

/// Inputs a fuzz test runs: `FUZZ_CASES` or 1,000.
pub fn cases() -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000)
}

pub fn config() -> ProptestConfig {
    ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

const BYTES: &[u8] = b";;;  0123456789-.:\r\n\n\teorEOR<>/\"&x\xe4\xfc\xc3\xbc\x00\xff\x1a";

/// `base` with 1 to 12 edits.
pub fn mutated(base: &'static [u8]) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        (any::<prop::sample::Index>(), 0..BYTES.len(), 0..3u8),
        1..12,
    )
    .prop_map(move |edits| {
        let mut v = base.to_vec();
        for (at, b, op) in edits {
            let i = at.index(v.len() + 1);
            match op {
                0 if i < v.len() => v[i] = BYTES[b],
                1 => v.insert(i, BYTES[b]),
                _ if i < v.len() => {
                    v.remove(i);
                }
                _ => v.push(BYTES[b]),
            }
        }
        v
    })
}
