//! Policies that report the log-probability of their actions, as behaviour policies for
//! logging and as target policies for evaluation.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha12Rng;
use rand_distr::StandardNormal;

use super::log::LoggedAction;
use crate::ppo::PpoPolicy;
use crate::{Error, Result};
use metablend_env::{BoxSpace, Discrete, Env, Policy};

const HALF_LN_2PI: f64 = 0.918_938_533_204_672_8;

/// A stochastic policy with known action log-probabilities. Observations are passed as
/// `&Vec<f64>`, the env's observation type, so wrapped `Policy`s get them without copying.
#[allow(clippy::ptr_arg)]
pub trait LogProbPolicy<E: Env<Obs = Vec<f64>>> {
    /// Samples an action: (the action as logged, the env action, ln π(logged | obs)).
    fn sample(&mut self, obs: &Vec<f64>) -> Result<(LoggedAction, E::Act, f64)>;
    /// ln π(action | obs) of a logged action.
    fn log_prob(&mut self, obs: &Vec<f64>, action: &LoggedAction) -> Result<f64>;
}

fn discrete(action: &LoggedAction) -> Result<usize> {
    match action {
        LoggedAction::Discrete(a) => Ok(*a),
        LoggedAction::Continuous(_) => Err(Error::InvalidInput(
            "a continuous action given to a discrete policy".into(),
        )),
    }
}

fn continuous(action: &LoggedAction) -> Result<&[f64]> {
    match action {
        LoggedAction::Continuous(a) => Ok(a),
        LoggedAction::Discrete(_) => Err(Error::InvalidInput(
            "a discrete action given to a continuous policy".into(),
        )),
    }
}

/// With probability ε a uniform action, otherwise the wrapped policy's deterministic one:
/// π(a|s) = (1 − ε)·1[a = greedy(s)] + ε/n.
pub struct EpsilonGreedy<P> {
    policy: P,
    epsilon: f64,
    n: usize,
    rng: ChaCha12Rng,
}

impl<P> EpsilonGreedy<P> {
    /// Wraps `policy` for an action space of `n` actions; ε in [0, 1].
    pub fn new(policy: P, epsilon: f64, n: usize, seed: u64) -> Result<Self> {
        if !(0.0..=1.0).contains(&epsilon) || n == 0 {
            return Err(Error::InvalidInput(format!(
                "epsilon-greedy needs epsilon in [0, 1] and n ≥ 1 (got {epsilon}, {n})"
            )));
        }
        Ok(Self {
            policy,
            epsilon,
            n,
            rng: ChaCha12Rng::seed_from_u64(seed),
        })
    }

    fn prob(&self, action: usize, greedy: usize) -> f64 {
        let uniform = self.epsilon / self.n as f64;
        if action == greedy {
            1.0 - self.epsilon + uniform
        } else {
            uniform
        }
    }
}

impl<E, P> LogProbPolicy<E> for EpsilonGreedy<P>
where
    E: Env<Obs = Vec<f64>, Act = usize, ActSpace = Discrete>,
    P: Policy<E>,
{
    fn sample(&mut self, obs: &Vec<f64>) -> Result<(LoggedAction, usize, f64)> {
        let greedy = self.policy.act(obs, true)?;
        let action = if self.rng.random::<f64>() < self.epsilon {
            self.rng.random_range(0..self.n)
        } else {
            greedy
        };
        Ok((
            LoggedAction::Discrete(action),
            action,
            self.prob(action, greedy).ln(),
        ))
    }

    fn log_prob(&mut self, obs: &Vec<f64>, action: &LoggedAction) -> Result<f64> {
        let a = discrete(action)?;
        if a >= self.n {
            return Err(Error::InvalidInput(format!(
                "action {a} outside 0..{}",
                self.n
            )));
        }
        let greedy = self.policy.act(obs, true)?;
        Ok(self.prob(a, greedy).ln())
    }
}

