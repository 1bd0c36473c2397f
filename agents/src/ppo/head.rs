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
}

impl HeadKind {
    /// Policy network outputs.
    pub fn out_dim(&self) -> usize {
        match *self {
            HeadKind::Categorical { n } => n,
            HeadKind::Gaussian { dim } => dim,
        }
    }

    /// Length of a stored (raw) action.
    pub fn action_dim(&self) -> usize {
        match *self {
            HeadKind::Categorical { .. } => 1,
            HeadKind::Gaussian { dim } => dim,
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
        }
    }
}

/// An env action space a PPO policy can serve.
pub trait PolicySpace: Space {
    /// The matching distribution, or an error saying why this space is unsupported.
    fn head(&self) -> Result<HeadKind>;

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
}
