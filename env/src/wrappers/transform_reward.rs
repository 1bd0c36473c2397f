//! `TransformReward`: apply a function to every reward.

use crate::{Env, Info, Result, Step};

/// Replaces each reward `r` by `f(r)` (Gymnasium's `TransformReward`).
#[derive(Debug, Clone)]
pub struct TransformReward<E, F> {
    env: E,
    f: F,
}

impl<E: Env, F: Fn(f64) -> f64> TransformReward<E, F> {
    /// Wraps `env` with the reward transform `f`.
    pub fn new(env: E, f: F) -> Self {
        Self { env, f }
    }

    /// The wrapped env.
    pub fn inner(&self) -> &E {
        &self.env
    }
}

impl<E: Env, F: Fn(f64) -> f64> Env for TransformReward<E, F> {
    super::inner_spaces!();

    fn reset(&mut self, seed: Option<u64>) -> Result<(E::Obs, Info)> {
        self.env.reset(seed)
    }

    fn step(&mut self, action: &E::Act) -> Result<Step<E::Obs>> {
        let mut step = self.env.step(action)?;
        step.reward = (self.f)(step.reward);
        Ok(step)
    }
}

super::snapshot_of_inner!([E, F] TransformReward<E, F> where E: Env, F: Fn(f64) -> f64);
