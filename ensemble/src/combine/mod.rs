//! Forecast combiners behind one trait, each using only the past at every step.
//!
//! A combiner maps the K base forecasts at row t to weights on the simplex, reading
//! `target[..t]` and `pred[..=t]` only (the driver [`run_combiner`] calls it with increasing
//! t; the no-look-ahead property is tested for every combiner). Methods that learn something
//! (a best model, stacking weights, a learning rate) learn it in [`Combiner::fit`] from a
//! training range that ends before evaluation starts. The oracle is the one exception, by
//! design: it sees the evaluation targets and is labelled as an upper reference.

mod online;
mod policy;
mod same_phase;
mod simple;
mod simplex;
mod windowed;

#[cfg(test)]
mod tests;

use std::ops::Range;

use serde::Serialize;

pub use online::{ExpGradient, FixedShare, Hedge};
pub use policy::PolicyCombiner;
pub use same_phase::SamePhaseInverseMse;
pub use simple::{BestSingle, EqualWeights, Median, Single};
pub use simplex::{simplex_least_squares, OracleConvex, Stacking};
pub use windowed::InverseMse;

use crate::{Error, Result};
use metablend_env::Predictions;

/// A forecast combiner; see the module docs for the rules.
pub trait Combiner: Send {
    /// The method's label in reports.
    fn name(&self) -> &str;
    /// Learns from rows `train` (before any evaluation row). The default learns nothing.
    fn fit(&mut self, preds: &Predictions, train: Range<usize>) -> Result<()> {
        let _ = (preds, train);
        Ok(())
    }
    /// Weights for row t, from `target[..t]` and `pred[..=t]`; called with increasing t.
    fn weights(&mut self, preds: &Predictions, t: usize) -> Result<Vec<f64>>;
    /// True for methods that see the evaluation targets (upper references, not methods).
    fn is_oracle(&self) -> bool {
        false
    }
    /// Shown the evaluation range before it runs; only oracles use it (the default ignores
    /// it, and [`run_combiner`] calls it for oracles only).
    fn observe_evaluation(&mut self, preds: &Predictions, eval: Range<usize>) -> Result<()> {
        let _ = (preds, eval);
        Ok(())
    }
}

/// A combiner's forecasts and weights over an evaluation range.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Combined {
    /// The combiner's name.
    pub name: String,
    /// Whether it is an oracle.
    pub oracle: bool,
    /// The combined forecast for each evaluation row.
    pub forecasts: Vec<f64>,
    /// The weights used at each evaluation row (rows × K).
    pub weights: Vec<Vec<f64>>,
}

/// Checks that `train` and `eval` are valid ranges of `preds` with train before eval.
pub fn check_ranges(preds: &Predictions, train: &Range<usize>, eval: &Range<usize>) -> Result<()> {
    let n = preds.len();
    if eval.start >= eval.end || eval.end > n {
        return Err(Error::InvalidInput(format!(
            "evaluation range {}..{} is empty or beyond the table's {n} rows",
            eval.start, eval.end
        )));
    }
    if train.start > train.end || train.end > eval.start {
        return Err(Error::InvalidInput(format!(
            "training range {}..{} must end before the evaluation range starts at {}",
            train.start, train.end, eval.start
        )));
    }
    Ok(())
}

/// Checks a weight vector: K finite, non-negative entries summing to 1 (within 1e-9).
pub(crate) fn check_weights(name: &str, w: &[f64], k: usize, t: usize) -> Result<()> {
    let sum: f64 = w.iter().sum();
    if w.len() != k || w.iter().any(|v| !v.is_finite() || *v < 0.0) || (sum - 1.0).abs() > 1e-9 {
        return Err(Error::InvalidInput(format!(
            "{name}: weights at row {t} are not on the simplex: {w:?}"
        )));
    }
    Ok(())
}

/// Fits `combiner` on `train` and runs it over `eval`, checking every weight vector.
pub fn run_combiner(
    combiner: &mut dyn Combiner,
    preds: &Predictions,
    train: Range<usize>,
    eval: Range<usize>,
) -> Result<Combined> {
    check_ranges(preds, &train, &eval)?;
    combiner.fit(preds, train)?;
    if combiner.is_oracle() {
        combiner.observe_evaluation(preds, eval.clone())?;
    }
    let k = preds.num_models();
    let mut forecasts = Vec::with_capacity(eval.len());
    let mut weights = Vec::with_capacity(eval.len());
    for t in eval {
        let w = combiner.weights(preds, t)?;
        check_weights(combiner.name(), &w, k, t)?;
        forecasts.push(w.iter().zip(preds.pred(t)).map(|(w, p)| w * p).sum());
        weights.push(w);
    }
    Ok(Combined {
        name: combiner.name().to_string(),
        oracle: combiner.is_oracle(),
        forecasts,
        weights,
    })
}

/// The classical combiners with their defaults, in report order: equal weights, median,
/// best single, inverse MSE, stacking, Hedge, exponentiated gradient, fixed share, and the
/// oracle (last, labelled).
pub fn classical_combiners() -> Vec<Box<dyn Combiner>> {
    vec![
        Box::new(EqualWeights),
        Box::new(Median),
        Box::new(BestSingle::default()),
        Box::new(InverseMse::new(InverseMse::DEFAULT_WINDOW)),
        Box::new(Stacking::default()),
        Box::new(Hedge::tuned()),
        Box::new(ExpGradient::tuned()),
        Box::new(FixedShare::tuned()),
        Box::new(OracleConvex::default()),
    ]
}

/// The classical combiners for data with seasonal period `period`: those of
/// [`classical_combiners`], with inverse MSE at the same phase of the last
/// [`SamePhaseInverseMse::DEFAULT_CYCLES`] cycles before the oracle when `period >= 2`.
pub fn seasonal_combiners(period: usize) -> Vec<Box<dyn Combiner>> {
    let mut all = classical_combiners();
    if period >= 2 {
        let oracle = all.pop().expect("the oracle is last");
        all.push(Box::new(SamePhaseInverseMse::new(
            period,
            SamePhaseInverseMse::DEFAULT_CYCLES,
        )));
        all.push(oracle);
    }
    all
}

/// Squared error of each model at row `s`.
pub(crate) fn model_sq_errors(preds: &Predictions, s: usize) -> impl Iterator<Item = f64> + '_ {
    let y = preds.target()[s];
    preds.pred(s).iter().map(move |p| (p - y) * (p - y))
}
