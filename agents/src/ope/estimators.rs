//! Off-policy estimators of a target policy's expected discounted return (over the logged
//! horizon) from trajectories of a behaviour policy (Precup, Sutton & Singh 2000; Jiang & Li
//! 2016; Thomas & Brunskill 2016).
//!
//! With ρ_t = π_e(a_t|s_t)/π_b(a_t|s_t) and w_t = ρ_0 ⋯ ρ_t (w_{−1} = 1):
//! - IS: mean over episodes of w_T·G;  WIS: Σ w_T G / Σ w_T;
//! - PDIS: mean of Σ_t γ^t w_t r_t;  WPDIS: Σ_t γ^t (Σ_i w_{i,t} r_{i,t} / Σ_i w_{i,t}) over the
//!   episodes that reach t;
//! - DR: PDIS + Σ_t γ^t (w_{t−1} − w_t) V̂(s_t), unbiased for any V̂ since E_b[ρ_t | s_t] = 1;
//!   V̂ is a ridge regression of the per-decision IS return-to-go on (1, s), cross-fitted on
//!   two halves of the episodes so no episode is scored by a model fitted on it.
//!
//! Intervals are percentile bootstraps over episodes. The report carries the effective
//! sample size (Σw)²/Σw² of the trajectory weights and the largest weights: when a few
//! episodes carry most of the weight, no importance-sampling estimate is reliable.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha12Rng;
use serde::{Deserialize, Serialize};

use super::log::{LoggedAction, Trajectory};
use crate::{Error, Result};

/// The estimators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Estimator {
    /// Trajectory-wise importance sampling.
    Is,
    /// Weighted (self-normalised) IS.
    Wis,
    /// Per-decision IS.
    Pdis,
    /// Weighted per-decision IS.
    Wpdis,
    /// Per-decision doubly robust with a cross-fitted linear value model.
    Dr,
}

impl Estimator {
    /// The usual abbreviation.
    pub fn label(self) -> &'static str {
        match self {
            Self::Is => "IS",
            Self::Wis => "WIS",
            Self::Pdis => "PDIS",
            Self::Wpdis => "WPDIS",
            Self::Dr => "DR",
        }
    }

    /// All of them, in report order.
    pub const ALL: [Estimator; 5] = [Self::Is, Self::Wis, Self::Pdis, Self::Wpdis, Self::Dr];
}

/// Settings of an evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OpeSettings {
    /// Discount factor.
    pub gamma: f64,
    /// Bootstrap resamples for the intervals.
    pub bootstrap: usize,
    /// Interval level (0.95: a 95% interval).
    pub level: f64,
    /// Seed of the bootstrap.
    pub seed: u64,
    /// Ridge penalty of the value model.
    pub ridge: f64,
}

impl Default for OpeSettings {
    fn default() -> Self {
        Self {
            gamma: 0.99,
            bootstrap: 1000,
            level: 0.95,
            seed: 0,
            ridge: 1e-3,
        }
    }
}

/// One estimate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// Which estimator.
    pub estimator: Estimator,
    /// The point estimate.
    pub value: f64,
    /// Lower end of the bootstrap interval.
    pub ci_low: f64,
    /// Upper end of the bootstrap interval.
    pub ci_high: f64,
}

/// Every estimate with the diagnostics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpeReport {
    /// Episodes in the log.
    pub episodes: usize,
    /// Steps in the log.
    pub steps: usize,
    /// The behaviour policy's own average discounted return (the on-policy value of the log).
    pub behavior_value: f64,
    /// The estimates.
    pub estimates: Vec<Estimate>,
    /// Effective sample size of the trajectory weights, (Σw)²/Σw².
    pub effective_sample_size: f64,
    /// The largest trajectory weights, as (episode, weight), largest first.
    pub largest_weights: Vec<(u64, f64)>,
    /// Share of the total trajectory weight carried by the largest one.
    pub max_weight_share: f64,
    /// The settings used.
    pub settings: OpeSettings,
    /// Why the intervals could not be computed (no bootstrap resamples, or a single
    /// episode); `None` when they were. The estimates' interval ends then equal the values.
    #[serde(default)]
    pub interval_unavailable: Option<String>,
}

impl OpeReport {
    /// A Markdown table of the estimates and the diagnostics.
    pub fn to_markdown(&self) -> String {
        let pct = self.settings.level * 100.0;
        let mut out = format!("| estimator | value | {pct:.0}% interval |\n|---|---|---|\n");
        for e in &self.estimates {
            let interval = match &self.interval_unavailable {
                Some(_) => "unavailable".to_string(),
                None => format!("[{:.6}, {:.6}]", e.ci_low, e.ci_high),
            };
            out += &format!(
                "| {} | {:.6} | {interval} |\n",
                e.estimator.label(),
                e.value
            );
        }
        if let Some(why) = &self.interval_unavailable {
            out += &format!("\nNo intervals: {why}.\n");
        }
        out += &format!(
            "\n{} episodes, {} steps; behaviour policy's own value {:.6}; effective sample size {:.1} ({:.1}% of episodes); largest weight carries {:.1}% of the total.\n",
            self.episodes,
            self.steps,
            self.behavior_value,
            self.effective_sample_size,
            100.0 * self.effective_sample_size / self.episodes as f64,
            100.0 * self.max_weight_share
        );
        out
    }
}

