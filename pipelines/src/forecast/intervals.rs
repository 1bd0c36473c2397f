//! Prediction intervals by split conformal prediction across series: on a calibration
//! window of every series that has one, the absolute error at step `j` of the series'
//! combined forecast (made from the values before the window, combined with the weights the
//! series gets) is divided by the series' MASE scale; the interval at step `j` of any series
//! is its forecast ± the conformal quantile of those scaled errors times its own scale.
//!
//! The calibration window is the `h` values *before* the validation window. The validation
//! window itself chose the weights (a meta-learner or a rule reads the pool's errors
//! there), so its errors are optimistic: on M4 Hourly, best-on-validation's validation
//! errors gave 68% coverage at 80%, equal weights' (which read nothing) 79%. Where fewer
//! series have the earlier window than a level needs, the validation window is used and
//! [`CalibrationInfo`] says so. Series on the fallback use the quantiles of Naive2's own
//! validation errors (Naive2 chooses nothing).
//!
//! Each pool model gets its own intervals the same way (its errors alone on the same
//! window), so a combination's intervals can be compared with its members', as
//! statsforecast reports one interval per model.
//!
//! Assumptions: the series' scaled errors are exchangeable (one pooled distribution per
//! step), and the calibration window behaves like the future one. The quantile is the
//! `⌈(n + 1)·level⌉`-th smallest of n errors, so a level needs enough series
//! (19 for 95%); with fewer, the interval is unavailable and an error says how many.
//!
//! Which series calibrate is [`CalibrateOn`]'s choice: the forecast panel's own, or those
//! the model was fitted on (the work it kept), whose errors are as exchangeable with a new
//! series' as the panel's are when the new series are of the same kind. A panel of a few
//! series can then have intervals, and a panel of new series skips the earlier window's
//! pool run (a third of the pool's work).

use metablend_core::metrics;
use metablend_env::contextual::ContextPanel;
use serde::{Deserialize, Serialize};

use super::earlier::EarlierWindow;
use crate::{Error, Result};

/// Which series' errors calibrate the intervals of a forecast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum CalibrateOn {
    /// The forecast panel's where enough of its series have the earlier window for every
    /// level, else the model's fitted series' where the model kept their work with that
    /// window, else the forecast panel's validation windows.
    #[default]
    Auto,
    /// The forecast panel's own series (the earlier window where enough series have it,
    /// else the validation window).
    Panel,
    /// The series the model was fitted on, from the work it kept: the forecast panel's pool
    /// then runs on the validation window and the future only. Needs a model fitted with
    /// its work kept (`keep_work`, the default).
    Model,
}

impl std::str::FromStr for CalibrateOn {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "auto" => Ok(Self::Auto),
            "panel" => Ok(Self::Panel),
            "model" => Ok(Self::Model),
            other => Err(Error::Settings(format!(
                "calibration `{other}`: choose auto, panel or model"
            ))),
        }
    }
}

/// Which series and window calibrated the combined forecasts' intervals, on how many series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationInfo {
    /// Whose series: [`CalibrateOn::Panel`] (the forecast panel's) or
    /// [`CalibrateOn::Model`] (those the model was fitted on).
    pub on: CalibrateOn,
    /// `earlier` (the window before the validation window) or `validation`.
    pub window: String,
    /// Series whose errors were pooled.
    pub series: usize,
}

/// One series' calibration values: the window's target, each model's forecast, the scale
/// and the series' weights.
type Window<'a> = (&'a [f64], &'a [Vec<f64>], f64, &'a [f64]);

/// The scaled-error quantile per step and level, `quantiles[l][j]`, for the combined
/// forecasts, for each pool model alone (`members[k]`) and for the fallback (Naive2's
/// errors): what every series' intervals are made of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    pub(crate) quantiles: Vec<Vec<f64>>,
    pub(crate) members: Vec<Vec<Vec<f64>>>,
    pub(crate) fallback: Vec<Vec<f64>>,
    /// Which window calibrated it, on how many series.
    pub info: CalibrationInfo,
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

/// Whether `n` series' errors are enough for an interval at every one of `levels`.
pub(crate) fn enough(n: usize, levels: &[f64]) -> bool {
    levels.iter().all(|&l| rank(n, l) <= n)
}

