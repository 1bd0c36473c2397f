//! Inverse-MSE weighting (Bates & Granger 1969) over a moving window of past errors.

use std::collections::VecDeque;

use super::{model_sq_errors, Combiner};
use crate::{Error, Result};
use metablend_env::Predictions;

/// w_k ∝ 1 / MSE_k over the last `window` rows before t (all earlier rows of the table,
/// training included); equal weights before any error is known.
#[derive(Debug, Clone)]
pub struct InverseMse {
    window: usize,
    name: String,
    /// Rows absorbed so far: every row < cursor.
    cursor: usize,
    sums: Vec<f64>,
    recent: VecDeque<Vec<f64>>,
}

impl InverseMse {
    /// The default window.
    pub const DEFAULT_WINDOW: usize = 50;

    /// A combiner with the given window (≥ 1).
    pub fn new(window: usize) -> Self {
        Self {
            window: window.max(1),
            name: format!("inverse_mse{}", window.max(1)),
            cursor: 0,
            sums: Vec::new(),
            recent: VecDeque::new(),
        }
    }
}

impl Combiner for InverseMse {
    fn name(&self) -> &str {
        &self.name
    }

    fn weights(&mut self, preds: &Predictions, t: usize) -> Result<Vec<f64>> {
        let k = preds.num_models();
        if t < self.cursor {
            return Err(Error::InvalidInput(format!(
                "{}: rows must be visited in increasing order (got {t} after {})",
                self.name, self.cursor
            )));
        }
        if self.sums.len() != k {
            self.sums = vec![0.0; k];
        }
        // Absorb the rows not yet seen, keeping only the last `window` of them.
        let first = self.cursor.max(t.saturating_sub(self.window));
        if first > self.cursor {
            self.recent.clear();
            self.sums.iter_mut().for_each(|s| *s = 0.0);
        }
        for s in first..t {
            let errors: Vec<f64> = model_sq_errors(preds, s).collect();
            for (acc, e) in self.sums.iter_mut().zip(&errors) {
                *acc += e;
            }
            self.recent.push_back(errors);
            if self.recent.len() > self.window {
                let old = self.recent.pop_front().expect("non-empty");
                for (acc, e) in self.sums.iter_mut().zip(&old) {
                    *acc -= e;
                }
            }
        }
        self.cursor = t;
        if self.recent.is_empty() {
            return Ok(vec![1.0 / k as f64; k]);
        }
        Ok(inverse_mse_weights(&self.sums, self.recent.len()))
    }
}

/// `w_k ∝ 1 / MSE_k` from each model's sum of squared errors over `n` rows, with a floor
/// relative to the largest MSE so that a model with no error gets a finite weight.
pub(super) fn inverse_mse_weights(sums: &[f64], n: usize) -> Vec<f64> {
    let n = n as f64;
    let floor = 1e-12 * sums.iter().fold(0.0f64, |a, &b| a.max(b)) / n + f64::MIN_POSITIVE;
    let inv: Vec<f64> = sums
        .iter()
        .map(|s| 1.0 / (s.max(0.0) / n + floor))
        .collect();
    let total: f64 = inv.iter().sum();
    inv.iter().map(|v| v / total).collect()
}
