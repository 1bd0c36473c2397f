//! The data a contextual env serves: one task per series.

use crate::{Error, Result};
use metablend_core::metrics::window::m4_loss;

/// One series' validation window: its description, the target, each model's forecast of
/// it, and what the M4 loss needs.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ContextTask {
    /// Series id (for errors and reports).
    pub id: String,
    /// The series' features (already scaled as the caller wants; finite).
    pub context: Vec<f64>,
    /// The window's actual values (length h ≥ 1).
    pub target: Vec<f64>,
    /// `forecasts[k]` = model k's forecast of the window (length h each).
    pub forecasts: Vec<Vec<f64>>,
    /// The MASE scale: in-sample seasonal-naive MAE of the history before the window (> 0).
    pub mase_scale: f64,
    /// The reference forecast's (sMAPE, MASE) on the window, for the relative loss.
    pub reference: (f64, f64),
}

/// Bound on the log-loss observation block.
const LOG_LOSS_BOUND: f64 = 5.0;

/// `ln(loss)` clipped to ±5 (a loss of 0 maps to −5).
pub(crate) fn log_loss(loss: f64) -> f64 {
    loss.max(1e-12).ln().clamp(-LOG_LOSS_BOUND, LOG_LOSS_BOUND)
}

/// Tasks with the same models and context length.
#[derive(Debug, Clone, PartialEq)]
pub struct ContextPanel {
    tasks: Vec<ContextTask>,
    model_names: Vec<String>,
    /// `losses[i][k]`: model k's loss on task i.
    losses: Vec<Vec<f64>>,
}

impl ContextPanel {
    /// Validates the tasks: at least one; equal context lengths and model counts (K ≥ 2,
    /// matching `model_names`); forecasts as long as the target; finite values; a positive
    /// MASE scale. Errors name the task.
    pub fn new(tasks: Vec<ContextTask>, model_names: Vec<String>) -> Result<Self> {
        let first = tasks
            .first()
            .ok_or_else(|| Error::InvalidData("a context panel needs at least one task".into()))?;
        let (dim, k) = (first.context.len(), model_names.len());
        if k < 2 {
            return Err(Error::InvalidData(format!(
                "a context panel needs at least 2 models, got {k}"
            )));
        }
        let finite = |v: &[f64]| v.iter().all(|x| x.is_finite());
        for (i, t) in tasks.iter().enumerate() {
            let bad = |what: String| Error::InvalidData(format!("task {i} ({}): {what}", t.id));
            if t.context.len() != dim {
                return Err(bad(format!(
                    "{} context values, expected {dim}",
                    t.context.len()
                )));
            }
            if t.forecasts.len() != k {
                return Err(bad(format!("{} models, expected {k}", t.forecasts.len())));
            }
            if t.target.is_empty() || t.forecasts.iter().any(|f| f.len() != t.target.len()) {
                return Err(bad("forecasts must be as long as a non-empty target".into()));
            }
            if !finite(&t.context) || !finite(&t.target) || !t.forecasts.iter().all(|f| finite(f)) {
                return Err(bad("non-finite value".into()));
            }
            if !(t.mase_scale > 0.0 && t.mase_scale.is_finite()) {
                return Err(bad(format!("MASE scale {} is not positive", t.mase_scale)));
            }
            if !(t.reference.0 >= 0.0 && t.reference.1 >= 0.0) {
                return Err(bad("negative or NaN reference scores".into()));
            }
        }
        let losses = tasks
            .iter()
            .map(|t| {
                t.forecasts
                    .iter()
                    .map(|f| m4_loss(&t.target, f, t.mase_scale, t.reference))
                    .collect()
            })
            .collect();
        Ok(Self {
            tasks,
            model_names,
            losses,
        })
    }

    /// The tasks.
    pub fn tasks(&self) -> &[ContextTask] {
        &self.tasks
    }

    /// Number of tasks.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether there are no tasks (never true for a constructed panel).
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// The models' names.
    pub fn model_names(&self) -> &[String] {
        &self.model_names
    }

    /// Model k's loss on task i (`losses()[i][k]`).
    pub fn losses(&self) -> &[Vec<f64>] {
        &self.losses
    }

    /// Length of the context block.
    pub fn context_dim(&self) -> usize {
        self.tasks[0].context.len()
    }

    /// The observation of task `i`: its context, then `ln(loss_k)` of each model clipped to
    /// ±5 (what [`super::ContextualEnv`] returns, for learners trained outside the env).
    pub fn observation(&self, i: usize) -> Vec<f64> {
        let mut obs = self.tasks[i].context.clone();
        obs.extend(self.losses[i].iter().map(|&l| log_loss(l)));
        obs
    }

    /// The loss of the combination `weights` on task `i`.
    pub fn combined_loss(&self, i: usize, weights: &[f64]) -> f64 {
        let t = &self.tasks[i];
        let combined: Vec<f64> = (0..t.target.len())
            .map(|s| {
                weights
                    .iter()
                    .zip(&t.forecasts)
                    .map(|(w, f)| w * f[s])
                    .sum()
            })
            .collect();
        m4_loss(&t.target, &combined, t.mase_scale, t.reference)
    }
}
