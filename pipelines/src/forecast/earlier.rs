//! The window before each series' validation window: the `h` values before it, forecast by
//! the pool from the values before them. The intervals calibrate on it (the validation
//! window chose the weights), and the FFORMA learner can take its errors as inputs
//! ([`InputWindow::Earlier`](super::InputWindow)) so that it learns how one window's errors
//! carry over to the next, as it is used on the future.

use metablend_core::metrics::window::{mase, smape};
use metablend_env::contextual::{ContextPanel, ContextTask};

use crate::{Error, Result};

/// The pool's forecasts of the earlier window, for the eligible series long enough to have
/// one.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EarlierWindow {
    /// Rows of the eligible series (indices into `Prepared::eligible`).
    pub rows: Vec<usize>,
    /// The window's values per row.
    pub targets: Vec<Vec<f64>>,
    /// `forecasts[r][k]`: model k's forecast of row r's window.
    pub forecasts: Vec<Vec<Vec<f64>>>,
    /// The MASE scale of the values before the window, per row.
    pub scales: Vec<f64>,
}

impl EarlierWindow {
    /// The learner's observation of each row made from this window: the series' scaled
    /// features (from `ctx`, the validation tasks) and each model's log-loss on this window,
    /// relative to Naive2 (pool column `naive2`) on it.
    pub fn observations(&self, ctx: &ContextPanel, naive2: usize) -> Result<Vec<Vec<f64>>> {
        if self.rows.is_empty() {
            return Err(Error::Settings(
                "no series is long enough for an earlier window (it needs h more values than \
                 the pool); use the validation window's errors as inputs"
                    .into(),
            ));
        }
        let tasks: Vec<ContextTask> = (0..self.rows.len())
            .map(|r| {
                let task = &ctx.tasks()[self.rows[r]];
                let (target, reference) = (&self.targets[r], &self.forecasts[r][naive2]);
                ContextTask {
                    id: task.id.clone(),
                    context: task.context.clone(),
                    target: target.clone(),
                    forecasts: self.forecasts[r].clone(),
                    mase_scale: self.scales[r],
                    reference: (
                        smape(target, reference),
                        mase(target, reference, self.scales[r]),
                    ),
                }
            })
            .collect();
        let earlier = ContextPanel::new(tasks, ctx.model_names().to_vec())?;
        Ok((0..self.rows.len())
            .map(|r| earlier.observation(r))
            .collect())
    }
}
