//! `NormalizeReward`: scale rewards by the spread of the discounted return.

use super::RunningMeanStd;
use crate::{Env, Error, Info, Result, Step};

/// Divides each reward by the running standard deviation of the discounted return
/// `G_t = gamma * G_{t-1} + r_t` (Gymnasium's `NormalizeReward`, SB3's `VecNormalize`), then
/// clips it to `±clip`. The running return restarts at every episode end (terminated or
/// truncated), as SB3 does; Gymnasium restarts only on termination, which lets a truncated
/// episode's return leak into the next one.
#[derive(Debug, Clone)]
pub struct NormalizeReward<E> {
    env: E,
    rms: RunningMeanStd,
    gamma: f64,
    clip: f64,
    epsilon: f64,
    discounted_return: f64,
    training: bool,
}

impl<E: Env> NormalizeReward<E> {
    /// Wraps `env`; `gamma` in `[0, 1]`, `clip > 0`.
    pub fn new(env: E, gamma: f64, clip: f64) -> Result<Self> {
        if !(0.0..=1.0).contains(&gamma) {
            return Err(Error::InvalidConfig(format!(
                "NormalizeReward: gamma must be in [0, 1], got {gamma}"
            )));
        }
        if clip.is_nan() || clip <= 0.0 {
            return Err(Error::InvalidConfig(format!(
                "NormalizeReward: clip must be > 0, got {clip}"
            )));
        }
        Ok(Self {
            env,
            rms: RunningMeanStd::new(1, 1e-4),
            gamma,
            clip,
            epsilon: 1e-8,
            discounted_return: 0.0,
            training: true,
        })
    }

    /// Turns statistic updates on or off.
    pub fn set_training(&mut self, training: bool) {
        self.training = training;
    }

    /// The return statistics.
    pub fn return_rms(&self) -> &RunningMeanStd {
        &self.rms
    }

    /// Replaces the return statistics (must be one-dimensional).
    pub fn set_return_rms(&mut self, rms: RunningMeanStd) -> Result<()> {
        if rms.dim() != 1 {
            return Err(Error::InvalidConfig(format!(
                "NormalizeReward: statistics must have 1 dimension, got {}",
                rms.dim()
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
}

impl<E: Env> Env for NormalizeReward<E> {
    super::inner_spaces!();

    fn reset(&mut self, seed: Option<u64>) -> Result<(E::Obs, Info)> {
        self.discounted_return = 0.0;
        self.env.reset(seed)
    }

    fn step(&mut self, action: &E::Act) -> Result<Step<E::Obs>> {
        let mut step = self.env.step(action)?;
        self.discounted_return = self.discounted_return * self.gamma + step.reward;
        if self.training {
            self.rms.update(&[self.discounted_return]);
        }
        step.info.set("raw_reward", step.reward);
        step.reward =
            (step.reward / (self.rms.var[0] + self.epsilon).sqrt()).clamp(-self.clip, self.clip);
        if step.done() {
            self.discounted_return = 0.0;
        }
        Ok(step)
    }
}

impl<E: Env + crate::Snapshot> crate::Snapshot for NormalizeReward<E> {
    type State = (RunningMeanStd, f64, E::State);

    fn snapshot(&self) -> Self::State {
        (
            self.rms.clone(),
            self.discounted_return,
            self.env.snapshot(),
        )
    }

    fn restore(&mut self, (rms, ret, inner): Self::State) -> Result<()> {
        self.set_return_rms(rms)?;
        self.discounted_return = ret;
        self.env.restore(inner)
    }
}
