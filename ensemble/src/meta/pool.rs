//! The base models' forecasts of each series' validation window and test horizon.

use metablend_core::Progress;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::forecast::{GlobalMlp, GlobalMlpConfig, ModelSpec};
use crate::{Error, Result, Series};

/// A base model that failed on a series; its forecast there is Naive2's instead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoolFailure {
    /// The model's name.
    pub model: String,
    /// The series' name.
    pub series: String,
    /// Validation or test fit.
    pub stage: String,
    /// The error.
    pub error: String,
}

/// `validation[i][k]`: model k's forecast of the last h training values of series i, made
/// from the values before them; `test[i][k]`: its forecast of the h values after the
/// training series, made from the whole training series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoolForecasts {
    /// Model names (columns).
    pub names: Vec<String>,
    /// Series names (rows).
    pub series: Vec<String>,
    /// Forecast horizon.
    pub horizon: usize,
    /// Validation-window forecasts.
    pub validation: Vec<Vec<Vec<f64>>>,
    /// Test-horizon forecasts.
    pub test: Vec<Vec<Vec<f64>>>,
    /// Fits that failed (replaced by Naive2's forecast).
    pub failures: Vec<PoolFailure>,
}

impl PoolForecasts {
    /// The column of a model.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// The Naive2 column (the M4 losses' reference).
    pub fn naive2_column(&self) -> Result<usize> {
        self.names
            .iter()
            .position(|n| n.starts_with("naive2_"))
            .ok_or_else(|| Error::Config("the pool has no Naive2 column".into()))
    }
}

/// Forecasts every series' validation window and test horizon with each model of `specs`
/// and, when `global` is given, a global MLP (trained once on the histories before the
/// validation windows and once on the whole training series). Reads only `train`.
/// `specs` must include Naive2 (`naive2:m`), the fallback for a failed fit and the
/// reference of the M4 losses. `progress` advances once per series and stage.
pub fn forecast_pool(
    specs: &[ModelSpec],
    global: Option<&GlobalMlpConfig>,
    train: &[Series],
    horizon: usize,
    progress: &dyn Progress,
) -> Result<PoolForecasts> {
    naive2_index(specs)?;
    let mut names: Vec<String> = specs
        .iter()
        .map(|s| Ok(s.build()?.name().to_string()))
        .collect::<Result<_>>()?;
    if let Some(dup) = names
        .iter()
        .enumerate()
        .find(|(i, n)| names[..*i].contains(n))
    {
        return Err(Error::Config(format!(
            "model {} appears twice in the pool",
            dup.1
        )));
    }
    for s in train {
        if s.values.len() <= 2 * horizon {
            return Err(Error::TooShort {
                model: format!("pool (series {})", s.name),
                needed: 2 * horizon + 1,
                got: s.values.len(),
            });
        }
    }
    let mut failures = Vec::new();
    let mut stages = Vec::new();
    for (stage, cut) in [("validation", horizon), ("test", 0)] {
        let (forecasts, fail) =
            forecast_window(specs, global, train, horizon, cut, stage, progress)?;
        failures.extend(fail);
        stages.push(forecasts);
    }
    if global.is_some() {
        names.push("global_mlp".into());
    }
    let test = stages.pop().expect("two stages");
    let validation = stages.pop().expect("two stages");
    Ok(PoolForecasts {
        names,
        series: train.iter().map(|s| s.name.clone()).collect(),
        horizon,
        validation,
        test,
        failures,
    })
}

/// `[series][model][step]`: every model's forecast of one window of every series.
pub type WindowForecasts = Vec<Vec<Vec<f64>>>;

