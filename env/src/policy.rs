//! The `Policy` trait: anything that maps an observation to an action, and a generic
//! evaluation loop.

use crate::{Env, Error, Result};

/// Maps observations to actions. Implemented by trained agents (e.g. the agents crate's
/// PPO policy), by hand-written rules, and by any closure
/// `FnMut(&E::Obs, bool) -> Result<E::Act>`.
pub trait Policy<E: Env + ?Sized> {
    /// The action for `obs`. `deterministic` asks for the policy's mode (evaluation) instead
    /// of a sample (exploration).
    fn act(&mut self, obs: &E::Obs, deterministic: bool) -> Result<E::Act>;

    /// Actions for a batch of observations; the default calls [`Policy::act`] on each.
    fn act_batch(&mut self, obs: &[E::Obs], deterministic: bool) -> Result<Vec<E::Act>> {
        obs.iter().map(|o| self.act(o, deterministic)).collect()
    }
}

impl<E, F> Policy<E> for F
where
    E: Env + ?Sized,
    F: FnMut(&E::Obs, bool) -> Result<E::Act>,
{
    fn act(&mut self, obs: &E::Obs, deterministic: bool) -> Result<E::Act> {
        self(obs, deterministic)
    }
}

/// Returns and lengths of evaluation episodes.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EvalResult {
    /// Undiscounted return of each episode.
    pub returns: Vec<f64>,
    /// Length of each episode.
    pub lengths: Vec<usize>,
}

impl EvalResult {
    /// Mean return.
    pub fn mean_return(&self) -> f64 {
        mean(&self.returns)
    }

    /// Population standard deviation of the returns (as SB3's `evaluate_policy`).
    pub fn std_return(&self) -> f64 {
        let m = self.mean_return();
        (self.returns.iter().map(|r| (r - m).powi(2)).sum::<f64>() / self.returns.len() as f64)
            .sqrt()
    }

    /// Mean episode length.
    pub fn mean_length(&self) -> f64 {
        self.lengths.iter().sum::<usize>() as f64 / self.lengths.len() as f64
    }
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// Runs `episodes` full episodes of `policy` on `env` and reports returns and lengths, like
/// SB3's `evaluate_policy`. The first episode is reset with `seed` (when given); later ones
/// continue the env's RNG, so the whole evaluation is reproducible from one seed.
pub fn evaluate_policy<E, P>(
    env: &mut E,
    policy: &mut P,
    episodes: usize,
    deterministic: bool,
    seed: Option<u64>,
) -> Result<EvalResult>
where
    E: Env,
    P: Policy<E> + ?Sized,
{
    if episodes == 0 {
        return Err(Error::InvalidConfig(
            "evaluate_policy: episodes must be at least 1".into(),
        ));
    }
    let mut returns = Vec::with_capacity(episodes);
    let mut lengths = Vec::with_capacity(episodes);
    for ep in 0..episodes {
        let (mut obs, _) = env.reset(if ep == 0 { seed } else { None })?;
        let (mut ret, mut len) = (0.0, 0usize);
        loop {
            let action = policy.act(&obs, deterministic)?;
            let step = env.step(&action)?;
            ret += step.reward;
            len += 1;
            let done = step.done();
            obs = step.obs;
            if done {
                break;
            }
        }
        returns.push(ret);
        lengths.push(len);
    }
    Ok(EvalResult { returns, lengths })
}
