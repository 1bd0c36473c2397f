//! # metablend
//!
//! Meta-learned forecast combination: a Gymnasium-style environment wraps the predictions of
//! several base forecasting models, a PPO agent built on candle learns how to weight them, and
//! the ensemble crate applies the learned weights. This facade re-exports the crates.
#![warn(missing_docs)]

pub use metablend_agents as agents;
pub use metablend_core as core;
pub use metablend_ensemble as ensemble;
pub use metablend_env as env;
pub use metablend_nn as nn;
pub use metablend_pipelines as pipelines;

/// The guide to forecasting a panel, whose Rust example compiles as a doc-test.
#[cfg(doctest)]
#[doc = include_str!("../docs/guide-panels.md")]
pub struct GuidePanels;
