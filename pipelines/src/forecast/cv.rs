//! Rolling-origin evaluation, as statsforecast's `cross_validation`: for each of the last N
//! windows of `h` steps, the meta-model is fitted and forecasts from the data before the
//! window only; the window's values are read only to score. This is how a user decides
//! whether to trust the meta-learner on their data.

use metablend_core::Progress;
use metablend_ensemble::panel::{Panel, PanelSeries};
use metablend_ensemble::ModelSpec;
use serde::{Deserialize, Serialize};

use super::cv_scores::{aggregate, score_rows, SeriesScores};
use super::intervals::series_scale;
use super::output::ForecastRow;
use super::prepare::{Prepared, Windows};
use super::{
    fit_prepared, forecast_prepared, resolve, FitOptions, ForecastOptions, Forecasts, MetaLearner,
};
use crate::{Error, Result};

/// What [`cross_validation`] runs.
#[derive(Debug, Clone)]
pub struct CvOptions {
    /// The fit's settings (horizon, season, pool, meta-learner, seed).
    pub fit: FitOptions,
    /// Windows of `horizon` steps, the last one ending at each series' end.
    pub windows: usize,
    /// Interval levels scored (coverage, MSIS).
    pub levels: Vec<f64>,
}

/// One method's scores on one window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowScore {
    /// 0 is the earliest window.
    pub window: usize,
    /// Mean sMAPE (M4's definition, percent).
    pub smape: f64,
    /// Mean MASE over the series with a positive scale.
    pub mase: f64,
    /// OWA against the pool's Naive2 on the same window.
    pub owa: f64,
    /// Share of the window's values inside each level's interval.
    pub coverage: Vec<f64>,
    /// Mean scaled interval score per level.
    pub msis: Vec<f64>,
}

/// One method over all windows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvScore {
    /// `metablend (fforma)`, a combination rule, or a pool model.
    pub method: String,
    /// Per window.
    pub windows: Vec<WindowScore>,
    /// Means over the windows.
    pub smape: f64,
    /// Mean MASE over the windows.
    pub mase: f64,
    /// Mean OWA over the windows.
    pub owa: f64,
    /// Lowest and highest OWA over the windows.
    pub owa_range: (f64, f64),
    /// Mean coverage per level.
    pub coverage: Vec<f64>,
    /// Mean MSIS per level.
    pub msis: Vec<f64>,
}

/// The rolling-origin report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvReport {
    /// Steps per window.
    pub horizon: usize,
    /// The seasonal period.
    pub season: usize,
    /// Windows.
    pub windows: usize,
    /// Interval levels.
    pub levels: Vec<f64>,
    /// Series scored in each window (those longer than the data the window holds out).
    pub series_scored: Vec<usize>,
    /// Series that got the fallback in each window.
    pub fallbacks: Vec<usize>,
    /// Every method, best mean OWA first.
    pub methods: Vec<CvScore>,
}

/// Runs the rolling-origin evaluation.
pub fn cross_validation(
    panel: &Panel,
    opts: &CvOptions,
    progress: &dyn Progress,
) -> Result<CvReport> {
    super::intervals::check_levels(&opts.levels)?;
    if opts.windows == 0 {
        return Err(Error::Settings("windows: at least one".into()));
    }
    let h = opts.fit.horizon;
    let (m, models) = resolve(panel, &opts.fit)?;
    let mut scores = Vec::new();
    let (mut series_scored, mut fallbacks) = (Vec::new(), Vec::new());
    for window in 0..opts.windows {
        let cut = (opts.windows - window) * h;
        let (history, actual) = split(panel, cut, h);
        if history.series.is_empty() {
            return Err(Error::Settings(format!(
                "window {window}: no series is longer than the {cut} values it holds out"
            )));
        }
        let (scored, fallback) =
            run_window(window, &history, &actual, opts, (m, &models), progress)?;
        scores.push(scored);
        series_scored.push(history.series.len());
        fallbacks.push(fallback);
    }
    Ok(assemble_report(
        (h, m),
        opts,
        scores,
        series_scored,
        fallbacks,
    ))
}

