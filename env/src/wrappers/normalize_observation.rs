//! `NormalizeObservation`: standardise observations with running statistics.

use super::RunningMeanStd;
use crate::{BoxSpace, Env, Info, Result, Space, Step};

/// Replaces each observation by `clip((obs - mean) / sqrt(var + 1e-8), ±clip)` where mean and
/// variance are running statistics over every observation seen while `training` is on
/// (Gymnasium's `NormalizeObservation` plus SB3's `clip_obs`, default 10).
///
/// Freeze the statistics for evaluation with [`NormalizeObservation::set_training`]; export
/// and re-import them with [`NormalizeObservation::obs_rms`] / [`NormalizeObservation::set_obs_rms`]
/// (they are part of a checkpoint, since a policy is meaningless without them).
#[derive(Debug, Clone)]
pub struct NormalizeObservation<E> {
    env: E,
    rms: RunningMeanStd,
    clip: f64,
    epsilon: f64,
    training: bool,
    space: BoxSpace,
}

impl<E> NormalizeObservation<E>
where
    E: Env<Obs = Vec<f64>, ObsSpace = BoxSpace>,
{
    /// Wraps `env` with clipping at `clip` (> 0).
    pub fn new(env: E, clip: f64) -> Result<Self> {
        if clip.is_nan() || clip <= 0.0 {
            return Err(crate::Error::InvalidConfig(format!(
                "NormalizeObservation: clip must be > 0, got {clip}"
            )));
        }
        let dim = env.observation_space().dim();
        let space = BoxSpace::uniform(-clip, clip, dim)?;
        Ok(Self {
            env,
            rms: RunningMeanStd::new(dim, 1e-4),
            clip,
            epsilon: 1e-8,
            training: true,
            space,
        })
    }

    /// Whether statistics are being updated.
    pub fn training(&self) -> bool {
        self.training
    }

    /// Turns statistic updates on (training) or off (evaluation).
    pub fn set_training(&mut self, training: bool) {
        self.training = training;
    }

    /// The current statistics.
    pub fn obs_rms(&self) -> &RunningMeanStd {
        &self.rms
    }

    /// Replaces the statistics (e.g. loaded from a checkpoint); the dimension must match.
    pub fn set_obs_rms(&mut self, rms: RunningMeanStd) -> Result<()> {
        if rms.dim() != self.rms.dim() {
            return Err(crate::Error::InvalidConfig(format!(
                "NormalizeObservation: statistics have {} dimensions, env has {}",
                rms.dim(),
                self.rms.dim()
            )));
        }
        self.rms = rms;
        Ok(())
    }

    /// The wrapped env.
    pub fn inner(&self) -> &E {
        &self.env
    }

    /// The wrapped env, mutably.
    pub fn inner_mut(&mut self) -> &mut E {
        &mut self.env
    }

    fn normalize(&mut self, obs: Vec<f64>) -> Vec<f64> {
        if self.training {
            self.rms.update(&obs);
        }
        let mut out = vec![0.0; obs.len()];
        self.rms
            .normalize_into(&obs, self.epsilon, self.clip, &mut out);
        out
    }
}

impl<E> Env for NormalizeObservation<E>
where
    E: Env<Obs = Vec<f64>, ObsSpace = BoxSpace>,
{
    type Obs = Vec<f64>;
    type Act = E::Act;
    type ObsSpace = BoxSpace;
    type ActSpace = E::ActSpace;

    fn observation_space(&self) -> &BoxSpace {
        &self.space
    }

    fn action_space(&self) -> &E::ActSpace {
        self.env.action_space()
    }

    fn reset(&mut self, seed: Option<u64>) -> Result<(Vec<f64>, Info)> {
        let (obs, info) = self.env.reset(seed)?;
        Ok((self.normalize(obs), info))
    }

    fn step(&mut self, action: &E::Act) -> Result<Step<Vec<f64>>> {
        let step = self.env.step(action)?;
        let obs = self.normalize(step.obs);
        debug_assert!(self.space.contains(&obs) || obs.iter().any(|v| v.is_nan()));
        Ok(Step { obs, ..step })
    }
}

impl<E> crate::Snapshot for NormalizeObservation<E>
where
    E: Env<Obs = Vec<f64>, ObsSpace = BoxSpace> + crate::Snapshot,
{
    type State = (RunningMeanStd, E::State);

    fn snapshot(&self) -> Self::State {
        (self.rms.clone(), self.env.snapshot())
    }

    fn restore(&mut self, (rms, inner): Self::State) -> Result<()> {
        self.set_obs_rms(rms)?;
        self.env.restore(inner)
    }
}
