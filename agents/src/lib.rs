//! # metablend-agents
//!
//! PPO on candle for any env of `metablend-env` with flat `Box` observations and `Discrete`
//! or `Box` actions — the classic-control reference envs and the ensemble-weighting env.
//!
//! Key choices: the networks run on candle, but the optimiser (Adam) and gradient clipping
//! work on flat `f32` buffers, because on networks this small per-op overhead dominates and
//! because the moment estimates must go into checkpoints. Every random draw comes from an RNG
//! derived from `(seed, phase, iteration)`, so a run is reproducible from its config alone.
//! Candle's CPU thread count is read from `RAYON_NUM_THREADS`; see [`set_candle_threads`].
//!
//! ```
//! use metablend_agents::ppo::{Ppo, PpoConfig};
//! use metablend_env::envs::CartPole;
//! # fn main() -> metablend_agents::Result<()> {
//! let cfg = PpoConfig { n_envs: 2, n_steps: 16, batch_size: 32, n_epochs: 1, ..PpoConfig::cartpole_zoo() };
//! let mut ppo = Ppo::new(cfg, |_| Ok(CartPole::v1()))?;
//! let logs = ppo.learn(64, &mut [])?;
//! assert_eq!(logs.len(), 2);
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

pub mod action_maps;
mod error;
pub mod metaopt;
pub mod ope;
pub mod ppo;
mod threads;

pub use error::{Error, Result};
pub use threads::{candle_threads, set_candle_threads};
