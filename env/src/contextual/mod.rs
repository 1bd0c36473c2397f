//! The contextual combination env: one step per series. The observation describes a series
//! (its features) and how each base model did on its validation window; the action is a
//! set of combination weights; the reward is minus the M4 loss of the combined forecast on
//! that window. It is a contextual bandit (every episode is one step), so PPO learns a map
//! from a series' description to its weights that transfers to series it has not seen.

mod env;
mod task;

pub use env::{ContextOrder, ContextualEnv, ContextualEnvSnapshot};
pub use task::{ContextPanel, ContextTask};

#[cfg(test)]
mod tests;
