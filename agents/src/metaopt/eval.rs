//! Evaluation of a learned optimizer against tuned hand-designed ones.

use candle_core::Tensor;
use serde::{Deserialize, Serialize};

use super::net::UpdateNet;
use super::tasks::MetaTask;
use super::unroll::unroll;
use crate::{Error, Result};

/// The 13-point log grid 1e-4 … 1 (three points per decade) the baselines are tuned on.
pub const LR_GRID: [f64; 13] = [
    1e-4, 2.154e-4, 4.642e-4, 1e-3, 2.154e-3, 4.642e-3, 1e-2, 2.154e-2, 4.642e-2, 0.1, 0.2154,
    0.4642, 1.0,
];

/// A loss this many times the initial one (or a non-finite loss) counts as divergence.
const DIVERGED: f64 = 10.0;

/// A hand-designed optimiser.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Baseline {
    /// Adam (β = 0.9, 0.999, ε = 1e-8).
    Adam {
        /// Learning rate.
        lr: f64,
    },
    /// Plain gradient descent.
    Sgd {
        /// Learning rate.
        lr: f64,
    },
    /// SGD with momentum 0.9 (heavy ball).
    SgdMomentum {
        /// Learning rate.
        lr: f64,
    },
}

/// A run's training loss before each step and after the last.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Curve {
    /// Losses (`steps + 1` values; the run stops early at a non-finite one).
    pub losses: Vec<f64>,
    /// A non-finite loss, or a final loss above 10× the initial one.
    pub diverged: bool,
}

impl Curve {
    fn from(losses: Vec<f64>) -> Self {
        let l0 = losses[0];
        let last = *losses.last().expect("at least the initial loss");
        let diverged = !last.is_finite() || last > DIVERGED * l0;
        Self { losses, diverged }
    }

    /// The final loss, capped at 10× the initial one (diverged runs count as that).
    pub fn final_capped(&self) -> f64 {
        let l0 = self.losses[0];
        let last = *self.losses.last().expect("at least the initial loss");
        if last.is_finite() {
            last.min(DIVERGED * l0)
        } else {
            DIVERGED * l0
        }
    }
}

/// Runs the learned optimizer; a NaN loss ends the run as diverged.
pub fn run_learned(net: &UpdateNet, task: &dyn MetaTask, seed: u64, steps: usize) -> Result<Curve> {
    match unroll(net, task, seed, steps) {
        Ok(l) => Ok(Curve::from(l)),
        Err(Error::NonFinite(_)) => {
            let l0 = f64::from(task.loss(&task.init(seed)?)?.to_scalar::<f32>()?);
            Ok(Curve::from(vec![l0, f64::NAN]))
        }
        Err(e) => Err(e),
    }
}

/// Runs a hand-designed optimiser from the same initialisation.
pub fn run_baseline(b: Baseline, task: &dyn MetaTask, seed: u64, steps: usize) -> Result<Curve> {
    let mut params = task.init(seed)?;
    let mut m: Vec<Tensor> = params
        .iter()
        .map(|p| p.zeros_like())
        .collect::<candle_core::Result<_>>()?;
    let mut v = m.clone();
    let mut losses = Vec::with_capacity(steps + 1);
    for t in 1..=steps {
        let vars: Vec<candle_core::Var> = params
            .iter()
            .map(candle_core::Var::from_tensor)
            .collect::<candle_core::Result<_>>()?;
        let tensors: Vec<Tensor> = vars.iter().map(|x| x.as_tensor().clone()).collect();
        let loss = task.loss(&tensors)?;
        let value = f64::from(loss.to_scalar::<f32>()?);
        losses.push(value);
        if !value.is_finite() {
            return Ok(Curve::from(losses));
        }
        let grads = loss.backward()?;
        for i in 0..params.len() {
            let g = match grads.get(vars[i].as_tensor()) {
                Some(g) => g.clone(),
                None => params[i].zeros_like()?,
            };
            params[i] = match b {
                Baseline::Adam { lr } => {
                    m[i] = (m[i].affine(0.9, 0.0)? + g.affine(0.1, 0.0)?)?;
                    v[i] = (v[i].affine(0.999, 0.0)? + g.sqr()?.affine(0.001, 0.0)?)?;
                    let mh = m[i].affine(1.0 / (1.0 - 0.9f64.powi(t as i32)), 0.0)?;
                    let vh = v[i].affine(1.0 / (1.0 - 0.999f64.powi(t as i32)), 0.0)?;
                    let step = mh.div(&(vh.sqrt()? + 1e-8)?)?.affine(lr, 0.0)?;
                    params[i].sub(&step)?
                }
                Baseline::Sgd { lr } => params[i].sub(&g.affine(lr, 0.0)?)?,
                Baseline::SgdMomentum { lr } => {
                    m[i] = (m[i].affine(0.9, 0.0)? + g)?;
                    params[i].sub(&m[i].affine(lr, 0.0)?)?
                }
            }
            .detach();
        }
    }
    losses.push(f64::from(task.loss(&params)?.to_scalar::<f32>()?));
    Ok(Curve::from(losses))
}

