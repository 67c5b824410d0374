//! `climastation convert <file>… [--format parquet|csv|jsonl] [-o DIR]`:
//! converts files directly, without the tracker. Data zips and
//! `produkt_*.txt` become `<name>.<ext>` (their `Metadaten_*` members
//! `<name>.<kind>.<ext>`); `Meta_Daten_*.zip` and `Metadaten_*` files
//! become `<name>.<kind>.<ext>` and, given together with data files of
//! their station, decide those files' time reference; station lists
//! become `<name>.<ext>`.

use std::path::PathBuf;

use crate::context::{Ctx, usage};
use crate::exit;
use crate::output::print_json;
pub use dwd_series::output::Format;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  climastation convert tests/data/dwd/daily/kl/recent/tageswerte_KL_04271_akt.zip -o out
  climastation convert --format csv stundenwerte_TU_00320_akt.zip Meta_Daten_zehn_min_tu_00003.zip
  climastation convert --dataset hourly/cloud_type renamed.zip")]
pub struct Args {
    /// DWD data zips (`10minutenwerte_…zip`), `produkt_*.txt`, `Meta_Daten_*.zip`,
    /// `Metadaten_*.txt|html` or `*_Beschreibung_Stationen.txt` files.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "parquet")]
    pub format: Format,
    /// Output folder (default: the working directory).
    #[arg(short = 'o', long = "output", value_name = "DIR", default_value = ".")]
    pub output: PathBuf,
    /// The dataset whose translation table applies (default: from the file name).
    #[arg(long)]
    pub dataset: Option<String>,
}

pub fn run(ctx: &Ctx, args: &Args) -> anyhow::Result<u8> {
    let converted = ctx
        .session
        .convert(&climastation_jobs::ConvertRequest {
            files: args.files.clone(),
            format: args.format,
            output: args.output.clone(),
            dataset: args.dataset.clone(),
        })
        .map_err(crate::context::job)?;
    let mut failed = 0;
    for c in &converted {
        match &c.result {
            Ok(written) if !ctx.json => {
                for (out, rows) in written {
                    outln!("{} -> {} ({rows} rows)", c.file.display(), out.display());
                }
            }
            Ok(_) => {}
            Err(e) => {
                failed += 1;
                eprintln!("climastation: {e}");
            }
        }
    }
    if ctx.json {
        print_json(&climastation_jobs::report::Convert::new(&converted))?;
    }
    if failed > 0 && failed == args.files.len() && args.files.iter().all(|f| !f.exists()) {
        return Err(usage("no such input file"));
    }
    Ok(if failed > 0 { exit::FAILED } else { exit::OK })
}
