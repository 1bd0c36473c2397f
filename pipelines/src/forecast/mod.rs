//! Forecasting a user's own panel: [`fit`] learns which pool members to trust from each
//! series' features and validation window (the last `h` observations, forecast from the
//! values before them), and [`forecast`] applies the saved meta-model to any panel — the
//! series it was fitted on or new ones — to forecast the `h` steps after each series' end.
//!
//! Series too short for the pool (or constant) get a documented fallback, Naive2 (naive
//! when there is less than one seasonal period), and are listed in the results.
//!
//! ```
//! use metablend_core::Silent;
//! use metablend_ensemble::panel::{read_panel_from, PanelOptions};
//! use metablend_pipelines::forecast::{fit, forecast, FitOptions, MetaLearner};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut csv = String::from("unique_id,ds,y\n");
//! for id in 0..6 {
//!     for t in 0..40 {
//!         let y = 10.0 + id as f64 + [0.0, 2.0, 5.0, 1.0][t % 4] + 0.1 * ((t * 7 + id) % 5) as f64;
//!         csv += &format!("s{id},{t},{y}\n");
//!     }
//! }
//! let panel = read_panel_from(csv.as_bytes(), "demo.csv", &PanelOptions::default())?;
//! let options = FitOptions {
//!     horizon: 4,
//!     season: Some(4),
//!     models: None,
//!     meta: MetaLearner::InverseError,
//!     seed: 0,
//!     fforma_objective: Default::default(),
//!     fforma_inputs: Default::default(),
//!     fforma_shrink: false,
//!     fforma_bag: 1,
//!     ppo: Default::default(),
//!     global: None,
//!     keep_work: true,
//! };
//! let model = fit(&panel, &options, &Silent)?;
//! let forecasts = forecast(&model, &panel, &[80.0], &Silent)?;
//! assert_eq!(forecasts.rows.len(), 6 * 4);
//! assert_eq!(forecasts.rows[0].ds, "40"); // continues each series' stamps
//! # Ok(())
//! # }
//! ```

mod cv;
mod cv_scores;
mod earlier;
mod features;
mod intervals;
mod kept;
mod model;
mod output;
mod prepare;
mod settings;
mod shrink;
mod staged;
mod staged_cv;
mod work;

pub use cv::{cross_validation, holdout, CvOptions, CvReport, CvScore, WindowScore};
pub use cv_scores::SeriesScores;
pub use features::{panel_features, FeatureTable};
pub use intervals::{CalibrateOn, Calibration, CalibrationInfo};
pub use kept::{map_series_kept, KeptIndex, KeptWork};
pub use model::{MetaModel, ModelCard, MODEL_FORMAT};
pub use output::{ForecastRow, Forecasts};
pub use settings::{FitSettings, Preset};
pub use staged::{combine_gathered, fit_gathered, forecast_rows, Combination};
pub use staged_cv::{
    cv_report, fit_window, map_window, score_series, score_window, CvPlan, WindowFit, WindowTail,
};
pub use work::{
    map_series, FutureForecasts, Plan, PoolWork, SeriesFit, SeriesFuture, SeriesWork, WindowWork,
};

use std::fmt;
use std::str::FromStr;

use metablend_agents::ppo::PpoConfig;
use metablend_core::Progress;
use metablend_ensemble::forecast::GlobalMlpConfig;
use metablend_ensemble::meta::{Fforma, FformaConfig, M4Frequency, Objective};
use metablend_ensemble::panel::{Frequency, Panel};
use metablend_ensemble::ModelSpec;
use metablend_env::ensemble::ActionMapKind;
use serde::{Deserialize, Serialize};

use crate::meta_ppo;
use crate::rules::{best_one, inverse_error, rule_weights};
use crate::{Error, Result};
use prepare::{Prepared, Windows};

/// How the pool's forecasts are combined per series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetaLearner {
    /// The supervised FFORMA-style learner: weights from features and validation losses.
    Fforma,
    /// The contextual PPO meta-combiner (as in `metablend m4`): a policy that maps a
    /// series' features and validation errors to weights, trained on the validation losses.
    Ppo,
    /// Weights inversely proportional to each model's validation loss.
    #[serde(alias = "inverse")]
    InverseError,
    /// The model with the lowest validation loss.
    #[serde(alias = "best")]
    BestOnValidation,
    /// Equal weights.
    Equal,
}

