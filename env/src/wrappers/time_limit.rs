//! `TimeLimit`: truncate episodes after a fixed number of steps.

use crate::{Env, EpisodeGuard, Error, Info, Result, Step};

/// Sets `truncated` once `max_episode_steps` steps have been taken (Gymnasium's `TimeLimit`).
/// A step that both terminates and hits the limit reports both flags, as Gymnasium does.
#[derive(Debug, Clone)]
pub struct TimeLimit<E> {
    env: E,
    max_episode_steps: usize,
    elapsed: usize,
    guard: EpisodeGuard,
}

impl<E: Env> TimeLimit<E> {
    /// Wraps `env`; `max_episode_steps` must be at least 1.
    pub fn new(env: E, max_episode_steps: usize) -> Result<Self> {
        if max_episode_steps == 0 {
            return Err(Error::InvalidConfig(
                "TimeLimit: max_episode_steps must be at least 1".into(),
            ));
        }
        Ok(Self {
            env,
            max_episode_steps,
            elapsed: 0,
            guard: EpisodeGuard::NotReset,
        })
    }

    /// Steps taken in the current episode.
    pub fn elapsed_steps(&self) -> usize {
        self.elapsed
    }

    /// The limit.
    pub fn max_episode_steps(&self) -> usize {
        self.max_episode_steps
    }

    /// The wrapped env.
    pub fn inner(&self) -> &E {
        &self.env
    }

    /// The wrapped env, mutably.
    pub fn inner_mut(&mut self) -> &mut E {
        &mut self.env
    }

    /// Counts a step of the inner env: truncates it at the limit and records its outcome.
    #[inline]
    fn count<O>(&mut self, mut step: Step<O>) -> Step<O> {
        self.elapsed += 1;
        if self.elapsed >= self.max_episode_steps {
            step.truncated = true;
        }
        self.guard.record(step.done());
        step
    }
}

impl<E: Env> Env for TimeLimit<E> {
    super::inner_spaces!();

    fn reset(&mut self, seed: Option<u64>) -> Result<(E::Obs, Info)> {
        let out = self.env.reset(seed)?;
        self.elapsed = 0;
        self.guard = EpisodeGuard::Running;
        Ok(out)
    }

    fn step(&mut self, action: &E::Act) -> Result<Step<E::Obs>> {
        self.guard.check_step()?;
        let step = self.env.step(action)?;
        Ok(self.count(step))
    }

    fn step_into(&mut self, action: &E::Act, obs: &mut E::Obs) -> Result<Step<()>> {
        self.guard.check_step()?;
        let step = self.env.step_into(action, obs)?;
        Ok(self.count(step))
    }
}

impl<E: Env + crate::Snapshot> crate::Snapshot for TimeLimit<E> {
    type State = (usize, EpisodeGuard, E::State);

    fn snapshot(&self) -> Self::State {
        (self.elapsed, self.guard, self.env.snapshot())
    }

    fn restore(&mut self, (elapsed, guard, inner): Self::State) -> Result<()> {
        self.elapsed = elapsed;
        self.guard = guard;
        self.env.restore(inner)
    }
}
