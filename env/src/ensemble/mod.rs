//! The ensemble-weighting environment: an agent picks combination weights for K base
//! forecasts at each time step and is rewarded by the combined forecast's accuracy.

mod action_map;
mod config;
mod context;
mod env;
mod features;
mod reward;
mod stats;
pub mod synthetic;

pub use action_map::{softmax_into, ActionMap, ActionMapKind, Residual, Select, Simplex, Softmax};
pub use config::{EnsembleEnvConfig, EpisodeStart};
pub use context::ContextFeatures;
pub use env::{EnsembleEnv, EnsembleEnvSnapshot};
pub use features::{FeatureContext, FeatureFn};
pub use metablend_core::{Predictions, PredictionsPanel};
pub use reward::{
    DirectionalHit, ImprovementOverEqual, NegAbsError, NegSquaredError, RewardContext, RewardFn,
    RewardSpec, TradingPnl, TurnoverPenalty,
};

#[cfg(test)]
mod tests;