/// The grid learning rate with the lowest mean log final loss (capped, relative to the
/// initial loss) over `tasks`, and every grid point's score.
pub fn tune_learning_rate(
    make: fn(f64) -> Baseline,
    tasks: &[&dyn MetaTask],
    steps: usize,
) -> Result<(f64, Vec<(f64, f64)>)> {
    let mut scores = Vec::with_capacity(LR_GRID.len());
    for &lr in &LR_GRID {
        let mut total = 0.0;
        for (i, task) in tasks.iter().enumerate() {
            let c = run_baseline(make(lr), *task, i as u64, steps)?;
            total += (c.final_capped() / c.losses[0]).ln();
        }
        scores.push((lr, total / tasks.len() as f64));
    }
    let best = scores
        .iter()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|s| s.0)
        .ok_or_else(|| Error::InvalidInput("no tuning tasks".into()))?;
    Ok((best, scores))
}

/// The learned optimizer against a baseline on the same tasks and initialisations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Tasks compared.
    pub tasks: usize,
    /// Share of tasks where the learned optimizer's final loss is lower.
    pub win_rate: f64,
    /// Mean of ln(final loss learned / final loss baseline) (capped finals).
    pub mean_log_ratio: f64,
    /// 95% interval of that mean (normal approximation).
    pub ci95: (f64, f64),
    /// exp(mean log ratio): the typical final-loss ratio.
    pub typical_ratio: f64,
    /// Share of the learned optimizer's runs that diverged.
    pub learned_divergence: f64,
    /// Share of the baseline's runs that diverged.
    pub baseline_divergence: f64,
}

/// Compares paired runs.
pub fn compare(learned: &[Curve], baseline: &[Curve]) -> Result<Comparison> {
    if learned.len() != baseline.len() || learned.is_empty() {
        return Err(Error::InvalidInput(format!(
            "comparison needs paired runs ({} vs {})",
            learned.len(),
            baseline.len()
        )));
    }
    let n = learned.len() as f64;
    let ratios: Vec<f64> = learned
        .iter()
        .zip(baseline)
        .map(|(a, b)| (a.final_capped() / b.final_capped()).ln())
        .collect();
    let wins = learned
        .iter()
        .zip(baseline)
        .filter(|(a, b)| a.final_capped() < b.final_capped())
        .count();
    let mean = ratios.iter().sum::<f64>() / n;
    let sd = if ratios.len() > 1 {
        (ratios.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    let half = 1.96 * sd / n.sqrt();
    let share = |c: &[Curve]| c.iter().filter(|x| x.diverged).count() as f64 / n;
    Ok(Comparison {
        tasks: learned.len(),
        win_rate: wins as f64 / n,
        mean_log_ratio: mean,
        ci95: (mean - half, mean + half),
        typical_ratio: mean.exp(),
        learned_divergence: share(learned),
        baseline_divergence: share(baseline),
    })
}
