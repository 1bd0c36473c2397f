//! The contextual env's tasks: each series' scaled features plus its validation window.

use metablend_core::metrics::window::{mase as window_mase, smape as window_smape};
use metablend_env::contextual::{ContextPanel, ContextTask};

use super::PoolForecasts;
use crate::features::Features;
use crate::{Error, Result, Series};
use metablend_core::metrics;

/// Bound on a scaled feature.
const CLIP: f64 = 5.0;

/// Scales raw features for a learner: a signed log `sign(v)·ln(1 + |v|)` tames the heavy
/// tails (spike, lumpiness, lengths), then each feature is standardised with the mean and
/// sd of the series it was fitted on, clipped to ±5; NaN (a feature that does not apply)
/// and constant features become 0.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FeatureScaler {
    mean: Vec<f64>,
    sd: Vec<f64>,
}

fn signed_log(v: f64) -> f64 {
    v.signum() * v.abs().ln_1p()
}

impl FeatureScaler {
    /// Fits on the features of `rows` (indices into `features`).
    pub fn fit(features: &[Features], rows: &[usize]) -> Self {
        let dim = features.first().map_or(0, |f| f.values.len());
        let mut mean = vec![0.0; dim];
        let mut sd = vec![0.0; dim];
        for j in 0..dim {
            let vals: Vec<f64> = rows
                .iter()
                .map(|&i| signed_log(features[i].values[j]))
                .filter(|v| v.is_finite())
                .collect();
            if vals.len() < 2 {
                continue;
            }
            let m = vals.iter().sum::<f64>() / vals.len() as f64;
            let var = vals.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (vals.len() - 1) as f64;
            mean[j] = m;
            sd[j] = var.sqrt();
        }
        Self { mean, sd }
    }

    /// The number of features it scales.
    pub fn dim(&self) -> usize {
        self.mean.len()
    }

    /// The scaled features of one series.
    pub fn transform(&self, f: &Features) -> Vec<f64> {
        f.values
            .iter()
            .enumerate()
            .map(|(j, &v)| {
                let z = (signed_log(v) - self.mean[j]) / self.sd[j];
                if z.is_finite() {
                    z.clamp(-CLIP, CLIP)
                } else {
                    0.0
                }
            })
            .collect()
    }
}

/// One task per series: context = the scaled features of the whole training series; the
/// window = its last h values with the pool's validation forecasts; the MASE scale from the
/// values before the window with period `m`; the reference = Naive2's scores on the window.
/// Uses only the training series.
pub fn context_panel(
    pool: &PoolForecasts,
    features: &[Features],
    scaler: &FeatureScaler,
    train: &[Series],
    m: usize,
) -> Result<ContextPanel> {
    let n2 = pool.naive2_column()?;
    let h = pool.horizon;
    let tasks = train
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let n = s.values.len();
            let before = &s.values[..n - h];
            let target = s.values[n - h..].to_vec();
            let scale = metrics::mase_scale(before, m)?;
            if scale <= 0.0 {
                return Err(Error::InvalidInput(format!(
                    "series {}: the in-sample seasonal-naive MAE is 0 (constant history)",
                    s.name
                )));
            }
            Ok(context_task(
                &s.name,
                &features[i],
                scaler,
                target,
                pool.validation[i].clone(),
                scale,
                n2,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(ContextPanel::new(tasks, pool.names.clone())?)
}

/// One series' task (see [`context_panel`]): `target` is its validation window,
/// `forecasts[k]` model k's forecast of it, `scale` the MASE scale of the values before it
/// and `naive2` the pool column of the reference.
pub fn context_task(
    id: &str,
    features: &Features,
    scaler: &FeatureScaler,
    target: Vec<f64>,
    forecasts: Vec<Vec<f64>>,
    scale: f64,
    naive2: usize,
) -> ContextTask {
    let reference = &forecasts[naive2];
    ContextTask {
        id: id.to_string(),
        context: scaler.transform(features),
        reference: (
            window_smape(&target, reference),
            window_mase(&target, reference, scale),
        ),
        forecasts,
        target,
        mase_scale: scale,
    }
}
