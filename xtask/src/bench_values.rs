//! `cargo xtask bench values [--stations 60] [--years 30] [--seed 5]`
//!
//! Values at a place on a synthetic hourly archive: `--stations` stations
//! scattered over 50–52.5° N, 9–14° E at heights of 0–900 m, each with
//! `--years` of hourly air temperature and humidity written as the merged
//! series are (`hourly/air_temperature/series/<id>.parquet`,
//! `stations.parquet`). The field is smooth in space and time, with the
//! air's lapse rate in the temperatures (−6.5 K/km) and noise (σ 0.5 K, 3 %).
//!
//! It prints:
//! - a leave-one-out check over one year: each station hidden in turn and
//!   its values predicted at its place from the others, MAE and bias for
//!   nearest, idw, and idw with the point's height (the lapse rate);
//! - the time for one point's hourly series over all the years for two
//!   parameters (target: under 1 s), and for 100 points over one year
//!   (target: under 2 s), written as Parquet in memory.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, TimestampMillisecondType};
use arrow_array::{Array, Float64Array, Int32Array, RecordBatch, UInt32Array};
use arrow_schema::DataType;
use dwd_series::values::{Method, Point, ValuesSpec};

use crate::args::Args;
use crate::fixtures::Rng;

const DS: &str = "hourly/air_temperature";
const H: i64 = 3_600_000;
/// 1990-01-01T00:00Z in ms.
const START: i64 = 631_152_000_000;

pub(crate) struct Station {
    id: u32,
    lat: f64,
    lon: f64,
    height: f64,
}

/// The smooth field at a place and hour, before noise.
fn temperature(s: &Station, hour: i64) -> f64 {
    let day = hour as f64 / 24.0;
    let season = 9.0 - 9.0 * (2.0 * std::f64::consts::PI * day / 365.25).cos();
    let daily = -3.0 * (2.0 * std::f64::consts::PI * (hour % 24) as f64 / 24.0).cos();
    let space = 1.5 * (s.lat * 1.3).sin() + 1.2 * (s.lon * 0.7).cos() - 0.4 * (s.lat - 51.0);
    season + daily + space - 6.5 * s.height / 1000.0
}

fn humidity(s: &Station, hour: i64) -> f64 {
    let day = hour as f64 / 24.0;
    70.0 + 10.0 * (2.0 * std::f64::consts::PI * day / 365.25).cos()
        + 5.0 * (s.lon * 0.9).sin()
        + 3.0 * (s.lat * 2.1).cos()
}