impl MetaLearner {
    /// The per-series rules `cv` scores beside the chosen meta-learner.
    pub const RULES: [Self; 3] = [Self::InverseError, Self::BestOnValidation, Self::Equal];
}

impl FromStr for MetaLearner {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "fforma" => Ok(Self::Fforma),
            "ppo" => Ok(Self::Ppo),
            "inverse" | "inverse_error" => Ok(Self::InverseError),
            "best" | "best_on_validation" => Ok(Self::BestOnValidation),
            "equal" => Ok(Self::Equal),
            other => Err(Error::Settings(format!(
                "meta-learner `{other}`: choose fforma, ppo, inverse, best or equal"
            ))),
        }
    }
}

impl fmt::Display for MetaLearner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Fforma => "fforma",
            Self::Ppo => "ppo",
            Self::InverseError => "inverse_error",
            Self::BestOnValidation => "best_on_validation",
            Self::Equal => "equal",
        })
    }
}

/// What [`fit`] learns from.
#[derive(Debug, Clone)]
pub struct FitOptions {
    /// Steps to forecast (also the validation window's length).
    pub horizon: usize,
    /// The seasonal period; `None` takes the first one the panel's frequency implies
    /// (hourly 24, daily 7, weekly 52, monthly 12, quarterly 4), else 1.
    pub season: Option<usize>,
    /// The pool; `None` is [`default_pool`]. Naive2 is added when missing (it is the
    /// fallback and the reference of the losses).
    pub models: Option<Vec<ModelSpec>>,
    /// The combination.
    pub meta: MetaLearner,
    /// The meta-learner's seed.
    pub seed: u64,
    /// What [`MetaLearner::Fforma`] minimises on the validation windows.
    pub fforma_objective: Objective,
    /// Which window's errors [`MetaLearner::Fforma`] sees as inputs while it learns.
    pub fforma_inputs: InputWindow,
    /// Shrink [`MetaLearner::Fforma`]'s weights toward the panel's best pool member by the
    /// amount that series held out of the learner's training show is best (see
    /// `metablend_ensemble::meta::Shrinkage`); needs series long enough for the earlier
    /// window.
    pub fforma_shrink: bool,
    /// [`MetaLearner::Fforma`]'s networks, trained from seeds `seed`, `seed + 1`, … and
    /// averaged (see `metablend_ensemble::meta::FformaConfig::bag`).
    pub fforma_bag: usize,
    /// How [`MetaLearner::Ppo`] trains (ignored by the others).
    pub ppo: PpoMetaOptions,
    /// Add a global MLP to the pool: one network trained across the panel's series (on the
    /// values before the validation windows for them, on the whole histories for the
    /// future), as in `metablend m4`.
    pub global: Option<GlobalMlpConfig>,
    /// Keep the per-series work with the meta-model (see [`KeptWork`]): `fit` also runs the
    /// pool on the earlier window (what the intervals calibrate on), and [`forecast`] of the
    /// same panel then runs the pool only on the whole histories, one run instead of three.
    /// Off, `fit` runs only what its learner needs and the model folder holds no work.
    pub keep_work: bool,
}

impl FitOptions {
    /// `horizon` steps with the defaults: the season from the panel's frequency, the default
    /// pool, FFORMA on FFORMA's objective, seed 0, no global MLP.
    pub fn new(horizon: usize) -> Self {
        Self {
            horizon,
            season: None,
            models: None,
            meta: MetaLearner::Fforma,
            seed: 0,
            fforma_objective: Objective::default(),
            fforma_inputs: InputWindow::default(),
            fforma_shrink: false,
            fforma_bag: 1,
            ppo: PpoMetaOptions::default(),
            global: None,
            keep_work: true,
        }
    }

    /// M4's settings for `frequency`: its horizon and period, the pool of `metablend m4`
    /// (with the second seasonal naive and the local MLP) and the global MLP. The FFORMA
    /// learner is shrunk toward the panel's best member, and on Weekly minimises the combined
    /// forecast's loss: on each frequency the variant a cross-validation window of the
    /// training series ranks first (see docs/results.md, "What changed the Weekly result").
    /// It is a bag of five networks: one network's weights depend on its seed, and the
    /// mean of several has a lower variance (and, the absolute error being convex in the
    /// forecast, a MASE no worse than theirs on average).
    pub fn m4(frequency: M4Frequency, meta: MetaLearner, seed: u64) -> Self {
        let weekly = frequency == M4Frequency::Weekly;
        Self {
            season: Some(frequency.period()),
            models: Some(frequency.default_pool()),
            meta,
            seed,
            global: Some(frequency.global_config()),
            fforma_objective: if weekly {
                Objective::CombinedLoss
            } else {
                Objective::ExpectedLoss
            },
            fforma_shrink: true,
            fforma_bag: 5,
            ..Self::new(frequency.horizon())
        }
    }
}

