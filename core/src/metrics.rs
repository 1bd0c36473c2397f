//! Point-forecast accuracy metrics with the M4 competition's definitions (Makridakis,
//! Spiliotis & Assimakopoulos 2020, IJF 36(1)): MSE, RMSE, MAE, MAPE, sMAPE, MASE and OWA.
//!
//! The functions here check their inputs and name the first bad index; [`window`] has the
//! same losses without checks, for the inner loops of training, where the inputs were
//! validated once up front.

use crate::{Error, Result};

fn check(actual: &[f64], forecast: &[f64]) -> Result<()> {
    if actual.is_empty() || actual.len() != forecast.len() {
        return Err(Error::InvalidInput(format!(
            "need equally long, non-empty actual and forecast (got {} and {})",
            actual.len(),
            forecast.len()
        )));
    }
    for (name, xs) in [("actual", actual), ("forecast", forecast)] {
        if let Some(i) = xs.iter().position(|v| !v.is_finite()) {
            return Err(Error::InvalidInput(format!("{name}[{i}] is {}", xs[i])));
        }
    }
    Ok(())
}

fn mean_of(actual: &[f64], forecast: &[f64], f: impl Fn(f64, f64) -> f64) -> Result<f64> {
    check(actual, forecast)?;
    Ok(actual
        .iter()
        .zip(forecast)
        .map(|(&y, &p)| f(y, p))
        .sum::<f64>()
        / actual.len() as f64)
}

/// Mean squared error.
pub fn mse(actual: &[f64], forecast: &[f64]) -> Result<f64> {
    mean_of(actual, forecast, |y, f| (y - f) * (y - f))
}

/// Root mean squared error.
pub fn rmse(actual: &[f64], forecast: &[f64]) -> Result<f64> {
    Ok(mse(actual, forecast)?.sqrt())
}

/// Mean absolute error.
pub fn mae(actual: &[f64], forecast: &[f64]) -> Result<f64> {
    mean_of(actual, forecast, |y, f| (y - f).abs())
}

/// `100 * mean |y - f| / |y|`; `None` when an actual is 0 (the metric is undefined).
pub fn mape(actual: &[f64], forecast: &[f64]) -> Result<Option<f64>> {
    check(actual, forecast)?;
    if actual.contains(&0.0) {
        return Ok(None);
    }
    mean_of(actual, forecast, |y, f| 100.0 * (y - f).abs() / y.abs()).map(Some)
}

/// M4's symmetric MAPE: `200/h · Σ |y − f| / (|y| + |f|)`, a term being 0 when `y = f = 0`.
pub fn smape(actual: &[f64], forecast: &[f64]) -> Result<f64> {
    check(actual, forecast)?;
    Ok(window::smape(actual, forecast))
}

/// MASE's scale: the in-sample MAE of the seasonal naive forecast with period `m`,
/// `mean_{t > m} |x_t - x_{t-m}|`.
pub fn mase_scale(insample: &[f64], m: usize) -> Result<f64> {
    if m == 0 {
        return Err(Error::InvalidInput(
            "seasonal period m must be at least 1".into(),
        ));
    }
    if insample.len() <= m {
        return Err(Error::InvalidInput(format!(
            "MASE needs more than m = {m} in-sample values, got {}",
            insample.len()
        )));
    }
    if let Some(i) = insample.iter().position(|v| !v.is_finite()) {
        return Err(Error::InvalidInput(format!(
            "insample[{i}] is {}",
            insample[i]
        )));
    }
    let diffs = insample.windows(m + 1).map(|w| (w[m] - w[0]).abs());
    Ok(diffs.sum::<f64>() / (insample.len() - m) as f64)
}

/// Mean absolute scaled error: MAE over [`mase_scale`]. Infinite when the in-sample series
/// is constant at lag `m` (scale 0), as in M4's code.
pub fn mase(actual: &[f64], forecast: &[f64], insample: &[f64], m: usize) -> Result<f64> {
    Ok(mae(actual, forecast)? / mase_scale(insample, m)?)
}