/// Scores a held-out horizon given apart from the history, as a one-window
/// cross-validation: everything is fitted on `history` and `actual[i]` (the next
/// `horizon` values of series `i`) is read only to score. This is how M4's official
/// train/test files are evaluated.
pub fn holdout(
    history: &Panel,
    actual: &[Vec<f64>],
    opts: &CvOptions,
    progress: &dyn Progress,
) -> Result<CvReport> {
    super::intervals::check_levels(&opts.levels)?;
    let h = opts.fit.horizon;
    if actual.len() != history.series.len() {
        return Err(Error::Settings(format!(
            "{} held-out series for {} series of history",
            actual.len(),
            history.series.len()
        )));
    }
    if let Some((s, a)) = history
        .series
        .iter()
        .zip(actual)
        .find(|(_, a)| a.len() != h)
    {
        return Err(Error::Settings(format!(
            "series '{}': {} held-out values, the horizon is {h}",
            s.id,
            a.len()
        )));
    }
    let (m, models) = resolve(history, &opts.fit)?;
    let (scored, fallback) = run_window(0, history, actual, opts, (m, &models), progress)?;
    let single = CvOptions {
        windows: 1,
        ..opts.clone()
    };
    Ok(assemble_report(
        (h, m),
        &single,
        vec![scored],
        vec![history.series.len()],
        vec![fallback],
    ))
}

/// Fits on `history`, forecasts with the meta-learner and every rule, and scores the
/// forecasts against `actual`; returns the scores and the number of fallback series.
fn run_window(
    window: usize,
    history: &Panel,
    actual: &[Vec<f64>],
    opts: &CvOptions,
    (m, models): (usize, &[ModelSpec]),
    progress: &dyn Progress,
) -> Result<(Vec<(String, WindowScore)>, usize)> {
    let h = opts.fit.horizon;
    let global = opts.fit.global.as_ref();
    let earlier = !opts.levels.is_empty() || super::needs_earlier_window(&opts.fit);
    let prepared = Prepared::new(
        history,
        models,
        global,
        (h, m),
        None,
        Windows {
            earlier,
            future: true,
            ..Windows::default()
        },
        progress,
    )?;
    let model = fit_prepared(
        history.frequency,
        &opts.fit,
        m,
        models.to_vec(),
        &prepared,
        progress,
    )?;
    // The window's own series calibrate, as a forecast of this panel would.
    let forecast_opts = ForecastOptions::on_panel(&opts.levels);
    let mut outputs = Vec::new();
    for meta in metas(opts.fit.meta) {
        let f = forecast_prepared(&model, meta, &forecast_opts, &prepared)?;
        outputs.push((method_label(meta, opts.fit.meta), f));
    }
    let scored = score_window(window, history, actual, &outputs, m, &opts.levels)?;
    Ok((scored, prepared.fallback_ids().len()))
}

/// The combinations a cross-validation scores: the meta-learner `meta`, then the rules.
pub(crate) fn metas(meta: MetaLearner) -> Vec<MetaLearner> {
    let mut metas = vec![meta];
    for rule in MetaLearner::RULES {
        if !metas.contains(&rule) {
            metas.push(rule);
        }
    }
    metas
}

/// A combination's name in the report: `metablend (<meta>)` for the fitted meta-learner.
pub(crate) fn method_label(meta: MetaLearner, fitted: MetaLearner) -> String {
    if meta == fitted {
        format!("metablend ({meta})")
    } else {
        meta.to_string()
    }
}

/// The report of horizon and season `(h, m)` from every window's scores.
pub(crate) fn assemble_report(
    (h, m): (usize, usize),
    opts: &CvOptions,
    windows: Vec<Vec<(String, WindowScore)>>,
    series_scored: Vec<usize>,
    fallbacks: Vec<usize>,
) -> CvReport {
    let mut per_method: Vec<(String, Vec<WindowScore>)> = Vec::new();
    for scored in windows {
        for (method, s) in scored {
            match per_method.iter_mut().find(|(name, _)| *name == method) {
                Some((_, v)) => v.push(s),
                None => per_method.push((method, vec![s])),
            }
        }
    }
    let mut methods: Vec<CvScore> = per_method
        .into_iter()
        .map(|(m, w)| summarise(m, w))
        .collect();
    methods.sort_by(|a, b| a.owa.total_cmp(&b.owa));
    CvReport {
        horizon: h,
        season: m,
        windows: opts.windows,
        levels: opts.levels.clone(),
        series_scored,
        fallbacks,
        methods,
    }
}

