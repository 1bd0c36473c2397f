//! The PPO loss for a categorical policy as one candle op with a hand-derived backward.
//!
//! On CartPole-sized problems the update is dominated by per-op overhead: log-softmax,
//! gather, ratio, clip, min and the means are some 35 tiny ops forward and twice that
//! backward. Here they are one loop each way. The generic tensor path in `learner.rs` stays
//! the reference: a test checks that loss and gradients agree.

use candle_core::{CpuStorage, CustomOp2, Layout, Shape, Tensor};
use std::sync::{Arc, Mutex};

/// Statistics of one evaluation of the loss.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LossStats {
    /// Clipped-surrogate loss.
    pub pg_loss: f64,
    /// Value loss.
    pub v_loss: f64,
    /// Minus the mean entropy.
    pub ent_loss: f64,
    /// Total loss.
    pub loss: f64,
    /// Approximate KL (k3 estimator).
    pub approx_kl: f64,
    /// Fraction of clipped ratios.
    pub clip_fraction: f64,
}

/// Minibatch data and coefficients of the categorical PPO loss.
pub struct CategoricalPpoLoss {
    /// Chosen actions.
    pub actions: Vec<u32>,
    /// Behaviour log-probabilities.
    pub old_log_probs: Vec<f32>,
    /// (Normalised) advantages.
    pub advantages: Vec<f32>,
    /// Value targets.
    pub returns: Vec<f32>,
    /// Clip range epsilon.
    pub clip: f32,
    /// Entropy coefficient.
    pub ent_coef: f32,
    /// Value coefficient.
    pub vf_coef: f32,
    /// Filled by the forward pass.
    pub stats: Arc<Mutex<LossStats>>,
}

/// Per-row softmax quantities.
fn row(logits: &[f32]) -> (f32, Vec<f32>, f32) {
    let m = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let lse = m + logits.iter().map(|l| (l - m).exp()).sum::<f32>().ln();
    let p: Vec<f32> = logits.iter().map(|l| (l - lse).exp()).collect();
    let h = -p
        .iter()
        .zip(logits)
        .map(|(p, l)| p * (l - lse))
        .sum::<f32>();
    (lse, p, h)
}

