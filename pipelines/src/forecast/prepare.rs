//! What `fit` and `forecast` both compute: which series the pool can handle, the pool's
//! validation and future forecasts, the features and the meta-learner's tasks.

use metablend_core::fs::checksum::Fingerprint;
use metablend_core::{metrics, Progress};
use metablend_ensemble::features::{extract, Features};
use metablend_ensemble::forecast::GlobalMlpConfig;
use metablend_ensemble::meta::{
    context_panel, forecast_pool, forecast_window, FeatureScaler, PoolForecasts,
};
use metablend_ensemble::panel::Panel;
use metablend_ensemble::{ModelSpec, Series};
use metablend_env::contextual::ContextPanel;
use rayon::prelude::*;
use std::sync::Arc;

use super::earlier::EarlierWindow;
use crate::threads::on_all_cores;
use crate::{Error, Result};

/// The shortest series the pool is run on has more than this many observations: the
/// validation window, a history before it at least as long (plus a seasonal period) so
/// that the models fit and the MASE scale exists.
pub(crate) fn min_length(h: usize, m: usize) -> usize {
    2 * h + m.max(2)
}

/// The pool's work on the eligible series of a panel.
pub(crate) struct Prepared {
    /// Panel indices of the series the pool ran on, in panel order.
    pub eligible: Vec<usize>,
    /// The pool's forecasts (rows follow `eligible`).
    pub pool: PoolForecasts,
    /// The feature scaler (fitted here, or the meta-model's).
    pub scaler: FeatureScaler,
    /// One meta-learning task per eligible series (`None` when no series is eligible).
    pub ctx: Option<Arc<ContextPanel>>,
    /// The window before the validation window, when asked for (see
    /// [`Prepared::add_earlier_window`]).
    pub earlier: Option<EarlierWindow>,
}

impl Prepared {
    /// Runs the pool (with a global MLP when `global` is given), the features and builds the
    /// tasks for horizon `h` and season `m`, and with `earlier` the pool on the earlier window
    /// too. `scaler`: the meta-model's, or `None` to fit one on these series.
    pub fn new(
        panel: &Panel,
        models: &[ModelSpec],
        global: Option<&GlobalMlpConfig>,
        (h, m): (usize, usize),
        scaler: Option<&FeatureScaler>,
        earlier: bool,
        progress: &dyn Progress,
    ) -> Result<Self> {
        // Series are independent: every core, whatever the binary's global pool is.
        on_all_cores(|| {
            let mut prepared = Self::build(panel, models, global, (h, m), scaler, progress)?;
            if earlier {
                prepared.add_earlier_window(panel, models, global, (h, m), progress)?;
            }
            Ok(prepared)
        })?
    }

    fn build(
        panel: &Panel,
        models: &[ModelSpec],
        global: Option<&GlobalMlpConfig>,
        (h, m): (usize, usize),
        scaler: Option<&FeatureScaler>,
        progress: &dyn Progress,
    ) -> Result<Self> {
        let checked: Vec<Option<Features>> = panel
            .series
            .par_iter()
            .map(|s| {
                usable(&s.values, h, m)
                    .then(|| extract(&s.values, m).ok())
                    .flatten()
            })
            .collect();
        let eligible: Vec<usize> = (0..checked.len())
            .filter(|&i| checked[i].is_some())
            .collect();
        let features: Vec<Features> = checked.into_iter().flatten().collect();
        // The pool and the tasks read only ids and values: no stamps as text.
        let train: Vec<Series> = eligible
            .iter()
            .map(|&i| Series {
                name: panel.series[i].id.clone(),
                values: panel.series[i].values.clone(),
                timestamps: None,
            })
            .collect();
        progress.start("pool", 2 * train.len() as u64);
        let pool = if train.is_empty() {
            empty_pool(models, global.is_some(), h)?
        } else {
            forecast_pool(models, global, &train, h, progress)?
        };
        if progress.stop_requested() {
            return Err(Error::Interrupted("during the pool forecasts".into()));
        }
        let rows: Vec<usize> = (0..train.len()).collect();
        let scaler = scaler
            .cloned()
            .unwrap_or_else(|| FeatureScaler::fit(&features, &rows));
        let ctx = if train.is_empty() {
            None
        } else {
            Some(Arc::new(context_panel(
                &pool, &features, &scaler, &train, m,
            )?))
        };
        Ok(Self {
            eligible,
            pool,
            scaler,
            ctx,
            earlier: None,
        })
    }

