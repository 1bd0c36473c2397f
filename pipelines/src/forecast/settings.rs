//! The fit settings as the user gives them (the command's flags, the Python package's
//! keywords), and their resolution against a panel into [`FitOptions`]: one place, so that
//! every front end gets the same numbers from the same settings.

use metablend_ensemble::meta::{M4Frequency, Objective};
use metablend_ensemble::panel::Panel;
use metablend_ensemble::ModelSpec;
use metablend_env::ensemble::ActionMapKind;
use serde::{Deserialize, Serialize};

use super::{global_mlp_for, FitOptions, InputWindow, MetaLearner, PpoMetaOptions};
use crate::{Error, Result};

/// Settings of a benchmark, as a starting point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Preset {
    /// M4 Hourly: h = 48, season 24, with the weekly seasonal naive and the global MLP;
    /// FFORMA shrunk toward the panel's best member.
    M4Hourly,
    /// M4 Weekly: h = 13, season 52 (M4's Naive2 rule), with the global MLP; FFORMA on the
    /// combined forecast's loss, shrunk toward the panel's best member.
    M4Weekly,
}

/// What a user sets; [`FitSettings::resolve`] fills in the rest from the panel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FitSettings {
    /// Steps to forecast; required unless a preset gives it.
    pub horizon: Option<usize>,
    /// M4's settings for a frequency; explicit settings win.
    pub preset: Option<Preset>,
    /// Seasonal period (default: from the stamps' frequency, else 1).
    pub season: Option<usize>,
    /// The pool as text (`"naive snaive ses theta auto_arima"`); default: the default pool.
    pub pool: Option<String>,
    /// The combination.
    pub meta: MetaLearner,
    /// With FFORMA: the training objective (default: the preset's, else FFORMA's expected
    /// loss).
    pub fforma_objective: Option<Objective>,
    /// With FFORMA: the window whose errors the learner observes.
    pub fforma_inputs: InputWindow,
    /// With FFORMA: shrink the weights toward the panel's best member (the amount chosen
    /// on series held out of the learner's training; default: the preset's, else off).
    pub fforma_shrink: Option<bool>,
    /// With FFORMA: networks in the learner's bag (default: the preset's, else 1).
    pub fforma_bag: Option<usize>,
    /// With PPO: env steps of training.
    pub ppo_steps: u64,
    /// With PPO: how actions become weights.
    pub action_map: ActionMapKind,
    /// Add a global MLP to the pool.
    pub global_mlp: bool,
    /// Adam steps of the global MLP.
    pub global_steps: Option<usize>,
    /// The meta-learner's seed.
    pub seed: u64,
    /// Keep the per-series work with the model (see [`FitOptions::keep_work`]).
    pub keep_work: bool,
}

impl Default for FitSettings {
    fn default() -> Self {
        let ppo = PpoMetaOptions::default();
        Self {
            horizon: None,
            preset: None,
            season: None,
            pool: None,
            meta: MetaLearner::Fforma,
            fforma_objective: None,
            fforma_inputs: InputWindow::default(),
            fforma_shrink: None,
            fforma_bag: None,
            ppo_steps: ppo.steps,
            action_map: ppo.action_map,
            global_mlp: false,
            global_steps: None,
            seed: 0,
            keep_work: true,
        }
    }
}

impl FitSettings {
    /// The options for `panel`: the preset's, then the explicit settings; the season from
    /// the stamps when not given (which the pool's seasonal models then use).
    pub fn resolve(&self, panel: &Panel) -> Result<FitOptions> {
        self.resolve_with(&panel.seasons())
    }

    /// The options for a panel spread over workers, none of which sees all its series: the
    /// season must be given (or come from the preset).
    pub fn resolve_partitioned(&self) -> Result<FitOptions> {
        if self.season.is_none() && self.preset.is_none() {
            return Err(Error::Settings(super::staged::SEASON_NEEDED.into()));
        }
        self.resolve_with(&[])
    }

    /// The options for a panel whose stamps imply the seasonal periods `seasons`.
    fn resolve_with(&self, seasons: &[usize]) -> Result<FitOptions> {
        let (meta, seed) = (self.meta, self.seed);
        let mut opts = match self.preset {
            Some(Preset::M4Hourly) => FitOptions::m4(M4Frequency::Hourly, meta, seed),
            Some(Preset::M4Weekly) => FitOptions::m4(M4Frequency::Weekly, meta, seed),
            None => FitOptions {
                meta,
                seed,
                ..FitOptions::new(0)
            },
        };
        opts.horizon = match (self.horizon, self.preset) {
            (Some(h), _) => h,
            (None, Some(_)) => opts.horizon,
            (None, None) => {
                return Err(Error::Settings(
                    "horizon: how many steps to forecast (or a preset that sets it)".into(),
                ))
            }
        };
        let season = self
            .season
            .or(opts.season)
            .or_else(|| seasons.first().copied())
            .unwrap_or(1);
        opts.season = Some(season);
        if let Some(pool) = &self.pool {
            opts.models = Some(ModelSpec::parse_list(pool, season)?);
        }
        if self.global_mlp && opts.global.is_none() {
            let longest = seasons.last().copied().unwrap_or(season).max(season);
            opts.global = Some(global_mlp_for(longest, opts.horizon));
        }
        if let (Some(global), Some(steps)) = (&mut opts.global, self.global_steps) {
            global.steps = steps;
        }
        if let Some(objective) = self.fforma_objective {
            opts.fforma_objective = objective;
        }
        opts.fforma_inputs = self.fforma_inputs;
        if let Some(shrink) = self.fforma_shrink {
            opts.fforma_shrink = shrink;
        }
        if let Some(bag) = self.fforma_bag {
            if bag == 0 {
                return Err(Error::Settings(
                    "fforma_bag: the learner's bag needs at least one network".into(),
                ));
            }
            opts.fforma_bag = bag;
        }
        opts.ppo = PpoMetaOptions {
            steps: self.ppo_steps,
            action_map: self.action_map,
        };
        opts.keep_work = self.keep_work;
        Ok(opts)
    }
}