/// The wrapped policy's deterministic action plus independent N(0, σ²) noise per dimension;
/// the env receives the noisy action clipped into the space, the log holds it unclipped
/// (its density is the Gaussian's).
pub struct GaussianNoise<P> {
    policy: P,
    sigma: f64,
    space: BoxSpace,
    rng: ChaCha12Rng,
}

impl<P> GaussianNoise<P> {
    /// Wraps `policy` with noise of standard deviation `sigma` > 0 on action space `space`.
    pub fn new(policy: P, sigma: f64, space: BoxSpace, seed: u64) -> Result<Self> {
        if !(sigma > 0.0 && sigma.is_finite()) {
            return Err(Error::InvalidInput(format!(
                "Gaussian noise needs sigma > 0 (got {sigma})"
            )));
        }
        Ok(Self {
            policy,
            sigma,
            space,
            rng: ChaCha12Rng::seed_from_u64(seed),
        })
    }
}

impl<E, P> LogProbPolicy<E> for GaussianNoise<P>
where
    E: Env<Obs = Vec<f64>, Act = Vec<f64>, ActSpace = BoxSpace>,
    P: Policy<E>,
{
    fn sample(&mut self, obs: &Vec<f64>) -> Result<(LoggedAction, Vec<f64>, f64)> {
        let mean = self.policy.act(obs, true)?;
        let mut logp = 0.0;
        let raw: Vec<f64> = mean
            .iter()
            .map(|m| {
                let z: f64 = self.rng.sample(StandardNormal);
                logp += -0.5 * z * z - self.sigma.ln() - HALF_LN_2PI;
                m + self.sigma * z
            })
            .collect();
        let env_action = raw
            .iter()
            .zip(self.space.low().iter().zip(self.space.high()))
            .map(|(a, (l, h))| a.clamp(*l, *h))
            .collect();
        Ok((LoggedAction::Continuous(raw), env_action, logp))
    }

    fn log_prob(&mut self, obs: &Vec<f64>, action: &LoggedAction) -> Result<f64> {
        let a = continuous(action)?;
        let mean = self.policy.act(obs, true)?;
        if a.len() != mean.len() {
            return Err(Error::InvalidInput(format!(
                "action has {} values, the policy {}",
                a.len(),
                mean.len()
            )));
        }
        Ok(a.iter()
            .zip(&mean)
            .map(|(x, m)| {
                let z = (x - m) / self.sigma;
                -0.5 * z * z - self.sigma.ln() - HALF_LN_2PI
            })
            .sum())
    }
}

impl<E> LogProbPolicy<E> for PpoPolicy<Discrete>
where
    E: Env<Obs = Vec<f64>, Act = usize, ActSpace = Discrete>,
{
    fn sample(&mut self, obs: &Vec<f64>) -> Result<(LoggedAction, usize, f64)> {
        let (raw, logp) = self.act_raw(std::slice::from_ref(obs), false)?.remove(0);
        let a = raw[0] as usize;
        Ok((LoggedAction::Discrete(a), a, logp as f64))
    }

    fn log_prob(&mut self, obs: &Vec<f64>, action: &LoggedAction) -> Result<f64> {
        let a = discrete(action)?;
        Ok(self.log_prob_raw(obs, &[a as f32])? as f64)
    }
}

impl<E> LogProbPolicy<E> for PpoPolicy<BoxSpace>
where
    E: Env<Obs = Vec<f64>, Act = Vec<f64>, ActSpace = BoxSpace>,
{
    fn sample(&mut self, obs: &Vec<f64>) -> Result<(LoggedAction, Vec<f64>, f64)> {
        let (raw, logp) = self.act_raw(std::slice::from_ref(obs), false)?.remove(0);
        let env_action = self.env_action(&raw);
        Ok((
            LoggedAction::Continuous(raw.iter().map(|&v| v as f64).collect()),
            env_action,
            logp as f64,
        ))
    }

    fn log_prob(&mut self, obs: &Vec<f64>, action: &LoggedAction) -> Result<f64> {
        let a: Vec<f32> = continuous(action)?.iter().map(|&v| v as f32).collect();
        Ok(self.log_prob_raw(obs, &a)? as f64)
    }
}