/// Overall weighted average relative to Naive2: `(sMAPE / sMAPE_N2 + MASE / MASE_N2) / 2`.
/// M4 computes it from totals (averages over all series), not per series.
pub fn owa(smape: f64, mase: f64, naive2_smape: f64, naive2_mase: f64) -> Result<f64> {
    if !(naive2_smape > 0.0 && naive2_mase > 0.0) {
        return Err(Error::InvalidInput(format!(
            "Naive2's sMAPE and MASE must be > 0, got {naive2_smape} and {naive2_mase}"
        )));
    }
    Ok(0.5 * (smape / naive2_smape + mase / naive2_mase))
}

/// Directional accuracy: the fraction of steps where the forecast moves from the previous
/// actual in the same direction as the actual does (`previous[i]` is the actual before
/// `actual[i]`); a step where both stay put counts as a hit, one where only one moves as a
/// miss.
pub fn directional_accuracy(previous: &[f64], actual: &[f64], forecast: &[f64]) -> Result<f64> {
    check(actual, forecast)?;
    check(actual, previous)?;
    let hits = previous
        .iter()
        .zip(actual)
        .zip(forecast)
        .filter(|((p, a), f)| {
            let (da, df) = (*a - *p, *f - *p);
            da * df > 0.0 || (da == 0.0 && df == 0.0)
        })
        .count();
    Ok(hits as f64 / actual.len() as f64)
}

/// Per-window losses without input checks: the caller guarantees equally long, non-empty,
/// finite slices (validated once, e.g. when a context panel is built). Same definitions as
/// the checked functions of the parent module, which call these.
pub mod window {
    /// sMAPE in percent: `200/h · Σ |y − f| / (|y| + |f|)` (a term with `|y| + |f| = 0` is 0).
    pub fn smape(actual: &[f64], forecast: &[f64]) -> f64 {
        let sum: f64 = actual
            .iter()
            .zip(forecast)
            .map(|(y, f)| {
                let d = y.abs() + f.abs();
                if d > 0.0 {
                    (y - f).abs() / d
                } else {
                    0.0
                }
            })
            .sum();
        200.0 * sum / actual.len() as f64
    }

    /// MASE given its in-sample `scale` (see [`super::mase_scale`]): the mean absolute
    /// error over the scale.
    pub fn mase(actual: &[f64], forecast: &[f64], scale: f64) -> f64 {
        let mae: f64 = actual
            .iter()
            .zip(forecast)
            .map(|(y, f)| (y - f).abs())
            .sum::<f64>()
            / actual.len() as f64;
        mae / scale
    }

    /// Per-series OWA-style loss: `½(sMAPE/sMAPE_ref + MASE/MASE_ref)` relative to a
    /// reference forecast's scores on the same window (M4 uses Naive2); each reference is
    /// floored at `1e-8` so a perfect reference cannot divide by zero.
    pub fn m4_loss(actual: &[f64], forecast: &[f64], scale: f64, reference: (f64, f64)) -> f64 {
        let (rs, rm) = (reference.0.max(1e-8), reference.1.max(1e-8));
        0.5 * (smape(actual, forecast) / rs + mase(actual, forecast, scale) / rm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directional_accuracy_counts_matching_moves() {
        let prev = [1.0, 1.0, 1.0, 1.0];
        let actual = [2.0, 0.0, 1.0, 1.0];
        let forecast = [1.5, 2.0, 1.0, 1.2];
        assert_eq!(
            directional_accuracy(&prev, &actual, &forecast).unwrap(),
            0.5
        );
        assert!(directional_accuracy(&prev[..2], &actual, &forecast).is_err());
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(mse(&[], &[]).is_err());
        assert!(mae(&[1.0], &[1.0, 2.0]).is_err());
        assert!(smape(&[f64::NAN], &[1.0])
            .unwrap_err()
            .to_string()
            .contains("actual[0]"));
        assert!(mase_scale(&[1.0, 2.0], 2).is_err());
        assert!(mase_scale(&[1.0, 2.0], 0).is_err());
        assert!(owa(1.0, 1.0, 0.0, 1.0).is_err());
        assert_eq!(mape(&[0.0, 1.0], &[1.0, 1.0]).unwrap(), None);
    }

    proptest::proptest! {
        #[test]
        fn metrics_never_panic(ys in proptest::collection::vec(proptest::num::f64::ANY, 0..8), m in 0usize..4) {
            let fs: Vec<f64> = ys.iter().map(|y| y * 0.5).collect();
            let _ = (mse(&ys, &fs), smape(&ys, &fs), mape(&ys, &fs), mase(&ys, &fs, &ys, m));
        }
    }
}
