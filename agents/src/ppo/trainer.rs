//! `Ppo`: the training loop — rollouts on a vector env, then updates, with callbacks.

use super::callbacks::{Callback, Control};
use super::head::PolicySpace;
use super::learner::{phase_rng, PpoLearner};
use super::log::UpdateLog;
use super::policy::PpoPolicy;
use super::rollout::RolloutBuffer;
use super::PpoConfig;
use crate::{Error, Result};
use candle_core::Device;
use metablend_env::{BoxSpace, Env, Snapshot, SyncVectorEnv};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// PPO on `n_envs` copies of an env with flat `Box` observations and a `Discrete` or `Box`
/// action space.
pub struct Ppo<E>
where
    E: Env<Obs = Vec<f64>, ObsSpace = BoxSpace>,
    E::ActSpace: PolicySpace + Clone,
{
    learner: PpoLearner,
    envs: SyncVectorEnv<E>,
    obs: Vec<Vec<f64>>,
    buffer: RolloutBuffer,
    ep_returns: VecDeque<f64>,
    ep_lengths: VecDeque<usize>,
    cur_returns: Vec<f64>,
    cur_lengths: Vec<usize>,
    autosave: Option<Autosave<E>>,
}

/// Saves a resumable checkpoint every `every` updates (set with [`Ppo::autosave`]).
type Autosave<E> = (PathBuf, u64, fn(&Ppo<E>, &Path) -> Result<()>);

/// The trainer's part of a resumable checkpoint (`trainer.json`): where every env is, the
/// observations the next rollout starts from, and the episode statistics.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TrainerState<S> {
    obs: Vec<Vec<f64>>,
    cur_returns: Vec<f64>,
    cur_lengths: Vec<usize>,
    ep_returns: VecDeque<f64>,
    ep_lengths: VecDeque<usize>,
    envs: Vec<S>,
}

const TRAINER: &str = "trainer.json";

