//! Rolling-origin evaluation, as statsforecast's `cross_validation`: for each of the last N
//! windows of `h` steps, the meta-model is fitted and forecasts from the data before the
//! window only; the window's values are read only to score. This is how a user decides
//! whether to trust the meta-learner on their data.

use metablend_core::{metrics, Progress};
use metablend_ensemble::panel::{Panel, PanelSeries};
use serde::{Deserialize, Serialize};

use super::intervals::series_scale;
use super::prepare::Prepared;
use super::{fit_prepared, forecast_prepared, resolve, FitOptions, Forecasts, MetaLearner};
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
    let mut metas = vec![opts.fit.meta];
    for rule in MetaLearner::RULES {
        if !metas.contains(&rule) {
            metas.push(rule);
        }
    }
    let mut per_method: Vec<(String, Vec<WindowScore>)> = Vec::new();
    let (mut series_scored, mut fallbacks) = (Vec::new(), Vec::new());
    for window in 0..opts.windows {
        let cut = (opts.windows - window) * h;
        let (history, actual) = split(panel, cut, h);
        if history.series.is_empty() {
            return Err(Error::Settings(format!(
                "window {window}: no series is longer than the {cut} values it holds out"
            )));
        }
        let global = opts.fit.global.as_ref();
        let earlier = !opts.levels.is_empty() || super::needs_earlier_window(&opts.fit);
        let hm = (h, m);
        let prepared = Prepared::new(&history, &models, global, hm, None, earlier, true, progress)?;
        let model = fit_prepared(
            history.frequency,
            &opts.fit,
            m,
            models.clone(),
            &prepared,
            progress,
        )?;
        let mut outputs = Vec::new();
        for &meta in &metas {
            let f = forecast_prepared(&model, meta, &opts.levels, &prepared)?;
            let label = if meta == opts.fit.meta {
                format!("metablend ({meta})")
            } else {
                meta.to_string()
            };
            outputs.push((label, f));
        }
        let scored = score_window(window, &history, &actual, &outputs, m, &opts.levels)?;
        for (method, s) in scored {
            match per_method.iter_mut().find(|(name, _)| *name == method) {
                Some((_, v)) => v.push(s),
                None => per_method.push((method, vec![s])),
            }
        }
        series_scored.push(history.series.len());
        fallbacks.push(prepared.fallback_ids().len());
    }
    let mut methods: Vec<CvScore> = per_method
        .into_iter()
        .map(|(m, w)| summarise(m, w))
        .collect();
    methods.sort_by(|a, b| a.owa.total_cmp(&b.owa));
    Ok(CvReport {
        horizon: h,
        season: m,
        windows: opts.windows,
        levels: opts.levels.clone(),
        series_scored,
        fallbacks,
        methods,
    })
}

/// The panel cut `cut` values before each series' end (series no longer than `cut` are
/// left out), and each kept series' next `h` values.
fn split(panel: &Panel, cut: usize, h: usize) -> (Panel, Vec<Vec<f64>>) {
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

/// A method's name, its forecast of each series, and the forecasts holding its intervals
/// with the pool model it is (`None` for a combination).
type Method<'a> = (String, Vec<Vec<f64>>, (&'a Forecasts, Option<usize>));

