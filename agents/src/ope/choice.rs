//! Which policy acts or is evaluated: a PPO policy itself, or a perturbation of its
//! deterministic action (the usual way to get a behaviour policy that explores around a
//! trained one), chosen by name (`ppo`, `noise:SIGMA`, `epsilon:EPS`).

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::policy::{EpsilonGreedy, GaussianNoise, LogProbPolicy};
use crate::ppo::{PolicySpace, PpoPolicy};
use crate::{Error, Result};
use metablend_env::{BoxSpace, Discrete, Env};

/// A policy derived from a trained PPO policy.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyChoice {
    /// PPO's own stochastic policy.
    Ppo,
    /// The deterministic PPO action plus N(0, σ²) per dimension (continuous actions).
    Noise(f64),
    /// ε-greedy around the deterministic PPO action (discrete actions).
    Epsilon(f64),
}

impl FromStr for PolicyChoice {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let (name, arg) = s.split_once(':').unwrap_or((s, ""));
        let value = || {
            arg.parse::<f64>()
                .map_err(|_| Error::InvalidInput(format!("policy `{s}`: `{arg}` is not a number")))
        };
        Ok(match name {
            "ppo" => Self::Ppo,
            "noise" => Self::Noise(value()?),
            "epsilon" => Self::Epsilon(value()?),
            _ => {
                return Err(Error::InvalidInput(format!(
                    "unknown policy `{s}` (known: ppo, noise:SIGMA, epsilon:EPS)"
                )))
            }
        })
    }
}

/// Action spaces whose PPO policies can be perturbed into behaviour policies.
pub trait Perturbable: PolicySpace + Clone + Send + Sync + 'static {
    /// The policy `choice` describes, built from the trained `ppo` policy.
    fn policy<E>(
        choice: PolicyChoice,
        ppo: PpoPolicy<Self>,
        space: Self,
        seed: u64,
    ) -> Result<Box<dyn LogProbPolicy<E>>>
    where
        E: Env<Obs = Vec<f64>, Act = Self::Elem, ActSpace = Self> + 'static;
}

impl Perturbable for BoxSpace {
    fn policy<E>(
        choice: PolicyChoice,
        ppo: PpoPolicy<Self>,
        space: Self,
        seed: u64,
    ) -> Result<Box<dyn LogProbPolicy<E>>>
    where
        E: Env<Obs = Vec<f64>, Act = Vec<f64>, ActSpace = BoxSpace> + 'static,
    {
        Ok(match choice {
            PolicyChoice::Ppo => Box::new(ppo),
            PolicyChoice::Noise(sigma) => Box::new(GaussianNoise::new(ppo, sigma, space, seed)?),
            PolicyChoice::Epsilon(_) => {
                return Err(Error::InvalidInput(
                    "epsilon-greedy needs a discrete action space (the select map); use \
                     noise:SIGMA"
                        .into(),
                ))
            }
        })
    }
}

impl Perturbable for Discrete {
    fn policy<E>(
        choice: PolicyChoice,
        ppo: PpoPolicy<Self>,
        space: Self,
        seed: u64,
    ) -> Result<Box<dyn LogProbPolicy<E>>>
    where
        E: Env<Obs = Vec<f64>, Act = usize, ActSpace = Discrete> + 'static,
    {
        Ok(match choice {
            PolicyChoice::Ppo => Box::new(ppo),
            PolicyChoice::Epsilon(eps) => Box::new(EpsilonGreedy::new(ppo, eps, space.n(), seed)?),
            PolicyChoice::Noise(_) => {
                return Err(Error::InvalidInput(
                    "Gaussian noise needs a continuous action space; use epsilon:EPS".into(),
                ))
            }
        })
    }
}