/// A global MLP for a panel forecast `h` steps ahead whose longest seasonal period is
/// `season`: the input covers that period (at least `2h` values), with 256 hidden units
/// when the input exceeds 100 values (M4 Hourly's week), else 128 (M4 Weekly's year).
pub fn global_mlp_for(season: usize, h: usize) -> GlobalMlpConfig {
    let input = season.max(2 * h).max(2);
    GlobalMlpConfig {
        input,
        hidden: if input > 100 { 256 } else { 128 },
        steps: 2500,
        ..GlobalMlpConfig::default()
    }
}

/// Which window's errors the FFORMA learner observes while it learns (it is scored on the
/// validation window either way, and applied with the validation window's errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum InputWindow {
    /// The validation window's own errors (FFORMA's setting): the learner sees the errors it
    /// is scored on, and learns to follow them.
    #[default]
    Validation,
    /// The window before it: the learner learns how one window's errors carry over to the
    /// next, which is how it is used on the future. Trains on the series that have that
    /// window (one more pool run).
    Earlier,
}

/// The PPO meta-combiner's training: PPO's `ensemble` preset (seeded with
/// [`FitOptions::seed`]) for `steps` env steps with the action map `action_map`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PpoMetaOptions {
    /// Env steps (one per series drawn).
    pub steps: u64,
    /// How actions become weights; `residual` starts from inverse-error weights.
    pub action_map: ActionMapKind,
}

impl Default for PpoMetaOptions {
    /// `m4`'s settings: 30,000 steps on the residual map.
    fn default() -> Self {
        Self {
            steps: 30_000,
            action_map: ActionMapKind::Residual,
        }
    }
}

/// The default pool for seasonal period `m`: naive, seasonal naive, Naive2, drift, SES,
/// Holt, damped Holt and Theta (seasonally adjusted where `m > 1`) and auto ARIMA with
/// forecast::auto.arima's default approximation (candidates of series longer than 150
/// ranked by CSS): on M4 Hourly and Weekly it halves the pool's time and the combination
/// scores as well or better (docs/results.md).
pub fn default_pool(m: usize) -> Vec<ModelSpec> {
    let text = if m > 1 {
        format!(
            "naive snaive:{m} naive2:{m} drift ses:{m} holt:{m} damped:{m} theta:{m} auto_arima:{m},approx"
        )
    } else {
        "naive naive2:1 drift ses holt damped theta:1 auto_arima:approx".to_string()
    };
    ModelSpec::parse_list(&text, m).expect("the default pool parses")
}

/// Fits a meta-model on `panel`: the pool's validation forecasts, the features and, for
/// [`MetaLearner::Fforma`], the learner. Reads every observation of the panel (they are all
/// history).
pub fn fit(panel: &Panel, opts: &FitOptions, progress: &dyn Progress) -> Result<MetaModel> {
    let (m, models) = resolve(panel, opts)?;
    let global = opts.global.as_ref();
    let windows = Windows {
        earlier: fit_runs_earlier_window(opts),
        keep: opts.keep_work,
        ..Windows::default()
    };
    let hm = (opts.horizon, m);
    let mut prepared = Prepared::new(panel, &models, global, hm, None, windows, progress)?;
    let kept = prepared.kept.take();
    let mut model = fit_prepared(panel.frequency, opts, m, models, &prepared, progress)?;
    model.work = kept;
    Ok(model)
}

/// Whether fitting with `opts` needs the pool's earlier window.
fn needs_earlier_window(opts: &FitOptions) -> bool {
    opts.meta == MetaLearner::Fforma
        && (opts.fforma_inputs == InputWindow::Earlier || opts.fforma_shrink)
}

/// Whether `fit` with `opts` runs the pool on the earlier window: when its learner needs it,
/// or to keep it for the intervals of a later `forecast` ([`FitOptions::keep_work`]).
fn fit_runs_earlier_window(opts: &FitOptions) -> bool {
    needs_earlier_window(opts) || opts.keep_work
}