/// Per-episode quantities every estimator is built from.
struct Episode {
    rewards: Vec<f64>,
    /// w_t for each step.
    weights: Vec<f64>,
    /// The observations.
    obs: Vec<Vec<f64>>,
    /// Per-decision IS return-to-go from each step (the value-model targets).
    return_to_go: Vec<f64>,
    discounted_return: f64,
}

/// Ridge regression of `y` on (1, x); returns the coefficients.
fn ridge_fit(xs: &[&[f64]], ys: &[f64], ridge: f64) -> Option<Vec<f64>> {
    let d = xs.first()?.len() + 1;
    let mut a = vec![0.0; d * d];
    let mut b = vec![0.0; d];
    let mut row = vec![0.0; d];
    for (x, &y) in xs.iter().zip(ys) {
        row[0] = 1.0;
        row[1..].copy_from_slice(x);
        for i in 0..d {
            b[i] += row[i] * y;
            for j in 0..d {
                a[i * d + j] += row[i] * row[j];
            }
        }
    }
    for i in 1..d {
        a[i * d + i] += ridge * xs.len() as f64;
    }
    a[0] += 1e-12;
    metablend_core::math::solve_dense(&mut a, &mut b)?;
    Some(b)
}

fn predict(coef: &[f64], x: &[f64]) -> f64 {
    coef[0] + coef[1..].iter().zip(x).map(|(c, v)| c * v).sum::<f64>()
}

/// Per-episode DR contributions with a value model cross-fitted on two halves.
fn dr_contributions(episodes: &[Episode], gamma: f64, ridge: f64) -> Vec<f64> {
    let fold = |parity: usize| -> Option<Vec<f64>> {
        let mut xs: Vec<&[f64]> = Vec::new();
        let mut ys = Vec::new();
        for e in episodes.iter().skip(parity).step_by(2) {
            for (x, y) in e.obs.iter().zip(&e.return_to_go) {
                xs.push(x);
                ys.push(*y);
            }
        }
        ridge_fit(&xs, &ys, ridge)
    };
    let models = [fold(1), fold(0)]; // episode i is scored by the model fitted on the other half
    episodes
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let mut total = 0.0;
            let mut discount = 1.0;
            let mut prev_w = 1.0;
            for (t, (&r, &w)) in e.rewards.iter().zip(&e.weights).enumerate() {
                let v = models[i % 2]
                    .as_ref()
                    .map_or(0.0, |c| predict(c, &e.obs[t]));
                total += discount * (w * r + (prev_w - w) * v);
                prev_w = w;
                discount *= gamma;
            }
            total
        })
        .collect()
}

