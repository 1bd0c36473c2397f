//! Action distributions: categorical for `Discrete`, diagonal Gaussian with a
//! state-independent log-std for `BoxSpace`.

use crate::{Error, Result};
use candle_core::{DType, Tensor, D};
use metablend_env::{BoxSpace, Discrete, Space};
use rand::Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

const HALF_LN_2PI: f32 = 0.918_938_5;

/// Which distribution the policy network parameterises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum HeadKind {
    /// Categorical over `n` actions; the network outputs logits.
    Categorical {
        /// Number of actions.
        n: usize,
    },
    /// Diagonal Gaussian over `dim` dimensions; the network outputs means.
    Gaussian {
        /// Action dimension.
        dim: usize,
    },
    /// Dirichlet over the `dim`-simplex; the network outputs log-concentrations
    /// `ln alpha` (clamped to ±8, so `alpha` stays in `[e^-8, e^8]`). Actions are points of
    /// the simplex, so combination weights need no softmax and the density ratio stays
    /// exact.
    Dirichlet {
        /// Number of simplex coordinates.
        dim: usize,
    },
}

/// Bound on the Dirichlet head's log-concentrations: `alpha` stays in `[e^-8, e^8]`.
pub const MAX_LOG_ALPHA: f64 = 8.0;

/// Smallest simplex coordinate a Dirichlet action takes (sampled points are floored here and
/// renormalised, so `ln x` stays finite).
const MIN_SIMPLEX_COORD: f64 = 1e-6;

fn dirichlet_log_prob(alpha: &[f64], x: &[f32]) -> f64 {
    let a0: f64 = alpha.iter().sum();
    let mut lp = metablend_core::math::ln_gamma(a0);
    for (&a, &xi) in alpha.iter().zip(x) {
        lp += (a - 1.0) * (xi as f64).ln() - metablend_core::math::ln_gamma(a);
    }
    lp
}

impl HeadKind {
    /// Policy network outputs.
    pub fn out_dim(&self) -> usize {
        match *self {
            HeadKind::Categorical { n } => n,
            HeadKind::Gaussian { dim } | HeadKind::Dirichlet { dim } => dim,
        }
    }

    /// Length of a stored (raw) action.
    pub fn action_dim(&self) -> usize {
        match *self {
            HeadKind::Categorical { .. } => 1,
            HeadKind::Gaussian { dim } | HeadKind::Dirichlet { dim } => dim,
        }
    }

    /// ln π(raw | out) of a raw action under one row of network outputs (categorical: an
    /// index; Gaussian: the unclipped sample).
    pub fn log_prob(&self, out: &[f32], log_std: &[f32], raw: &[f32]) -> Result<f32> {
        match *self {
            HeadKind::Categorical { n } => {
                let a = raw.first().copied().unwrap_or(-1.0);
                if !(a >= 0.0 && (a as usize) < n && a.fract() == 0.0) {
                    return Err(Error::InvalidInput(format!("action {a} outside 0..{n}")));
                }
                let max = out.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let lse = max + out.iter().map(|l| (l - max).exp()).sum::<f32>().ln();
                Ok(out[a as usize] - lse)
            }
            HeadKind::Gaussian { .. } => {
                if raw.len() != out.len() {
                    return Err(Error::InvalidInput(format!(
                        "action has {} values, the policy {}",
                        raw.len(),
                        out.len()
                    )));
                }
                Ok(raw
                    .iter()
                    .zip(out)
                    .zip(log_std)
                    .map(|((&a, &mu), &ls)| {
                        let z = (a - mu) / ls.exp();
                        -0.5 * z * z - ls - HALF_LN_2PI
                    })
                    .sum())
            }
            HeadKind::Dirichlet { .. } => Err(Error::UnsupportedSpace(
                "log-probabilities of logged actions are implemented for categorical and Gaussian heads".into(),
            )),
        }
    }