/// The season and the pool `opts` imply for `panel` (Naive2 added when missing).
fn resolve(panel: &Panel, opts: &FitOptions) -> Result<(usize, Vec<ModelSpec>)> {
    resolve_for(panel.seasons().first().copied(), opts)
}

/// The season and the pool `opts` imply, with `season` the data's own when `opts` has
/// none (Naive2 added when missing).
fn resolve_for(season: Option<usize>, opts: &FitOptions) -> Result<(usize, Vec<ModelSpec>)> {
    if opts.horizon == 0 {
        return Err(Error::Settings("horizon: at least one step".into()));
    }
    let m = opts.season.or(season).unwrap_or(1);
    if m == 0 {
        return Err(Error::Settings("season: at least 1 (1: none)".into()));
    }
    if opts.meta == MetaLearner::Ppo && opts.ppo.steps == 0 {
        return Err(Error::Settings(
            "ppo steps: at least one env step of training".into(),
        ));
    }
    let mut models = opts.models.clone().unwrap_or_else(|| default_pool(m));
    if !models.iter().any(|s| matches!(s, ModelSpec::Naive2 { .. })) {
        models.push(ModelSpec::Naive2 { m });
    }
    Ok((m, models))
}

/// [`fit`] on the pool's work already done for a panel of frequency `frequency` (the scaler
/// fitted on it).
fn fit_prepared(
    frequency: Option<Frequency>,
    opts: &FitOptions,
    m: usize,
    models: Vec<ModelSpec>,
    prepared: &Prepared,
    progress: &dyn Progress,
) -> Result<MetaModel> {
    if prepared.eligible.is_empty() {
        return Err(Error::Settings(format!(
            "no series is long enough for the pool (each needs more than {} observations \
             and must not be constant); shorten --horizon or use another panel",
            prepare::min_length(opts.horizon, m)
        )));
    }
    let fforma_config = FformaConfig {
        seed: opts.seed,
        objective: opts.fforma_objective,
        bag: opts.fforma_bag,
        ..FformaConfig::default()
    };
    let rows: Vec<usize> = (0..prepared.eligible.len()).collect();
    let learner = match (&prepared.ctx, opts.meta) {
        (Some(ctx), MetaLearner::Fforma) => match (opts.fforma_inputs, &prepared.earlier) {
            (InputWindow::Validation, _) => Some(Fforma::fit(&fforma_config, ctx, &rows)?),
            (InputWindow::Earlier, Some(earlier)) => {
                let inputs = earlier.observations(ctx, prepared.naive2)?;
                Some(Fforma::fit_on_inputs(
                    &fforma_config,
                    &inputs,
                    ctx,
                    &earlier.rows,
                )?)
            }
            (InputWindow::Earlier, None) => unreachable!("fit adds the earlier window"),
        },
        _ => None,
    };
    let fforma_shrinkage = match (&prepared.ctx, &prepared.earlier, opts.meta) {
        (Some(ctx), Some(earlier), MetaLearner::Fforma) if opts.fforma_shrink => {
            Some(shrink::cross_fitted(
                &fforma_config,
                opts.fforma_inputs,
                ctx,
                earlier,
                prepared.naive2,
            )?)
        }
        (_, None, MetaLearner::Fforma) if opts.fforma_shrink => {
            unreachable!("fit adds the earlier window")
        }
        _ => None,
    };
    let ppo = match (&prepared.ctx, opts.meta) {
        (Some(ctx), MetaLearner::Ppo) => {
            let cfg = PpoConfig {
                seed: opts.seed,
                ..PpoConfig::ensemble()
            };
            progress.start("ppo", opts.ppo.steps);
            let (kind, steps) = (opts.ppo.action_map, opts.ppo.steps);
            Some(meta_ppo::train(ctx, kind, cfg, steps, &rows, progress)?)
        }
        _ => None,
    };
    let card = ModelCard {
        format: MODEL_FORMAT,
        library_version: env!("CARGO_PKG_VERSION").to_string(),
        horizon: opts.horizon,
        period: m,
        models,
        names: prepared.names.clone(),
        meta: opts.meta,
        fforma: (opts.meta == MetaLearner::Fforma).then_some(fforma_config),
        fforma_inputs: (opts.meta == MetaLearner::Fforma).then_some(opts.fforma_inputs),
        fforma_sizes: learner.as_ref().map(Fforma::sizes),
        fforma_shrinkage,
        ppo: (opts.meta == MetaLearner::Ppo).then_some(opts.ppo),
        global: opts.global.clone(),
        scaler: prepared.scaler.clone(),
        frequency,
        series: prepared.ids.len(),
        fitted_series: prepared.eligible.len(),
        fallbacks: prepared.fallback_ids(),
        data_fingerprint: work::fingerprint(&prepared.digests),
        learner_sha256: None,
        work_sha256: None,
    };
    Ok(MetaModel {
        card,
        learner,
        ppo,
        work: None,
    })
}

