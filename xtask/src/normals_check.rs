//! `cargo xtask normals-check [--config FILE] [--period 1961-1990]`: DWD's
//! published normals against the ones recomputed from the archive's own
//! `monthly/kl` series (run both datasets first; the sample has Potsdam and
//! Göttingen over 1961-1990). Prints a table a station and parameter: the
//! months whose 30 values our series has in full, the largest and the mean
//! difference (ours − DWD's), and DWD's source code for how its normal was
//! formed.

use anyhow::Context;

use crate::args::Args;

pub fn run(a: Args) -> anyhow::Result<()> {
    let config = a.opt("config").unwrap_or("config/sample.yaml");
    let period = dwd_catalog::ReferencePeriod::parse(
        dwd_catalog::Field::ReferencePeriod,
        a.opt("period").unwrap_or("1961-1990"),
    )
    .map_err(|e| anyhow::anyhow!(e.render(&|f| format!("--{}", f.name()))))?;
    let cfg = tracker_config::load(&tracker_config::Sources::standard(Some(
        std::path::Path::new(config),
    )))
    .with_context(|| format!("loading {config}"))?;
    let session = climastation_jobs::Session::reader(cfg)?;
    let (rows, names) = session.normals_cross_check(period)?;
    println!("DWD's {period} normals against ours, recomputed from monthly/kl ({config}):");
    println!();
    print!("{}", dwd_series::normals::cross_check_table(&rows, &names));
    if rows.is_empty() {
        println!(
            "(no station has both normals of {period} and a monthly/kl series: run both datasets)"
        );
    }
    Ok(())
}
