//! `normals`: DWD's climate normals of the selected stations, from a
//! `multi_annual` dataset's `normals.parquet` (checked against the output
//! ledger first).

use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray, UInt32Array};
use arrow_schema::{DataType, Field as ArrowField, Schema};
use dwd_catalog::{Field, ReferencePeriod, said};
use parquet::file::metadata::KeyValue;

use crate::{JobError, RowSink, Session};

/// Which normals.
#[derive(Clone, Debug)]
pub struct NormalsRequest {
    pub period: ReferencePeriod,
    pub selection: dwd_catalog::Selection,
    /// English names; empty: all.
    pub parameters: Vec<String>,
    /// DWD's older normals of the period (its `_obsolete` folder: at the
    /// station's fixed place and at its current one), not the current ones.
    pub obsolete: bool,
}

/// What a normals answer held.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NormalsAnswer {
    /// The `multi_annual` dataset read.
    pub dataset: &'static str,
    pub rows: u64,
    pub stations: usize,
    /// Why it is empty, when it is.
    pub empty: Vec<String>,
}

/// The answer's columns: the station (id, name), the period, the
/// parameter with its unit, the month (null: the year), the value and
/// DWD's source code.
fn schema() -> Arc<Schema> {
    Arc::new(Schema::new(vec![
        ArrowField::new("station_id", DataType::UInt32, false),
        ArrowField::new("station_name", DataType::Utf8, true),
        ArrowField::new("period", DataType::Utf8, false),
        ArrowField::new("parameter", DataType::Utf8, false),
        ArrowField::new("unit", DataType::Utf8, true),
        ArrowField::new("month", DataType::UInt32, true),
        ArrowField::new("value", DataType::Float64, true),
        ArrowField::new("source", DataType::UInt32, true),
        ArrowField::new("location_rule", DataType::Utf8, true),
    ]))
}

