//! `PpoLearner`: the networks, the optimiser and the PPO update (no env in sight, so it is
//! not generic and callbacks can hold it).

use super::actor_critic::ActorCritic;
use super::fused_loss::{CategoricalPpoLoss, LossStats};
use super::gae::{compute_gae, GaeInputs};
use super::head::HeadKind;
use super::log::UpdateStats;
use super::rollout::{explained_variance, RolloutBuffer};
use super::PpoConfig;
use crate::{Error, Result};
use candle_core::{Device, Tensor, Var};
use metablend_nn::{clip_grad_norm, read_grads, read_vars, write_vars, Adam, FrozenMlp};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use std::sync::{Arc, Mutex};

/// A deterministic RNG for one phase of one iteration: `seed`, a phase tag and the iteration
/// index fully determine it, so no RNG state has to be saved in a checkpoint.
pub(crate) fn phase_rng(seed: u64, phase: u64, iteration: u64) -> StdRng {
    // SplitMix64 finaliser over the three words, to decorrelate neighbouring iterations.
    let mut z = seed ^ phase.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ iteration.rotate_left(32);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    StdRng::seed_from_u64(z ^ (z >> 31))
}

/// The actor and the critic at fixed weights ([`PpoLearner::rollout_nets`]).
#[derive(Debug, Clone)]
pub struct RolloutNets {
    actor: FrozenMlp,
    critic: FrozenMlp,
}

impl RolloutNets {
    /// Policy outputs `(n, out_dim)` and values `(n,)` for `n` flat f32 observations.
    pub fn forward(&self, obs: &[f32], n: usize) -> Result<(Vec<f32>, Vec<f32>)> {
        Ok((self.actor.forward(obs, n)?, self.values(obs, n)?))
    }

    /// Values `(n,)` for `n` flat f32 observations.
    pub fn values(&self, obs: &[f32], n: usize) -> Result<Vec<f32>> {
        Ok(self.critic.forward(obs, n)?)
    }
}

/// The learning side of PPO: actor-critic, Adam state, counters.
pub struct PpoLearner {
    pub(crate) cfg: PpoConfig,
    pub(crate) model: ActorCritic,
    pub(crate) head: HeadKind,
    pub(crate) vars: Vec<(String, Var)>,
    pub(crate) params: Vec<Vec<f32>>,
    pub(crate) adam: Adam,
    /// Environment steps taken so far.
    pub num_timesteps: u64,
    /// Rollout/update iterations done so far.
    pub iterations: u64,
    pub(crate) device: Device,
}

impl std::fmt::Debug for PpoLearner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PpoLearner")
            .field("head", &self.head)
            .field("num_timesteps", &self.num_timesteps)
            .field("iterations", &self.iterations)
            .finish_non_exhaustive()
    }
}

impl PpoLearner {
    /// Fresh networks for `obs_dim` observations and the given head, initialised from
    /// `cfg.seed`.
    pub fn new(cfg: PpoConfig, obs_dim: usize, head: HeadKind, device: Device) -> Result<Self> {
        cfg.validate()?;
        if obs_dim == 0 {
            return Err(Error::UnsupportedSpace("observation space is empty".into()));
        }
        // Weights, gradients and Adam's two moments, in f32, for the actor and the critic;
        // orthogonal initialisation draws each matrix in f64 besides.
        let mut sizes = vec![obs_dim];
        sizes.extend(&cfg.net_arch);
        sizes.push(head.out_dim().max(1));
        let per_net: u128 = sizes.windows(2).map(|w| w[0] as u128 * w[1] as u128).sum();
        metablend_core::limits::check_fits("PPO net_arch: parameters", 2 * per_net, 4 * 4 + 8)?;
        let mut rng = phase_rng(cfg.seed, 0, 0);
        let gaussian = matches!(head, HeadKind::Gaussian { .. });
        let model = ActorCritic::new(&cfg, obs_dim, head.out_dim(), gaussian, &device, &mut rng)?;
        let vars = model.named_vars();
        let plain: Vec<Var> = vars.iter().map(|(_, v)| v.clone()).collect();
        let params = read_vars(&plain)?;
        let sizes: Vec<usize> = params.iter().map(Vec::len).collect();
        let adam = Adam::new(&sizes, cfg.adam_eps as f32);
        Ok(Self {
            cfg,
            model,
            head,
            vars,
            params,
            adam,
            num_timesteps: 0,
            iterations: 0,
            device,
        })
    }

