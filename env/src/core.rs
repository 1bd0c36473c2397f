//! The `Env` trait and the `Step` it returns (Gymnasium 1.x semantics).

use crate::{Info, Result, Space};

/// What `step` returns: Gymnasium's `(obs, reward, terminated, truncated, info)`.
///
/// `terminated` means the MDP reached a terminal state (no value after it); `truncated` means
/// the episode was cut short (a time limit or the end of a data range), so a learner should
/// bootstrap from the value of `obs`.
#[derive(Debug, Clone, PartialEq)]
pub struct Step<O> {
    /// Observation after the action.
    pub obs: O,
    /// Reward for the action.
    pub reward: f64,
    /// The MDP ended in a terminal state.
    pub terminated: bool,
    /// The episode was cut short; `obs` is a non-terminal state.
    pub truncated: bool,
    /// Named diagnostics.
    pub info: Info,
}

impl<O> Step<O> {
    /// True when the episode is over for either reason.
    pub fn done(&self) -> bool {
        self.terminated || self.truncated
    }

    /// The same step with its observation mapped by `f` (e.g. moved out into a buffer, or
    /// a buffer moved in).
    #[inline(always)]
    pub fn map_obs<P>(self, f: impl FnOnce(O) -> P) -> Step<P> {
        Step {
            obs: f(self.obs),
            reward: self.reward,
            terminated: self.terminated,
            truncated: self.truncated,
            info: self.info,
        }
    }
}

/// A reinforcement-learning environment.
///
/// Contract (checked by [`crate::check_env`]): `reset` starts an episode and must be called
/// before `step`; the same seed gives the same trajectory for the same actions; after a step
/// with `done()`, `step` fails with [`crate::Error::StepAfterDone`] until the next `reset`;
/// actions that do not fit the action space (wrong shape, NaN) are errors, never panics.
pub trait Env {
    /// Observation type.
    type Obs;
    /// Action type.
    type Act;
    /// Observation space type.
    type ObsSpace: Space<Elem = Self::Obs>;
    /// Action space type.
    type ActSpace: Space<Elem = Self::Act>;

    /// The set of observations this env can return.
    fn observation_space(&self) -> &Self::ObsSpace;

    /// The set of actions this env accepts.
    fn action_space(&self) -> &Self::ActSpace;

    /// Starts a new episode. `Some(seed)` reseeds the env's RNG (same seed, same episode);
    /// `None` continues from the current RNG state.
    fn reset(&mut self, seed: Option<u64>) -> Result<(Self::Obs, Info)>;

    /// Applies `action` and advances one step.
    fn step(&mut self, action: &Self::Act) -> Result<Step<Self::Obs>>;

    /// [`Env::step`], with the new observation written into `obs` (typically the previous
    /// one, whose allocation is reused) instead of returned. A vector env steps its sub-envs
    /// this way so that a step allocates nothing. The default moves `step`'s observation in;
    /// envs whose observation is a `Vec` override it to write in place. Same results as
    /// `step` either way.
    fn step_into(&mut self, action: &Self::Act, obs: &mut Self::Obs) -> Result<Step<()>> {
        Ok(self.step(action)?.map_obs(|o| *obs = o))
    }
}

/// Lets `&mut E` and `Box<E>` be used wherever an env is expected.
impl<E: Env + ?Sized> Env for Box<E> {
    type Obs = E::Obs;
    type Act = E::Act;
    type ObsSpace = E::ObsSpace;
    type ActSpace = E::ActSpace;

    fn observation_space(&self) -> &Self::ObsSpace {
        (**self).observation_space()
    }
    fn action_space(&self) -> &Self::ActSpace {
        (**self).action_space()
    }
    fn reset(&mut self, seed: Option<u64>) -> Result<(Self::Obs, Info)> {
        (**self).reset(seed)
    }
    fn step(&mut self, action: &Self::Act) -> Result<Step<Self::Obs>> {
        (**self).step(action)
    }
    fn step_into(&mut self, action: &Self::Act, obs: &mut Self::Obs) -> Result<Step<()>> {
        (**self).step_into(action, obs)
    }
}

/// Tracks the lifecycle every env shares: not reset yet, running, or done.
///
/// Envs hold one and call [`EpisodeGuard::check_step`] at the top of `step`, so the errors for
/// stepping before `reset` or after the end are uniform across the crate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum EpisodeGuard {
    /// `reset` was never called.
    #[default]
    NotReset,
    /// An episode is in progress.
    Running,
    /// The last step ended the episode.
    Done,
}

impl EpisodeGuard {
    /// `Ok` when a step is allowed now.
    pub fn check_step(&self) -> Result<()> {
        match self {
            EpisodeGuard::Running => Ok(()),
            EpisodeGuard::NotReset => Err(crate::Error::NotReset),
            EpisodeGuard::Done => Err(crate::Error::StepAfterDone),
        }
    }

    /// Records the outcome of a step.
    pub fn record(&mut self, done: bool) {
        *self = if done {
            EpisodeGuard::Done
        } else {
            EpisodeGuard::Running
        };
    }
}