impl CustomOp2 for CategoricalPpoLoss {
    fn name(&self) -> &'static str {
        "categorical-ppo-loss"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let logits = metablend_nn::cpu::contiguous_f32(s1, l1, "ppo-loss: logits")?;
        let values = metablend_nn::cpu::contiguous_f32(s2, l2, "ppo-loss: values")?;
        let b = self.actions.len();
        let n = logits.len() / b;
        let eps = self.clip;
        let mut st = LossStats::default();
        for i in 0..b {
            let l = &logits[i * n..(i + 1) * n];
            let (lse, _, h) = row(l);
            let log_ratio = l[self.actions[i] as usize] - lse - self.old_log_probs[i];
            let r = log_ratio.exp();
            let a = self.advantages[i];
            let surr = (a * r).min(a * r.clamp(1.0 - eps, 1.0 + eps));
            st.pg_loss -= surr as f64;
            st.v_loss += ((self.returns[i] - values[i]) as f64).powi(2);
            st.ent_loss -= h as f64;
            st.approx_kl += (r - 1.0 - log_ratio) as f64;
            st.clip_fraction += f64::from(u8::from((r - 1.0).abs() > eps));
        }
        let bf = b as f64;
        st.pg_loss /= bf;
        st.v_loss /= bf;
        st.ent_loss /= bf;
        st.approx_kl /= bf;
        st.clip_fraction /= bf;
        st.loss = st.pg_loss + self.ent_coef as f64 * st.ent_loss + self.vf_coef as f64 * st.v_loss;
        *self.stats.lock().expect("stats lock") = st;
        Ok((CpuStorage::F32(vec![st.loss as f32]), Shape::from(())))
    }

    fn bwd(
        &self,
        logits: &Tensor,
        values: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        let g = grad.to_scalar::<f32>()?;
        let (b, n) = logits.dims2()?;
        let l_all = logits.flatten_all()?.to_vec1::<f32>()?;
        let v_all = values.to_vec1::<f32>()?;
        let (bf, eps) = (b as f32, self.clip);
        let mut dl = vec![0f32; b * n];
        let mut dv = vec![0f32; b];
        for i in 0..b {
            let l = &l_all[i * n..(i + 1) * n];
            let (lse, p, h) = row(l);
            let act = self.actions[i] as usize;
            let r = (l[act] - lse - self.old_log_probs[i]).exp();
            let a = self.advantages[i];
            // min picks the unclipped term when it is smaller (ties: both have gradient a*r);
            // the clipped term has gradient 0 once r is outside [1 - eps, 1 + eps].
            let d_logp = if a * r <= a * r.clamp(1.0 - eps, 1.0 + eps) {
                -a * r / bf
            } else {
                0.0
            };
            for j in 0..n {
                let onehot = if j == act { 1.0 } else { 0.0 };
                let log_p = l[j] - lse;
                // d(-H)/dl_j = p_j (log p_j + H), averaged over the batch.
                let d_ent = p[j] * (log_p + h) / bf;
                dl[i * n + j] = g * (d_logp * (onehot - p[j]) + self.ent_coef * d_ent);
            }
            dv[i] = g * self.vf_coef * (-2.0 * (self.returns[i] - v_all[i]) / bf);
        }
        let dev = logits.device();
        Ok((
            Some(Tensor::from_vec(dl, (b, n), dev)?),
            Some(Tensor::from_vec(dv, b, dev)?),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ppo::head::HeadKind;
    use crate::ppo::learner::{generic_loss, LossInputs};
    use crate::ppo::PpoConfig;
    use candle_core::{Device, Var};
    use rand::{Rng, SeedableRng};

    #[test]
    fn fused_loss_and_gradients_match_the_generic_path() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(4);
        let (b, n) = (64, 3);
        let dev = Device::Cpu;
        let logits: Vec<f32> = (0..b * n).map(|_| rng.random_range(-2.0..2.0)).collect();
        let values: Vec<f32> = (0..b).map(|_| rng.random_range(-1.0..1.0)).collect();
        let actions: Vec<u32> = (0..b).map(|_| rng.random_range(0..n as u32)).collect();
        // Old log-probs off by up to ±0.5 so many ratios fall outside the clip range.
        let old: Vec<f32> = (0..b)
            .map(|i| {
                let l = &logits[i * n..(i + 1) * n];
                let (lse, _, _) = row(l);
                l[actions[i] as usize] - lse + rng.random_range(-0.5..0.5)
            })
            .collect();
        let adv: Vec<f32> = (0..b).map(|_| rng.random_range(-2.0..2.0)).collect();
        let ret: Vec<f32> = (0..b).map(|_| rng.random_range(-1.0..1.0)).collect();
        let cfg = PpoConfig {
            ent_coef: 0.01,
            vf_coef: 0.5,
            ..PpoConfig::default()
        };
        let run = |fused: bool| {
            let l = Var::from_vec(logits.clone(), (b, n), &dev).unwrap();
            let v = Var::from_vec(values.clone(), b, &dev).unwrap();
            let (loss, stats) = if fused {
                let shared = Arc::new(Mutex::new(LossStats::default()));
                let op = CategoricalPpoLoss {
                    actions: actions.clone(),
                    old_log_probs: old.clone(),
                    advantages: adv.clone(),
                    returns: ret.clone(),
                    clip: 0.2,
                    ent_coef: 0.01,
                    vf_coef: 0.5,
                    stats: shared.clone(),
                };
                let loss = l.as_tensor().apply_op2(v.as_tensor(), op).unwrap();
                let st = *shared.lock().unwrap();
                (loss, st)
            } else {
                let x = LossInputs {
                    act: actions.iter().map(|&a| a as f32).collect(),
                    old_lp: old.clone(),
                    adv: adv.clone(),
                    ret: ret.clone(),
                    old_v: values.clone(),
                    b,
                    ad: 1,
                };
                generic_loss(
                    &cfg,
                    HeadKind::Categorical { n },
                    l.as_tensor(),
                    v.as_tensor(),
                    None,
                    x,
                    0.2,
                )
                .unwrap()
            };
            let g = loss.backward().unwrap();
            let gl = g
                .get(l.as_tensor())
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap();
            let gv = g.get(v.as_tensor()).unwrap().to_vec1::<f32>().unwrap();
            (stats, gl, gv)
        };
        let (fs, fl, fv) = run(true);
        let (gs, gl, gv) = run(false);
        assert!(gs.clip_fraction > 0.2, "the case must exercise clipping");
        for (a, b) in [
            (fs.loss, gs.loss),
            (fs.pg_loss, gs.pg_loss),
            (fs.v_loss, gs.v_loss),
            (fs.ent_loss, gs.ent_loss),
            (fs.approx_kl, gs.approx_kl),
        ] {
            assert!((a - b).abs() < 1e-5, "{fs:?} vs {gs:?}");
        }
        assert_eq!(fs.clip_fraction, gs.clip_fraction);
        for (a, b) in fl.iter().zip(&gl).chain(fv.iter().zip(&gv)) {
            assert!((a - b).abs() < 1e-6, "gradient {a} vs {b}");
        }
    }
}
