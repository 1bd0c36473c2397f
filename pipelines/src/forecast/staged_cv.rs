//! [`cross_validation`](super::cross_validation) in stages, for cluster engines (see the
//! `staged` module): per window, the workers cut their series ([`map_window`]), the driver
//! fits the meta-model and every combination from the gathered work ([`fit_window`]), the
//! workers score their series ([`score_series`]) and the driver sums the scores in series
//! order ([`score_window`]) and averages the windows ([`cv_report`]). The numbers are the
//! local path's on the same series in the same order.

use metablend_core::Progress;
use metablend_ensemble::panel::{Frequency, Panel};
use serde::{Deserialize, Serialize};

use super::cv::{assemble_report, metas, method_label, split, CvOptions, CvReport, WindowScore};
use super::cv_scores::{aggregate, score_rows, SeriesScores};
use super::intervals::{series_scale, Calibration};
use super::model::ModelCard;
use super::output::ForecastRow;
use super::prepare::Prepared;
use super::work::{map_series, Plan, SeriesFit, SeriesFuture};
use super::{combination, fit_prepared, needs_earlier_window, ForecastOptions, MetaLearner};
use crate::{Error, Result};

/// What every stage of a staged cross-validation needs to know.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvPlan {
    /// The per-series work of each window.
    pub plan: Plan,
    /// Windows of `plan.horizon` steps.
    pub windows: usize,
    /// Interval levels scored.
    pub levels: Vec<f64>,
    /// The combinations scored: the meta-learner, then the rules.
    pub metas: Vec<MetaLearner>,
}

impl CvPlan {
    /// The plan of `opts` on a partitioned panel (its season must be given).
    pub fn new(opts: &CvOptions) -> Result<Self> {
        super::intervals::check_levels(&opts.levels)?;
        if opts.windows == 0 {
            return Err(Error::Settings("windows: at least one".into()));
        }
        let mut plan = Plan::for_fit(&opts.fit)?;
        plan.future = true;
        plan.earlier = !opts.levels.is_empty() || needs_earlier_window(&opts.fit);
        Ok(Self {
            plan,
            windows: opts.windows,
            levels: opts.levels.clone(),
            metas: metas(opts.fit.meta),
        })
    }

    /// The values window `window` (0: the earliest) holds out of each series' end.
    fn cut(&self, window: usize) -> Result<usize> {
        if window >= self.windows {
            return Err(Error::Settings(format!(
                "window {window}: the plan has {} windows",
                self.windows
            )));
        }
        Ok((self.windows - window) * self.plan.horizon)
    }
}

/// What a worker keeps of one series for scoring a window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowTail {
    /// The forecasts' material (from the values before the window).
    pub future: SeriesFuture,
    /// The window's values.
    pub actual: Vec<f64>,
    /// The MASE scale of the values before the window (`None`: not positive).
    pub scale: Option<f64>,
}

/// The work of window `window` on a partition's series: each series longer than the values
/// the window holds out, cut before the window.
pub fn map_window(
    panel: &Panel,
    plan: &CvPlan,
    window: usize,
    progress: &dyn Progress,
) -> Result<Vec<(SeriesFit, WindowTail)>> {
    let (history, actual) = split(panel, plan.cut(window)?, plan.plan.horizon);
    let works = map_series(&history, &plan.plan, progress)?;
    works
        .into_iter()
        .zip(actual)
        .zip(&history.series)
        .map(|((w, actual), s)| {
            let future = w
                .future
                .ok_or_else(|| Error::Settings("a window's plan forecasts the future".into()))?;
            let scale = series_scale(&s.values, plan.plan.period).filter(|v| *v > 0.0);
            Ok((
                w.fit,
                WindowTail {
                    future,
                    actual,
                    scale,
                },
            ))
        })
        .collect()
}

