//! The training configuration file (TOML), e.g.
//!
//! ```toml
//! total_timesteps = 50000
//! eval_every = 4            # PPO updates between validation runs (best model kept)
//! checkpoint_every = 10     # PPO updates between resumable checkpoints
//! [split]                   # fractions of the predictions table, in time order
//! train = 0.5
//! validation = 0.25         # the rest is the test range
//! [env]
//! window = 20
//! log_rmse = true
//! episode_len = 128
//! action_map = "residual"   # softmax | residual | simplex | select
//! [env.context]             # observation block F (all optional, off by default)
//! phase_periods = [48, 336] # sin/cos of the position in each seasonal cycle (rows)
//! same_phase_period = 48    # each model's errors at the same phase of earlier cycles
//! disagreement = true       # spread of the models' forecasts
//! [reward]
//! kind = "neg_squared_error"  # or neg_abs_error, improvement_over_equal, directional_hit,
//!                             # trading_pnl (cost), turnover_penalty (inner, lambda)
//! [ppo]                     # changes to PpoConfig::ensemble() (unknown keys are errors)
//! n_envs = 4
//! n_steps = 128
//! ```
//!
//! Unknown keys are errors; every value is validated before training starts.

use std::ops::Range;

use metablend_agents::ppo::PpoConfig;
use metablend_env::ensemble::{ActionMapKind, ContextFeatures, RewardSpec};
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

fn invalid(message: String) -> Error {
    Error::Settings(message)
}

/// How the predictions table is split, in time order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Split {
    /// Fraction of the rows for training.
    pub train: f64,
    /// Fraction of the rows for validation (model selection); the rest is the test range.
    pub validation: f64,
}

impl Default for Split {
    fn default() -> Self {
        Self {
            train: 0.5,
            validation: 0.25,
        }
    }
}

/// The ranges a split gives on a table of `n` rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ranges {
    /// Training rows.
    pub train: Range<usize>,
    /// Validation rows.
    pub validation: Range<usize>,
    /// Test rows.
    pub test: Range<usize>,
}

/// The ensemble env's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EnvSettings {
    /// Window W of the scale and the recent errors.
    pub window: usize,
    /// ln(RMSE) in observation block B.
    pub log_rmse: bool,
    /// Training episode length.
    pub episode_len: usize,
    /// How actions become weights.
    pub action_map: ActionMapKind,
    /// Observation block F: seasonal phase, same-phase errors, disagreement (`[env.context]`).
    #[serde(skip_serializing_if = "ContextFeatures::is_empty")]
    pub context: ContextFeatures,
}

impl Default for EnvSettings {
    fn default() -> Self {
        Self {
            window: 20,
            log_rmse: true,
            episode_len: 128,
            action_map: ActionMapKind::Residual,
            context: ContextFeatures::default(),
        }
    }
}

/// Everything `metablend train` needs besides the data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainSettings {
    /// Env steps to train for.
    pub total_timesteps: u64,
    /// PPO updates between validation runs (the best model is kept).
    pub eval_every: u64,
    /// PPO updates between resumable checkpoints.
    pub checkpoint_every: u64,
    /// The split of the table.
    pub split: Split,
    /// The env.
    pub env: EnvSettings,
    /// The reward, by name.
    pub reward: RewardSpec,
    /// PPO; keys left out take [`PpoConfig::ensemble`]'s values.
    #[serde(deserialize_with = "ppo_over_ensemble_preset")]
    pub ppo: PpoConfig,
}

/// Reads a `[ppo]` table as changes to the ensemble preset (not to SB3's defaults), so a
/// config that sets only `learning_rate` keeps the preset's rollout sizes.
fn ppo_over_ensemble_preset<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<PpoConfig, D::Error> {
    use serde::de::Error;
    let given = toml::Table::deserialize(d)?;
    let mut merged = toml::Table::try_from(PpoConfig::ensemble()).map_err(D::Error::custom)?;
    merged.extend(given);
    toml::Value::Table(merged)
        .try_into()
        .map_err(D::Error::custom)
}