    /// The config.
    pub fn config(&self) -> &PpoConfig {
        &self.cfg
    }

    /// The action head.
    pub fn head(&self) -> HeadKind {
        self.head
    }

    /// The networks.
    pub fn model(&self) -> &ActorCritic {
        &self.model
    }

    /// Current log-std values (empty for categorical heads).
    pub fn log_std(&self) -> Result<Vec<f32>> {
        match &self.model.log_std {
            Some(v) => Ok(v.as_tensor().to_vec1::<f32>()?),
            None => Ok(Vec::new()),
        }
    }

    /// The actor and the critic frozen at their current weights, for the forward passes of
    /// a rollout (the weights change only in [`PpoLearner::train`]); bit for bit the outputs
    /// of [`PpoLearner::forward`].
    pub fn rollout_nets(&self) -> Result<RolloutNets> {
        Ok(RolloutNets {
            actor: FrozenMlp::new(&self.model.actor)?,
            critic: FrozenMlp::new(&self.model.critic)?,
        })
    }

    /// Policy outputs `(n, out_dim)` and values `(n,)` for `n` flat f32 observations.
    pub fn forward(&self, obs: &[f32], n: usize) -> Result<(Vec<f32>, Vec<f32>)> {
        let x = Tensor::from_slice(obs, (n, self.model.obs_dim()), &self.device)?;
        let out = self
            .model
            .actor
            .forward(&x)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        let values = self.model.value(&x)?.to_vec1::<f32>()?;
        Ok((out, values))
    }

    /// Values `(n,)` for `n` flat f32 observations.
    pub fn values(&self, obs: &[f32], n: usize) -> Result<Vec<f32>> {
        let x = Tensor::from_slice(obs, (n, self.model.obs_dim()), &self.device)?;
        Ok(self.model.value(&x)?.to_vec1::<f32>()?)
    }

