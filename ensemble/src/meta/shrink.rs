//! Shrinkage of a meta-learner's weights toward the panel's best pool member:
//! `w' = (1 − λ)·w + λ·e_k`, where `k` is the member with the lowest OWA over the panel's
//! validation windows and `λ` is chosen on weights the learner gave series it was not
//! trained on (cross-fitting over series).
//!
//! Why: a feature-based learner can only beat a strong global member where the features
//! say where that member fails. When they do not (M4 Weekly, where one network trained
//! across the panel is better than any per-series choice), the learner's weights scatter
//! mass over weaker members and the combination loses to its best member. Shrinking toward
//! that member, by as much as held-out series show helps, keeps what the learner knows and
//! caps what it costs: `λ = 1` is the member alone, `λ = 0` the learner alone, and both are
//! on the grid.

use metablend_core::metrics::window::{mase, smape};
use metablend_env::contextual::ContextTask;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// The amounts of shrinkage tried, `0, 0.1, …, 1`.
pub const SHRINK_GRID: [f64; 11] = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];

/// How a meta-learner's weights are pulled toward one pool member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shrinkage {
    /// The member's pool column.
    pub member: usize,
    /// The member's name (for reports; `member` is what applies).
    pub member_name: String,
    /// The weight moved onto the member, in `[0, 1]`.
    pub lambda: f64,
    /// The held-out OWA of each amount on [`SHRINK_GRID`] (how `lambda` was chosen).
    pub held_out_owa: Vec<f64>,
}

impl Shrinkage {
    /// `weights` moved toward the member by `lambda` (still on the simplex).
    pub fn apply(&self, weights: &[f64]) -> Vec<f64> {
        weights
            .iter()
            .enumerate()
            .map(|(k, &w)| {
                let target = if k == self.member { 1.0 } else { 0.0 };
                (1.0 - self.lambda) * w + self.lambda * target
            })
            .collect()
    }
}

/// OWA of combined forecasts over windows: `½(Σ sMAPE / Σ sMAPE_ref + Σ MASE / Σ MASE_ref)`,
/// the references being each window's `ContextTask::reference` (M4's Naive2 rule).
/// `weights(i)` gives window `i`'s combination weights.
pub fn owa(tasks: &[&ContextTask], weights: &dyn Fn(usize) -> Vec<f64>) -> f64 {
    let (mut s, mut m, mut rs, mut rm) = (0.0, 0.0, 0.0, 0.0);
    for (i, task) in tasks.iter().enumerate() {
        let w = weights(i);
        let h = task.target.len();
        let combined: Vec<f64> = (0..h)
            .map(|j| task.forecasts.iter().zip(&w).map(|(f, w)| w * f[j]).sum())
            .collect();
        s += smape(&task.target, &combined);
        m += mase(&task.target, &combined, task.mase_scale);
        rs += task.reference.0;
        rm += task.reference.1;
    }
    0.5 * (s / rs.max(1e-12) + m / rm.max(1e-12))
}