/// A window's meta-model and every combination's weights and calibration.
#[derive(Debug, Clone)]
pub struct WindowFit {
    /// The meta-model's card.
    pub card: ModelCard,
    /// `weights[c][i]`: combination c's weights for series i (`None` on the fallback).
    pub weights: Vec<Vec<Option<Vec<f64>>>>,
    /// Combination c's calibration (`None` without levels).
    pub calibrations: Vec<Option<Calibration>>,
    /// Series scored in the window.
    pub series: usize,
    /// Series on the fallback.
    pub fallbacks: usize,
}

/// Fits window `window`'s meta-model on its series' gathered work (in the order the learner
/// sees them) and combines them with every combination of the plan.
pub fn fit_window(
    fits: Vec<SeriesFit>,
    plan: &CvPlan,
    opts: &CvOptions,
    window: usize,
    frequency: Option<Frequency>,
    progress: &dyn Progress,
) -> Result<WindowFit> {
    let p = &plan.plan;
    if fits.is_empty() {
        return Err(Error::Settings(format!(
            "window {window}: no series is longer than the {} values it holds out",
            plan.cut(window)?
        )));
    }
    let prepared = Prepared::gather(fits, p.names()?, None, p.earlier)?;
    let model = fit_prepared(
        frequency,
        &opts.fit,
        p.period,
        p.models.clone(),
        &prepared,
        progress,
    )?;
    let (mut weights, mut calibrations) = (Vec::new(), Vec::new());
    let forecast_opts = ForecastOptions::on_panel(&plan.levels);
    for &meta in &plan.metas {
        let (w, c) = combination(&model, meta, &forecast_opts, &prepared)?;
        weights.push(prepared.per_series(w));
        calibrations.push(c);
    }
    Ok(WindowFit {
        card: model.card,
        weights,
        calibrations,
        series: prepared.ids.len(),
        fallbacks: prepared.fallback_ids().len(),
    })
}

/// One series' share of the window's scores: `weights[c]` and `calibrations[c]` are
/// combination c's for it.
pub fn score_series(
    card: &ModelCard,
    plan: &CvPlan,
    tail: &WindowTail,
    weights: &[Option<Vec<f64>>],
    calibrations: &[Option<Calibration>],
) -> Result<SeriesScores> {
    if weights.len() != plan.metas.len() || calibrations.len() != plan.metas.len() {
        return Err(Error::Settings(format!(
            "series {}: weights and calibrations for {} combinations, the plan has {}",
            tail.future.id,
            weights.len(),
            plan.metas.len()
        )));
    }
    let levels = plan.levels.len();
    let rows: Vec<Vec<ForecastRow>> = weights
        .iter()
        .zip(calibrations)
        .map(|(w, c)| super::forecast_rows(card, &tail.future, w.as_deref(), levels, c.as_ref()))
        .collect::<Result<_>>()?;
    let rows: Vec<&[ForecastRow]> = rows.iter().map(Vec::as_slice).collect();
    Ok(score_rows(
        &rows,
        card.names.len(),
        &tail.actual,
        tail.scale,
        &plan.levels,
    ))
}

/// Window `window`'s score of every method from its series' shares, in series order.
pub fn score_window(
    plan: &CvPlan,
    card: &ModelCard,
    window: usize,
    scores: &[SeriesScores],
) -> Result<Vec<(String, WindowScore)>> {
    let mut names: Vec<String> = plan
        .metas
        .iter()
        .map(|&m| method_label(m, plan.metas[0]))
        .collect();
    names.extend(card.names.iter().cloned());
    aggregate(window, &names, scores, &plan.levels)
}

/// The report from every window's scores, series scored and fallbacks.
pub fn cv_report(
    plan: &CvPlan,
    opts: &CvOptions,
    windows: Vec<Vec<(String, WindowScore)>>,
    series_scored: Vec<usize>,
    fallbacks: Vec<usize>,
) -> CvReport {
    let hm = (plan.plan.horizon, plan.plan.period);
    assemble_report(hm, opts, windows, series_scored, fallbacks)
}
