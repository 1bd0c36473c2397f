//! Online combiners from the prediction-with-expert-advice literature (Cesa-Bianchi &
//! Lugosi 2006): Hedge / exponentially weighted average, exponentiated gradient (Kivinen &
//! Warmuth 1997) and fixed share (Herbster & Warmuth 1998).
//!
//! Losses are squared errors divided by a scale fixed on the training range (the mean
//! squared error of equal weights there; 1 without training rows), so learning rates are
//! unit-free. `tuned()` picks the learning rate (and fixed share's mixing rate) from a grid
//! by the combined forecast's squared error over the training range only, then starts the
//! evaluation from the state reached at the end of training. At row t the state has absorbed
//! rows < t only.

use std::ops::Range;

use super::Combiner;
use crate::{Error, Result};
use metablend_env::Predictions;

const ETA_GRID: [f64; 8] = [0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0];
const SHARE_GRID: [f64; 4] = [0.001, 0.01, 0.05, 0.2];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Rule {
    Hedge,
    ExpGradient,
    FixedShare { alpha: f64 },
}

/// The shared state of the online rules.
#[derive(Debug, Clone)]
struct Online {
    rule: Rule,
    eta: f64,
    tune: bool,
    scale2: f64,
    cursor: usize,
    weights: Vec<f64>,
}

impl Online {
    fn new(rule: Rule, eta: f64, tune: bool) -> Self {
        Self {
            rule,
            eta,
            tune,
            scale2: 1.0,
            cursor: 0,
            weights: Vec::new(),
        }
    }

    fn reset(&mut self, k: usize, start: usize) {
        self.weights = vec![1.0 / k as f64; k];
        self.cursor = start;
    }

    /// One update with row `s` (its target is in the past of every later row).
    fn absorb(&mut self, preds: &Predictions, s: usize) {
        let y = preds.target()[s];
        let row = preds.pred(s);
        let k = row.len();
        let exponents: Vec<f64> = match self.rule {
            Rule::Hedge | Rule::FixedShare { .. } => row
                .iter()
                .map(|p| -self.eta * (p - y) * (p - y) / self.scale2)
                .collect(),
            Rule::ExpGradient => {
                let yhat: f64 = self.weights.iter().zip(row).map(|(w, p)| w * p).sum();
                row.iter()
                    .map(|p| -self.eta * 2.0 * (yhat - y) * (p - yhat) / self.scale2)
                    .collect()
            }
        };
        let top = exponents.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
        let mut total = 0.0;
        for (w, x) in self.weights.iter_mut().zip(&exponents) {
            *w *= (x - top).exp();
            total += *w;
        }
        if !(total.is_finite() && total > 0.0) {
            self.weights = vec![1.0 / k as f64; k];
        } else {
            self.weights.iter_mut().for_each(|w| *w /= total);
        }
        // Keep every weight representable so a model can always come back.
        let floor = 1e-300;
        if self.weights.iter().any(|w| *w < floor) {
            self.weights.iter_mut().for_each(|w| *w = w.max(floor));
            let total: f64 = self.weights.iter().sum();
            self.weights.iter_mut().for_each(|w| *w /= total);
        }
        if let Rule::FixedShare { alpha } = self.rule {
            self.weights
                .iter_mut()
                .for_each(|w| *w = (1.0 - alpha) * *w + alpha / k as f64);
        }
    }

    /// Squared error of the combined forecast over `rows` from a fresh state.
    fn replay_loss(&self, preds: &Predictions, rows: Range<usize>) -> f64 {
        let mut probe = self.clone();
        probe.reset(preds.num_models(), rows.start);
        let mut sse = 0.0;
        for s in rows {
            let yhat: f64 = probe
                .weights
                .iter()
                .zip(preds.pred(s))
                .map(|(w, p)| w * p)
                .sum();
            sse += (yhat - preds.target()[s]).powi(2);
            probe.absorb(preds, s);
        }
        sse
    }