    /// Samples (or takes the mode of) one action from one row of network outputs; returns the
    /// raw action and its log-probability.
    pub fn sample<R: Rng + ?Sized>(
        &self,
        out: &[f32],
        log_std: &[f32],
        deterministic: bool,
        rng: &mut R,
    ) -> (Vec<f32>, f32) {
        match *self {
            HeadKind::Categorical { n } => {
                let max = out.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let lse = max + out.iter().map(|l| (l - max).exp()).sum::<f32>().ln();
                let a = if deterministic {
                    (0..n).fold(0, |best, i| if out[i] > out[best] { i } else { best })
                } else {
                    let u: f32 = rng.random();
                    let mut acc = 0.0;
                    let mut pick = n - 1;
                    for (i, l) in out.iter().enumerate() {
                        acc += (l - lse).exp();
                        if u < acc {
                            pick = i;
                            break;
                        }
                    }
                    pick
                };
                (vec![a as f32], out[a] - lse)
            }
            HeadKind::Gaussian { .. } => {
                let mut logp = 0.0;
                let action = out
                    .iter()
                    .zip(log_std)
                    .map(|(&mu, &ls)| {
                        let z: f32 = if deterministic {
                            0.0
                        } else {
                            rng.sample(StandardNormal)
                        };
                        logp += -0.5 * z * z - ls - HALF_LN_2PI;
                        mu + ls.exp() * z
                    })
                    .collect();
                (action, logp)
            }
            HeadKind::Dirichlet { .. } => {
                let alpha: Vec<f64> = out
                    .iter()
                    .map(|&o| (o as f64).clamp(-MAX_LOG_ALPHA, MAX_LOG_ALPHA).exp())
                    .collect();
                let mut x: Vec<f64> = if deterministic {
                    alpha.clone()
                } else {
                    alpha
                        .iter()
                        .map(|&a| {
                            let g = rand_distr::Gamma::new(a, 1.0).expect("alpha > 0 is valid");
                            rng.sample(g).max(f64::MIN_POSITIVE)
                        })
                        .collect()
                };
                let sum: f64 = x.iter().sum();
                x.iter_mut()
                    .for_each(|v| *v = (*v / sum).max(MIN_SIMPLEX_COORD));
                let sum: f64 = x.iter().sum();
                let action: Vec<f32> = x.iter().map(|v| (v / sum) as f32).collect();
                let logp = dirichlet_log_prob(&alpha, &action) as f32;
                (action, logp)
            }
        }
    }

    /// Log-probabilities `(batch,)` of `actions` and entropies `(batch,)` under the
    /// distribution given by network outputs `out` (and `log_std` for Gaussians), as
    /// differentiable tensors.
    pub fn log_prob_entropy(
        &self,
        out: &Tensor,
        actions: &Tensor,
        log_std: Option<&Tensor>,
    ) -> Result<(Tensor, Tensor)> {
        match *self {
            HeadKind::Categorical { .. } => {
                let lsm = candle_nn::ops::log_softmax(out, D::Minus1)?;
                let idx = actions.to_dtype(DType::U32)?;
                let logp = lsm.gather(&idx, 1)?.squeeze(1)?;
                let entropy = (lsm.exp()? * &lsm)?.sum(1)?.neg()?;
                Ok((logp, entropy))
            }
            HeadKind::Gaussian { .. } => {
                let ls = log_std.ok_or_else(|| {
                    Error::UnsupportedSpace("Gaussian head without log_std".into())
                })?;
                let z = actions.broadcast_sub(out)?.broadcast_div(&ls.exp()?)?;
                let per_dim = ((z.sqr()? * -0.5)?.broadcast_sub(ls)? - HALF_LN_2PI as f64)?;
                let logp = per_dim.sum(1)?;
                let ent = (ls.sum_all()? + (0.5 + HALF_LN_2PI as f64) * ls.elem_count() as f64)?;
                let entropy = ent.broadcast_as(logp.shape())?.contiguous()?;
                Ok((logp, entropy))
            }
            HeadKind::Dirichlet { dim } => {
                use super::special::{digamma_t, ln_gamma_t};
                let alpha = out.clamp(-MAX_LOG_ALPHA, MAX_LOG_ALPHA)?.exp()?;
                let a0 = alpha.sum_keepdim(1)?;
                let ln_b = (ln_gamma_t(&alpha)?.sum(1)? - ln_gamma_t(&a0)?.squeeze(1)?)?;
                let am1 = (&alpha - 1.0)?;
                let logp = ((am1.mul(&actions.log()?)?.sum(1)?) - &ln_b)?;
                // H = ln B(alpha) + (alpha0 - K) psi(alpha0) - sum (alpha_i - 1) psi(alpha_i)
                let entropy = ((&ln_b + ((&a0 - dim as f64)? * digamma_t(&a0)?)?.squeeze(1)?)?
                    - am1.mul(&digamma_t(&alpha)?)?.sum(1)?)?;
                Ok((logp, entropy))
            }
        }
    }
}

