//! `EnsembleEnvConfig`: the ensemble env's settings, as data.

use crate::ensemble::ContextFeatures;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// Where episodes start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EpisodeStart {
    /// Training: a random series of the selection and a random start index in the range,
    /// chosen so a full `episode_len` fits when the range allows.
    #[default]
    Random,
    /// Evaluation: the start of the range, visiting the selected series in order, one per
    /// episode (round-robin).
    Beginning,
}

/// Settings of [`crate::EnsembleEnv`]. `Default` is a sensible training setup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EnsembleEnvConfig {
    /// Window W (steps) for the scale and the models' recent RMSE.
    pub window: usize,
    /// Block B as `ln` of the scaled RMSE (makes inverse-MSE weighting linear in the obs).
    pub log_rmse: bool,
    /// Steps per episode before truncation; `None` runs to the end of the range.
    pub episode_len: Option<usize>,
    /// Random starts (training) or the range start (evaluation).
    pub start: EpisodeStart,
    /// First time index of the range (default and minimum: `window + 1`).
    pub range_start: Option<usize>,
    /// One past the last time index of the range (default: the series length).
    pub range_end: Option<usize>,
    /// Indices of the panel's series to use (default: all).
    pub series: Option<Vec<usize>>,
    /// Relative floor on the scale: `s_t = rms + scale_epsilon * |target[t-1]| + 1e-12`, so
    /// a flat stretch of data cannot blow the features up.
    pub scale_epsilon: f64,
    /// Block F: seasonal phase, same-phase errors and disagreement (empty by default).
    pub context: ContextFeatures,
}

impl Default for EnsembleEnvConfig {
    fn default() -> Self {
        Self {
            window: 20,
            log_rmse: false,
            episode_len: Some(128),
            start: EpisodeStart::Random,
            range_start: None,
            range_end: None,
            series: None,
            scale_epsilon: 1e-6,
            context: ContextFeatures::default(),
        }
    }
}

impl EnsembleEnvConfig {
    /// The same config for full-range evaluation episodes over `[start, end)`.
    pub fn evaluation(&self, start: usize, end: usize) -> Self {
        Self {
            start: EpisodeStart::Beginning,
            episode_len: None,
            range_start: Some(start),
            range_end: Some(end),
            ..self.clone()
        }
    }

    /// Checks values that do not depend on the data.
    pub fn validate(&self) -> Result<()> {
        if self.window == 0 {
            return Err(Error::InvalidConfig("window must be at least 1".into()));
        }
        if self.episode_len == Some(0) {
            return Err(Error::InvalidConfig(
                "episode_len must be at least 1".into(),
            ));
        }
        if !(self.scale_epsilon.is_finite() && self.scale_epsilon >= 0.0) {
            return Err(Error::InvalidConfig(format!(
                "scale_epsilon must be finite and >= 0, got {}",
                self.scale_epsilon
            )));
        }
        self.context.validate()?;
        if let Some(s) = &self.series {
            if s.is_empty() {
                return Err(Error::InvalidConfig("series selection is empty".into()));
            }
        }
        Ok(())
    }
}