/// What [`forecast_with`] adds to the forecasts: intervals at `levels`, calibrated on the
/// series `calibrate_on` names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ForecastOptions {
    /// Interval levels (percentages); empty: no intervals.
    pub levels: Vec<f64>,
    /// Whose series' errors calibrate the intervals.
    pub calibrate_on: CalibrateOn,
}

impl ForecastOptions {
    /// Intervals at `levels`, calibrated as [`CalibrateOn::Auto`] chooses.
    pub fn at(levels: &[f64]) -> Self {
        Self {
            levels: levels.to_vec(),
            calibrate_on: CalibrateOn::Auto,
        }
    }

    /// Intervals at `levels` calibrated on the forecast panel's own series, as a
    /// cross-validation window's are.
    pub(crate) fn on_panel(levels: &[f64]) -> Self {
        Self {
            levels: levels.to_vec(),
            calibrate_on: CalibrateOn::Panel,
        }
    }

    /// Whether the forecast panel's pool runs on the window before the validation window:
    /// when its intervals may be calibrated there.
    pub(crate) fn panel_earlier_window(&self) -> bool {
        !self.levels.is_empty() && self.calibrate_on != CalibrateOn::Model
    }
}

/// Forecasts the `h` steps after each series of `panel` with a fitted meta-model: the pool
/// refit on each series' whole history, combined with the weights the meta-model gives the
/// series (also to series it was not fitted on), with prediction intervals at each of
/// `levels` (percentages; see the `intervals` module for the method). For the series the
/// model was fitted on, unchanged, the work the model kept (see [`FitOptions::keep_work`]
/// and [`KeptWork`]) stands in for the pool's validation and earlier windows: the same
/// forecasts, a third of the work. [`forecast_with`] with [`ForecastOptions::at`]`(levels)`.
pub fn forecast(
    model: &MetaModel,
    panel: &Panel,
    levels: &[f64],
    progress: &dyn Progress,
) -> Result<Forecasts> {
    forecast_with(model, panel, &ForecastOptions::at(levels), progress)
}

/// [`forecast`] with the intervals' calibration chosen by `opts` (see [`CalibrateOn`]).
pub fn forecast_with(
    model: &MetaModel,
    panel: &Panel,
    opts: &ForecastOptions,
    progress: &dyn Progress,
) -> Result<Forecasts> {
    intervals::check_levels(&opts.levels)?;
    let card = &model.card;
    let global = card.global.as_ref();
    let (h, m) = (card.horizon, card.period);
    let scaler = Some(&card.scaler);
    let reuse = model
        .kept_work(opts)
        .and_then(|w| w.for_panel(panel, global.is_some()));
    let windows = Windows {
        earlier: opts.panel_earlier_window(),
        future: true,
        keep: false,
        reuse: reuse.as_deref(),
    };
    let prepared = Prepared::new(
        panel,
        &card.models,
        global,
        (h, m),
        scaler,
        windows,
        progress,
    )?;
    forecast_prepared(model, model.card.meta, opts, &prepared)
}

/// [`forecast`] on the pool's work already done for a panel, combined by `meta`.
fn forecast_prepared(
    model: &MetaModel,
    meta: MetaLearner,
    opts: &ForecastOptions,
    prepared: &Prepared,
) -> Result<Forecasts> {
    let (weights, calibration) = combination(model, meta, opts, prepared)?;
    output::assemble(
        &model.card,
        prepared,
        &weights,
        &opts.levels,
        calibration.as_ref(),
    )
}

