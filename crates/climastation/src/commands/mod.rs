//! One module a command.

pub mod check;
pub mod convert;
pub mod crawl;
pub mod datasets;
pub mod db;
pub mod export;
pub mod failed;
pub mod normals;
pub mod register;
pub mod retry;
pub mod run;
pub mod selection;
pub mod stations;
pub mod status;
pub mod values;

use crate::context::Ctx;
use crate::{Cli, Command};

/// Runs the command; returns the exit code.
pub fn dispatch(cli: &Cli) -> anyhow::Result<u8> {
    let ctx = Ctx::init(cli)?;
    tracing::debug!(command = ?cli.command, "starting");
    match &cli.command {
        Command::Check(a) => check::run(&ctx, a),
        Command::Convert(a) => convert::run(&ctx, a),
        Command::Crawl(a) => crawl::run(&ctx, a),
        Command::Datasets(a) => datasets::run(&ctx, a),
        Command::Register(a) => register::run(&ctx, a),
        Command::Run(a) => run::run(&ctx, a),
        Command::Stations(a) => stations::run(&ctx, a),
        Command::Export(a) => export::run(&ctx, a),
        Command::Status(a) => status::run(&ctx, a),
        Command::Values(a) => values::run(&ctx, a),
        Command::Normals(a) => normals::run(&ctx, a),
        Command::Failed(a) => failed::run(&ctx, a),
        Command::Retry(a) => retry::retry(&ctx, a),
        Command::Reset(a) => retry::reset(&ctx, a),
        Command::Db(c) => db::run(&ctx, c),
        Command::Serve(a) => crate::serve::run(&ctx, a),
    }
}