/// An env action space a PPO policy can serve.
pub trait PolicySpace: Space {
    /// The matching distribution, or an error saying why this space is unsupported.
    fn head(&self) -> Result<HeadKind>;

    /// The Dirichlet head for this space, or an error saying why it does not apply (only
    /// `[0, 1]^K` boxes with `K >= 2`, such as the ensemble env's `Simplex` action map).
    fn dirichlet_head(&self) -> Result<HeadKind> {
        Err(Error::UnsupportedSpace(
            "a Dirichlet head needs a [0, 1]^K Box action space".into(),
        ))
    }

    /// The env action for a raw policy action (an index for `Discrete`; for a box, the
    /// Gaussian sample clipped into the bounds, as SB3 does; unbounded boxes pass through).
    fn to_env_action(&self, raw: &[f32]) -> Self::Elem;
}

impl PolicySpace for Discrete {
    fn head(&self) -> Result<HeadKind> {
        Ok(HeadKind::Categorical { n: self.n() })
    }

    fn to_env_action(&self, raw: &[f32]) -> usize {
        raw[0] as usize
    }
}

impl PolicySpace for BoxSpace {
    fn head(&self) -> Result<HeadKind> {
        if self.shape().len() != 1 {
            return Err(Error::UnsupportedSpace(format!(
                "PPO serves flat Box action spaces; got shape {:?}",
                self.shape()
            )));
        }
        Ok(HeadKind::Gaussian { dim: self.dim() })
    }

    fn dirichlet_head(&self) -> Result<HeadKind> {
        let unit = self.low().iter().all(|&l| l == 0.0) && self.high().iter().all(|&h| h == 1.0);
        if self.shape().len() != 1 || self.dim() < 2 || !unit {
            return Err(Error::UnsupportedSpace(format!(
                "a Dirichlet head needs a flat [0, 1]^K box with K >= 2; got shape {:?}, low {:?}, high {:?}",
                self.shape(),
                self.low(),
                self.high()
            )));
        }
        Ok(HeadKind::Dirichlet { dim: self.dim() })
    }

    fn to_env_action(&self, raw: &[f32]) -> Vec<f64> {
        raw.iter()
            .zip(self.low().iter().zip(self.high()))
            .map(|(&a, (&l, &h))| (a as f64).clamp(l, h))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;
    use rand::SeedableRng;

    #[test]
    fn sampled_log_probs_match_the_tensor_computation() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(0);
        let dev = Device::Cpu;
        let out = [0.3f32, -1.2, 0.7];
        let ls = [-0.5f32, 0.2, 0.0];
        for head in [
            HeadKind::Categorical { n: 3 },
            HeadKind::Gaussian { dim: 3 },
        ] {
            let (a, lp) = head.sample(&out, &ls, false, &mut rng);
            let out_t = Tensor::from_slice(&out, (1, 3), &dev).unwrap();
            let a_t = Tensor::from_slice(&a, (1, a.len()), &dev).unwrap();
            let ls_t = Tensor::from_slice(&ls, 3, &dev).unwrap();
            let (lp_t, ent) = head.log_prob_entropy(&out_t, &a_t, Some(&ls_t)).unwrap();
            let lp_t = lp_t.to_vec1::<f32>().unwrap()[0];
            assert!((lp - lp_t).abs() < 1e-5, "{head:?}: {lp} vs {lp_t}");
            assert!(ent.to_vec1::<f32>().unwrap()[0] > 0.0);
        }
    }