/// The panel cut `cut` values before each series' end (series no longer than `cut` are
/// left out), and each kept series' next `h` values.
pub(crate) fn split(panel: &Panel, cut: usize, h: usize) -> (Panel, Vec<Vec<f64>>) {
    let mut series = Vec::new();
    let mut actual = Vec::new();
    for s in panel.series.iter().filter(|s| s.values.len() > cut) {
        let end = s.values.len() - cut;
        series.push(PanelSeries {
            id: s.id.clone(),
            values: s.values[..end].to_vec(),
            stamps: s.stamps[..end].to_vec(),
        });
        actual.push(s.values[end..end + h].to_vec());
    }
    let history = Panel {
        series,
        format: panel.format,
        frequency: panel.frequency,
    };
    (history, actual)
}

/// sMAPE, MASE, coverage and MSIS of every method (the combinations of `outputs`, then each
/// pool model) on one window; OWA against Naive2.
fn score_window(
    window: usize,
    history: &Panel,
    actual: &[Vec<f64>],
    outputs: &[(String, Forecasts)],
    m: usize,
    levels: &[f64],
) -> Result<Vec<(String, WindowScore)>> {
    let h = actual.first().map_or(0, Vec::len);
    let first = &outputs[0].1;
    let mut names: Vec<String> = outputs.iter().map(|(name, _)| name.clone()).collect();
    names.extend(first.names.iter().cloned());
    let series: Vec<SeriesScores> = history
        .series
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let scale = series_scale(&s.values, m).filter(|v| *v > 0.0);
            let rows: Vec<&[ForecastRow]> = outputs
                .iter()
                .map(|(_, f)| &f.rows[i * h..(i + 1) * h])
                .collect();
            score_rows(&rows, first.names.len(), &actual[i], scale, levels)
        })
        .collect();
    aggregate(window, &names, &series, levels)
}

fn summarise(method: String, windows: Vec<WindowScore>) -> CvScore {
    let n = windows.len() as f64;
    let mean = |f: &dyn Fn(&WindowScore) -> f64| windows.iter().map(f).sum::<f64>() / n;
    let levels = windows.first().map_or(0, |w| w.coverage.len());
    let owa: Vec<f64> = windows.iter().map(|w| w.owa).collect();
    CvScore {
        method,
        smape: mean(&|w| w.smape),
        mase: mean(&|w| w.mase),
        owa: mean(&|w| w.owa),
        owa_range: (
            owa.iter().copied().fold(f64::INFINITY, f64::min),
            owa.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        ),
        coverage: (0..levels).map(|l| mean(&|w| w.coverage[l])).collect(),
        msis: (0..levels).map(|l| mean(&|w| w.msis[l])).collect(),
        windows,
    }
}

impl CvReport {
    /// The report as a Markdown table.
    pub fn to_markdown(&self) -> String {
        let mut md = format!(
            "# Rolling-origin evaluation\n\n{} windows of {} steps (season {}); series scored per \
             window: {:?}; series on the fallback: {:?}. OWA against Naive2 on the same window; \
             the range is over the windows.\n\n| method | sMAPE | MASE | OWA | OWA range |",
            self.windows, self.horizon, self.season, self.series_scored, self.fallbacks
        );
        for l in &self.levels {
            md += &format!(" coverage {l}% | MSIS {l}% |");
        }
        md += "\n|---|---|---|---|---|";
        md += &"---|---|".repeat(self.levels.len());
        md += "\n";
        for s in &self.methods {
            md += &format!(
                "| {} | {:.3} | {:.3} | {:.3} | {:.3}–{:.3} |",
                s.method, s.smape, s.mase, s.owa, s.owa_range.0, s.owa_range.1
            );
            for l in 0..self.levels.len() {
                match (s.coverage.get(l), s.msis.get(l)) {
                    (Some(c), Some(v)) => md += &format!(" {:.1}% | {v:.3} |", 100.0 * c),
                    _ => md += " | |",
                }
            }
            md += "\n";
        }
        md
    }
}