/// Every model's forecast (`[series][model][step]`, the global MLP last when given) of the
/// `horizon` values after each series' first `len - cut` values, made from those values
/// alone; a failed fit is replaced by Naive2's forecast and reported. `specs[naive2]`
/// must be Naive2 (see [`forecast_pool`]); `progress` advances once per series.
pub fn forecast_window(
    specs: &[ModelSpec],
    global: Option<&GlobalMlpConfig>,
    train: &[Series],
    horizon: usize,
    cut: usize,
    stage: &str,
    progress: &dyn Progress,
) -> Result<(WindowForecasts, Vec<PoolFailure>)> {
    let naive2 = naive2_index(specs)?;
    // One series per job, so an expensive series late in the panel does not leave the
    // other cores idle.
    let rows: Vec<(Vec<Vec<f64>>, Vec<PoolFailure>)> = train
        .par_iter()
        .with_max_len(1)
        .map(|s| {
            if progress.stop_requested() {
                return Err(Error::Interrupted(format!("pool forecasts of {}", s.name)));
            }
            let end = s
                .values
                .len()
                .checked_sub(cut)
                .filter(|&e| e > 0)
                .ok_or_else(|| Error::TooShort {
                    model: format!("pool (series {})", s.name),
                    needed: cut + 1,
                    got: s.values.len(),
                })?;
            let out = forecast_series(specs, naive2, &s.values[..end], horizon, &s.name, stage);
            progress.advance(1);
            out
        })
        .collect::<Result<_>>()?;
    let mut forecasts = Vec::with_capacity(rows.len());
    let mut failures = Vec::new();
    for (f, fail) in rows {
        forecasts.push(f);
        failures.extend(fail);
    }
    if let Some(config) = global {
        let histories: Vec<&[f64]> = train
            .iter()
            .map(|s| &s.values[..s.values.len() - cut])
            .collect();
        let model = GlobalMlp::fit(config.clone(), &histories, horizon)?;
        for (row, f) in forecasts.iter_mut().zip(model.forecast(&histories)?) {
            row.push(f);
        }
    }
    Ok((forecasts, failures))
}

/// Every model's forecast of the `horizon` values after `history` (one series' values up
/// to a window), as [`forecast_window`] makes them for one series without a global MLP: a
/// failed fit is replaced by Naive2's forecast and reported under `series` and `stage`.
pub fn forecast_history(
    specs: &[ModelSpec],
    history: &[f64],
    horizon: usize,
    series: &str,
    stage: &str,
) -> Result<(Vec<Vec<f64>>, Vec<PoolFailure>)> {
    forecast_series(specs, naive2_index(specs)?, history, horizon, series, stage)
}

/// Where Naive2 is in the pool (it must be: the fallback and the losses' reference).
fn naive2_index(specs: &[ModelSpec]) -> Result<usize> {
    specs
        .iter()
        .position(|s| matches!(s, ModelSpec::Naive2 { .. }))
        .ok_or_else(|| Error::Config("the pool must include Naive2 (naive2:M)".into()))
}

fn forecast_series(
    specs: &[ModelSpec],
    naive2: usize,
    history: &[f64],
    horizon: usize,
    series: &str,
    stage: &str,
) -> Result<(Vec<Vec<f64>>, Vec<PoolFailure>)> {
    let run = |spec: &ModelSpec| -> Result<Vec<f64>> {
        let mut model = spec.build()?;
        model.fit(history)?;
        let f = model.forecast(horizon)?;
        if f.iter().all(|v| v.is_finite()) {
            Ok(f)
        } else {
            Err(Error::FitFailed {
                model: model.name().to_string(),
                detail: "non-finite forecast".into(),
            })
        }
    };
    let results: Vec<Result<Vec<f64>>> = specs.iter().map(run).collect();
    let fallback = match &results[naive2] {
        Ok(f) => f.clone(),
        Err(e) => {
            return Err(Error::FitFailed {
                model: "naive2".into(),
                detail: format!("series {series}: {e}"),
            })
        }
    };
    let mut failures = Vec::new();
    let forecasts = specs
        .iter()
        .zip(results)
        .map(|(spec, result)| match result {
            Ok(f) => f,
            Err(e) => {
                failures.push(PoolFailure {
                    model: spec.to_string(),
                    series: series.to_string(),
                    stage: stage.to_string(),
                    error: e.to_string(),
                });
                fallback.clone()
            }
        })
        .collect();
    Ok((forecasts, failures))
}
