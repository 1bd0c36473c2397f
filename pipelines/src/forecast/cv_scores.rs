//! A cross-validation window's scores, series by series: each series' share
//! ([`SeriesScores`], from its forecast rows alone) and their sums over the series in order
//! ([`aggregate`]), so that the scoring runs where the series are, on one machine or on a
//! cluster engine's workers, with the same numbers.

use metablend_core::metrics;
use serde::{Deserialize, Serialize};

use super::cv::WindowScore;
use super::output::ForecastRow;
use crate::{Error, Result};

/// One series' share of a window's scores, per method: the combinations (one per
/// meta-learner or rule, in order) and then each pool model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesScores {
    /// sMAPE of each method on the window.
    pub smape: Vec<f64>,
    /// MASE of each method (`None`: the series has no positive scale).
    pub mase: Vec<Option<f64>>,
    /// `inside[method][level]`: the window's values inside the method's interval.
    pub inside: Vec<Vec<usize>>,
    /// `msis[method][level]`: the scaled interval score (`None`: no scale, or an
    /// unavailable bound).
    pub msis: Vec<Vec<Option<f64>>>,
    /// The window's length.
    pub steps: usize,
}

/// Scores one series: `rows[c]` is combination c's forecast rows of it (the first also
/// holds each of the `models` pool models' forecasts and intervals), `actual` the window's
/// values, `scale` its MASE scale and `levels` the intervals' levels.
pub(crate) fn score_rows(
    rows: &[&[ForecastRow]],
    models: usize,
    actual: &[f64],
    scale: Option<f64>,
    levels: &[f64],
) -> SeriesScores {
    // (forecast, bounds per level and step) per method: the combinations, then each pool
    // model, whose value on a fallback series is the fallback's.
    let mut methods: Vec<Method> = rows.iter().map(|r| method(r, None, levels.len())).collect();
    methods.extend((0..models).map(|k| method(rows[0], Some(k), levels.len())));
    let mut out = SeriesScores {
        smape: Vec::new(),
        mase: Vec::new(),
        inside: Vec::new(),
        msis: Vec::new(),
        steps: actual.len(),
    };
    for (forecast, bounds) in &methods {
        out.smape.push(metrics::window::smape(actual, forecast));
        out.mase
            .push(scale.map(|s| metrics::window::mase(actual, forecast, s)));
        let (inside, msis) = levels
            .iter()
            .zip(bounds)
            .map(|(level, b)| interval_score(b, actual, 1.0 - level / 100.0, scale))
            .unzip();
        out.inside.push(inside);
        out.msis.push(msis);
    }
    out
}

/// A method's forecast and its `(lower, upper)` bounds per level and step.
type Method = (Vec<f64>, Vec<Vec<(f64, f64)>>);

/// A method's forecast and its bounds per level and step.
fn method(rows: &[ForecastRow], model: Option<usize>, levels: usize) -> Method {
    let forecast = rows
        .iter()
        .map(|r| {
            model
                .and_then(|k| r.models.get(k).copied())
                .unwrap_or(r.forecast)
        })
        .collect();
    let bounds = (0..levels)
        .map(|l| {
            rows.iter()
                .map(|r| {
                    model
                        .and_then(|k| r.model_intervals.get(k))
                        .map_or(r.intervals[l], |b| b[l])
                })
                .collect()
        })
        .collect();
    (forecast, bounds)
}

/// Values inside the bounds, and the mean interval score over the steps divided by
/// `scale` (`None` without a scale or with an unavailable bound).
fn interval_score(
    bounds: &[(f64, f64)],
    actual: &[f64],
    alpha: f64,
    scale: Option<f64>,
) -> (usize, Option<f64>) {
    let (mut inside, mut penalty) = (0usize, 0.0);
    for (&(lo, hi), &v) in bounds.iter().zip(actual) {
        inside += usize::from(lo <= v && v <= hi);
        penalty += (hi - lo) + 2.0 / alpha * ((lo - v).max(0.0) + (v - hi).max(0.0));
    }
    let msis = scale
        .filter(|_| penalty.is_finite())
        .map(|s| penalty / bounds.len() as f64 / s);
    (inside, msis)
}

/// The window's score of every method from its series' shares, summed in their order.
pub(crate) fn aggregate(
    window: usize,
    names: &[String],
    series: &[SeriesScores],
    levels: &[f64],
) -> Result<Vec<(String, WindowScore)>> {
    let n = series.len() as f64;
    let accuracy = |i: usize| -> Result<(f64, f64)> {
        let smape = series.iter().map(|s| s.smape[i]).sum::<f64>() / n;
        let scaled: Vec<f64> = series.iter().filter_map(|s| s.mase[i]).collect();
        if scaled.is_empty() {
            return Err(Error::Settings(format!(
                "window {window}: no series has a MASE scale (all constant or too short)"
            )));
        }
        Ok((smape, scaled.iter().sum::<f64>() / scaled.len() as f64))
    };
    let naive2 = names
        .iter()
        .position(|name| name.starts_with("naive2"))
        .ok_or_else(|| Error::Settings("the pool has no Naive2".into()))?;
    let (s2, m2) = accuracy(naive2)?;
    names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let (smape, mase) = accuracy(i)?;
            let mut coverage = Vec::new();
            let mut msis = Vec::new();
            for l in 0..levels.len() {
                let inside: usize = series.iter().map(|s| s.inside[i][l]).sum();
                let total: usize = series.iter().map(|s| s.steps).sum();
                let scored: Vec<f64> = series.iter().filter_map(|s| s.msis[i][l]).collect();
                coverage.push(inside as f64 / total.max(1) as f64);
                msis.push(scored.iter().sum::<f64>() / scored.len().max(1) as f64);
            }
            let owa = 0.5 * (smape / s2 + mase / m2);
            Ok((
                name.clone(),
                WindowScore {
                    window,
                    smape,
                    mase,
                    owa,
                    coverage,
                    msis,
                },
            ))
        })
        .collect()
}
