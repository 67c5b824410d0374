//! `climastation db check | vacuum | migrate | info`

use crate::context::Ctx;
use crate::exit;
use crate::output::print_json;

#[derive(Debug, clap::Subcommand)]
pub enum DbCommand {
    /// Integrity and status counters, read-only (no migration, no recovery:
    /// a damaged file is diagnosed, not touched); exit 1 when it finds a problem.
    #[command(after_help = "Example:\n  climastation db check")]
    Check,
    /// Rebuild the file, returning free pages to the file system.
    #[command(after_help = "Example:\n  climastation db vacuum")]
    Vacuum,
    /// Apply pending schema migrations (opening does this too) and report.
    #[command(after_help = "Example:\n  climastation db migrate")]
    Migrate,
    /// Schema version, sizes, file count.
    #[command(after_help = "Example:\n  climastation --json db info")]
    Info,
}

pub fn run(ctx: &Ctx, cmd: &DbCommand) -> anyhow::Result<u8> {
    let store = match cmd {
        DbCommand::Check => return check(ctx),
        DbCommand::Vacuum | DbCommand::Migrate | DbCommand::Info => ctx.open_store()?,
    };
    match cmd {
        DbCommand::Check => check(ctx),
        DbCommand::Vacuum => {
            let before = store.info()?.db_bytes;
            store.checkpoint()?;
            store.vacuum()?;
            let after = store.info()?.db_bytes;
            if ctx.json {
                print_json(&climastation_jobs::report::Vacuum {
                    bytes_before: before,
                    bytes_after: after,
                })?;
            } else {
                outln!(
                    "vacuumed {}: {before} -> {after} bytes",
                    store.path().display()
                );
            }
            Ok(exit::OK)
        }
        DbCommand::Migrate => {
            let r = store.open_report();
            if ctx.json {
                print_json(&climastation_jobs::report::Migrate::new(&r))?;
            } else if r.schema_before == r.schema_after {
                outln!("schema version {} is current", r.schema_after);
            } else {
                outln!("migrated schema {} -> {}", r.schema_before, r.schema_after);
            }
            Ok(exit::OK)
        }
        DbCommand::Info => {
            let i = store.info()?;
            if ctx.json {
                print_json(&climastation_jobs::report::DbInfo::new(&i))?;
            } else {
                outln!("database:       {}", i.path.display());
                outln!(
                    "schema version: {} (this program knows {})",
                    i.schema_version,
                    i.known_schema_version
                );
                outln!(
                    "size:           {} bytes ({} pages of {}, {} free), WAL {} bytes",
                    i.db_bytes,
                    i.page_count,
                    i.page_size,
                    i.freelist_count,
                    i.wal_bytes
                );
                outln!("files tracked:  {}", i.files);
            }
            Ok(exit::OK)
        }
    }
}

/// `db check`: read-only, so a damaged file is diagnosed, not touched.
fn check(ctx: &Ctx) -> anyhow::Result<u8> {
    let report = tracker_sqlite::check_read_only(&ctx.config.paths.progress_db)
        .map_err(crate::context::usage)?;
    let messages = report.messages();
    if ctx.json {
        print_json(&climastation_jobs::report::DbCheck {
            ok: report.ok(),
            messages,
        })?;
    } else {
        for m in &messages {
            outln!("{m}");
        }
    }
    Ok(if report.ok() { exit::OK } else { exit::FAILED })
}
