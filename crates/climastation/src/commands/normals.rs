//! `climastation normals [--period 1991-2020] [stations] [--parameters …]
//! [--csv | --json]`: DWD's climate normals of the selected stations, from
//! the `multi_annual` dataset of the period (run it first).

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, UInt32Type};
use arrow_array::{Array, RecordBatch};

use crate::context::Ctx;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  climastation normals --period 1961-1990 --station 3987
  climastation normals --period 1961-1990 --near 51.34,12.37 --radius 30 --parameters temperature_air_mean_2m --csv
  climastation --json normals --period 1961-1990 --name potsdam")]
pub struct Args {
    /// The reference period: 1961-1990, 1971-2000, 1981-2010 or 1991-2020.
    #[arg(long, value_name = "YYYY-YYYY", default_value = "1991-2020")]
    pub period: String,
    #[command(flatten)]
    pub place: super::selection::StationArgs,
    /// Parameters (English names, comma-separated); default all.
    #[arg(long, value_delimiter = ',', value_name = "NAME,…")]
    pub parameters: Vec<String>,
    /// DWD's older normals of the period (its `_obsolete` folder: at the
    /// station's fixed place, `location_rule` fixed, or its current one).
    #[arg(long)]
    pub obsolete: bool,
    /// CSV on stdout: a row per station, parameter and month (empty: the year).
    #[arg(long)]
    pub csv: bool,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

pub fn run(ctx: &Ctx, args: &Args) -> anyhow::Result<u8> {
    let job = crate::context::job;
    let period =
        crate::context::reference_period(dwd_catalog::Field::ReferencePeriod, Some(&args.period))?
            .unwrap_or(dwd_catalog::ReferencePeriod::CURRENT);
    // the stations only: a normal has no days, periods or active span
    let raw = args.place.raw();
    let layer = raw
        .to_layer()
        .map_err(|e| job(climastation_jobs::JobError::Invalid(e)))?;
    let selection = ctx.session.selection(&layer).map_err(job)?;
    let request = climastation_jobs::NormalsRequest {
        period,
        selection: dwd_catalog::Selection {
            from: None,
            to: None,
            periods: Vec::new(),
            active: None,
            ..selection
        },
        parameters: args.parameters.clone(),
        obsolete: args.obsolete,
    };
    let (rows, answer) = ctx.session.normals_rows(&request).map_err(job)?;
    for why in &answer.empty {
        eprintln!("climastation: {why}");
    }
    if ctx.json {
        let mut buf = Vec::new();
        {
            let mut w = arrow_json::ArrayWriter::new(&mut buf);
            for b in &rows.batches {
                w.write(b)?;
            }
            w.finish()?;
        }
        let records: serde_json::Value = match buf.is_empty() {
            true => serde_json::Value::Array(Vec::new()),
            false => serde_json::from_slice(&buf)?,
        };
        let meta: std::collections::BTreeMap<&String, &String> =
            rows.schema.metadata().iter().collect();
        crate::output::print_json(&serde_json::json!({
            "period": period.to_string(),
            "dataset": answer.dataset,
            "stations": answer.stations,
            "rows": records,
            "meta": meta,
            "empty": answer.empty,
        }))?;
    } else if args.csv {
        // the library's CSV, as the API's format=csv writes it
        let batch = match rows.batches.as_slice() {
            [] => RecordBatch::new_empty(rows.schema.clone()),
            [one] => one.clone(),
            many => arrow_select::concat::concat_batches(&rows.schema, many)?,
        };
        let mut buf = Vec::new();
        dwd_series::encode::write(
            dwd_series::output::Format::Csv,
            &batch,
            Vec::new(),
            &mut buf,
        )
        .map_err(|e| anyhow::anyhow!("writing the normals as CSV: {e}"))?;
        out!("{}", String::from_utf8_lossy(&buf));
    } else {
        outln!(
            "normals {period} ({}): {} station(s), {} value(s)",
            answer.dataset,
            answer.stations,
            answer.rows
        );
        // a line per station and parameter: the 12 months, then the year
        let mut last = None;
        for b in &rows.batches {
            let c = Cells(b);
            let mut r = 0;
            while r < b.num_rows() {
                // an older normal's two places are lines of their own
                let key = (c.u32(0, r), c.text(3, r), c.text(8, r));
                let mut months = vec![String::new(); 13];
                let start = r;
                while r < b.num_rows() && (c.u32(0, r), c.text(3, r), c.text(8, r)) == key {
                    let slot = c.u32(5, r).parse::<usize>().map_or(12, |m| m - 1);
                    if let Some(s) = months.get_mut(slot) {
                        *s = c.f64(6, r);
                    }
                    r += 1;
                }
                if last.as_ref() != Some(&key.0) {
                    outln!("  {:05} {}", key.0, c.text(1, start));
                    outln!(
                        "    {:<30} {} {:>7}  source",
                        "",
                        MONTHS.map(|m| format!("{m:>6}")).join(""),
                        "year"
                    );
                    last = Some(key.0.clone());
                }
                outln!(
                    "    {:<30} {} {:>7}  {}",
                    match key.2.as_str() {
                        "" => format!("{} [{}]", key.1, c.text(4, start)),
                        rule => format!("{} [{}] {rule}", key.1, c.text(4, start)),
                    },
                    months[..12]
                        .iter()
                        .map(|v| format!("{:>6}", or_dash(v)))
                        .collect::<String>(),
                    or_dash(&months[12]),
                    // the older layout has no source code
                    or_dash(&c.u32(7, start))
                );
            }
        }
    }
    Ok(crate::exit::OK)
}

/// A missing value (or source code) in the text table.
fn or_dash(cell: &str) -> &str {
    match cell {
        "" => "-",
        v => v,
    }
}

/// A batch's cells as text (empty for null).
struct Cells<'a>(&'a RecordBatch);

impl Cells<'_> {
    fn u32(&self, col: usize, row: usize) -> String {
        let a = self.0.column(col).as_primitive::<UInt32Type>();
        match a.is_valid(row) {
            true => a.value(row).to_string(),
            false => String::new(),
        }
    }
    fn f64(&self, col: usize, row: usize) -> String {
        let a = self.0.column(col).as_primitive::<Float64Type>();
        match a.is_valid(row) {
            true => a.value(row).to_string(),
            false => String::new(),
        }
    }
    fn text(&self, col: usize, row: usize) -> String {
        let a = self.0.column(col).as_string::<i32>();
        match a.is_valid(row) {
            true => a.value(row).to_owned(),
            false => String::new(),
        }
    }
}
