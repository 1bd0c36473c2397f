//! `PpoConfig`: every PPO hyper-parameter, with SB3's defaults and the zoo presets.

use crate::{Error, Result};
use metablend_nn::Activation;
use serde::{Deserialize, Serialize};

/// A value that is constant or decays linearly to 0 over training (SB3's `linear_schedule`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Schedule {
    /// The same value throughout.
    Constant(f64),
    /// `initial * progress_remaining`, where progress goes from 1 to 0.
    Linear(f64),
}

impl Schedule {
    /// The value at `progress_remaining` in `[0, 1]`.
    pub fn value(&self, progress_remaining: f64) -> f64 {
        match *self {
            Schedule::Constant(v) => v,
            Schedule::Linear(v) => v * progress_remaining,
        }
    }

    fn initial(&self) -> f64 {
        match *self {
            Schedule::Constant(v) | Schedule::Linear(v) => v,
        }
    }
}

/// PPO hyper-parameters. `Default` is Stable-Baselines3's `PPO` default; names follow SB3 /
/// CleanRL so a zoo config translates field by field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PpoConfig {
    /// Number of parallel envs.
    pub n_envs: usize,
    /// Steps per env per rollout.
    pub n_steps: usize,
    /// Minibatch size.
    pub batch_size: usize,
    /// Passes over each rollout.
    pub n_epochs: usize,
    /// Discount factor.
    pub gamma: f64,
    /// GAE lambda.
    pub gae_lambda: f64,
    /// Learning rate (Adam).
    pub learning_rate: Schedule,
    /// Policy clip range epsilon.
    pub clip_range: Schedule,
    /// Value clip range (None: no value clipping, SB3's default).
    pub clip_range_vf: Option<f64>,
    /// Normalise advantages per minibatch.
    pub normalize_advantage: bool,
    /// Entropy bonus coefficient.
    pub ent_coef: f64,
    /// Value loss coefficient.
    pub vf_coef: f64,
    /// Global gradient-norm clip.
    pub max_grad_norm: f64,
    /// Stop an update's epochs early when approx KL exceeds 1.5 x this.
    pub target_kl: Option<f64>,
    /// Hidden layer sizes of both actor and critic (separate networks).
    pub net_arch: Vec<usize>,
    /// Hidden activation.
    pub activation: Activation,
    /// Orthogonal initialisation (gains sqrt 2 / 0.01 / 1).
    pub ortho_init: bool,
    /// Initial log standard deviation of the Gaussian head.
    pub log_std_init: f64,
    /// Adam epsilon.
    pub adam_eps: f64,
    /// Dirichlet policy head for `[0, 1]^K` box actions (the ensemble env's `Simplex` map)
    /// instead of a Gaussian.
    pub dirichlet: bool,
    /// Random seed (network init, sampling, shuffling, env seeds).
    pub seed: u64,
}

impl Default for PpoConfig {
    fn default() -> Self {
        Self {
            n_envs: 1,
            n_steps: 2048,
            batch_size: 64,
            n_epochs: 10,
            gamma: 0.99,
            gae_lambda: 0.95,
            learning_rate: Schedule::Constant(3e-4),
            clip_range: Schedule::Constant(0.2),
            clip_range_vf: None,
            normalize_advantage: true,
            ent_coef: 0.0,
            vf_coef: 0.5,
            max_grad_norm: 0.5,
            target_kl: None,
            net_arch: vec![64, 64],
            activation: Activation::Tanh,
            ortho_init: true,
            log_std_init: 0.0,
            adam_eps: 1e-5,
            dirichlet: false,
            seed: 0,
        }
    }
}

impl PpoConfig {
    /// rl-baselines3-zoo's CartPole-v1 settings: 8 envs, n_steps 32, batch 256, lambda 0.8,
    /// gamma 0.98, 20 epochs, ent 0, learning rate linear from 1e-3, clip linear from 0.2.
    pub fn cartpole_zoo() -> Self {
        Self {
            n_envs: 8,
            n_steps: 32,
            batch_size: 256,
            n_epochs: 20,
            gamma: 0.98,
            gae_lambda: 0.8,
            learning_rate: Schedule::Linear(1e-3),
            clip_range: Schedule::Linear(0.2),
            ent_coef: 0.0,
            ..Self::default()
        }
    }

    /// rl-baselines3-zoo's Pendulum-v1 settings without gSDE: 4 envs, n_steps 1024, lambda
    /// 0.95, gamma 0.9, 10 epochs, ent 0, learning rate 1e-3, clip 0.2, batch 64.
    pub fn pendulum_zoo() -> Self {
        Self {
            n_envs: 4,
            n_steps: 1024,
            gae_lambda: 0.95,
            gamma: 0.9,
            n_epochs: 10,
            ent_coef: 0.0,
            learning_rate: Schedule::Constant(1e-3),
            clip_range: Schedule::Constant(0.2),
            ..Self::default()
        }
    }

    /// metablend's settings for the ensemble-weighting env: 4 envs, n_steps 128, batch 64,
    /// 10 epochs, gamma 0.5 (a weighting decision mainly affects the next reward), otherwise
    /// SB3's defaults.
    pub fn ensemble() -> Self {
        Self {
            n_envs: 4,
            n_steps: 128,
            batch_size: 64,
            n_epochs: 10,
            gamma: 0.5,
            ..Self::default()
        }
    }

