//! Antithetic evolution-strategies gradients of φ (Salimans et al. 2017): perturb φ, run the
//! optimizer with φ ± σε, and step along the noise weighted by the objective's difference.
//! Used by the optional ES meta-gradient and by ES fine-tuning.

use candle_core::Var;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use super::net::UpdateNet;
use super::tasks::MetaTask;
use super::unroll::unroll;
use crate::{Error, Result};
use metablend_nn::{clip_grad_norm, read_vars, write_vars, Adam};

/// Antithetic evolution-strategies gradient settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EsConfig {
    /// Perturbation scale.
    pub sigma: f64,
    /// Antithetic pairs per estimate.
    pub pairs: usize,
}

/// Mean of `ln(L_t / L_0)` over the last `tail` losses after the first (all of them for
/// `usize::MAX`), each capped at `clip`; a non-finite loss counts as the cap.
pub(crate) fn tail_objective(losses: &[f64], tail: usize, clip: f64) -> f64 {
    let l0 = losses[0];
    let from = losses.len().saturating_sub(tail).max(1);
    let terms = &losses[from..];
    terms
        .iter()
        .map(|l| {
            if l.is_finite() {
                (l / l0).clamp(1e-12, clip).ln()
            } else {
                clip.ln()
            }
        })
        .sum::<f64>()
        / terms.len().max(1) as f64
}

/// `phi + scale · noise`, entry by entry.
pub(crate) fn perturbed(phi: &[Vec<f32>], noise: &[Vec<f32>], scale: f32) -> Vec<Vec<f32>> {
    phi.iter()
        .zip(noise)
        .map(|(p, e)| p.iter().zip(e).map(|(a, b)| a + scale * b).collect())
        .collect()
}

/// The ES objective of one run: [`tail_objective`] of its losses, or the capped loss's
/// logarithm when the run turns NaN (so φ moves away from it).
pub(crate) fn run_objective(
    net: &UpdateNet,
    task: &dyn MetaTask,
    seed: u64,
    steps: usize,
    tail: usize,
    clip: f64,
) -> Result<f64> {
    match unroll(net, task, seed, steps) {
        Ok(losses) => Ok(tail_objective(&losses, tail, clip)),
        Err(Error::NonFinite(_)) => Ok(clip.ln()),
        Err(e) => Err(e),
    }
}

/// Settings of one antithetic ES update.
pub(crate) struct EsStep {
    pub sigma: f64,
    pub max_grad_norm: f64,
    pub lr: f64,
}

/// Applies the antithetic ES gradient estimate `Σ (f₊ − f₋) / (2σn) · noise` of `runs`
/// (noise, f₊, f₋) to φ = `phi` through `adam` (after global-norm clipping) and writes φ
/// into `vars`; returns the mean of the runs' objectives.
pub(crate) fn apply_es_gradient(
    vars: &[Var],
    mut phi: Vec<Vec<f32>>,
    runs: &[(Vec<Vec<f32>>, f64, f64)],
    step: &EsStep,
    adam: &mut Adam,
) -> Result<f64> {
    let n = runs.len() as f64;
    let mut grad: Vec<Vec<f32>> = phi.iter().map(|p| vec![0.0; p.len()]).collect();
    for (noise, plus, minus) in runs {
        let coef = ((plus - minus) / (2.0 * step.sigma * n)) as f32;
        for (g, e) in grad.iter_mut().zip(noise) {
            for (a, b) in g.iter_mut().zip(e) {
                *a += coef * b;
            }
        }
    }
    let shapes: Vec<&[usize]> = vars.iter().map(|v| v.dims()).collect();
    clip_grad_norm(&mut grad, &shapes, step.max_grad_norm as f32);
    adam.update(&mut phi, &grad, step.lr as f32);
    write_vars(vars, &phi)?;
    Ok(runs.iter().map(|(_, p, m)| 0.5 * (p + m)).sum::<f64>() / n)
}

/// An antithetic ES estimate of the meta-loss gradient over the whole run; one φ update.
#[allow(clippy::too_many_arguments)]
pub(crate) fn es_iteration(
    es: &EsConfig,
    step: &EsStep,
    loss_clip: f64,
    net: &UpdateNet,
    vars: &[Var],
    adam: &mut Adam,
    task: &dyn MetaTask,
    seed: u64,
    horizon: usize,
    rng: &mut ChaCha8Rng,
) -> Result<f64> {
    let phi = read_vars(vars)?;
    let mut runs = Vec::with_capacity(es.pairs);
    for _ in 0..es.pairs {
        let eps: Vec<Vec<f32>> = phi
            .iter()
            .map(|p| {
                p.iter()
                    .map(|_| rng.sample::<f32, _>(StandardNormal))
                    .collect()
            })
            .collect();
        let value = |sign: f32| -> Result<f64> {
            write_vars(vars, &perturbed(&phi, &eps, sign * es.sigma as f32))?;
            run_objective(net, task, seed, horizon, usize::MAX, loss_clip)
        };
        let (plus, minus) = (value(1.0)?, value(-1.0)?);
        runs.push((eps, plus, minus));
    }
    apply_es_gradient(vars, phi, &runs, step, adam)
}