/// A normal-ish noise from the bench's generator (sum of uniforms).
fn noise(rng: &mut Rng, sigma: f64) -> f64 {
    let s: f64 = (0..6).map(|_| rng.next(1_000_000) as f64 / 1e6).sum();
    (s - 3.0) * sigma * std::f64::consts::SQRT_2
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let n: usize = args.get("stations", 60)?;
    let years: i64 = args.get("years", 30)?;
    let seed: u64 = args.get("seed", 5)?;
    let tmp = tempfile::tempdir()?;
    let layout = dwd_series::OutputLayout::new(tmp.path());
    let hours = years * 8766;
    let t = Instant::now();
    let stations = write_archive(&layout, n, years, seed)?;
    eprintln!(
        "bench values: wrote {n} stations × {hours} hours in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let tables = dwd_translate::Tables::embedded()?;

    // leave-one-out over the first year
    let year_end = jiff::civil::date(1990, 12, 31);
    println!(
        "bench values: {n} stations, {years} years of hourly data (synthetic: smooth field, lapse rate, noise)"
    );
    println!(
        "leave-one-out, 1990, temperature_air_2m (each station hidden, predicted from the others):"
    );
    println!("  method              MAE (K)   bias (K)   cells");
    for (label, method, with_height) in [
        ("nearest", Method::Nearest, false),
        ("idw", Method::Idw, false),
        ("idw + lapse rate", Method::Idw, true),
    ] {
        let (mut abs, mut sum, mut count) = (0.0, 0.0, 0usize);
        for s in &stations {
            let spec = ValuesSpec {
                resolution: dwd_catalog::Resolution::Hourly,
                parameters: vec!["temperature_air_2m".into()],
                points: vec![Point {
                    id: s.id.to_string(),
                    latitude: s.lat,
                    longitude: s.lon,
                    height_m: with_height.then_some(s.height),
                }],
                to: Some(year_end),
                method,
                // stations are 20–60 km apart: a limit that always finds some
                max_km: Some(150.0),
                exclude: BTreeSet::from([s.id]),
                ..ValuesSpec::new(dwd_catalog::Resolution::Hourly)
            };
            let truth = read_truth(&layout, s.id, hours.min(8760))?;
            let plan = dwd_series::values::plan(
                &layout,
                &tables,
                &spec,
                dwd_series::output::Format::Parquet,
            )?;
            plan.run(&layout, &spec, &mut |b| {
                let ts = b.column(4).as_primitive::<TimestampMillisecondType>();
                let v = b.column(5).as_primitive::<Float64Type>();
                for i in 0..b.num_rows() {
                    let k = ((ts.value(i) - START) / H) as usize;
                    if let (false, Some(actual)) = (v.is_null(i), truth.get(k)) {
                        let e = v.value(i) - actual;
                        abs += e.abs();
                        sum += e;
                        count += 1;
                    }
                }
                Ok(())
            })?;
        }
        let c = count.max(1) as f64;
        println!(
            "  {label:<18} {:>8.3} {:>10.3} {count:>8}",
            abs / c,
            sum / c
        );
    }

    // timings
    let both = vec!["temperature_air_2m".to_owned(), "humidity".to_owned()];
    let leipzig = Point {
        id: "leipzig".into(),
        latitude: 51.34,
        longitude: 12.37,
        height_m: Some(113.0),
    };
    let one = ValuesSpec {
        resolution: dwd_catalog::Resolution::Hourly,
        parameters: both.clone(),
        points: vec![leipzig],
        method: Method::Idw,
        max_km: Some(80.0),
        ..ValuesSpec::new(dwd_catalog::Resolution::Hourly)
    };
    let (secs, rows) = timed(&layout, &tables, &one)?;
    println!(
        "one point, {years} years hourly, 2 parameters, idw: {secs:.3} s ({rows} rows; target < 1 s)"
    );
    let mut grid = Vec::new();
    for i in 0..100 {
        grid.push(Point {
            id: format!("g{i}"),
            latitude: 50.2 + (i / 10) as f64 * 0.2,
            longitude: 9.5 + (i % 10) as f64 * 0.4,
            height_m: Some(200.0),
        });
    }
    let many = ValuesSpec {
        points: grid,
        to: Some(year_end),
        ..one
    };
    let (secs, rows) = timed(&layout, &tables, &many)?;
    println!(
        "100 points, one year hourly, 2 parameters, idw: {secs:.3} s ({rows} rows; target < 2 s)"
    );
    Ok(())
}

/// `values` to Parquet in memory: (seconds, rows).
fn timed(
    layout: &dwd_series::OutputLayout,
    tables: &dwd_translate::Tables,
    spec: &ValuesSpec,
) -> anyhow::Result<(f64, u64)> {
    let t = Instant::now();
    let mut out = Vec::new();
    let r = dwd_series::values::values(
        layout,
        tables,
        spec,
        dwd_series::output::Format::Parquet,
        &mut out,
    )?;
    Ok((t.elapsed().as_secs_f64(), r.rows))
}

/// `n` stations scattered over 50–52.5° N, 9–14° E (ids from 100), each
/// with `years` of hourly series, and their `stations.parquet` (also the
/// archive of `bench serve`).
pub(crate) fn write_archive(
    layout: &dwd_series::OutputLayout,
    n: usize,
    years: i64,
    seed: u64,
) -> anyhow::Result<Vec<Station>> {
    write_archive_with(layout, n, n, years, seed)
}

/// As [`write_archive`], but only the first `with_series` stations have a
/// series (the others are listed only, as most of a real station list).
pub(crate) fn write_archive_with(
    layout: &dwd_series::OutputLayout,
    n: usize,
    with_series: usize,
    years: i64,
    seed: u64,
) -> anyhow::Result<Vec<Station>> {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let stations: Vec<Station> = (0..n)
        .map(|i| Station {
            id: 100 + i as u32,
            lat: 50.0 + rng.next(2500) as f64 / 1000.0,
            lon: 9.0 + rng.next(5000) as f64 / 1000.0,
            height: rng.next(900) as f64,
        })
        .collect();
    write_stations(layout, &stations)?;
    for s in stations.iter().take(with_series) {
        write_series(layout, s, years * 8766, &mut rng)?;
    }
    Ok(stations)
}

fn write_stations(layout: &dwd_series::OutputLayout, stations: &[Station]) -> anyhow::Result<()> {
    let list: Vec<(u32, f64, f64, f64)> = stations
        .iter()
        .map(|s| (s.id, s.lat, s.lon, s.height))
        .collect();
    dwd_series::testing::write_stations(layout, DS, &list).map_err(anyhow::Error::from_boxed)
}

fn write_series(
    layout: &dwd_series::OutputLayout,
    s: &Station,
    hours: i64,
    rng: &mut Rng,
) -> anyhow::Result<()> {
    let schema = dwd_series::testing::series_schema(&[
        ("temperature_air_2m", DataType::Float64, "°C"),
        ("humidity", DataType::Float64, "%"),
    ]);
    let n = hours as usize;
    let temps: Vec<f64> = (0..hours)
        .map(|h| temperature(s, h) + noise(rng, 0.5))
        .collect();
    let hums: Vec<f64> = (0..hours)
        .map(|h| (humidity(s, h) + noise(rng, 3.0)).clamp(0.0, 100.0))
        .collect();
    let batch = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(UInt32Array::from(vec![s.id; n])),
            Arc::new(
                arrow_array::TimestampMillisecondArray::from_iter_values(
                    (0..hours).map(|h| START + h * H),
                )
                .with_timezone("UTC"),
            ),
            Arc::new(Int32Array::from(vec![3; n])),
            Arc::new(Float64Array::from(temps)),
            Arc::new(Float64Array::from(hums)),
        ],
    )?;
    dwd_series::testing::write_table(&layout.series(DS, &format!("{:05}", s.id)), &batch)
        .map_err(anyhow::Error::from_boxed)
}

/// Station `id`'s temperatures of the first `hours` hours, by hour.
fn read_truth(layout: &dwd_series::OutputLayout, id: u32, hours: i64) -> anyhow::Result<Vec<f64>> {
    let file = std::fs::File::open(layout.series(DS, &format!("{id:05}")))?;
    let reader =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)?.build()?;
    let mut out = Vec::new();
    for b in reader {
        let b = b?;
        let v = b
            .column_by_name("temperature_air_2m")
            .context("no temperature column")?
            .as_primitive::<Float64Type>();
        out.extend(v.values().iter().copied());
        if out.len() as i64 >= hours {
            break;
        }
    }
    out.truncate(hours as usize);
    Ok(out)
}