    /// Runs GAE on `buf` and then `n_epochs` of minibatch PPO updates (Schulman et al. 2017,
    /// clipped surrogate; SB3 `PPO.train`). `progress_remaining` drives the schedules.
    pub fn train(
        &mut self,
        buf: &mut RolloutBuffer,
        last_values: &[f32],
        progress_remaining: f64,
    ) -> Result<UpdateStats> {
        let cfg = self.cfg.clone();
        let (adv, ret) = compute_gae(
            &GaeInputs {
                rewards: &buf.rewards,
                values: &buf.values,
                episode_ends: &buf.episode_ends,
                truncation_values: &buf.truncation_values,
                last_values,
                n_envs: cfg.n_envs,
            },
            cfg.gamma as f32,
            cfg.gae_lambda as f32,
        );
        buf.advantages = adv;
        buf.returns = ret;
        let lr = cfg.learning_rate.value(progress_remaining) as f32;
        let clip = cfg.clip_range.value(progress_remaining);
        let mut rng = phase_rng(cfg.seed, 2, self.iterations);
        let n = buf.len();
        let mut idx: Vec<usize> = (0..n).collect();
        let mut acc = StatsAcc::default();
        let mut continue_training = true;
        'epochs: for epoch in 0..cfg.n_epochs {
            idx.shuffle(&mut rng);
            for mb in idx.chunks(cfg.batch_size) {
                let s = self.minibatch_step(buf, mb, lr, clip)?;
                if let Some(kl) = cfg.target_kl {
                    if s.approx_kl > 1.5 * kl {
                        tracing::debug!(epoch, approx_kl = s.approx_kl, "early stop at target_kl");
                        acc.add_kl_only(s.approx_kl);
                        continue_training = false;
                        break 'epochs;
                    }
                }
                acc.add(&s);
            }
        }
        self.iterations += 1;
        let std = match self.head {
            HeadKind::Gaussian { .. } => {
                let ls = self.log_std()?;
                Some(ls.iter().map(|l| l.exp() as f64).sum::<f64>() / ls.len() as f64)
            }
            HeadKind::Categorical { .. } | HeadKind::Dirichlet { .. } => None,
        };
        Ok(acc.finish(
            explained_variance(&buf.values, &buf.returns),
            lr as f64,
            clip,
            std,
            continue_training,
        ))
    }

    fn minibatch_step(
        &mut self,
        buf: &RolloutBuffer,
        mb: &[usize],
        lr: f32,
        clip: f64,
    ) -> Result<LossStats> {
        let (od, ad, b) = (buf.obs_dim, buf.action_dim, mb.len());
        let mut obs = Vec::with_capacity(b * od);
        let mut act = Vec::with_capacity(b * ad);
        let (mut old_lp, mut adv, mut ret, mut old_v) = (
            Vec::with_capacity(b),
            Vec::with_capacity(b),
            Vec::with_capacity(b),
            Vec::with_capacity(b),
        );
        for &i in mb {
            obs.extend_from_slice(&buf.obs[i * od..(i + 1) * od]);
            act.extend_from_slice(&buf.actions[i * ad..(i + 1) * ad]);
            old_lp.push(buf.log_probs[i]);
            adv.push(buf.advantages[i]);
            ret.push(buf.returns[i]);
            old_v.push(buf.values[i]);
        }
        if self.cfg.normalize_advantage && b > 1 {
            let mean = adv.iter().sum::<f32>() / b as f32;
            // torch's Tensor.std() is the unbiased (n - 1) estimate, as SB3 uses it.
            let var = adv.iter().map(|a| (a - mean).powi(2)).sum::<f32>() / (b - 1) as f32;
            let sd = var.sqrt();
            adv.iter_mut().for_each(|a| *a = (*a - mean) / (sd + 1e-8));
        }
        let dev = &self.device;
        let obs = Tensor::from_vec(obs, (b, od), dev)?;
        let out = self.model.actor.forward(&obs)?;
        let values = self.model.value(&obs)?;
        let fused = matches!(self.head, HeadKind::Categorical { .. })
            && self.cfg.clip_range_vf.is_none()
            && dev.is_cpu();
        let (loss, stats) = if fused {
            let shared = Arc::new(Mutex::new(LossStats::default()));
            let op = CategoricalPpoLoss {
                actions: act.iter().map(|&a| a as u32).collect(),
                old_log_probs: old_lp,
                advantages: adv,
                returns: ret,
                clip: clip as f32,
                ent_coef: self.cfg.ent_coef as f32,
                vf_coef: self.cfg.vf_coef as f32,
                stats: shared.clone(),
            };
            let loss = out.contiguous()?.apply_op2(&values.contiguous()?, op)?;
            let st = *shared.lock().expect("stats lock");
            (loss, st)
        } else {
            let batch = LossInputs {
                act,
                old_lp,
                adv,
                ret,
                old_v,
                b,
                ad,
            };
            generic_loss(
                &self.cfg,
                self.head,
                &out,
                &values,
                self.model.log_std.as_ref().map(|v| v.as_tensor()),
                batch,
                clip,
            )?
        };
        if !stats.loss.is_finite() {
            return Err(Error::NonFinite(format!(
                "loss is {} at iteration {} (policy {}, value {})",
                stats.loss, self.iterations, stats.pg_loss, stats.v_loss
            )));
        }
        let approx_kl = stats.approx_kl;
        if let Some(kl) = self.cfg.target_kl {
            if approx_kl > 1.5 * kl {
                return Ok(stats);
            }
        }
        let grads = loss.backward()?;
        let mut g = read_grads(&self.vars, &grads)?;
        let shapes: Vec<&[usize]> = self.vars.iter().map(|(_, v)| v.dims()).collect();
        clip_grad_norm(&mut g, &shapes, self.cfg.max_grad_norm as f32);
        self.adam.update(&mut self.params, &g, lr);
        let plain: Vec<Var> = self.vars.iter().map(|(_, v)| v.clone()).collect();
        write_vars(&plain, &self.params)?;
        Ok(stats)
    }

    /// Copies parameter values into the variables (after loading).
    pub(crate) fn set_params(&mut self, params: Vec<Vec<f32>>) -> Result<()> {
        let plain: Vec<Var> = self.vars.iter().map(|(_, v)| v.clone()).collect();
        write_vars(&plain, &params)?;
        self.params = params;
        Ok(())
    }
}

