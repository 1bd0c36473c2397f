//! Off-policy evaluation: estimate a target policy's expected discounted return from
//! trajectories logged by another (behaviour) policy, with bootstrap confidence intervals and
//! the diagnostics that tell when an estimate cannot be trusted (effective sample size, the
//! largest importance weights).
//!
//! - [`log`]: the JSONL log format (one line per step, with the behaviour policy's
//!   log-probability of the action taken), read with validation and written atomically.
//! - [`policy`]: policies that report log-probabilities — PPO's stochastic policy, an
//!   ε-mixture of any policy with uniform (discrete actions) and a policy with added Gaussian
//!   noise (continuous actions) — and [`collect`](collect::collect) to log one on an env.
//! - [`estimators`]: trajectory-wise IS, weighted IS, per-decision IS, weighted per-decision
//!   IS and doubly robust (per-decision, with a cross-fitted linear value model).

mod choice;
pub mod collect;
pub mod estimators;
pub mod log;
pub mod policy;

#[cfg(test)]
mod tests;

pub use choice::{Perturbable, PolicyChoice};
pub use collect::collect;
pub use estimators::{evaluate_off_policy, Estimate, Estimator, OpeReport, OpeSettings};
pub use log::{read_log, read_log_from, write_log, LoggedAction, LoggedStep, Trajectory};
pub use policy::{EpsilonGreedy, GaussianNoise, LogProbPolicy};