    #[test]
    fn categorical_sampling_follows_the_probabilities() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let head = HeadKind::Categorical { n: 2 };
        let out = [0.0f32, 3f32.ln()]; // p = 1/4, 3/4
        let ones = (0..20_000)
            .filter(|_| head.sample(&out, &[], false, &mut rng).0[0] == 1.0)
            .count();
        assert!((ones as f64 / 20_000.0 - 0.75).abs() < 0.015);
        assert_eq!(head.sample(&out, &[], true, &mut rng).0, vec![1.0]);
    }

    #[test]
    fn box_actions_are_clipped_to_bounds() {
        let space = BoxSpace::uniform(-2.0, 2.0, 2).unwrap();
        assert_eq!(space.to_env_action(&[5.0, -0.5]), vec![2.0, -0.5]);
    }

    #[test]
    fn dirichlet_samples_lie_on_the_simplex_with_the_right_mean() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(2);
        let head = HeadKind::Dirichlet { dim: 3 };
        let out = [2f32.ln(), 0.0, 1f32.ln() - 1.0]; // alpha = 2, 1, 1/e
        let alpha = [2.0f64, 1.0, (-1.0f64).exp()];
        let a0: f64 = alpha.iter().sum();
        let mut mean = [0.0f64; 3];
        let n = 20_000;
        for _ in 0..n {
            let (x, lp) = head.sample(&out, &[], false, &mut rng);
            assert!(lp.is_finite());
            assert!((x.iter().sum::<f32>() - 1.0).abs() < 1e-5 && x.iter().all(|&v| v > 0.0));
            for (m, v) in mean.iter_mut().zip(&x) {
                *m += *v as f64 / n as f64;
            }
        }
        for (m, a) in mean.iter().zip(alpha) {
            assert!((m - a / a0).abs() < 0.01, "{mean:?}");
        }
        let (mode, _) = head.sample(&out, &[], true, &mut rng);
        assert!((mode[0] as f64 - 2.0 / a0).abs() < 1e-6);
    }

    #[test]
    fn dirichlet_entropy_matches_the_closed_form() {
        // Dirichlet(1, 1, 1) is uniform on the 2-simplex (area 1/2): entropy ln(1/2).
        let dev = Device::Cpu;
        let out = Tensor::zeros((1, 3), DType::F32, &dev).unwrap();
        let x = Tensor::from_slice(&[0.2f32, 0.3, 0.5], (1, 3), &dev).unwrap();
        let (lp, ent) = HeadKind::Dirichlet { dim: 3 }
            .log_prob_entropy(&out, &x, None)
            .unwrap();
        assert!((ent.to_vec1::<f32>().unwrap()[0] - 0.5f32.ln()).abs() < 1e-5);
        assert!((lp.to_vec1::<f32>().unwrap()[0] - 2f32.ln()).abs() < 1e-5);
        let space = BoxSpace::uniform(0.0, 1.0, 3).unwrap();
        assert_eq!(
            space.dirichlet_head().unwrap(),
            HeadKind::Dirichlet { dim: 3 }
        );
        assert!(BoxSpace::uniform(-1.0, 1.0, 3)
            .unwrap()
            .dirichlet_head()
            .is_err());
        assert!(Discrete::new(3).unwrap().dirichlet_head().is_err());
    }
}
