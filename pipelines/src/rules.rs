//! Per-series combination rules from the pool's validation losses, shared by the M4
//! protocol and the forecasting path.

use metablend_env::contextual::ContextPanel;

/// All weight on the model with the lowest loss.
pub(crate) fn best_one(losses: &[f64]) -> Vec<f64> {
    let best = (0..losses.len())
        .min_by(|&a, &b| losses[a].total_cmp(&losses[b]))
        .unwrap_or(0);
    let mut w = vec![0.0; losses.len()];
    w[best] = 1.0;
    w
}

/// Weights proportional to the inverse of each model's loss.
pub(crate) fn inverse_error(losses: &[f64]) -> Vec<f64> {
    let inv: Vec<f64> = losses.iter().map(|l| 1.0 / l.max(1e-8)).collect();
    let sum: f64 = inv.iter().sum();
    inv.iter().map(|v| v / sum).collect()
}

/// `rule` applied to every task's losses.
pub(crate) fn rule_weights(ctx: &ContextPanel, rule: fn(&[f64]) -> Vec<f64>) -> Vec<Vec<f64>> {
    ctx.losses().iter().map(|l| rule(l)).collect()
}
