//! The forecasts: one row per series and step, with the combined forecast, each pool
//! model's forecast and the weights, written as CSV in statsforecast's long shape.

use std::path::Path;

use metablend_ensemble::ModelSpec;
use serde::{Deserialize, Serialize};

use super::intervals::{Calibration, CalibrationInfo, MadeBy};
use super::model::ModelCard;
use super::prepare::Prepared;
use super::work::{FutureForecasts, SeriesFuture};
use crate::{Error, Result};

/// The name of the combined forecast's column.
pub const COMBINED: &str = "metablend";

/// One series' forecast of one step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForecastRow {
    /// The series' id.
    pub unique_id: String,
    /// The step's stamp, continuing the series' own stamps.
    pub ds: String,
    /// The combined forecast.
    pub forecast: f64,
    /// Each pool model's forecast (empty for a fallback series).
    pub models: Vec<f64>,
    /// Each pool model's weight (empty for a fallback series).
    pub weights: Vec<f64>,
    /// `(lower, upper)` of the combined forecast per level of [`Forecasts::levels`]; NaN
    /// where the series has no error scale (a single observation).
    pub intervals: Vec<(f64, f64)>,
    /// `model_intervals[k][l]`: pool model k's own `(lower, upper)` at level l, calibrated
    /// the same way on its errors alone (empty for a fallback series).
    pub model_intervals: Vec<Vec<(f64, f64)>>,
    /// `None` for a combined forecast, else the fallback that made it (`naive2`, `naive`).
    pub fallback: Option<String>,
}

/// All series' forecasts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Forecasts {
    /// The pool's model names (the per-model and weight columns).
    pub names: Vec<String>,
    /// Steps per series.
    pub horizon: usize,
    /// The intervals' levels (percentages).
    pub levels: Vec<f64>,
    /// Rows, series by series in panel order, step by step.
    pub rows: Vec<ForecastRow>,
    /// How the intervals were calibrated (`None` without intervals).
    pub calibration: Option<CalibrationInfo>,
}

impl Forecasts {
    /// The ids of the series that got a fallback.
    pub fn fallbacks(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self
            .rows
            .iter()
            .filter(|r| r.fallback.is_some())
            .map(|r| r.unique_id.as_str())
            .collect();
        ids.dedup();
        ids
    }

    /// Writes `unique_id,ds,metablend,[metablend-lo-L,metablend-hi-L...],<model>,
    /// [<model>-lo-L,<model>-hi-L...]...,w_<model>...,fallback` atomically (statsforecast's
    /// interval names); the model and weight cells of a fallback series are empty, and so
    /// is an unavailable bound.
    pub fn write_csv(&self, path: &Path) -> Result<()> {
        metablend_core::fs::write_file(path, |w| {
            let mut out = csv::Writer::from_writer(w);
            let mut header = vec!["unique_id".to_string(), "ds".into(), COMBINED.into()];
            for l in &self.levels {
                header.push(format!("{COMBINED}-lo-{l}"));
                header.push(format!("{COMBINED}-hi-{l}"));
            }
            for n in &self.names {
                header.push(n.clone());
                for l in &self.levels {
                    header.push(format!("{n}-lo-{l}"));
                    header.push(format!("{n}-hi-{l}"));
                }
            }
            header.extend(self.names.iter().map(|n| format!("w_{n}")));
            header.push("fallback".into());
            out.write_record(&header)?;
            // A fallback series has no model or weight cells; an unavailable bound is empty.
            let cells = |v: &[f64]| -> Vec<String> {
                if v.is_empty() {
                    vec![String::new(); self.names.len()]
                } else {
                    v.iter().map(f64::to_string).collect()
                }
            };
            let levels = self.levels.len();
            let bound = |v: f64| {
                if v.is_finite() {
                    v.to_string()
                } else {
                    String::new()
                }
            };
            for r in &self.rows {
                let mut record = vec![r.unique_id.clone(), r.ds.clone(), r.forecast.to_string()];
                for &(lo, hi) in &r.intervals {
                    record.push(bound(lo));
                    record.push(bound(hi));
                }
                for k in 0..self.names.len() {
                    record.push(r.models.get(k).map_or_else(String::new, f64::to_string));
                    for l in 0..levels {
                        let (lo, hi) = r
                            .model_intervals
                            .get(k)
                            .map_or((f64::NAN, f64::NAN), |b| b[l]);
                        record.push(bound(lo));
                        record.push(bound(hi));
                    }
                }
                record.extend(cells(&r.weights));
                record.push(r.fallback.clone().unwrap_or_default());
                out.write_record(&record)?;
            }
            out.flush()
        })?;
        Ok(())
    }
}