/// One minibatch's data for [`generic_loss`].
pub(crate) struct LossInputs {
    pub(crate) act: Vec<f32>,
    pub(crate) old_lp: Vec<f32>,
    pub(crate) adv: Vec<f32>,
    pub(crate) ret: Vec<f32>,
    pub(crate) old_v: Vec<f32>,
    pub(crate) b: usize,
    pub(crate) ad: usize,
}

/// The PPO loss from tensor ops (any head, optional value clipping): clipped surrogate
/// (Schulman et al. 2017, eq. 7) + vf_coef x value loss - ent_coef x entropy.
pub(crate) fn generic_loss(
    cfg: &PpoConfig,
    head: HeadKind,
    out: &Tensor,
    values: &Tensor,
    log_std: Option<&Tensor>,
    x: LossInputs,
    clip: f64,
) -> Result<(Tensor, LossStats)> {
    let dev = out.device();
    let b = x.b;
    let act = Tensor::from_vec(x.act, (b, x.ad), dev)?;
    let old_lp = Tensor::from_vec(x.old_lp, b, dev)?;
    let adv = Tensor::from_vec(x.adv, b, dev)?;
    let ret = Tensor::from_vec(x.ret, b, dev)?;
    let (logp, entropy) = head.log_prob_entropy(out, &act, log_std)?;
    let log_ratio = (&logp - &old_lp)?;
    let ratio = log_ratio.exp()?;
    let surr1 = (&adv * &ratio)?;
    let surr2 = (&adv * ratio.clamp(1.0 - clip, 1.0 + clip)?)?;
    let pg_loss = surr1.minimum(&surr2)?.mean_all()?.neg()?;
    let values_pred = match cfg.clip_range_vf {
        Some(c) => {
            let old_v = Tensor::from_vec(x.old_v, b, dev)?;
            (&old_v + (values - &old_v)?.clamp(-c, c)?)?
        }
        None => values.clone(),
    };
    let v_loss = (&ret - &values_pred)?.sqr()?.mean_all()?;
    let ent_loss = entropy.mean_all()?.neg()?;
    let loss = ((&pg_loss + (&ent_loss * cfg.ent_coef)?)? + (&v_loss * cfg.vf_coef)?)?;
    let lr_vals = log_ratio.to_vec1::<f32>()?;
    let approx_kl = lr_vals
        .iter()
        .map(|&l| ((l.exp() - 1.0) - l) as f64)
        .sum::<f64>()
        / b as f64;
    let clipped = lr_vals
        .iter()
        .filter(|&&l| ((l.exp() - 1.0).abs() as f64) > clip)
        .count();
    let stats = LossStats {
        pg_loss: pg_loss.to_scalar::<f32>()? as f64,
        v_loss: v_loss.to_scalar::<f32>()? as f64,
        ent_loss: ent_loss.to_scalar::<f32>()? as f64,
        loss: loss.to_scalar::<f32>()? as f64,
        approx_kl,
        clip_fraction: clipped as f64 / b as f64,
    };
    Ok((loss, stats))
}

#[derive(Debug, Default)]
struct StatsAcc {
    n: usize,
    pg: f64,
    v: f64,
    ent: f64,
    loss: f64,
    kl: f64,
    kl_n: usize,
    clip: f64,
}

impl StatsAcc {
    fn add(&mut self, s: &LossStats) {
        self.n += 1;
        self.pg += s.pg_loss;
        self.v += s.v_loss;
        self.ent += s.ent_loss;
        self.loss += s.loss;
        self.clip += s.clip_fraction;
        self.add_kl_only(s.approx_kl);
    }

    fn add_kl_only(&mut self, kl: f64) {
        self.kl += kl;
        self.kl_n += 1;
    }

    fn finish(&self, ev: f64, lr: f64, clip: f64, std: Option<f64>, cont: bool) -> UpdateStats {
        let n = self.n.max(1) as f64;
        UpdateStats {
            policy_gradient_loss: self.pg / n,
            value_loss: self.v / n,
            entropy_loss: self.ent / n,
            loss: self.loss / n,
            approx_kl: self.kl / self.kl_n.max(1) as f64,
            clip_fraction: self.clip / n,
            explained_variance: ev,
            learning_rate: lr,
            clip_range: clip,
            std,
            gradient_steps: self.n,
            early_stopped: !cont,
        }
    }
}