/// Calibrates the combination with `weights` (one row per task), and each pool model alone,
/// on the earlier window where enough series have it, else on the validation windows; and
/// Naive2 alone (pool column `naive2`) on the validation windows for the series that get the
/// fallback. `on` says whose series these are.
pub(crate) fn calibrate(
    ctx: &ContextPanel,
    earlier: Option<&EarlierWindow>,
    weights: &[Vec<f64>],
    naive2: usize,
    levels: &[f64],
    on: CalibrateOn,
) -> Result<Calibration> {
    let k = ctx.model_names().len();
    let one_hot: Vec<Vec<f64>> = (0..k)
        .map(|i| (0..k).map(|j| f64::from(u8::from(i == j))).collect())
        .collect();
    let fallback = quantiles(&validation(ctx, &|_| &one_hot[naive2]), levels)?;
    let earlier = earlier.filter(|e| enough(e.rows.len(), levels));
    let combined = windows(ctx, earlier, &|i| &weights[i][..]);
    let info = CalibrationInfo {
        on,
        window: if earlier.is_some() {
            "earlier"
        } else {
            "validation"
        }
        .into(),
        series: combined.len(),
    };
    let members = one_hot
        .iter()
        .map(|hot| quantiles(&windows(ctx, earlier, &|_| &hot[..]), levels))
        .collect::<Result<_>>()?;
    Ok(Calibration {
        quantiles: quantiles(&combined, levels)?,
        members,
        fallback,
        info,
    })
}

/// The calibration windows: the earlier window's where given, else the validation
/// windows; task `i` combined with `weights(i)`.
fn windows<'a>(
    ctx: &'a ContextPanel,
    earlier: Option<&'a EarlierWindow>,
    weights: &dyn Fn(usize) -> &'a [f64],
) -> Vec<Window<'a>> {
    match earlier {
        Some(e) => (0..e.rows.len())
            .map(|r| {
                let w = weights(e.rows[r]);
                (&e.targets[r][..], &e.forecasts[r][..], e.scales[r], w)
            })
            .collect(),
        None => validation(ctx, weights),
    }
}

/// The tasks' validation windows, task `i` combined with `weights(i)`.
fn validation<'a>(ctx: &'a ContextPanel, weights: &dyn Fn(usize) -> &'a [f64]) -> Vec<Window<'a>> {
    ctx.tasks()
        .iter()
        .enumerate()
        .map(|(i, t)| (&t.target[..], &t.forecasts[..], t.mase_scale, weights(i)))
        .collect()
}

/// The `⌈(n + 1)·level⌉`-th smallest of n values is the conformal quantile.
fn rank(n: usize, level: f64) -> usize {
    ((n + 1) as f64 * level / 100.0).ceil() as usize
}

/// The conformal quantile of the scaled errors per level and step.
fn quantiles(windows: &[Window], levels: &[f64]) -> Result<Vec<Vec<f64>>> {
    let h = windows.first().map_or(0, |w| w.0.len());
    let n = windows.len();
    let mut by_step: Vec<Vec<f64>> = vec![Vec::with_capacity(n); h];
    for &(target, forecasts, scale, w) in windows {
        for (j, errors) in by_step.iter_mut().enumerate() {
            let combined: f64 = w.iter().zip(forecasts).map(|(wk, f)| wk * f[j]).sum();
            errors.push((target[j] - combined).abs() / scale);
        }
    }
    for errors in &mut by_step {
        errors.sort_by(f64::total_cmp);
    }
    levels
        .iter()
        .map(|&level| {
            let rank = rank(n, level);
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

/// What made a forecast whose interval is wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MadeBy {
    /// The combination of the pool.
    Combination,
    /// Pool model `k` alone.
    Member(usize),
    /// The fallback of a series too short for the pool.
    Fallback,
}

impl Calibration {
    /// The (lower, upper) bounds per level for a forecast with scale `scale`, made by `by`.
    pub(crate) fn bounds(
        &self,
        forecast: &[f64],
        scale: f64,
        by: MadeBy,
    ) -> Vec<(Vec<f64>, Vec<f64>)> {
        let quantiles = match by {
            MadeBy::Combination => &self.quantiles,
            MadeBy::Member(k) => &self.members[k],
            MadeBy::Fallback => &self.fallback,
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
            members: vec![vec![vec![0.5, 1.0]]],
            fallback: vec![vec![2.0, 4.0]],
            info: CalibrationInfo {
                on: CalibrateOn::Panel,
                window: "earlier".into(),
                series: 1,
            },
        };
        let b = c.bounds(&[10.0, 20.0], 3.0, MadeBy::Combination);
        assert_eq!(b, vec![(vec![7.0, 14.0], vec![13.0, 26.0])]);
        let b = c.bounds(&[10.0, 20.0], 1.0, MadeBy::Fallback);
        assert_eq!(b, vec![(vec![8.0, 16.0], vec![12.0, 24.0])]);
        let b = c.bounds(&[10.0, 20.0], 2.0, MadeBy::Member(0));
        assert_eq!(b, vec![(vec![9.0, 18.0], vec![11.0, 22.0])]);
        assert_eq!(series_scale(&[1.0, 2.0, 4.0], 7), Some(1.5));
        assert_eq!(series_scale(&[1.0], 7), None);
    }
}