/// Combines the pool's future forecasts with the weights; fallback series get Naive2's (or
/// naive's) forecast from their whole history.
pub(crate) fn assemble(
    card: &ModelCard,
    prepared: &Prepared,
    weights: &[Vec<f64>],
    levels: &[f64],
    calibration: Option<&Calibration>,
) -> Result<Forecasts> {
    let h = card.horizon;
    let mut rows = Vec::with_capacity(prepared.futures.len() * h);
    let mut next_eligible = prepared.eligible.iter().enumerate().peekable();
    for (i, future) in prepared.futures.iter().enumerate() {
        let w = next_eligible
            .next_if(|(_, &e)| e == i)
            .map(|(row, _)| &weights[row][..]);
        rows.extend(series_rows(future, w, levels.len(), calibration)?);
    }
    Ok(Forecasts {
        names: card.names.clone(),
        horizon: h,
        levels: levels.to_vec(),
        rows,
        calibration: calibration.map(|c| c.info.clone()),
    })
}

/// One series' rows: the pool's forecasts combined with `weights` (its fallback's when it
/// has no pool forecasts), with the intervals of `calibration` at its `levels` levels.
pub(crate) fn series_rows(
    future: &SeriesFuture,
    weights: Option<&[f64]>,
    levels: usize,
    calibration: Option<&Calibration>,
) -> Result<Vec<ForecastRow>> {
    let h = future.stamps.len();
    let (values, members, fallback_name) = match (&future.forecasts, weights) {
        (FutureForecasts::Pool(f), Some(w)) => {
            if w.len() != f.len() {
                return Err(Error::Settings(format!(
                    "series {}: {} weights for {} pool forecasts",
                    future.id,
                    w.len(),
                    f.len()
                )));
            }
            let values: Vec<f64> = (0..h)
                .map(|j| w.iter().zip(f).map(|(wk, fk)| wk * fk[j]).sum())
                .collect();
            (values, Some((f, w)), None)
        }
        (FutureForecasts::Pool(_), None) => {
            return Err(Error::Settings(format!(
                "series {}: pool forecasts without weights",
                future.id
            )))
        }
        (FutureForecasts::Fallback { name, values }, _) => (values.clone(), None, Some(name)),
    };
    // The bounds per level of `forecast` made by `by`; NaN without an error scale.
    let bounds = |forecast: &[f64], by: MadeBy| match (calibration, future.scale) {
        (None, _) => Vec::new(),
        (Some(c), Some(scale)) => c.bounds(forecast, scale, by),
        (Some(_), None) => vec![(vec![f64::NAN; h], vec![f64::NAN; h]); levels],
    };
    let by = if fallback_name.is_some() {
        MadeBy::Fallback
    } else {
        MadeBy::Combination
    };
    let combined_bounds = bounds(&values, by);
    let member_bounds: Vec<Vec<(Vec<f64>, Vec<f64>)>> = members.map_or_else(Vec::new, |(f, _)| {
        f.iter()
            .enumerate()
            .map(|(k, fk)| bounds(fk, MadeBy::Member(k)))
            .collect()
    });
    Ok((0..h)
        .map(|j| ForecastRow {
            unique_id: future.id.clone(),
            ds: future.stamps[j].clone(),
            forecast: values[j],
            models: members.map_or_else(Vec::new, |(f, _)| f.iter().map(|fk| fk[j]).collect()),
            weights: members.map_or_else(Vec::new, |(_, w)| w.to_vec()),
            intervals: combined_bounds
                .iter()
                .map(|(lo, hi)| (lo[j], hi[j]))
                .collect(),
            model_intervals: member_bounds
                .iter()
                .map(|per_level| per_level.iter().map(|(lo, hi)| (lo[j], hi[j])).collect())
                .collect(),
            fallback: fallback_name.cloned(),
        })
        .collect())
}

/// Naive2 with the model's period where the series has more than one period, else naive.
pub(crate) fn fallback(values: &[f64], h: usize, m: usize) -> Result<(String, Vec<f64>)> {
    let mut last_error = None;
    for (name, spec) in [
        ("naive2", ModelSpec::Naive2 { m }),
        ("naive", ModelSpec::Naive),
    ] {
        let attempt = spec.build().and_then(|mut model| {
            model.fit(values)?;
            model.forecast(h)
        });
        match attempt {
            Ok(f) if f.iter().all(|v| v.is_finite()) => return Ok((name.to_string(), f)),
            Ok(_) => {}
            Err(e) => last_error = Some(e),
        }
    }
    Err(Error::Settings(format!(
        "no fallback forecast possible: {}",
        last_error.map_or("non-finite forecasts".into(), |e| e.to_string())
    )))
}