/// Chooses the member and the amount: the member is the pool column with the lowest OWA on
/// `tasks` alone; the amount is the grid point with the lowest OWA of the shrunk
/// `held_out[i]`, the weights of `tasks[i]` from a learner that was not trained on it (ties
/// go to the smaller amount).
pub fn choose(
    tasks: &[&ContextTask],
    held_out: &[Vec<f64>],
    names: &[String],
) -> Result<Shrinkage> {
    let k = names.len();
    if tasks.is_empty() || held_out.len() != tasks.len() || held_out.iter().any(|w| w.len() != k) {
        return Err(Error::Config(format!(
            "shrinkage: {} windows with {} rows of held-out weights, each of {k} (one per \
             pool model) — at least one window is needed",
            tasks.len(),
            held_out.len()
        )));
    }
    let one_hot = |c: usize| {
        (0..k)
            .map(|j| f64::from(u8::from(j == c)))
            .collect::<Vec<_>>()
    };
    let member = (0..k)
        .map(|c| (c, owa(tasks, &|_| one_hot(c))))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(c, _)| c)
        .expect("a pool has models");
    let mut shrinkage = Shrinkage {
        member,
        member_name: names[member].clone(),
        lambda: 0.0,
        held_out_owa: Vec::new(),
    };
    for lambda in SHRINK_GRID {
        shrinkage.lambda = lambda;
        let value = owa(tasks, &|i| shrinkage.apply(&held_out[i]));
        shrinkage.held_out_owa.push(value);
    }
    let best = (0..SHRINK_GRID.len())
        .min_by(|&a, &b| shrinkage.held_out_owa[a].total_cmp(&shrinkage.held_out_owa[b]))
        .expect("the grid is not empty");
    shrinkage.lambda = SHRINK_GRID[best];
    Ok(shrinkage)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(target: &[f64], forecasts: &[&[f64]]) -> ContextTask {
        let reference = (smape(target, forecasts[0]), mase(target, forecasts[0], 1.0));
        ContextTask {
            id: "s".into(),
            context: vec![0.0],
            target: target.to_vec(),
            forecasts: forecasts.iter().map(|f| f.to_vec()).collect(),
            mase_scale: 1.0,
            reference,
        }
    }

    #[test]
    fn applying_keeps_the_simplex_and_ends_at_the_member() {
        let s = Shrinkage {
            member: 1,
            member_name: "b".into(),
            lambda: 0.25,
            held_out_owa: vec![],
        };
        let w = s.apply(&[0.5, 0.2, 0.3]);
        assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!((w[1] - (0.75 * 0.2 + 0.25)).abs() < 1e-12);
        let full = Shrinkage { lambda: 1.0, ..s };
        assert_eq!(full.apply(&[0.5, 0.2, 0.3]), vec![0.0, 1.0, 0.0]);
    }

    #[test]
    fn owa_of_the_reference_is_one() {
        let t = task(&[10.0, 12.0], &[&[9.0, 11.0], &[10.0, 12.5]]);
        let v = owa(&[&t], &|_| vec![1.0, 0.0]);
        assert!((v - 1.0).abs() < 1e-12, "{v}");
    }

    /// The learner's held-out weights favour a bad model: all weight goes to the member.
    #[test]
    fn a_misleading_learner_is_shrunk_all_the_way() {
        let t1 = task(&[10.0, 10.0], &[&[8.0, 8.0], &[10.0, 10.1], &[14.0, 14.0]]);
        let t2 = task(&[5.0, 6.0], &[&[4.0, 4.0], &[5.1, 6.0], &[9.0, 9.0]]);
        let names: Vec<String> = ["naive2", "good", "bad"].map(String::from).to_vec();
        let held_out = vec![vec![0.0, 0.0, 1.0]; 2];
        let s = choose(&[&t1, &t2], &held_out, &names).unwrap();
        assert_eq!((s.member, s.lambda), (1, 1.0));
        assert_eq!(s.member_name, "good");
        assert_eq!(s.held_out_owa.len(), SHRINK_GRID.len());
    }

    /// Errors that cancel: a learner mixing two members beats either, so it is kept.
    #[test]
    fn a_learner_that_beats_the_member_is_kept() {
        let t1 = task(&[10.0, 10.0], &[&[7.0, 7.0], &[9.0, 9.0], &[11.0, 11.0]]);
        let t2 = task(
            &[20.0, 20.0],
            &[&[15.0, 15.0], &[18.0, 18.0], &[22.0, 22.0]],
        );
        let names: Vec<String> = ["naive2", "low", "high"].map(String::from).to_vec();
        // The even mix is exact on both windows; either member alone is not.
        let held_out = vec![vec![0.0, 0.5, 0.5]; 2];
        let s = choose(&[&t1, &t2], &held_out, &names).unwrap();
        assert!(s.member == 1 || s.member == 2, "{s:?}");
        assert_eq!(s.lambda, 0.0);
        assert_eq!(s.held_out_owa[0], 0.0);
        assert!(s.held_out_owa[1..].iter().all(|&v| v > 0.0));
    }

    #[test]
    fn mismatched_inputs_are_errors() {
        let t = task(&[1.0], &[&[1.0], &[2.0]]);
        let names: Vec<String> = ["a", "b"].map(String::from).to_vec();
        assert!(choose(&[&t], &[vec![1.0]], &names).is_err());
        assert!(choose(&[], &[], &names).is_err());
    }
}
