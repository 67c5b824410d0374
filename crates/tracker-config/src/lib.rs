//! ClimaStation configuration.
//!
//! Layers, later ones win: compiled defaults → `config/base_config.yaml`
//! (when present) → a user file (`--config` or `CLIMASTATION_CONFIG`) →
//! environment variables `CLIMASTATION_<SECTION>__<KEY>` (e.g.
//! `CLIMASTATION_PROCESSING__WORKERS=2`). The raw layers are merged by figment
//! and validated once into a typed [`Config`]; every error names the key and
//! the file or variable it came from.

use std::path::PathBuf;

mod config;
mod load;
mod raw;

pub use config::*;
pub use load::*;
pub use raw::*;

/// Where the base configuration lives, relative to the working directory.
pub const BASE_CONFIG: &str = "config/base_config.yaml";
/// Prefix of the environment variables.
pub const ENV_PREFIX: &str = "CLIMASTATION_";
/// Names the user file when `--config` is not given.
pub const ENV_CONFIG_FILE: &str = "CLIMASTATION_CONFIG";

/// Errors of loading; each names the key and where its value came from.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file {path} does not exist")]
    Missing { path: PathBuf },

    #[error("{0}")]
    Parse(String),

    #[error("invalid value for {key} (from {origin}): {message}")]
    Invalid {
        key: &'static str,
        origin: String,
        message: String,
    },
}

#[cfg(test)]
mod tests;