impl Session {
    /// The normals of `request.period` for the selected stations and
    /// parameters, handed to `sink` as one table (a row per station,
    /// parameter and month, the year last), its metadata the rule, the
    /// units and what each source code means.
    pub fn normals_with(
        &self,
        request: &NormalsRequest,
        sink: &mut dyn RowSink,
    ) -> Result<NormalsAnswer, JobError> {
        let dataset = match request.obsolete {
            false => request.period.dataset(),
            true => request.period.obsolete_dataset().ok_or_else(|| {
                JobError::invalid_value(
                    Field::ReferencePeriod,
                    request.period,
                    said!("DWD publishes no older normals of this period"),
                )
            })?,
        };
        let layout = self.layout();
        crate::tables::check_items(Field::Parameters, &request.parameters)?;
        self.verify_served(dwd_catalog::Resolution::MultiAnnual, &[dataset.to_owned()])?;
        let normals = dwd_series::normals::read(&layout, dataset).map_err(JobError::Export)?;
        if normals.rows.is_empty() {
            return Err(JobError::NoNormals {
                period: request.period,
                dataset,
            });
        }
        let known = normals.parameters();
        let unknown: Vec<&str> = request
            .parameters
            .iter()
            .map(String::as_str)
            .filter(|p| !known.contains(p))
            .collect();
        if !unknown.is_empty() {
            return Err(JobError::invalid_value(
                Field::Parameters,
                unknown.join(","),
                said!(format!(
                    "the normals of {} have {}",
                    request.period,
                    known.join(", ")
                )),
            ));
        }
        let listed: std::collections::BTreeMap<u32, dwd_series::export::ListedStation> =
            dwd_series::export::stations(&layout, dataset)
                .map_err(JobError::Export)?
                .into_iter()
                .map(|s| (s.info.id, s))
                .collect();
        let sel = &request.selection;
        let chosen = |id: u32| match listed.get(&id) {
            Some(s) => sel.station_matches(&s.info),
            None => {
                !sel.needs_station_list() && (sel.stations.is_empty() || sel.stations.contains(&id))
            }
        };
        let rows: Vec<&dwd_series::normals::Normal> = normals
            .rows
            .iter()
            .filter(|n| request.parameters.is_empty() || request.parameters.contains(&n.parameter))
            .filter(|n| chosen(n.station_id))
            .collect();
        let mut meta = vec![KeyValue::new("normals".into(), normals.rule.clone())];
        meta.push(KeyValue::new(
            "selection".into(),
            format!("period {}; {}", request.period, sel.describe()),
        ));
        for (p, u) in &normals.units {
            meta.push(KeyValue::new(format!("unit.{p}"), u.clone()));
        }
        for (c, m) in &normals.sources {
            meta.push(KeyValue::new(format!("source.{c}"), m.clone()));
        }
        let schema = schema();
        sink.begin(schema.clone(), meta)?;
        let name = |id: u32| listed.get(&id).map(|s| s.info.name.clone());
        let columns: Vec<ArrayRef> = vec![
            Arc::new(UInt32Array::from_iter_values(
                rows.iter().map(|n| n.station_id),
            )),
            Arc::new(StringArray::from_iter(
                rows.iter().map(|n| name(n.station_id)),
            )),
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|n| n.period.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|n| n.parameter.as_str()),
            )),
            Arc::new(StringArray::from_iter(
                rows.iter()
                    .map(|n| normals.units.get(&n.parameter).map(String::as_str)),
            )),
            Arc::new(UInt32Array::from_iter(
                rows.iter().map(|n| n.month.map(u32::from)),
            )),
            Arc::new(Float64Array::from_iter(rows.iter().map(|n| n.value))),
            Arc::new(UInt32Array::from_iter(
                rows.iter().map(|n| n.source.map(u32::from)),
            )),
            Arc::new(StringArray::from_iter(
                rows.iter().map(|n| n.location_rule.as_deref()),
            )),
        ];
        let batch = RecordBatch::try_new(schema, columns)
            .map_err(|e| JobError::Export(dwd_series::export::ExportError::Arrow(e)))?;
        if batch.num_rows() > 0 {
            sink.batch(batch)?;
        }
        sink.finish()?;
        let stations: std::collections::BTreeSet<u32> = rows.iter().map(|n| n.station_id).collect();
        let mut empty = Vec::new();
        if rows.is_empty() {
            empty.push(format!(
                "no station of the {} normals ({} stations) matches the selection ({})",
                request.period,
                normals
                    .rows
                    .iter()
                    .map(|n| n.station_id)
                    .collect::<std::collections::BTreeSet<_>>()
                    .len(),
                sel.describe()
            ));
        }
        Ok(NormalsAnswer {
            dataset,
            rows: rows.len() as u64,
            stations: stations.len(),
            empty,
        })
    }

    /// DWD's published normals of `period` against those recomputed from
    /// the archive's own `monthly/kl` series (both checked against the
    /// output ledger first), with the stations' names.
    pub fn normals_cross_check(
        &self,
        period: ReferencePeriod,
    ) -> Result<
        (
            Vec<dwd_series::normals::CrossCheck>,
            std::collections::BTreeMap<u32, String>,
        ),
        JobError,
    > {
        self.verify_normals(period)?;
        self.verify_served(dwd_catalog::Resolution::Monthly, &["monthly/kl".to_owned()])?;
        let layout = self.layout();
        let names: std::collections::BTreeMap<u32, String> =
            dwd_series::export::stations(&layout, period.dataset())
                .map_err(JobError::Export)?
                .into_iter()
                .map(|s| (s.info.id, s.info.name))
                .collect();
        let rows = dwd_series::normals::cross_check(&layout, period).map_err(JobError::Export)?;
        Ok((rows, names))
    }

    /// [`Session::normals_with`]'s rows in memory.
    pub fn normals_rows(
        &self,
        request: &NormalsRequest,
    ) -> Result<(crate::Rows, NormalsAnswer), JobError> {
        let mut rows = crate::Rows::default();
        let answer = self.normals_with(request, &mut rows)?;
        Ok((rows, answer))
    }
}
