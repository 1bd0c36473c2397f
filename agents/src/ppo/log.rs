//! Training logs: per-update statistics with SB3's names, as JSONL and `tracing` lines.

use serde::{Deserialize, Serialize};

/// What one PPO update measured (SB3's `train/*` keys).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdateStats {
    /// Mean clipped-surrogate loss.
    pub policy_gradient_loss: f64,
    /// Mean value loss.
    pub value_loss: f64,
    /// Mean of minus the entropy.
    pub entropy_loss: f64,
    /// Mean total loss.
    pub loss: f64,
    /// Mean approximate KL(old || new) (Schulman's k3 estimator).
    pub approx_kl: f64,
    /// Fraction of samples whose ratio was clipped.
    pub clip_fraction: f64,
    /// 1 - Var(returns - values) / Var(returns) over the rollout.
    pub explained_variance: f64,
    /// Learning rate used.
    pub learning_rate: f64,
    /// Clip range used.
    pub clip_range: f64,
    /// Mean Gaussian standard deviation (continuous actions only).
    pub std: Option<f64>,
    /// Minibatch gradient steps taken.
    pub gradient_steps: usize,
    /// Whether target_kl stopped the epochs early.
    pub early_stopped: bool,
}

/// One line of the training log: counters, rollout statistics and the update's statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdateLog {
    /// Iteration index (1-based, after this update).
    pub iteration: u64,
    /// Env steps so far.
    pub total_timesteps: u64,
    /// Mean undiscounted return of the last 100 finished episodes (None before any).
    pub ep_rew_mean: Option<f64>,
    /// Mean length of the last 100 finished episodes.
    pub ep_len_mean: Option<f64>,
    /// Env steps per second since training started.
    pub fps: f64,
    /// Seconds since training started.
    pub time_elapsed: f64,
    /// The update's statistics.
    #[serde(flatten)]
    pub stats: UpdateStats,
}

impl UpdateLog {
    /// Emits the concise one-line summary through `tracing`.
    pub fn trace(&self) {
        tracing::info!(
            iteration = self.iteration,
            steps = self.total_timesteps,
            ep_rew_mean = self.ep_rew_mean.unwrap_or(f64::NAN),
            fps = self.fps.round(),
            approx_kl = self.stats.approx_kl,
            clip_fraction = self.stats.clip_fraction,
            explained_variance = self.stats.explained_variance,
            "ppo update"
        );
    }
}