    fn fit(&mut self, preds: &Predictions, train: Range<usize>, name: &str) -> Result<()> {
        let k = preds.num_models();
        if train.is_empty() {
            if self.tune {
                return Err(Error::InvalidInput(format!(
                    "{name}: tuning the learning rate needs a non-empty training range"
                )));
            }
            self.scale2 = 1.0;
            self.reset(k, train.start);
            return Ok(());
        }
        let eq_mse = train
            .clone()
            .map(|s| {
                let yhat = preds.pred(s).iter().sum::<f64>() / k as f64;
                (yhat - preds.target()[s]).powi(2)
            })
            .sum::<f64>()
            / train.len() as f64;
        self.scale2 = eq_mse.max(f64::MIN_POSITIVE * 1e10);
        if self.tune {
            let shares: Vec<Option<f64>> = match self.rule {
                Rule::FixedShare { .. } => SHARE_GRID.iter().map(|a| Some(*a)).collect(),
                _ => vec![None],
            };
            let mut best: Option<(f64, f64, Option<f64>)> = None;
            for &eta in &ETA_GRID {
                for &share in &shares {
                    let mut candidate = self.clone();
                    candidate.eta = eta;
                    if let Some(alpha) = share {
                        candidate.rule = Rule::FixedShare { alpha };
                    }
                    let loss = candidate.replay_loss(preds, train.clone());
                    if best.is_none_or(|(b, _, _)| loss < b) {
                        best = Some((loss, eta, share));
                    }
                }
            }
            if let Some((_, eta, share)) = best {
                self.eta = eta;
                if let Some(alpha) = share {
                    self.rule = Rule::FixedShare { alpha };
                }
            }
        }
        self.reset(k, train.start);
        for s in train {
            self.absorb(preds, s);
        }
        Ok(())
    }

    fn weights(&mut self, preds: &Predictions, t: usize, name: &str) -> Result<Vec<f64>> {
        if self.weights.len() != preds.num_models() {
            self.reset(preds.num_models(), 0);
        }
        if t < self.cursor {
            return Err(Error::InvalidInput(format!(
                "{name}: rows must be visited in increasing order (got {t} after {})",
                self.cursor
            )));
        }
        for s in self.cursor..t {
            self.absorb(preds, s);
        }
        self.cursor = t;
        Ok(self.weights.clone())
    }
}

macro_rules! online_combiner {
    ($(#[$doc:meta])* $ty:ident, $label:literal, $rule:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $ty {
            state: Online,
            name: String,
        }

        impl $ty {
            /// A fixed learning rate `eta` (on the scaled squared loss); named
            /// e.g. `hedge(eta=0.5)`.
            pub fn new(eta: f64) -> Self {
                Self {
                    state: Online::new($rule, eta, false),
                    name: format!("{}(eta={eta})", $label),
                }
            }

            /// The learning rate (and mixing rate) chosen on the training range.
            pub fn tuned() -> Self {
                Self {
                    state: Online::new($rule, 1.0, true),
                    name: $label.to_string(),
                }
            }

            /// The learning rate in use (after `fit` for a tuned combiner).
            pub fn eta(&self) -> f64 {
                self.state.eta
            }
        }

        impl Combiner for $ty {
            fn name(&self) -> &str {
                &self.name
            }
            fn fit(&mut self, preds: &Predictions, train: Range<usize>) -> Result<()> {
                self.state.fit(preds, train, &self.name)
            }
            fn weights(&mut self, preds: &Predictions, t: usize) -> Result<Vec<f64>> {
                self.state.weights(preds, t, &self.name)
            }
        }
    };
}

online_combiner!(
    /// Hedge / EWA: w_k ∝ exp(−η Σ_{s<t} ℓ_k(s)).
    Hedge,
    "hedge",
    Rule::Hedge
);
online_combiner!(
    /// Exponentiated gradient on the combined forecast's squared error.
    ExpGradient,
    "exp_gradient",
    Rule::ExpGradient
);
online_combiner!(
    /// Fixed share: Hedge's update mixed with α/K uniform weight, so the method can track
    /// a best model that changes over time.
    FixedShare,
    "fixed_share",
    Rule::FixedShare { alpha: 0.01 }
);
