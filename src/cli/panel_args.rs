//! The panel and the fit settings that `fit` and `cv` share.

use std::path::PathBuf;

use metablend::ensemble::panel::{read_panel_file, Panel, PanelOptions};
use metablend::ensemble::{FillPolicy, ModelSpec};
use metablend::env::ensemble::ActionMapKind;
use metablend::pipelines::forecast::{FitOptions, MetaLearner, PpoMetaOptions};

/// A panel and how to fit a meta-model on it.
#[derive(Debug, clap::Args)]
pub struct PanelFitArgs {
    /// The panel: a long CSV (`unique_id,ds,y` or `series,t,value`) or an M4 wide file,
    /// gzip'd or not.
    #[arg(long)]
    pub data: PathBuf,
    /// Steps to forecast (also the validation window's length).
    #[arg(long)]
    horizon: usize,
    /// Seasonal period (default: from the stamps' frequency, e.g. 7 for daily data; else 1).
    #[arg(long)]
    season: Option<usize>,
    /// The pool: models separated by spaces or `;` (default: naive, seasonal naive, Naive2,
    /// drift, SES, Holt, damped, Theta, auto ARIMA).
    #[arg(long)]
    pool: Option<String>,
    /// The combination: fforma (supervised on features), ppo (the contextual PPO policy),
    /// inverse (inverse validation error), best (best on validation) or equal.
    #[arg(long, default_value = "fforma")]
    meta: String,
    /// With --meta ppo: env steps of PPO training (one series per step).
    #[arg(long, default_value_t = PpoMetaOptions::default().steps)]
    ppo_steps: u64,
    /// With --meta ppo: how actions become weights (residual: inverse-error prior plus a
    /// learned correction; softmax; simplex; select).
    #[arg(long, default_value = "residual")]
    action_map: ActionMapKind,
    /// The meta-learner's seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Missing values: error, previous (carry forward) or drop.
    #[arg(long, default_value = "error")]
    fill: FillPolicy,
}

impl PanelFitArgs {
    /// Reads the panel and resolves the settings (the season from the stamps if not given,
    /// which the pool's seasonal models then use).
    pub fn read(&self) -> anyhow::Result<(Panel, FitOptions)> {
        let panel = read_panel_file(&self.data, &PanelOptions { fill: self.fill })?;
        let season = self
            .season
            .or_else(|| panel.seasons().first().copied())
            .unwrap_or(1);
        let models = self
            .pool
            .as_deref()
            .map(|p| ModelSpec::parse_list(p, season))
            .transpose()?;
        let opts = FitOptions {
            horizon: self.horizon,
            season: Some(season),
            models,
            meta: self.meta.parse::<MetaLearner>()?,
            seed: self.seed,
            ppo: PpoMetaOptions {
                steps: self.ppo_steps,
                action_map: self.action_map,
            },
        };
        Ok((panel, opts))
    }
}
