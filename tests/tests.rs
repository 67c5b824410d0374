//! ClimaStation integration tests: one harness, one module a topic
//! (the ripgrep layout). Fixtures live in `tests/data/`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod http_server;
mod util;

/// The synthetic DWD mirror of `cargo xtask fixtures`.
#[path = "../xtask/src/fixtures.rs"]
mod fixtures;

mod cli_catalog;
mod cli_convert;
mod cli_crawl;
mod cli_download;
mod cli_examples;
mod cli_normals;
mod cli_run;
mod cli_selection;
mod cli_stations;
mod cli_values;
mod dataset_processor;
mod fault_matrix;
mod fixtures_mirror;
mod output_faults;
mod parser_snapshots;
mod serve_http;
mod tidy;
mod tracker_bad_input;
mod tracker_model;
mod tracker_processes;
mod tracker_threads;