/// Each eligible series' weights under `meta`, and the intervals' calibration at the
/// levels of `opts` (`None` without levels).
fn combination(
    model: &MetaModel,
    meta: MetaLearner,
    opts: &ForecastOptions,
    prepared: &Prepared,
) -> Result<(Vec<Vec<f64>>, Option<Calibration>)> {
    let weights = weights(model, meta, prepared)?;
    if opts.levels.is_empty() {
        return Ok((weights, None));
    }
    let levels = &opts.levels[..];
    let on_panel = || match &prepared.ctx {
        Some(ctx) => intervals::calibrate(
            ctx,
            prepared.earlier.as_ref(),
            &weights,
            prepared.naive2,
            levels,
            CalibrateOn::Panel,
        ),
        None => Err(Error::Settings(
            "intervals need series long enough for the pool to calibrate on, and the panel \
             has none (calibrate on the model's fitted series instead)"
                .into(),
        )),
    };
    let calibration = match opts.calibrate_on {
        CalibrateOn::Panel => on_panel()?,
        CalibrateOn::Model => calibrate_on_model(model, meta, levels)?,
        CalibrateOn::Auto if auto_takes_the_model(model, prepared, levels) => {
            calibrate_on_model(model, meta, levels)?
        }
        CalibrateOn::Auto => on_panel()?,
    };
    Ok((weights, Some(calibration)))
}

/// Whether [`CalibrateOn::Auto`] calibrates on the model's fitted series: when too few of
/// the panel's series have the earlier window for every level, and enough of the model's do.
fn auto_takes_the_model(model: &MetaModel, prepared: &Prepared, levels: &[f64]) -> bool {
    let enough_earlier = |n: usize| intervals::enough(n, levels);
    let panel_has = prepared
        .earlier
        .as_ref()
        .is_some_and(|e| enough_earlier(e.rows.len()));
    let model_has = model.work.as_ref().is_some_and(|w| {
        let with_earlier = w
            .fits
            .iter()
            .filter(|f| f.pool.as_ref().is_some_and(|p| p.earlier.is_some()));
        w.earlier && enough_earlier(with_earlier.count())
    });
    !panel_has && model_has
}

/// The calibration at `levels` on the series `model` was fitted on, from the work it kept,
/// each combined with the weights `meta` gives it.
fn calibrate_on_model(model: &MetaModel, meta: MetaLearner, levels: &[f64]) -> Result<Calibration> {
    let card = &model.card;
    let kept = model.work.as_ref().filter(|w| w.earlier).ok_or_else(|| {
        Error::Settings(
            "calibration on the model's series needs the work it kept with the earlier \
             window (fit with keep_work, the default); calibrate on the panel instead"
                .into(),
        )
    })?;
    let fitted = Prepared::gather(
        kept.fits.clone(),
        card.names.clone(),
        Some(&card.scaler),
        true,
    )?;
    let ctx = fitted.ctx.as_ref().ok_or_else(|| {
        Error::Settings("the model's kept work has no series the pool ran on".into())
    })?;
    let weights = weights(model, meta, &fitted)?;
    intervals::calibrate(
        ctx,
        fitted.earlier.as_ref(),
        &weights,
        fitted.naive2,
        levels,
        CalibrateOn::Model,
    )
}

/// Each eligible series' weights under `meta`.
fn weights(model: &MetaModel, meta: MetaLearner, prepared: &Prepared) -> Result<Vec<Vec<f64>>> {
    let Some(ctx) = &prepared.ctx else {
        return Ok(Vec::new());
    };
    let n = prepared.eligible.len();
    let k = model.card.names.len();
    let rows: Vec<usize> = (0..n).collect();
    Ok(match meta {
        MetaLearner::Fforma => {
            let learner = model
                .learner
                .as_ref()
                .ok_or_else(|| Error::Settings("the meta-model has no FFORMA learner".into()))?;
            let weights = learner.weights(ctx, &rows)?;
            match &model.card.fforma_shrinkage {
                Some(s) => weights.iter().map(|w| s.apply(w)).collect(),
                None => weights,
            }
        }
        MetaLearner::Ppo => {
            let (learner, settings) = model
                .ppo
                .as_ref()
                .zip(model.card.ppo)
                .ok_or_else(|| Error::Settings("the meta-model has no PPO policy".into()))?;
            meta_ppo::weights(learner, settings.action_map, ctx, &rows)?
        }
        MetaLearner::InverseError => rule_weights(ctx, inverse_error),
        MetaLearner::BestOnValidation => rule_weights(ctx, best_one),
        MetaLearner::Equal => vec![vec![1.0 / k as f64; k]; n],
    })
}

#[cfg(test)]
mod staged_tests;
#[cfg(test)]
mod tests;
