//! `RecordEpisodeStatistics`: episode return and length in `info` at each episode end.

use crate::{Env, Info, Result, Step};
use std::collections::VecDeque;

/// Accumulates the undiscounted return and length of each episode; on the step that ends it,
/// sets `info["episode_return"]` and `info["episode_length"]` (Gymnasium's `episode.r` and
/// `episode.l`) and pushes them to a queue of the last `buffer_len` episodes, which trainers
/// read for `ep_rew_mean` / `ep_len_mean`.
#[derive(Debug, Clone)]
pub struct RecordEpisodeStatistics<E> {
    env: E,
    episode_return: f64,
    episode_length: usize,
    returns: VecDeque<f64>,
    lengths: VecDeque<usize>,
    buffer_len: usize,
}

impl<E: Env> RecordEpisodeStatistics<E> {
    /// Wraps `env`, keeping the last 100 episodes (Gymnasium's default).
    pub fn new(env: E) -> Self {
        Self::with_buffer(env, 100)
    }

    /// Wraps `env`, keeping the last `buffer_len` (at least 1) episodes.
    pub fn with_buffer(env: E, buffer_len: usize) -> Self {
        let buffer_len = buffer_len.max(1);
        Self {
            env,
            episode_return: 0.0,
            episode_length: 0,
            returns: VecDeque::with_capacity(buffer_len),
            lengths: VecDeque::with_capacity(buffer_len),
            buffer_len,
        }
    }

    /// Returns of the most recent finished episodes, oldest first.
    pub fn return_queue(&self) -> &VecDeque<f64> {
        &self.returns
    }

    /// Lengths of the most recent finished episodes, oldest first.
    pub fn length_queue(&self) -> &VecDeque<usize> {
        &self.lengths
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

impl<E: Env> Env for RecordEpisodeStatistics<E> {
    super::inner_spaces!();

    fn reset(&mut self, seed: Option<u64>) -> Result<(E::Obs, Info)> {
        self.episode_return = 0.0;
        self.episode_length = 0;
        self.env.reset(seed)
    }

    fn step(&mut self, action: &E::Act) -> Result<Step<E::Obs>> {
        let mut step = self.env.step(action)?;
        self.episode_return += step.reward;
        self.episode_length += 1;
        if step.done() {
            step.info.set("episode_return", self.episode_return);
            step.info.set("episode_length", self.episode_length as f64);
            if self.returns.len() == self.buffer_len {
                self.returns.pop_front();
                self.lengths.pop_front();
            }
            self.returns.push_back(self.episode_return);
            self.lengths.push_back(self.episode_length);
        }
        Ok(step)
    }
}

/// The running episode and the queues of [`RecordEpisodeStatistics`].
type EpisodeStats = (f64, usize, VecDeque<f64>, VecDeque<usize>);

impl<E: Env + crate::Snapshot> crate::Snapshot for RecordEpisodeStatistics<E> {
    type State = (EpisodeStats, E::State);

    fn snapshot(&self) -> Self::State {
        let own = (
            self.episode_return,
            self.episode_length,
            self.returns.clone(),
            self.lengths.clone(),
        );
        (own, self.env.snapshot())
    }

    fn restore(&mut self, ((ret, len, returns, lengths), inner): Self::State) -> Result<()> {
        self.episode_return = ret;
        self.episode_length = len;
        self.returns = returns;
        self.lengths = lengths;
        self.env.restore(inner)
    }
}
