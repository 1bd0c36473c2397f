//! The M4 point-forecast losses, on one series' window.

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

/// MASE: mean absolute error over the in-sample seasonal-naive MAE `scale`.
pub fn mase(actual: &[f64], forecast: &[f64], scale: f64) -> f64 {
    let mae: f64 = actual
        .iter()
        .zip(forecast)
        .map(|(y, f)| (y - f).abs())
        .sum::<f64>()
        / actual.len() as f64;
    mae / scale
}

/// Per-series OWA-style loss: `½(sMAPE/sMAPE_ref + MASE/MASE_ref)` relative to a reference
/// forecast's scores on the same window (M4 uses Naive2); each reference is floored at
/// `1e-8` so a perfect reference cannot divide by zero.
pub fn m4_loss(actual: &[f64], forecast: &[f64], scale: f64, reference: (f64, f64)) -> f64 {
    let (rs, rm) = (reference.0.max(1e-8), reference.1.max(1e-8));
    0.5 * (smape(actual, forecast) / rs + mase(actual, forecast, scale) / rm)
}
