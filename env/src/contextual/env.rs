//! [`ContextualEnv`]: one step per series.

use std::sync::Arc;

use rand::Rng;

use super::task::log_loss;
use super::ContextPanel;
use crate::ensemble::ActionMap;
use crate::envs::EnvRng;
use crate::{BoxSpace, Env, EpisodeGuard, Error, Info, Result, Space, Step};

/// The reward is `−min(loss, LOSS_CAP)`: one wild series cannot dominate a PPO batch.
const LOSS_CAP: f64 = 10.0;

/// Which task an episode serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContextOrder {
    /// A task drawn uniformly from the selection (training).
    Random,
    /// The selection in order, wrapping around; `reset(Some(_))` restarts at the first
    /// (evaluation: one pass scores every task once).
    Sequential,
}

/// The contextual combination env. Observation: the task's context, then for each model
/// `ln(loss_k)` on the window (clipped to ±5). Action: whatever the action map takes (the
/// [`crate::ensemble::Residual`] map's prior is inverse-loss weighting). Reward: minus the
/// combined forecast's M4 loss (capped at 10). Every episode ends after its one step
/// (`terminated`).
pub struct ContextualEnv<M: ActionMap> {
    panel: Arc<ContextPanel>,
    map: M,
    order: ContextOrder,
    selection: Vec<usize>,
    next: usize,
    current: usize,
    rng: Option<EnvRng>,
    guard: EpisodeGuard,
    obs_space: BoxSpace,
    act_space: M::Space,
    /// Per task: `½ ln(loss_k)`, the action maps' "log RMSE" (so the Residual prior
    /// `−2·that` weights by inverse loss).
    half_log_loss: Vec<Vec<f64>>,
    weights: Vec<f64>,
}

impl<M: ActionMap> ContextualEnv<M> {
    /// An env over every task of `panel`.
    pub fn new(panel: Arc<ContextPanel>, map: M, order: ContextOrder) -> Result<Self> {
        let k = panel.model_names().len();
        let dim = panel.context_dim() + k;
        let obs_space = BoxSpace::uniform(f64::NEG_INFINITY, f64::INFINITY, dim)?;
        let act_space = map.space(k);
        let half_log_loss = panel
            .losses()
            .iter()
            .map(|row| row.iter().map(|&l| 0.5 * log_loss(l)).collect())
            .collect();
        Ok(Self {
            selection: (0..panel.len()).collect(),
            panel,
            map,
            order,
            next: 0,
            current: 0,
            rng: None,
            guard: EpisodeGuard::default(),
            obs_space,
            act_space,
            half_log_loss,
            weights: vec![0.0; k],
        })
    }

    /// Restricts the env to the tasks `selection` (indices into the panel; e.g. a fold's
    /// training series). Errors on an empty selection or an index out of range.
    pub fn with_selection(mut self, selection: Vec<usize>) -> Result<Self> {
        if selection.is_empty() {
            return Err(Error::InvalidConfig("empty task selection".into()));
        }
        if let Some(&bad) = selection.iter().find(|&&i| i >= self.panel.len()) {
            return Err(Error::InvalidConfig(format!(
                "task index {bad} out of range (panel has {})",
                self.panel.len()
            )));
        }
        self.selection = selection;
        self.next = 0;
        Ok(self)
    }

    /// The weights of the last step.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// The task the current episode serves.
    pub fn current_task(&self) -> usize {
        self.current
    }

    fn observe(&self) -> Vec<f64> {
        self.panel.observation(self.current)
    }
}

impl<M: ActionMap> Env for ContextualEnv<M> {
    type Obs = Vec<f64>;
    type Act = <M::Space as Space>::Elem;
    type ObsSpace = BoxSpace;
    type ActSpace = M::Space;

    fn observation_space(&self) -> &BoxSpace {
        &self.obs_space
    }

    fn action_space(&self) -> &M::Space {
        &self.act_space
    }

    fn reset(&mut self, seed: Option<u64>) -> Result<(Vec<f64>, Info)> {
        if seed.is_some() {
            self.next = 0;
        }
        let rng = crate::envs::reseed(&mut self.rng, seed);
        let pick = match self.order {
            ContextOrder::Random => rng.random_range(0..self.selection.len()),
            ContextOrder::Sequential => {
                let i = self.next;
                self.next = (self.next + 1) % self.selection.len();
                i
            }
        };
        self.current = self.selection[pick];
        self.guard = EpisodeGuard::Running;
        let mut info = Info::new();
        info.set("series", self.current as f64);
        Ok((self.observe(), info))
    }

    fn step(&mut self, action: &Self::Act) -> Result<Step<Vec<f64>>> {
        self.guard.check_step()?;
        self.act_space.validate(action)?;
        self.map
            .weights(action, &self.half_log_loss[self.current], &mut self.weights);
        let loss = self.panel.combined_loss(self.current, &self.weights);
        if !loss.is_finite() {
            return Err(Error::InvalidData(format!(
                "combined loss {loss} on task {} ({})",
                self.current,
                self.panel.tasks()[self.current].id
            )));
        }
        let mut info = Info::new();
        info.set("series", self.current as f64);
        info.set("loss", loss);
        info.set_vec("weights", &self.weights);
        self.guard.record(true);
        Ok(Step {
            obs: self.observe(),
            reward: -loss.min(LOSS_CAP),
            terminated: true,
            truncated: false,
            info,
        })
    }
}

/// Everything a [`ContextualEnv`] needs to continue exactly: where the task order stands,
/// the current task, the lifecycle, the RNG and the last weights (the panel, map and
/// selection are not included: restore into an env built from the same ones).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ContextualEnvSnapshot {
    next: usize,
    current: usize,
    rng: Option<EnvRng>,
    guard: EpisodeGuard,
    weights: Vec<f64>,
}

impl<M: ActionMap> crate::Snapshot for ContextualEnv<M> {
    type State = ContextualEnvSnapshot;

    fn snapshot(&self) -> ContextualEnvSnapshot {
        ContextualEnvSnapshot {
            next: self.next,
            current: self.current,
            rng: self.rng.clone(),
            guard: self.guard,
            weights: self.weights.clone(),
        }
    }

    fn restore(&mut self, s: ContextualEnvSnapshot) -> Result<()> {
        if s.current >= self.panel.len()
            || s.next >= self.selection.len()
            || s.weights.len() != self.weights.len()
        {
            return Err(Error::InvalidConfig(
                "the contextual env's state does not fit this panel".into(),
            ));
        }
        self.next = s.next;
        self.current = s.current;
        self.rng = s.rng;
        self.guard = s.guard;
        self.weights = s.weights;
        Ok(())
    }
}