/// sMAPE, MASE, coverage and MSIS of every method on one window; OWA against Naive2.
fn score_window(
    window: usize,
    history: &Panel,
    actual: &[Vec<f64>],
    outputs: &[(String, Forecasts)],
    m: usize,
    levels: &[f64],
) -> Result<Vec<(String, WindowScore)>> {
    let h = actual.first().map_or(0, Vec::len);
    let scales: Vec<Option<f64>> = history
        .series
        .iter()
        .map(|s| series_scale(&s.values, m).filter(|v| *v > 0.0))
        .collect();
    let first = &outputs[0].1;
    // (method, forecast of series i) for the combinations and each pool model.
    let mut methods: Vec<Method> = outputs
        .iter()
        .map(|(name, f)| (name.clone(), column(f, None, h), (f, None)))
        .collect();
    for (k, name) in first.names.iter().enumerate() {
        methods.push((name.clone(), column(first, Some(k), h), (first, Some(k))));
    }
    let accuracy = |forecasts: &[Vec<f64>]| -> Result<(f64, f64)> {
        let n = actual.len() as f64;
        let smape = actual
            .iter()
            .zip(forecasts)
            .map(|(y, f)| metrics::window::smape(y, f))
            .sum::<f64>()
            / n;
        let scaled: Vec<f64> = actual
            .iter()
            .zip(forecasts)
            .zip(&scales)
            .filter_map(|((y, f), s)| s.map(|s| metrics::window::mase(y, f, s)))
            .collect();
        if scaled.is_empty() {
            return Err(Error::Settings(format!(
                "window {window}: no series has a MASE scale (all constant or too short)"
            )));
        }
        Ok((smape, scaled.iter().sum::<f64>() / scaled.len() as f64))
    };
    let naive2 = methods
        .iter()
        .find(|(name, _, _)| name.starts_with("naive2"))
        .ok_or_else(|| Error::Settings("the pool has no Naive2".into()))?;
    let (s2, m2) = accuracy(&naive2.1)?;
    methods
        .iter()
        .map(|(name, forecasts, (f, model))| {
            let (smape, mase) = accuracy(forecasts)?;
            let (coverage, msis) = interval_scores(f, *model, actual, &scales, levels);
            let owa = 0.5 * (smape / s2 + mase / m2);
            Ok((
                name.clone(),
                WindowScore {
                    window,
                    smape,
                    mase,
                    owa,
                    coverage,
                    msis,
                },
            ))
        })
        .collect()
}

/// Each series' forecast: the combination (`model = None`) or pool model `k`, whose value
/// on a fallback series is the fallback's forecast.
fn column(f: &Forecasts, model: Option<usize>, h: usize) -> Vec<Vec<f64>> {
    f.rows
        .chunks(h)
        .map(|rows| {
            rows.iter()
                .map(|r| {
                    model
                        .and_then(|k| r.models.get(k).copied())
                        .unwrap_or(r.forecast)
                })
                .collect()
        })
        .collect()
}

/// Coverage and MSIS per level (MSIS over the series with a positive scale) of the
/// combination (`model = None`) or of pool model `k`, whose interval on a fallback series
/// is the fallback's.
fn interval_scores(
    f: &Forecasts,
    model: Option<usize>,
    actual: &[Vec<f64>],
    scales: &[Option<f64>],
    levels: &[f64],
) -> (Vec<f64>, Vec<f64>) {
    let h = f.horizon;
    let mut coverage = Vec::new();
    let mut msis = Vec::new();
    for (l, level) in levels.iter().enumerate() {
        let alpha = 1.0 - level / 100.0;
        let (mut inside, mut total, mut score_sum, mut scored) = (0usize, 0usize, 0.0, 0usize);
        for ((rows, y), scale) in f.rows.chunks(h).zip(actual).zip(scales) {
            let mut penalty = 0.0;
            for (r, &v) in rows.iter().zip(y) {
                let (lo, hi) = model
                    .and_then(|k| r.model_intervals.get(k))
                    .map_or(r.intervals[l], |b| b[l]);
                inside += usize::from(lo <= v && v <= hi);
                total += 1;
                penalty += (hi - lo) + 2.0 / alpha * ((lo - v).max(0.0) + (v - hi).max(0.0));
            }
            if let Some(s) = scale.filter(|_| penalty.is_finite()) {
                score_sum += penalty / h as f64 / s;
                scored += 1;
            }
        }
        coverage.push(inside as f64 / total.max(1) as f64);
        msis.push(score_sum / scored.max(1) as f64);
    }
    (coverage, msis)
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
