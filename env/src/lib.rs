//! # metablend-env
//!
//! Gymnasium-style reinforcement-learning environments in plain Rust (no ML framework), the
//! foundation of metablend's meta-learned forecast combination.
//!
//! - [`Env`], [`Step`], [`Info`] and the spaces [`BoxSpace`], [`Discrete`], [`MultiDiscrete`]
//!   follow Gymnasium 1.x semantics (`terminated` vs `truncated`, seeded `reset`), in Rust
//!   idiom: misuse and bad actions are [`Error`]s, never panics.
//! - [`wrappers`] (time limits, episode statistics, observation/reward normalisation, action
//!   clipping and rescaling), [`SyncVectorEnv`] (with its autoreset rule documented on
//!   [`VecStep`]), and [`check_env`], the contract every env is tested against.
//! - [`envs::CartPole`] and [`envs::Pendulum`] reproduce Gymnasium's dynamics exactly
//!   (replayed against trajectories recorded from Gymnasium 1.4), which is how agents are
//!   validated against published results.
//! - [`EnsembleEnv`]: the agent weights K base forecasts at each time step. Observations are
//!   unit-free and built in O(K) from prefix sums; rewards are pluggable ([`RewardFn`], any
//!   closure, or a built-in chosen by name through [`RewardSpec`]).
//! - [`Policy`]: what the agents crate implements and the ensemble crate consumes, so neither
//!   depends on the other.
//!
//! ```
//! use metablend_env::{Env, EnsembleEnv, EnsembleEnvConfig, Predictions};
//! # fn main() -> metablend_env::Result<()> {
//! let target: Vec<f64> = (0..60).map(|t| (t as f64 * 0.3).sin()).collect();
//! let preds = target.iter().map(|y| vec![y + 0.1, y - 0.3]).collect();
//! let data = Predictions::new(target, preds, vec!["a".into(), "b".into()])?;
//! let mut env = EnsembleEnv::single(data, EnsembleEnvConfig::default())?;
//! let (obs, _) = env.reset(Some(0))?;
//! let step = env.step(&vec![2.0, 0.0])?; // logits: favour model "a"
//! assert_eq!(obs.len(), 8);
//! assert!(step.info.get("forecast").is_some());
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

mod check;
pub mod contextual;
mod core;
pub mod ensemble;
pub mod envs;
mod error;
mod info;
mod policy;
mod snapshot;
mod space;
mod vector;
pub mod wrappers;

pub use crate::core::{Env, EpisodeGuard, Step};
pub use check::check_env;
pub use ensemble::{
    ActionMap, ActionMapKind, EnsembleEnv, EnsembleEnvConfig, EpisodeStart, FeatureContext,
    FeatureFn, Predictions, PredictionsPanel, RewardContext, RewardFn, RewardSpec,
};
pub use error::{Error, Result};
pub use info::{Info, InfoLayout};
pub use policy::{evaluate_policy, EvalResult, Policy};
pub use snapshot::Snapshot;
pub use space::{BoxSpace, Discrete, MultiDiscrete, Space};
pub use vector::{SyncVectorEnv, VecStep};
