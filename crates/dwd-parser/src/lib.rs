//! Parsers for DWD's climate files (the user's "universal parser"):
//!
//! - [`produkt`]: the `;`-separated `produkt_*` data files: padded names and
//!   values trimmed, optional `eor`, `-999` as missing, CRLF or LF, every
//!   timestamp format, errors naming file, line and column;
//! - [`time`]: MEZ and UTC, decided per file, not per row;
//! - [`stations`]: the fixed-width station lists in all three layouts;
//! - [`metadata`]: a station's `Metadaten_*` files, `.txt` or `.html`;
//! - [`archive`]: the one `produkt*` member of a zip and the metadata
//!   beside it, read without extracting to disk;
//! - [`normals`]: the climate normals of `multi_annual` (one table per
//!   parameter over all stations), their station lists and source codes;
//! - [`text`]: ISO-8859-1 or UTF-8 input decoded to the same text.

pub mod archive;
pub mod metadata;
pub mod normals;
pub mod produkt;
pub mod stations;
pub mod text;
pub mod time;

/// Errors name the file and, where there is one, the line and column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("{file}: line {line}, column {column}: {message}")]
    At {
        file: String,
        line: usize,
        column: String,
        message: String,
    },
    #[error("{file}: line {line}: {message}")]
    Line {
        file: String,
        line: usize,
        message: String,
    },
    #[error("{file}: {message}")]
    File { file: String, message: String },
}

#[cfg(test)]
mod fixture_tests;
#[cfg(test)]
mod fuzz;
