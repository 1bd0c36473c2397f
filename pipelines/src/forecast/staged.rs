//! `fit` and `forecast` in stages, for engines that map over partitions of a panel (Dask,
//! Ray or Spark through Fugue, as statsforecast runs there):
//!
//! 1. on the workers, [`map_series`](super::map_series) with a [`Plan`] computes each
//!    series' work from that series alone ([`map_series_kept`](super::map_series_kept)
//!    skips the validation work of the series whose work the meta-model kept; the driver
//!    completes them with
//!    [`MetaModel::complete_work`](super::MetaModel::complete_work));
//! 2. on the driver, [`fit_gathered`] trains the meta-learner from the gathered
//!    [`SeriesFit`]s (features and validation windows: a few hundred numbers per series),
//!    and [`combine_gathered`] gives each series its weights and the intervals' calibration;
//! 3. on the workers again, [`forecast_rows`] writes each series' forecasts from its
//!    [`SeriesFuture`], its weights and the calibration.
//!
//! Every stage is the local path's own code, so with the series gathered in the same order
//! the results are the local ones, bit for bit, whatever the partitioning. The global MLP,
//! trained across all series at once, has no place in a per-series map: models with one
//! are refused.

use metablend_core::Progress;
use metablend_ensemble::panel::Frequency;
use metablend_ensemble::ModelSpec;
use serde::{Deserialize, Serialize};

use super::intervals::{self, Calibration};
use super::kept::KeptWork;
use super::model::{MetaModel, ModelCard};
use super::output::{series_rows, ForecastRow};
use super::prepare::Prepared;
use super::work::{Plan, SeriesFit, SeriesFuture};
use super::{fit_prepared, fit_runs_earlier_window, resolve_for, FitOptions, ForecastOptions};
use crate::{Error, Result};

impl Plan {
    /// What the workers compute for [`fit_gathered`] with `opts`, whose season must be
    /// given (a worker sees a part of the panel only, so the stamps cannot decide it).
    pub fn for_fit(opts: &FitOptions) -> Result<Self> {
        let (period, models) = partitioned_pool(opts)?;
        Ok(Self {
            horizon: opts.horizon,
            period,
            models,
            earlier: fit_runs_earlier_window(opts),
            future: false,
        })
    }

    /// What the workers compute to forecast with `model` and `opts`.
    pub fn for_forecast(model: &MetaModel, opts: &ForecastOptions) -> Result<Self> {
        intervals::check_levels(&opts.levels)?;
        refuse_global(model.card.global.is_some())?;
        Ok(Self {
            horizon: model.card.horizon,
            period: model.card.period,
            models: model.card.models.clone(),
            earlier: opts.panel_earlier_window(),
            future: true,
        })
    }
}

/// Why a partitioned panel needs its season given.
pub(crate) const SEASON_NEEDED: &str = "season: give the seasonal period (1: none) when the \
    panel is partitioned; each worker sees only some series, so their stamps cannot decide it";

/// The season and pool of `opts` on a partitioned panel.
fn partitioned_pool(opts: &FitOptions) -> Result<(usize, Vec<ModelSpec>)> {
    if opts.season.is_none() {
        return Err(Error::Settings(SEASON_NEEDED.into()));
    }
    refuse_global(opts.global.is_some())?;
    resolve_for(None, opts)
}

fn refuse_global(global: bool) -> Result<()> {
    if global {
        return Err(Error::Settings(
            "the global MLP is trained across all series at once, so it cannot run \
             partitioned by series; fit without it (global_mlp off, no M4 preset's pool) \
             or on one machine"
                .into(),
        ));
    }
    Ok(())
}

/// [`fit`](super::fit) from the series' gathered work: `fits` made with
/// [`Plan::for_fit`]`(opts)`, in the order the learner sees them (the local path's is the
/// panel's), from a panel of frequency `frequency`.
pub fn fit_gathered(
    fits: Vec<SeriesFit>,
    opts: &FitOptions,
    frequency: Option<Frequency>,
    progress: &dyn Progress,
) -> Result<MetaModel> {
    let plan = Plan::for_fit(opts)?;
    let earlier = plan.earlier;
    let kept = opts.keep_work.then(|| KeptWork {
        earlier,
        fits: fits.clone(),
    });
    let prepared = Prepared::gather(fits, plan.names()?, None, earlier)?;
    let mut model = fit_prepared(
        frequency,
        opts,
        plan.period,
        plan.models,
        &prepared,
        progress,
    )?;
    model.work = kept;
    Ok(model)
}

/// Each series' weights and the intervals' calibration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Combination {
    /// Per gathered series: its weights, `None` for a series on the fallback.
    pub weights: Vec<Option<Vec<f64>>>,
    /// With levels: what the intervals are made of.
    pub calibration: Option<Calibration>,
}

/// The combination `model` gives the series of `fits` (made with
/// [`Plan::for_forecast`]`(model, opts)`), as [`forecast_with`](super::forecast_with) does.
pub fn combine_gathered(
    model: &MetaModel,
    fits: Vec<SeriesFit>,
    opts: &ForecastOptions,
) -> Result<Combination> {
    let plan = Plan::for_forecast(model, opts)?;
    let card = &model.card;
    let prepared = Prepared::gather(fits, card.names.clone(), Some(&card.scaler), plan.earlier)?;
    let (weights, calibration) = super::combination(model, card.meta, opts, &prepared)?;
    Ok(Combination {
        weights: prepared.per_series(weights),
        calibration,
    })
}

/// One series' forecast rows (as [`forecast`](super::forecast) writes them) from its
/// future work, its weights from [`combine_gathered`] and the calibration of `levels`
/// levels.
pub fn forecast_rows(
    card: &ModelCard,
    future: &SeriesFuture,
    weights: Option<&[f64]>,
    levels: usize,
    calibration: Option<&Calibration>,
) -> Result<Vec<ForecastRow>> {
    if future.stamps.len() != card.horizon {
        return Err(Error::Settings(format!(
            "series {}: {} future steps, the model forecasts {}",
            future.id,
            future.stamps.len(),
            card.horizon
        )));
    }
    if calibration.is_some_and(|c| c.quantiles.len() != levels) {
        return Err(Error::Settings(
            "the calibration was made for other levels".into(),
        ));
    }
    series_rows(future, weights, levels, calibration)
}
