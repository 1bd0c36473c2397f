//! The per-series half of `fit` and `forecast`: everything the pool computes from one series
//! alone (its features, the pool's forecasts of its validation window, of the window before
//! it and of the future). It is a pure map over series, so it runs on every core here and
//! partitioned by series on a cluster engine (see the `staged` module); the driver then
//! needs only each series' [`SeriesFit`], a few hundred numbers, never its history.

use metablend_core::fs::checksum::Fingerprint;
use metablend_core::{metrics, Progress};
use metablend_ensemble::features::extract;
use metablend_ensemble::forecast::{GlobalMlp, GlobalMlpConfig};
use metablend_ensemble::meta::forecast_history;
use metablend_ensemble::panel::Panel;
use metablend_ensemble::ModelSpec;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::intervals::series_scale;
use super::kept::Known;
use super::output::fallback;
use crate::{Error, Result};

/// What to compute for each series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Steps forecast (the validation window's length).
    pub horizon: usize,
    /// The seasonal period of the pool, the features and the MASE scale.
    pub period: usize,
    /// The pool (Naive2 included).
    pub models: Vec<ModelSpec>,
    /// Also forecast the window before the validation window (the intervals calibrate on
    /// it; FFORMA can learn from it).
    pub earlier: bool,
    /// Also forecast the `horizon` steps after each series' end (`forecast`; `fit` does
    /// not need them).
    pub future: bool,
}

impl Plan {
    /// The pool's column names (the global MLP's is added by the local path).
    pub fn names(&self) -> Result<Vec<String>> {
        self.models
            .iter()
            .map(|s| Ok(s.build()?.name().to_string()))
            .collect()
    }
}

/// What the driver needs of one series: its id, its data's digest and, when the pool can
/// handle it, the pool's validation work.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesFit {
    /// The series' id.
    pub id: String,
    /// SHA-256 of the id and values (the model card's data fingerprint is made of these).
    pub digest: String,
    /// `None`: too short or constant for the pool (the series gets the fallback).
    pub pool: Option<PoolWork>,
}

/// The pool's work on one eligible series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoolWork {
    /// FFORMA's features of the whole series (NaN where one does not apply).
    pub features: Vec<f64>,
    /// The validation window: the series' last `horizon` values.
    pub target: Vec<f64>,
    /// `validation[k]`: model k's forecast of the validation window.
    pub validation: Vec<Vec<f64>>,
    /// The MASE scale of the values before the validation window (positive).
    pub mase_scale: f64,
    /// The window before it, when planned and the series is long enough.
    pub earlier: Option<WindowWork>,
}

/// The pool's forecasts of one window of one series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowWork {
    /// The window's values.
    pub target: Vec<f64>,
    /// `forecasts[k]`: model k's forecast of the window from the values before it.
    pub forecasts: Vec<Vec<f64>>,
    /// The MASE scale of the values before the window (positive).
    pub scale: f64,
}

/// What one series' forecast rows are made of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesFuture {
    /// The series' id.
    pub id: String,
    /// The future steps' stamps, continuing the series' own.
    pub stamps: Vec<String>,
    /// The scale of the series' errors (see `intervals::series_scale`).
    pub scale: Option<f64>,
    /// The forecasts.
    pub forecasts: FutureForecasts,
}

/// The future forecasts of one series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FutureForecasts {
    /// `pool[k]`: model k's forecast from the whole history.
    Pool(Vec<Vec<f64>>),
    /// A series too short for the pool: the fallback's forecast and name.
    Fallback {
        /// `naive2` or `naive`.
        name: String,
        /// Its forecast.
        values: Vec<f64>,
    },
}

/// One series' work.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesWork {
    /// What the driver gathers.
    pub fit: SeriesFit,
    /// With [`Plan::future`].
    pub future: Option<SeriesFuture>,
    /// The pool's validation work was not redone: the driver holds it (the meta-model's
    /// [`KeptWork`](super::KeptWork), see [`map_series_kept`](super::map_series_kept)), so
    /// `fit` has no pool work.
    pub reused: bool,
}

/// The shortest series the pool is run on has more than this many observations: the
/// validation window, a history before it at least as long (plus a seasonal period) so
/// that the models fit and the MASE scale exists.
pub(crate) fn min_length(h: usize, m: usize) -> usize {
    2 * h + m.max(2)
}

