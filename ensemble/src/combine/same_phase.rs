//! Inverse-MSE weighting at the same phase of earlier seasonal cycles: the classical rule
//! that uses what a phase-aware policy sees (each model's errors at rows `t - p, t - 2p,
//! ...`), so that a policy's gain over it is a gain over the information, not over a rule
//! that lacks it.

use super::windowed::inverse_mse_weights;
use super::{model_sq_errors, Combiner};
use crate::Result;
use metablend_env::Predictions;

/// `w_k ∝ 1 / MSE_k` over rows `t - p, t - 2p, ..., t - c·p` (those that exist); equal
/// weights before the first cycle is complete.
#[derive(Debug, Clone)]
pub struct SamePhaseInverseMse {
    period: usize,
    cycles: usize,
    name: String,
}

impl SamePhaseInverseMse {
    /// Default number of cycles: a week of daily cycles.
    pub const DEFAULT_CYCLES: usize = 7;

    /// A combiner for seasonal period `period` averaging `cycles` cycles (each at least 1).
    pub fn new(period: usize, cycles: usize) -> Self {
        let (period, cycles) = (period.max(1), cycles.max(1));
        Self {
            period,
            cycles,
            name: format!("inverse_mse_phase{period}x{cycles}"),
        }
    }
}

impl Combiner for SamePhaseInverseMse {
    fn name(&self) -> &str {
        &self.name
    }

    fn weights(&mut self, preds: &Predictions, t: usize) -> Result<Vec<f64>> {
        let k = preds.num_models();
        let mut sums = vec![0.0; k];
        let mut n = 0usize;
        for row in (1..=self.cycles).map_while(|c| t.checked_sub(c * self.period)) {
            for (acc, e) in sums.iter_mut().zip(model_sq_errors(preds, row)) {
                *acc += e;
            }
            n += 1;
        }
        if n == 0 {
            return Ok(vec![1.0 / k as f64; k]);
        }
        Ok(inverse_mse_weights(&sums, n))
    }
}