    /// A preset by name: `cartpole_zoo`, `pendulum_zoo`, `ensemble` or `sb3_default`.
    pub fn preset(name: &str) -> Result<Self> {
        match name {
            "cartpole_zoo" => Ok(Self::cartpole_zoo()),
            "pendulum_zoo" => Ok(Self::pendulum_zoo()),
            "ensemble" => Ok(Self::ensemble()),
            "sb3_default" => Ok(Self::default()),
            other => Err(Error::InvalidConfig(format!(
                "unknown preset '{other}'; known: cartpole_zoo, pendulum_zoo, ensemble, sb3_default"
            ))),
        }
    }

    /// Parses TOML (unknown keys are errors) and validates.
    pub fn from_toml(text: &str) -> Result<Self> {
        let cfg: Self = toml::from_str(text).map_err(|e| Error::InvalidConfig(e.to_string()))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Parses JSON (unknown keys are errors) and validates.
    pub fn from_json(text: &str) -> Result<Self> {
        let cfg: Self =
            serde_json::from_str(text).map_err(|e| Error::InvalidConfig(e.to_string()))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Rollout size `n_steps * n_envs`.
    pub fn rollout_size(&self) -> usize {
        self.n_steps * self.n_envs
    }

    /// Checks every field; the message names the first bad one.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::InvalidConfig(m));
        let positive = [
            ("n_envs", self.n_envs),
            ("n_steps", self.n_steps),
            ("batch_size", self.batch_size),
            ("n_epochs", self.n_epochs),
        ];
        for (name, v) in positive {
            if v == 0 {
                return bad(format!("{name} must be at least 1"));
            }
        }
        if self.batch_size > self.rollout_size() {
            return bad(format!(
                "batch_size {} exceeds the rollout size n_steps * n_envs = {}",
                self.batch_size,
                self.rollout_size()
            ));
        }
        if self.normalize_advantage && self.batch_size < 2 {
            return bad("batch_size must be at least 2 when normalize_advantage is on".into());
        }
        let unit = [("gamma", self.gamma), ("gae_lambda", self.gae_lambda)];
        for (name, v) in unit {
            if !(0.0..=1.0).contains(&v) {
                return bad(format!("{name} must be in [0, 1], got {v}"));
            }
        }
        let lr = self.learning_rate.initial();
        if !(lr.is_finite() && lr > 0.0) {
            return bad(format!("learning_rate must be > 0, got {lr}"));
        }
        let clip = self.clip_range.initial();
        if !(clip.is_finite() && clip > 0.0) {
            return bad(format!("clip_range must be > 0, got {clip}"));
        }
        if !(self.max_grad_norm.is_finite() && self.max_grad_norm > 0.0) {
            // Clipping to 0 would zero every gradient: training that never learns.
            return bad(format!(
                "max_grad_norm must be > 0 (it caps the gradient's norm), got {}",
                self.max_grad_norm
            ));
        }
        let nonneg = [("ent_coef", self.ent_coef), ("vf_coef", self.vf_coef)];
        for (name, v) in nonneg {
            if !(v.is_finite() && v >= 0.0) {
                return bad(format!("{name} must be finite and >= 0, got {v}"));
            }
        }
        if let Some(v) = self.clip_range_vf {
            if !(v.is_finite() && v > 0.0) {
                return bad(format!("clip_range_vf must be > 0, got {v}"));
            }
        }
        if let Some(v) = self.target_kl {
            if !(v.is_finite() && v > 0.0) {
                return bad(format!("target_kl must be > 0, got {v}"));
            }
        }
        if self.net_arch.contains(&0) {
            return bad(format!(
                "net_arch sizes must be >= 1, got {:?}",
                self.net_arch
            ));
        }
        if !(self.adam_eps.is_finite() && self.adam_eps > 0.0) {
            return bad(format!("adam_eps must be > 0, got {}", self.adam_eps));
        }
        if !self.log_std_init.is_finite() {
            return bad("log_std_init must be finite".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_validate_and_round_trip_through_toml_and_json() {
        for name in ["cartpole_zoo", "pendulum_zoo", "sb3_default"] {
            let cfg = PpoConfig::preset(name).unwrap();
            cfg.validate().unwrap();
            let text = toml::to_string(&cfg).unwrap();
            assert_eq!(PpoConfig::from_toml(&text).unwrap(), cfg);
            let json = serde_json::to_string(&cfg).unwrap();
            assert_eq!(PpoConfig::from_json(&json).unwrap(), cfg);
        }
    }

    #[test]
    fn bad_values_and_unknown_keys_are_named() {
        let err = |c: PpoConfig| c.validate().unwrap_err().to_string();
        assert!(err(PpoConfig {
            n_envs: 0,
            ..Default::default()
        })
        .contains("n_envs"));
        assert!(err(PpoConfig {
            gamma: 1.5,
            ..Default::default()
        })
        .contains("gamma"));
        assert!(err(PpoConfig {
            batch_size: 10_000,
            ..Default::default()
        })
        .contains("batch_size"));
        assert!(err(PpoConfig {
            learning_rate: Schedule::Linear(-1.0),
            ..Default::default()
        })
        .contains("learning_rate"));
        assert!(err(PpoConfig {
            net_arch: vec![64, 0],
            ..Default::default()
        })
        .contains("net_arch"));
        let e = PpoConfig::from_toml("n_stepz = 3").unwrap_err().to_string();
        assert!(e.contains("n_stepz"), "{e}");
        assert!(PpoConfig::preset("nope").is_err());
    }
}