    /// Runs the pool (and the global MLP, when given) on the window before each eligible
    /// series' validation window, for the series long enough to have one: more than
    /// [`min_length`] values before the validation window, and a positive MASE scale before
    /// the earlier window. The intervals calibrate on it (see the `intervals` module).
    fn add_earlier_window(
        &mut self,
        panel: &Panel,
        models: &[ModelSpec],
        global: Option<&GlobalMlpConfig>,
        (h, m): (usize, usize),
        progress: &dyn Progress,
    ) -> Result<()> {
        // (row, MASE scale before the earlier window) of the series long enough for it.
        let (rows, scales): (Vec<usize>, Vec<f64>) = (0..self.eligible.len())
            .filter_map(|r| {
                let values = &panel.series[self.eligible[r]].values;
                if values.len() <= min_length(h, m) + h {
                    return None;
                }
                let scale = metrics::mase_scale(&values[..values.len() - 2 * h], m).ok()?;
                (scale > 0.0 && scale.is_finite()).then_some((r, scale))
            })
            .unzip();
        let series: Vec<Series> = rows
            .iter()
            .map(|&r| {
                let s = &panel.series[self.eligible[r]];
                Series {
                    name: s.id.clone(),
                    values: s.values[..s.values.len() - h].to_vec(),
                    timestamps: None,
                }
            })
            .collect();
        progress.start("calibration window", series.len() as u64);
        let (forecasts, _) = if series.is_empty() {
            (Vec::new(), Vec::new())
        } else {
            forecast_window(models, global, &series, h, h, "calibration", progress)?
        };
        if progress.stop_requested() {
            return Err(Error::Interrupted("during the calibration window".into()));
        }
        self.earlier = Some(EarlierWindow {
            targets: series
                .iter()
                .map(|s| s.values[s.values.len() - h..].to_vec())
                .collect(),
            scales,
            rows,
            forecasts,
        });
        Ok(())
    }

    /// The ids of the series that were not eligible (they get the fallback).
    pub fn fallback_ids(&self, panel: &Panel) -> Vec<String> {
        (0..panel.series.len())
            .filter(|i| self.eligible.binary_search(i).is_err())
            .map(|i| panel.series[i].id.clone())
            .collect()
    }
}

/// Long enough, and with a history before the validation window whose seasonal differences
/// are not all zero (the MASE scale must exist).
fn usable(values: &[f64], h: usize, m: usize) -> bool {
    values.len() > min_length(h, m)
        && metrics::mase_scale(&values[..values.len() - h], m).is_ok_and(|s| s > 0.0)
}

fn empty_pool(models: &[ModelSpec], global: bool, h: usize) -> Result<PoolForecasts> {
    let mut names = models
        .iter()
        .map(|s| Ok(s.build()?.name().to_string()))
        .collect::<metablend_ensemble::Result<Vec<_>>>()?;
    if global {
        names.push("global_mlp".into());
    }
    Ok(PoolForecasts {
        names,
        series: Vec::new(),
        horizon: h,
        validation: Vec::new(),
        test: Vec::new(),
        failures: Vec::new(),
    })
}

/// A SHA-256 of the panel's ids and values.
pub(crate) fn fingerprint(panel: &Panel) -> String {
    let mut f = Fingerprint::new();
    for s in &panel.series {
        f.text(&s.id).numbers(&s.values);
    }
    f.finish()
}
