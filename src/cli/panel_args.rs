//! The panel and the fit settings that `fit` and `cv` share.

use std::path::PathBuf;

use metablend::ensemble::meta::Objective;
use metablend::ensemble::panel::{read_panel_file, Panel, PanelOptions};
use metablend::ensemble::FillPolicy;
use metablend::env::ensemble::ActionMapKind;
use metablend::pipelines::forecast::{
    FitOptions, FitSettings, InputWindow, MetaLearner, PpoMetaOptions, Preset,
};

/// A panel and how to fit a meta-model on it.
#[derive(Debug, clap::Args)]
pub struct PanelFitArgs {
    /// The panel: a long CSV (`unique_id,ds,y` or `series,t,value`) or an M4 wide file,
    /// gzip'd or not.
    #[arg(long)]
    pub data: PathBuf,
    /// Steps to forecast (also the validation window's length); required unless --preset.
    #[arg(long, required_unless_present = "preset")]
    horizon: Option<usize>,
    /// M4's settings for a frequency (m4-hourly, m4-weekly): its horizon, season, the pool
    /// of `metablend m4` and the global MLP; explicit flags win.
    #[arg(long)]
    preset: Option<Preset>,
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
    /// With --meta fforma: the training objective, expected (FFORMA's Σ w·loss, a
    /// selection objective) or combined (the loss of the combined forecast). Default:
    /// expected; combined with --preset m4-weekly.
    #[arg(long, value_enum)]
    fforma_objective: Option<Objective>,
    /// With --meta fforma: the window whose errors the learner observes while it learns,
    /// validation (FFORMA's: the window it is scored on) or earlier (the window before it,
    /// so it learns how errors carry over to the next window; one more pool run).
    #[arg(long, value_enum, default_value = "validation")]
    fforma_inputs: InputWindow,
    /// With --meta fforma: shrink the learner's weights toward the panel's best pool member,
    /// by the amount that series held out of its training show is best (0 keeps the
    /// learner, 1 is the member alone; five more learner trainings and one more pool run).
    /// Default: off; on with --preset m4-weekly (`--fforma-shrink false` turns it off).
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    fforma_shrink: Option<bool>,
    /// With --meta fforma: networks in the learner's bag, trained from seeds --seed,
    /// --seed + 1, … and averaged (one network's weights depend on its seed). Default: 1;
    /// 5 with the presets.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1000))]
    fforma_bag: Option<u64>,
    /// With --meta ppo: env steps of PPO training (one series per step).
    #[arg(long, default_value_t = PpoMetaOptions::default().steps)]
    ppo_steps: u64,
    /// With --meta ppo: how actions become weights (residual: inverse-error prior plus a
    /// learned correction; softmax; simplex; select).
    #[arg(long, default_value = "residual")]
    action_map: ActionMapKind,
    /// Add a global MLP (one network trained across the series) to the pool.
    #[arg(long)]
    global_mlp: bool,
    /// Adam steps of the global MLP (default 2,500).
    #[arg(long)]
    global_steps: Option<usize>,
    /// The meta-learner's seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// fit: keep the per-series work in the model folder, so that `forecast` of the same
    /// panel runs the pool once per series instead of three times (fit runs it on the
    /// window the intervals calibrate on too). `--keep-work false`: a smaller folder and a
    /// fit that runs only what its learner needs.
    #[arg(long, num_args = 0..=1, default_missing_value = "true", default_value = "true")]
    keep_work: bool,
    /// Missing values: error, previous (carry forward) or drop.
    #[arg(long, default_value = "error")]
    fill: FillPolicy,
}

impl PanelFitArgs {
    /// Reads the panel and resolves the settings against it (the library's
    /// [`FitSettings::resolve`], which the Python package uses too).
    pub fn read(&self) -> anyhow::Result<(Panel, FitOptions)> {
        let panel = read_panel_file(&self.data, &PanelOptions { fill: self.fill })?;
        let settings = FitSettings {
            horizon: self.horizon,
            preset: self.preset,
            season: self.season,
            pool: self.pool.clone(),
            meta: self.meta.parse::<MetaLearner>()?,
            fforma_objective: self.fforma_objective,
            fforma_inputs: self.fforma_inputs,
            fforma_shrink: self.fforma_shrink,
            fforma_bag: self.fforma_bag.map(|b| b as usize),
            ppo_steps: self.ppo_steps,
            action_map: self.action_map,
            global_mlp: self.global_mlp,
            global_steps: self.global_steps,
            seed: self.seed,
            keep_work: self.keep_work,
        };
        let opts = settings.resolve(&panel)?;
        Ok((panel, opts))
    }
}