impl Default for TrainSettings {
    fn default() -> Self {
        Self {
            total_timesteps: 50_000,
            eval_every: 4,
            checkpoint_every: 10,
            split: Split::default(),
            env: EnvSettings::default(),
            reward: RewardSpec::default(),
            ppo: PpoConfig::ensemble(),
        }
    }
}

impl TrainSettings {
    /// Parses and validates a TOML file's text; `source` names it in errors.
    pub fn from_toml(text: &str, source: &str) -> Result<Self> {
        if text.trim().is_empty() {
            return Err(invalid(format!(
                "{source}: the config is empty; leave --config out for the defaults"
            )));
        }
        let settings: Self =
            toml::from_str(text).map_err(|e| invalid(format!("{source}: invalid config: {e}")))?;
        settings
            .validate()
            .map_err(|e| invalid(format!("{source}: invalid config: {e}")))?;
        Ok(settings)
    }

    /// Checks values that do not depend on the data.
    pub fn validate(&self) -> Result<()> {
        self.ppo.validate()?;
        self.reward.build()?;
        let s = &self.split;
        if !(s.train > 0.0 && s.validation > 0.0 && s.train + s.validation < 1.0) {
            return Err(invalid(format!(
                "split: train = {} and validation = {} must be positive and sum to less than 1",
                s.train, s.validation
            )));
        }
        if self.env.window == 0 || self.env.episode_len == 0 {
            return Err(invalid(
                "env: window and episode_len must be at least 1".into(),
            ));
        }
        if self.total_timesteps == 0 || self.eval_every == 0 || self.checkpoint_every == 0 {
            return Err(invalid(
                "total_timesteps, eval_every and checkpoint_every must be at least 1".into(),
            ));
        }
        Ok(())
    }

    /// The rows of each range for a table of `n` rows; each must be long enough for the env.
    pub fn ranges(&self, n: usize) -> Result<Ranges> {
        let train_end = (n as f64 * self.split.train).round() as usize;
        let val_end = (n as f64 * (self.split.train + self.split.validation)).round() as usize;
        let min = self.env.window + 2;
        let ranges = Ranges {
            train: 0..train_end,
            validation: train_end..val_end,
            test: val_end..n,
        };
        if train_end < 2 * min || val_end - train_end < min || n - val_end < min {
            return Err(invalid(format!(
                "split: the table has {n} rows, giving train {:?}, validation {:?}, test {:?}; \
                 the env needs at least {} training and {min} rows in the other ranges (window {})",
                ranges.train,
                ranges.validation,
                ranges.test,
                2 * min,
                self.env.window
            )));
        }
        Ok(ranges)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_round_trip_and_unknown_keys_fail() {
        let text = toml::to_string(&TrainSettings::default()).unwrap();
        assert_eq!(
            TrainSettings::from_toml(&text, "x").unwrap(),
            TrainSettings::default()
        );
        let err = TrainSettings::from_toml("totl_timesteps = 5", "cfg.toml").unwrap_err();
        assert!(format!("{err:#}").contains("totl_timesteps"), "{err:#}");
        let err = TrainSettings::from_toml("[reward]\nkind = \"sharpe\"", "cfg.toml").unwrap_err();
        assert!(format!("{err:#}").contains("sharpe"), "{err:#}");
        let err =
            TrainSettings::from_toml("[split]\ntrain = 0.9\nvalidation = 0.2", "c").unwrap_err();
        assert!(format!("{err:#}").contains("sum to less than 1"), "{err:#}");
        assert!(TrainSettings::default().ranges(40).is_err());
        let partial =
            TrainSettings::from_toml("[ppo]\nlearning_rate = { constant = 0.001 }\n", "c");
        let ppo = partial.unwrap().ppo;
        assert_eq!(
            (ppo.n_steps, ppo.gamma),
            (PpoConfig::ensemble().n_steps, 0.5)
        );
        let err = TrainSettings::from_toml("[ppo]\nn_stepz = 3\n", "c").unwrap_err();
        assert!(format!("{err:#}").contains("n_stepz"), "{err:#}");
        let r = TrainSettings::default().ranges(400).unwrap();
        assert_eq!(
            (r.train, r.validation, r.test),
            (0..200, 200..300, 300..400)
        );
    }
}