impl<E> Ppo<E>
where
    E: Env<Obs = Vec<f64>, ObsSpace = BoxSpace>,
    E::ActSpace: PolicySpace + Clone,
{
    /// Validates `cfg`, builds `cfg.n_envs` envs with `make_env(i)`, resets them with seeds
    /// `cfg.seed + i`, and initialises the networks on the CPU.
    pub fn new(
        cfg: PpoConfig,
        make_env: impl FnMut(usize) -> metablend_env::Result<E>,
    ) -> Result<Self> {
        cfg.validate()?;
        let mut envs = SyncVectorEnv::from_fn(cfg.n_envs, make_env)?;
        let space = envs.observation_space();
        if space.shape().len() != 1 {
            return Err(Error::UnsupportedSpace(format!(
                "PPO needs flat observations; got shape {:?}",
                space.shape()
            )));
        }
        let obs_dim = space.dim();
        let head = if cfg.dirichlet {
            envs.action_space().dirichlet_head()?
        } else {
            envs.action_space().head()?
        };
        let learner = PpoLearner::new(cfg.clone(), obs_dim, head, Device::Cpu)?;
        let (obs, _) = envs.reset(Some(cfg.seed))?;
        let buffer = RolloutBuffer::new(cfg.rollout_size(), obs_dim, head.action_dim());
        Ok(Self {
            learner,
            envs,
            obs,
            buffer,
            ep_returns: VecDeque::with_capacity(100),
            ep_lengths: VecDeque::with_capacity(100),
            cur_returns: vec![0.0; cfg.n_envs],
            cur_lengths: vec![0; cfg.n_envs],
            autosave: None,
        })
    }

    /// The learner (networks, optimiser, counters).
    pub fn learner(&self) -> &PpoLearner {
        &self.learner
    }

    /// The learner, giving up the envs (training is over).
    pub fn into_learner(self) -> PpoLearner {
        self.learner
    }

    /// Mutable access to the learner (e.g. to load a checkpoint's weights).
    pub fn learner_mut(&mut self) -> &mut PpoLearner {
        &mut self.learner
    }

    /// The training envs.
    pub fn envs(&self) -> &SyncVectorEnv<E> {
        &self.envs
    }

    /// A snapshot of the current policy, for evaluation.
    pub fn policy(&self) -> Result<PpoPolicy<E::ActSpace>> {
        PpoPolicy::from_learner(&self.learner, self.envs.action_space().clone())
    }

    /// Trains until `total_timesteps` env steps have been taken in all (SB3 semantics: the
    /// last rollout may overshoot), calling each callback after every update. Returns the
    /// per-update logs.
    pub fn learn(
        &mut self,
        total_timesteps: u64,
        callbacks: &mut [&mut dyn Callback],
    ) -> Result<Vec<UpdateLog>> {
        let start = Instant::now();
        let start_steps = self.learner.num_timesteps;
        let mut logs = Vec::new();
        while self.learner.num_timesteps < total_timesteps {
            let last_values = self.collect_rollout()?;
            let mut stop = false;
            for cb in callbacks.iter_mut() {
                if cb.on_rollout_end(&self.learner, self.learner.num_timesteps)? == Control::Stop {
                    stop = true;
                }
            }
            if stop {
                break;
            }
            let progress = 1.0 - self.learner.num_timesteps as f64 / total_timesteps as f64;
            let stats = self
                .learner
                .train(&mut self.buffer, &last_values, progress.max(0.0))?;
            let elapsed = start.elapsed().as_secs_f64();
            let mean =
                |q: &VecDeque<f64>| (!q.is_empty()).then(|| q.iter().sum::<f64>() / q.len() as f64);
            let log = UpdateLog {
                iteration: self.learner.iterations,
                total_timesteps: self.learner.num_timesteps,
                ep_rew_mean: mean(&self.ep_returns),
                ep_len_mean: mean(&self.ep_lengths.iter().map(|&l| l as f64).collect()),
                fps: (self.learner.num_timesteps - start_steps) as f64 / elapsed.max(1e-9),
                time_elapsed: elapsed,
                stats,
            };
            log.trace();
            for cb in callbacks.iter_mut() {
                if cb.on_update(&self.learner, &log)? == Control::Stop {
                    stop = true;
                }
            }
            logs.push(log);
            if let Some((dir, every, save)) = &self.autosave {
                if self.learner.iterations.is_multiple_of(*every) {
                    save(self, dir)?;
                }
            }
            if stop {
                break;
            }
        }
        for cb in callbacks.iter_mut() {
            cb.on_training_end(&self.learner)?;
        }
        Ok(logs)
    }

    /// Fills the buffer with `n_steps` steps of every env; returns V of the observations
    /// after the rollout.
    fn collect_rollout(&mut self) -> Result<Vec<f32>> {
        let cfg = &self.learner.cfg;
        let (n_envs, n_steps) = (cfg.n_envs, cfg.n_steps);
        let mut rng = phase_rng(cfg.seed, 1, self.learner.iterations);
        let log_std = self.learner.log_std()?;
        let head = self.learner.head;
        let out_dim = head.out_dim();
        let obs_dim = self.buffer.obs_dim;
        let nets = self.learner.rollout_nets()?;
        self.buffer.clear();
        let mut flat = Vec::with_capacity(n_envs * obs_dim);
        let mut actions = Vec::with_capacity(n_envs);
        for _ in 0..n_steps {
            flat.clear();
            flat.extend(self.obs.iter().flatten().map(|&x| x as f32));
            let (out, values) = nets.forward(&flat, n_envs)?;
            actions.clear();
            for e in 0..n_envs {
                let (raw, logp) = head.sample(
                    &out[e * out_dim..(e + 1) * out_dim],
                    &log_std,
                    false,
                    &mut rng,
                );
                actions.push(self.envs.action_space().to_env_action(&raw));
                self.buffer.actions.extend_from_slice(&raw);
                self.buffer.log_probs.push(logp);
            }
            let step = self.envs.step(&actions)?;
            self.buffer.obs.extend_from_slice(&flat);
            self.buffer.values.extend_from_slice(&values);
            let mut truncated_obs = Vec::new();
            let mut truncated_at = Vec::new();
            for e in 0..n_envs {
                let r = step.rewards[e];
                if !r.is_finite() {
                    return Err(Error::NonFinite(format!("env {e} returned reward {r}")));
                }
                self.buffer.rewards.push(r as f32);
                let ended = step.terminated[e] || step.truncated[e];
                self.buffer.episode_ends.push(ended);
                self.buffer.truncation_values.push(0.0);
                self.cur_returns[e] += r;
                self.cur_lengths[e] += 1;
                if ended {
                    push_bounded(&mut self.ep_returns, self.cur_returns[e]);
                    push_bounded(&mut self.ep_lengths, self.cur_lengths[e]);
                    self.cur_returns[e] = 0.0;
                    self.cur_lengths[e] = 0;
                    if step.truncated[e] && !step.terminated[e] {
                        let fin = step.final_obs[e]
                            .as_ref()
                            .expect("vector env keeps final obs");
                        truncated_obs.extend(fin.iter().map(|&x| x as f32));
                        truncated_at.push(self.buffer.truncation_values.len() - 1);
                    }
                }
            }
            if !truncated_at.is_empty() {
                let v = nets.values(&truncated_obs, truncated_at.len())?;
                for (i, v) in truncated_at.into_iter().zip(v) {
                    self.buffer.truncation_values[i] = v;
                }
            }
            self.obs = step.obs;
            self.learner.num_timesteps += n_envs as u64;
        }
        flat.clear();
        flat.extend(self.obs.iter().flatten().map(|&x| x as f32));
        nets.values(&flat, n_envs)
    }
}

