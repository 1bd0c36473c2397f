//! Prediction intervals by split conformal prediction across series: on every eligible
//! series' validation window (the last `h` observations, forecast from the values before
//! them, combined with the weights the series gets), the absolute error at step `j` is
//! divided by the series' MASE scale; the interval at step `j` of any series is its
//! forecast ± the conformal quantile of those scaled errors times its own scale. Series on
//! the fallback use the quantiles of Naive2's own validation errors instead.
//!
//! Assumptions: the series' scaled errors are exchangeable (one pooled distribution per
//! step), and the last window behaves like the future one. The quantile is the
//! `⌈(n + 1)·level⌉`-th smallest of n errors, so a level needs enough series
//! (19 for 95%); with fewer, the interval is unavailable and an error says how many.

use metablend_core::metrics;
use metablend_env::contextual::ContextPanel;

use crate::{Error, Result};

/// The scaled-error quantile per step and level, `quantiles[l][j]`, for the combined
/// forecasts and for the fallback (Naive2's errors).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Calibration {
    pub quantiles: Vec<Vec<f64>>,
    pub fallback: Vec<Vec<f64>>,
}

/// Checks levels: each in (0, 100), as statsforecast's `level`.
pub(crate) fn check_levels(levels: &[f64]) -> Result<()> {
    for &l in levels {
        if !(l > 0.0 && l < 100.0) {
            return Err(Error::Settings(format!(
                "level {l}: a prediction interval's level is a percentage in (0, 100)"
            )));
        }
    }
    Ok(())
}

/// Calibrates on the tasks' validation windows: the combination with `weights` (one row
/// per task) for the combined forecasts, and Naive2 alone (pool column `naive2`) for the
/// series that get the fallback, whose errors are those of Naive2, not of a combination.
pub(crate) fn calibrate(
    ctx: &ContextPanel,
    weights: &[Vec<f64>],
    naive2: usize,
    levels: &[f64],
) -> Result<Calibration> {
    let mut one_hot = vec![0.0; ctx.model_names().len()];
    one_hot[naive2] = 1.0;
    let fallback_weights = vec![one_hot; ctx.tasks().len()];
    Ok(Calibration {
        quantiles: quantiles(ctx, weights, levels)?,
        fallback: quantiles(ctx, &fallback_weights, levels)?,
    })
}

/// The conformal quantile of the scaled errors per level and step.
fn quantiles(ctx: &ContextPanel, weights: &[Vec<f64>], levels: &[f64]) -> Result<Vec<Vec<f64>>> {
    let tasks = ctx.tasks();
    let h = tasks.first().map_or(0, |t| t.target.len());
    let n = tasks.len();
    let mut by_step: Vec<Vec<f64>> = vec![Vec::with_capacity(n); h];
    for (task, w) in tasks.iter().zip(weights) {
        for (j, errors) in by_step.iter_mut().enumerate() {
            let combined: f64 = w.iter().zip(&task.forecasts).map(|(wk, f)| wk * f[j]).sum();
            errors.push((task.target[j] - combined).abs() / task.mase_scale);
        }
    }
    for errors in &mut by_step {
        errors.sort_by(f64::total_cmp);
    }
    levels
        .iter()
        .map(|&level| {
            let rank = ((n + 1) as f64 * level / 100.0).ceil() as usize;
            if rank > n {
                let needed = (100.0 / (100.0 - level)).ceil() as usize - 1;
                return Err(Error::Settings(format!(
                    "a {level}% interval needs at least {needed} series long enough for the \
                     pool (the panel has {n})"
                )));
            }
            Ok(by_step.iter().map(|e| e[rank.max(1) - 1]).collect())
        })
        .collect()
}

/// The scale of a series' errors: its in-sample seasonal-naive MAE with period `m`, or
/// with period 1 when it is shorter than two periods; `None` when neither exists.
pub(crate) fn series_scale(values: &[f64], m: usize) -> Option<f64> {
    [m, 1].into_iter().find_map(|p| {
        metrics::mase_scale(values, p)
            .ok()
            .filter(|s| s.is_finite())
    })
}

impl Calibration {
    /// The (lower, upper) bounds per level for a forecast with scale `scale`, made by the
    /// combination or (`fallback`) by the fallback.
    pub fn bounds(
        &self,
        forecast: &[f64],
        scale: f64,
        fallback: bool,
    ) -> Vec<(Vec<f64>, Vec<f64>)> {
        let quantiles = if fallback {
            &self.fallback
        } else {
            &self.quantiles
        };
        quantiles
            .iter()
            .map(|q| {
                let lo = forecast.iter().zip(q).map(|(f, q)| f - q * scale).collect();
                let hi = forecast.iter().zip(q).map(|(f, q)| f + q * scale).collect();
                (lo, hi)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_percentages() {
        assert!(check_levels(&[80.0, 95.0]).is_ok());
        assert!(check_levels(&[0.95 * 100.0]).is_ok());
        assert!(check_levels(&[100.0]).is_err() && check_levels(&[-5.0]).is_err());
    }

    #[test]
    fn bounds_are_symmetric_and_scaled() {
        let c = Calibration {
            quantiles: vec![vec![1.0, 2.0]],
            fallback: vec![vec![2.0, 4.0]],
        };
        let b = c.bounds(&[10.0, 20.0], 3.0, false);
        assert_eq!(b, vec![(vec![7.0, 14.0], vec![13.0, 26.0])]);
        let b = c.bounds(&[10.0, 20.0], 1.0, true);
        assert_eq!(b, vec![(vec![8.0, 16.0], vec![12.0, 24.0])]);
        assert_eq!(series_scale(&[1.0, 2.0, 4.0], 7), Some(1.5));
        assert_eq!(series_scale(&[1.0], 7), None);
    }
}