fn point_estimates(episodes: &[Episode], idx: &[usize], gamma: f64, dr: &[f64]) -> [f64; 5] {
    let n = idx.len() as f64;
    let (mut is, mut wis_num, mut wis_den, mut pdis, mut dr_sum) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let horizon = idx
        .iter()
        .map(|&i| episodes[i].rewards.len())
        .max()
        .unwrap_or(0);
    let mut wpdis_num = vec![0.0; horizon];
    let mut wpdis_den = vec![0.0; horizon];
    for &i in idx {
        let e = &episodes[i];
        let w_end = *e.weights.last().unwrap_or(&1.0);
        is += w_end * e.discounted_return;
        wis_num += w_end * e.discounted_return;
        wis_den += w_end;
        let mut discount = 1.0;
        for (t, (&r, &w)) in e.rewards.iter().zip(&e.weights).enumerate() {
            pdis += discount * w * r;
            wpdis_num[t] += w * r;
            wpdis_den[t] += w;
            discount *= gamma;
        }
        dr_sum += dr[i];
    }
    let mut wpdis = 0.0;
    let mut discount = 1.0;
    for t in 0..horizon {
        if wpdis_den[t] > 0.0 {
            wpdis += discount * wpdis_num[t] / wpdis_den[t];
        }
        discount *= gamma;
    }
    let wis = if wis_den > 0.0 {
        wis_num / wis_den
    } else {
        0.0
    };
    [is / n, wis, pdis / n, wpdis, dr_sum / n]
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (pos - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Estimates the target policy's value from `log`; `target_log_prob(obs, action)` gives
/// ln π_e(action | obs).
pub fn evaluate_off_policy(
    log: &[Trajectory],
    mut target_log_prob: impl FnMut(&[f64], &LoggedAction) -> Result<f64>,
    settings: &OpeSettings,
) -> Result<OpeReport> {
    if log.is_empty() {
        return Err(Error::InvalidInput("the log has no episodes".into()));
    }
    let valid =
        (0.0..=1.0).contains(&settings.gamma) && settings.level > 0.0 && settings.level < 1.0;
    if !valid {
        return Err(Error::InvalidInput(format!(
            "gamma must be in [0, 1] and level in (0, 1) (got {}, {})",
            settings.gamma, settings.level
        )));
    }
    let gamma = settings.gamma;
    let mut episodes = Vec::with_capacity(log.len());
    for traj in log {
        let mut log_w = 0.0;
        let mut weights = Vec::with_capacity(traj.steps.len());
        let mut ratios = Vec::with_capacity(traj.steps.len());
        for step in &traj.steps {
            let lp = target_log_prob(&step.obs, &step.action)?;
            if !(lp.is_finite() || lp == f64::NEG_INFINITY) {
                return Err(Error::InvalidInput(format!(
                    "target log-probability {lp} at episode {}, t = {}",
                    traj.episode, step.t
                )));
            }
            let log_rho = lp - step.behavior_log_prob;
            log_w += log_rho;
            ratios.push(log_rho.exp());
            weights.push(log_w.exp());
        }
        let rewards: Vec<f64> = traj.steps.iter().map(|s| s.reward).collect();
        let mut return_to_go = vec![0.0; rewards.len()];
        let mut next = 0.0;
        for t in (0..rewards.len()).rev() {
            next = ratios[t] * (rewards[t] + gamma * next);
            return_to_go[t] = next;
        }
        if weights.iter().chain(&return_to_go).any(|v| !v.is_finite()) {
            return Err(Error::InvalidInput(format!(
                "importance weights overflow in episode {} (the policies are too far apart)",
                traj.episode
            )));
        }
        episodes.push(Episode {
            discounted_return: traj.discounted_return(gamma),
            rewards,
            weights,
            obs: traj.steps.iter().map(|s| s.obs.clone()).collect(),
            return_to_go,
        });
    }
    let n = episodes.len();
    let dr = dr_contributions(&episodes, gamma, settings.ridge);
    let all: Vec<usize> = (0..n).collect();
    let point = point_estimates(&episodes, &all, gamma, &dr);
    let mut rng = ChaCha12Rng::seed_from_u64(settings.seed);
    metablend_core::limits::check_fits("bootstrap resamples", settings.bootstrap as u128, 5 * 8)?;
    let mut samples: Vec<Vec<f64>> = (0..5)
        .map(|_| Vec::with_capacity(settings.bootstrap))
        .collect();
    let mut idx = vec![0usize; n];
    for _ in 0..settings.bootstrap {
        idx.iter_mut().for_each(|i| *i = rng.random_range(0..n));
        for (k, v) in point_estimates(&episodes, &idx, gamma, &dr)
            .into_iter()
            .enumerate()
        {
            samples[k].push(v);
        }
    }
    let alpha = (1.0 - settings.level) / 2.0;
    let estimates = Estimator::ALL
        .iter()
        .enumerate()
        .map(|(k, &estimator)| {
            let mut s = samples[k].clone();
            s.sort_by(f64::total_cmp);
            let (ci_low, ci_high) = if s.is_empty() {
                (point[k], point[k])
            } else {
                (quantile(&s, alpha), quantile(&s, 1.0 - alpha))
            };
            Estimate {
                estimator,
                value: point[k],
                ci_low,
                ci_high,
            }
        })
        .collect();
    let w_end: Vec<f64> = episodes
        .iter()
        .map(|e| *e.weights.last().unwrap_or(&1.0))
        .collect();
    let total: f64 = w_end.iter().sum();
    let squares: f64 = w_end.iter().map(|w| w * w).sum();
    let mut largest: Vec<(u64, f64)> = log
        .iter()
        .map(|t| t.episode)
        .zip(w_end.iter().copied())
        .collect();
    largest.sort_by(|a, b| b.1.total_cmp(&a.1));
    largest.truncate(5);
    Ok(OpeReport {
        episodes: n,
        steps: episodes.iter().map(|e| e.rewards.len()).sum(),
        behavior_value: episodes.iter().map(|e| e.discounted_return).sum::<f64>() / n as f64,
        estimates,
        effective_sample_size: if squares > 0.0 {
            total * total / squares
        } else {
            0.0
        },
        max_weight_share: if total > 0.0 {
            largest.first().map_or(0.0, |l| l.1 / total)
        } else {
            0.0
        },
        largest_weights: largest,
        settings: settings.clone(),
        interval_unavailable: if settings.bootstrap == 0 {
            Some("no bootstrap resamples (--bootstrap 0)".into())
        } else if n < 2 {
            Some("a single episode cannot be resampled".into())
        } else {
            None
        },
    })
}