fn push_bounded<T>(q: &mut VecDeque<T>, x: T) {
    if q.len() == 100 {
        q.pop_front();
    }
    q.push_back(x);
}

impl<E> Ppo<E>
where
    E: Env<Obs = Vec<f64>, ObsSpace = BoxSpace> + Snapshot,
    E::ActSpace: PolicySpace + Clone,
{
    /// Saves a resumable checkpoint: the learner's folder (weights, optimiser, config,
    /// counters) plus `trainer.json` with every env's snapshot, the current observations and
    /// the episode statistics, all in one atomically written folder. Training resumed from it
    /// with [`Ppo::resume`] continues exactly as the uninterrupted run would have.
    pub fn save_checkpoint(&self, dir: impl AsRef<Path>) -> Result<()> {
        let state = TrainerState {
            obs: self.obs.clone(),
            cur_returns: self.cur_returns.clone(),
            cur_lengths: self.cur_lengths.clone(),
            ep_returns: self.ep_returns.clone(),
            ep_lengths: self.ep_lengths.clone(),
            envs: self.envs.envs().iter().map(Snapshot::snapshot).collect(),
        };
        let json = serde_json::to_string(&state)
            .map_err(|e| Error::NonFinite(format!("trainer state: {e}")))?;
        self.learner.save_with(dir.as_ref(), &[(TRAINER, json)])
    }

    /// Saves a resumable checkpoint to `dir` every `every` updates during [`Ppo::learn`]
    /// (the folder is replaced atomically each time).
    pub fn autosave(&mut self, dir: impl Into<PathBuf>, every: u64) {
        self.autosave = Some((dir.into(), every.max(1), |ppo, dir| {
            ppo.save_checkpoint(dir)
        }));
    }

    /// Rebuilds a trainer from a checkpoint written by [`Ppo::save_checkpoint`]: `make_env`
    /// must build the same envs as the original run (their snapshots are restored into them).
    pub fn resume(
        dir: impl AsRef<Path>,
        make_env: impl FnMut(usize) -> metablend_env::Result<E>,
    ) -> Result<Self> {
        let dir = dir.as_ref();
        let learner = PpoLearner::load(dir)?;
        let path = dir.join(TRAINER);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            super::checkpoint::ckpt_err(&path, format!("{e} (a checkpoint saved by PpoLearner::save has no trainer state; load it with PpoLearner::load for inference)"))
        })?;
        let state: TrainerState<E::State> = serde_json::from_str(&text)
            .map_err(|e| super::checkpoint::ckpt_err(&path, format!("damaged: {e}")))?;
        let mut ppo = Self::new(learner.cfg.clone(), make_env)?;
        let n = ppo.learner.cfg.n_envs;
        if state.envs.len() != n
            || state.obs.len() != n
            || state.cur_returns.len() != n
            || state.cur_lengths.len() != n
        {
            return Err(super::checkpoint::ckpt_err(
                &path,
                format!(
                    "holds {} envs, the config has n_envs = {n}",
                    state.envs.len()
                ),
            ));
        }
        for (i, (env, s)) in ppo.envs.envs_mut().iter_mut().zip(state.envs).enumerate() {
            env.restore(s)
                .map_err(|e| super::checkpoint::ckpt_err(&path, format!("env {i}: {e}")))?;
        }
        ppo.learner = learner;
        ppo.obs = state.obs;
        ppo.cur_returns = state.cur_returns;
        ppo.cur_lengths = state.cur_lengths;
        ppo.ep_returns = state.ep_returns;
        ppo.ep_lengths = state.ep_lengths;
        Ok(ppo)
    }
}
