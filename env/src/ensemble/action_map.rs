//! Action maps: how an agent's action becomes combination weights on the simplex.

use crate::{BoxSpace, Discrete, Space};
use serde::{Deserialize, Serialize};

/// Turns an action into weights `w` with `w_k >= 0`, `sum w = 1`. The env validates the action
/// against [`ActionMap::space`] (shape, finiteness) before calling [`ActionMap::weights`].
pub trait ActionMap: Clone + Send + Sync + 'static {
    /// The action space.
    type Space: Space + Clone + Send + Sync;

    /// The action space for `k` models.
    fn space(&self, k: usize) -> Self::Space;

    /// Writes the weights for `action` into `out` (length K). `log_rmse[k]` is the natural log
    /// of model k's RMSE over the last W steps (any common scale).
    fn weights(&self, action: &<Self::Space as Space>::Elem, log_rmse: &[f64], out: &mut [f64]);

    /// Which map this is.
    fn kind(&self) -> ActionMapKind;

    /// Whether [`ActionMap::weights`] reads `log_rmse` (the env skips computing it otherwise).
    fn uses_log_rmse(&self) -> bool {
        false
    }
}

/// The four maps, by name (for configs and CLIs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum ActionMapKind {
    /// [`Softmax`] (the default for PPO).
    #[default]
    Softmax,
    /// [`Residual`].
    Residual,
    /// [`Simplex`].
    Simplex,
    /// [`Select`].
    Select,
}

/// Numerically stable softmax of `logits` into `out`.
pub fn softmax_into(logits: impl Iterator<Item = f64> + Clone, out: &mut [f64]) {
    let max = logits.clone().fold(f64::NEG_INFINITY, f64::max);
    let mut sum = 0.0;
    for (o, l) in out.iter_mut().zip(logits) {
        *o = (l - max).exp();
        sum += *o;
    }
    let inv = 1.0 / sum;
    for o in out.iter_mut() {
        *o *= inv;
    }
}

fn unbounded(k: usize) -> BoxSpace {
    BoxSpace::uniform(f64::NEG_INFINITY, f64::INFINITY, k).expect("infinite bounds are valid")
}

/// `w = softmax(a)`, `a` in R^K: K logits.
#[derive(Debug, Clone, Copy, Default)]
pub struct Softmax;

impl ActionMap for Softmax {
    type Space = BoxSpace;
    fn space(&self, k: usize) -> BoxSpace {
        unbounded(k)
    }
    fn weights(&self, action: &Vec<f64>, _log_rmse: &[f64], out: &mut [f64]) {
        softmax_into(action.iter().copied(), out);
    }
    fn kind(&self) -> ActionMapKind {
        ActionMapKind::Softmax
    }
}

/// `w = softmax(prior + a)` with `prior_k = -2 ln RMSE_k` over the last W steps: the zero
/// action reproduces inverse-MSE (Bates–Granger) weighting, and the agent learns corrections
/// on top of it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Residual;

impl ActionMap for Residual {
    type Space = BoxSpace;
    fn space(&self, k: usize) -> BoxSpace {
        unbounded(k)
    }
    fn weights(&self, action: &Vec<f64>, log_rmse: &[f64], out: &mut [f64]) {
        softmax_into(action.iter().zip(log_rmse).map(|(a, l)| a - 2.0 * l), out);
    }
    fn kind(&self) -> ActionMapKind {
        ActionMapKind::Residual
    }
    fn uses_log_rmse(&self) -> bool {
        true
    }
}

/// `a` in `[0, 1]^K` (clipped), normalised to sum 1; all-zero means equal weights.
#[derive(Debug, Clone, Copy, Default)]
pub struct Simplex;

impl ActionMap for Simplex {
    type Space = BoxSpace;
    fn space(&self, k: usize) -> BoxSpace {
        BoxSpace::uniform(0.0, 1.0, k).expect("valid bounds")
    }
    fn weights(&self, action: &Vec<f64>, _log_rmse: &[f64], out: &mut [f64]) {
        let mut sum = 0.0;
        for (o, a) in out.iter_mut().zip(action) {
            *o = a.clamp(0.0, 1.0);
            sum += *o;
        }
        let k = out.len() as f64;
        for o in out.iter_mut() {
            *o = if sum > 0.0 { *o / sum } else { 1.0 / k };
        }
    }
    fn kind(&self) -> ActionMapKind {
        ActionMapKind::Simplex
    }
}

/// `Discrete(K)`: all weight on one model.
#[derive(Debug, Clone, Copy, Default)]
pub struct Select;

impl ActionMap for Select {
    type Space = Discrete;
    fn space(&self, k: usize) -> Discrete {
        Discrete::new(k).expect("K >= 2")
    }
    fn weights(&self, action: &usize, _log_rmse: &[f64], out: &mut [f64]) {
        for (i, o) in out.iter_mut().enumerate() {
            *o = if i == *action { 1.0 } else { 0.0 };
        }
    }
    fn kind(&self) -> ActionMapKind {
        ActionMapKind::Select
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn on_simplex(w: &[f64]) -> bool {
        w.iter().all(|&x| (0.0..=1.0).contains(&x)) && (w.iter().sum::<f64>() - 1.0).abs() < 1e-12
    }

    #[test]
    fn residual_zero_action_is_inverse_mse() {
        let rmse: [f64; 3] = [1.0, 2.0, 4.0];
        let log: Vec<f64> = rmse.iter().map(|r| r.ln()).collect();
        let mut w = [0.0; 3];
        Residual.weights(&vec![0.0; 3], &log, &mut w);
        let inv: Vec<f64> = rmse.iter().map(|r| 1.0 / (r * r)).collect();
        let s: f64 = inv.iter().sum();
        for (a, b) in w.iter().zip(&inv) {
            assert!((a - b / s).abs() < 1e-12);
        }
    }

    proptest! {
        #[test]
        fn every_map_lands_on_the_simplex(a in proptest::collection::vec(-1e6f64..1e6, 4), sel in 0usize..4) {
            let log = vec![0.3, -2.0, 5.0, 0.0];
            let mut w = [0.0; 4];
            Softmax.weights(&a, &log, &mut w);
            prop_assert!(on_simplex(&w));
            Residual.weights(&a, &log, &mut w);
            prop_assert!(on_simplex(&w));
            Simplex.weights(&a, &log, &mut w);
            prop_assert!(on_simplex(&w));
            Select.weights(&sel, &log, &mut w);
            prop_assert!(on_simplex(&w));
        }
    }
}