/// Each series' work under `plan`, in panel order, on the current thread pool.
/// `progress` advances once per series.
pub fn map_series(panel: &Panel, plan: &Plan, progress: &dyn Progress) -> Result<Vec<SeriesWork>> {
    map_series_reusing(panel, plan, None, progress)
}

/// [`map_series`], with series `i`'s pool work taken from `kept[i]` (the work of the same
/// series under the same plan, see [`KeptWork`](super::KeptWork)) where given: only its
/// future is computed.
pub(crate) fn map_series_reusing(
    panel: &Panel,
    plan: &Plan,
    kept: Option<&[Option<Known<'_>>]>,
    progress: &dyn Progress,
) -> Result<Vec<SeriesWork>> {
    if plan.horizon == 0 || plan.period == 0 {
        return Err(Error::Settings(
            "a plan needs a horizon and a period of at least 1".into(),
        ));
    }
    progress.start("pool", panel.series.len() as u64);
    // One series per job: series differ in cost by orders of magnitude, and rayon's
    // default chunks left one core working alone for a third of a new panel's forecast.
    let works = (0..panel.series.len())
        .into_par_iter()
        .with_max_len(1)
        .map(|i| {
            if progress.stop_requested() {
                return Err(Error::Interrupted("during the pool forecasts".into()));
            }
            let work = series_work(panel, i, plan, kept.and_then(|k| k[i]));
            progress.advance(1);
            work
        })
        .collect::<Result<Vec<_>>>()?;
    if progress.stop_requested() {
        return Err(Error::Interrupted("during the pool forecasts".into()));
    }
    Ok(works)
}

fn series_work(
    panel: &Panel,
    i: usize,
    plan: &Plan,
    kept: Option<Known<'_>>,
) -> Result<SeriesWork> {
    let s = &panel.series[i];
    let (values, id) = (&s.values[..], s.id.as_str());
    let (h, m) = (plan.horizon, plan.period);
    let (pool, eligible) = match kept {
        Some(Known::Work(fit)) => (fit.pool.clone(), fit.pool.is_some()),
        Some(Known::Elsewhere { eligible, .. }) => (None, eligible),
        None => {
            let features = usable(values, h, m)
                .then(|| extract(values, m).ok())
                .flatten();
            let pool = match features {
                Some(f) => Some(pool_work(values, id, f.values, plan)?),
                None => None,
            };
            let eligible = pool.is_some();
            (pool, eligible)
        }
    };
    let future = if plan.future {
        let forecasts = match eligible {
            true => FutureForecasts::Pool(forecast_history(&plan.models, values, h, id, "test")?.0),
            false => {
                let (name, values) = fallback(values, h, m)?;
                FutureForecasts::Fallback { name, values }
            }
        };
        Some(SeriesFuture {
            id: id.to_string(),
            stamps: panel.future_stamps(i, h)?,
            scale: series_scale(values, m),
            forecasts,
        })
    } else {
        None
    };
    let digest = match kept {
        Some(Known::Work(fit)) => fit.digest.clone(),
        Some(Known::Elsewhere { digest, .. }) => digest.to_string(),
        None => series_digest(id, values),
    };
    Ok(SeriesWork {
        fit: SeriesFit {
            id: id.to_string(),
            digest,
            pool,
        },
        future,
        reused: matches!(kept, Some(Known::Elsewhere { .. })),
    })
}

/// SHA-256 of a series' id and values (what [`SeriesFit::digest`] holds).
pub(crate) fn series_digest(id: &str, values: &[f64]) -> String {
    Fingerprint::new().text(id).numbers(values).finish()
}

fn pool_work(values: &[f64], id: &str, features: Vec<f64>, plan: &Plan) -> Result<PoolWork> {
    let (h, m, n) = (plan.horizon, plan.period, values.len());
    let before = &values[..n - h];
    let validation = forecast_history(&plan.models, before, h, id, "validation")?.0;
    let earlier = if plan.earlier {
        earlier_window(values, id, plan)?
    } else {
        None
    };
    Ok(PoolWork {
        features,
        target: values[n - h..].to_vec(),
        validation,
        mase_scale: metrics::mase_scale(before, m)?,
        earlier,
    })
}

/// The window before the validation window, for a series with more than [`min_length`]
/// values before the validation window and a positive MASE scale before the earlier one.
fn earlier_window(values: &[f64], id: &str, plan: &Plan) -> Result<Option<WindowWork>> {
    let (h, m, n) = (plan.horizon, plan.period, values.len());
    if n <= min_length(h, m) + h {
        return Ok(None);
    }
    let history = &values[..n - 2 * h];
    let Some(scale) = metrics::mase_scale(history, m)
        .ok()
        .filter(|s| *s > 0.0 && s.is_finite())
    else {
        return Ok(None);
    };
    let forecasts = forecast_history(&plan.models, history, h, id, "calibration")?.0;
    Ok(Some(WindowWork {
        target: values[n - 2 * h..n - h].to_vec(),
        forecasts,
        scale,
    }))
}

/// Long enough, and with a history before the validation window whose seasonal differences
/// are not all zero (the MASE scale must exist).
fn usable(values: &[f64], h: usize, m: usize) -> bool {
    values.len() > min_length(h, m)
        && metrics::mase_scale(&values[..values.len() - h], m).is_ok_and(|s| s > 0.0)
}

/// Adds a global MLP's column to every window of `works` (the series of `panel`, in
/// order): one network per window, trained across the eligible series on the values
/// before that window. It needs every series at once, so only the local path has it.
/// With `kept`, the validation and earlier windows came from
/// [`KeptWork`](super::KeptWork), column included, and only the future gets it.
pub(crate) fn add_global(
    panel: &Panel,
    works: &mut [SeriesWork],
    config: &GlobalMlpConfig,
    h: usize,
    kept: bool,
) -> Result<()> {
    let eligible: Vec<usize> = (0..works.len())
        .filter(|&i| works[i].fit.pool.is_some())
        .collect();
    if eligible.is_empty() {
        return Ok(());
    }
    let values = |i: usize| &panel.series[i].values[..];
    // The validation window: the values before it.
    let cut = |i: usize, c: usize| &values(i)[..values(i).len() - c];
    if !kept {
        let forecasts = global_forecasts(config, &eligible, h, |i| cut(i, h))?;
        for (&i, f) in eligible.iter().zip(forecasts) {
            if let Some(p) = works[i].fit.pool.as_mut() {
                p.validation.push(f);
            }
        }
    }
    let with_future: Vec<usize> = eligible
        .iter()
        .copied()
        .filter(|&i| works[i].future.is_some())
        .collect();
    if !with_future.is_empty() {
        let forecasts = global_forecasts(config, &with_future, h, values)?;
        for (&i, f) in with_future.iter().zip(forecasts) {
            if let Some(SeriesFuture {
                forecasts: FutureForecasts::Pool(pool),
                ..
            }) = works[i].future.as_mut()
            {
                pool.push(f);
            }
        }
    }
    if kept {
        return Ok(());
    }
    let with_earlier: Vec<usize> = eligible
        .iter()
        .copied()
        .filter(|&i| {
            works[i]
                .fit
                .pool
                .as_ref()
                .is_some_and(|p| p.earlier.is_some())
        })
        .collect();
    if !with_earlier.is_empty() {
        let forecasts = global_forecasts(config, &with_earlier, h, |i| cut(i, 2 * h))?;
        for (&i, f) in with_earlier.iter().zip(forecasts) {
            if let Some(e) = works[i].fit.pool.as_mut().and_then(|p| p.earlier.as_mut()) {
                e.forecasts.push(f);
            }
        }
    }
    Ok(())
}

/// A global MLP trained on the histories of `rows` and its forecast of each.
fn global_forecasts<'a>(
    config: &GlobalMlpConfig,
    rows: &[usize],
    h: usize,
    history: impl Fn(usize) -> &'a [f64],
) -> Result<Vec<Vec<f64>>> {
    let histories: Vec<&[f64]> = rows.iter().map(|&i| history(i)).collect();
    let model = GlobalMlp::fit(config.clone(), &histories, h)?;
    Ok(model.forecast(&histories)?)
}

/// The panel's fingerprint from its series' digests, in order: SHA-256 of their
/// concatenation, so that a driver that sees only the digests computes the same one.
pub(crate) fn fingerprint(digests: &[String]) -> String {
    let mut f = Fingerprint::new();
    for d in digests {
        f.text(d);
    }
    f.finish()
}
