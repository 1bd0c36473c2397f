//! M4 scoring of per-series weights on the test horizon.

use serde::Serialize;

use super::PoolForecasts;
use crate::{Error, Result, Series};
use metablend_core::metrics;

/// One method's totals on a set of series (M4: means over series; OWA from the totals
/// relative to Naive2 on the same series).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MethodScore {
    /// Method name.
    pub name: String,
    /// Mean sMAPE.
    pub smape: f64,
    /// Mean MASE.
    pub mase: f64,
    /// OWA relative to Naive2 on the same series.
    pub owa: f64,
}

/// Scores the combinations `weights[j]` (one weight row per entry of `rows`, K weights each)
/// of the pool's test forecasts for the series `rows`, against `test`; MASE scaled by each
/// training series with period `m`. This is the only place the test values are read.
pub fn score(
    name: &str,
    pool: &PoolForecasts,
    rows: &[usize],
    weights: &[Vec<f64>],
    train: &[Series],
    test: &[Series],
    m: usize,
) -> Result<MethodScore> {
    if rows.len() != weights.len() || rows.is_empty() {
        return Err(Error::InvalidInput(format!(
            "{name}: {} series but {} weight rows",
            rows.len(),
            weights.len()
        )));
    }
    let n2 = pool.naive2_column()?;
    let k = pool.names.len();
    let (mut s, mut q, mut s2, mut q2) = (0.0, 0.0, 0.0, 0.0);
    for (&i, w) in rows.iter().zip(weights) {
        if w.len() != k || w.iter().any(|v| !v.is_finite()) {
            return Err(Error::InvalidInput(format!(
                "{name}: series {}: {} weights (expected {k} finite ones)",
                pool.series[i],
                w.len()
            )));
        }
        let forecasts = &pool.test[i];
        let combined: Vec<f64> = (0..pool.horizon)
            .map(|t| w.iter().zip(forecasts).map(|(wk, f)| wk * f[t]).sum())
            .collect();
        let (actual, history) = (&test[i].values, &train[i].values);
        s += metrics::smape(actual, &combined)?;
        q += metrics::mase(actual, &combined, history, m)?;
        s2 += metrics::smape(actual, &forecasts[n2])?;
        q2 += metrics::mase(actual, &forecasts[n2], history, m)?;
    }
    let n = rows.len() as f64;
    let (smape, mase) = (s / n, q / n);
    Ok(MethodScore {
        name: name.to_string(),
        smape,
        mase,
        owa: metrics::owa(smape, mase, s2 / n, q2 / n)?,
    })
}
