//! The staged forecasting path for cluster engines (`metablend.engine`): the per-series
//! map, the driver's fit and combination, and the per-series rows (and, for a
//! cross-validation, the per-series scores and their sums), each the library's own
//! function. What crosses between workers and the driver is MessagePack bytes (exact for
//! every float, NaN included), one value per series.

use metablend_ensemble::panel::Frequency;
use metablend_pipelines::forecast::{
    combine_gathered, cv_report, fit_gathered, fit_window, forecast_rows, map_series,
    map_series_kept, map_window, score_series, score_window, Calibration, CvOptions, CvPlan,
    FitSettings, Forecasts, KeptIndex, ModelCard, Plan, SeriesFit, SeriesFuture, SeriesScores,
    WindowTail,
};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::convert::from_json;
use crate::errors::{raise, Kind, OrRaise};
use crate::forecast::{columns, forecast_options, panel, PanelData, PyMetaModel};
use crate::interrupt;

fn encode<'py, T: Serialize>(py: Python<'py>, value: &T) -> PyResult<Bound<'py, PyBytes>> {
    let bytes = rmp_serde::to_vec_named(value)
        .map_err(|e| raise(Kind::InvalidInput, format!("encoding: {e}")))?;
    Ok(PyBytes::new(py, &bytes))
}

fn decode<T: DeserializeOwned>(bytes: &[u8], what: &str) -> PyResult<T> {
    rmp_serde::from_slice(bytes).map_err(|e| {
        raise(
            Kind::InvalidInput,
            format!("{what}: not metablend's per-series work of this version ({e})"),
        )
    })
}

fn decode_all<T: DeserializeOwned>(items: &[Vec<u8>], what: &str) -> PyResult<Vec<T>> {
    items.iter().map(|b| decode(b, what)).collect()
}

/// The plan of the per-series map for fitting with `settings` (JSON of `FitSettings`).
#[pyfunction]
pub(crate) fn fit_plan<'py>(py: Python<'py>, settings: &str) -> PyResult<Bound<'py, PyBytes>> {
    let settings: FitSettings = from_json(settings, "fit settings")?;
    let opts = settings.resolve_partitioned().or_raise()?;
    encode(py, &Plan::for_fit(&opts).or_raise()?)
}

/// One partition's work: the ids, each series' `SeriesFit` and (with a forecast plan)
/// `SeriesFuture` as bytes, and the partition's frequency as JSON. With `kept` (a
/// `kept_index`), the series found there compute only their future, and their `SeriesFit`
/// is empty bytes (`combine_work` takes it from the model).
#[allow(clippy::type_complexity)]
#[pyfunction]
#[pyo3(signature = (csv, plan, fill="error", kept=None))]
pub(crate) fn map_partition<'py>(
    py: Python<'py>,
    csv: PanelData<'_>,
    plan: &[u8],
    fill: &str,
    kept: Option<Vec<u8>>,
) -> PyResult<(
    Vec<String>,
    Vec<Bound<'py, PyBytes>>,
    Vec<Option<Bound<'py, PyBytes>>>,
    String,
)> {
    let plan: Plan = decode(plan, "plan")?;
    let kept: Option<KeptIndex> = kept.map(|k| decode(&k, "kept work index")).transpose()?;
    let panel = panel(&csv, fill)?;
    let works = interrupt::run(py, |p| match &kept {
        Some(index) => map_series_kept(&panel, &plan, index, p),
        None => map_series(&panel, &plan, p),
    })?
    .or_raise()?;
    let mut ids = Vec::with_capacity(works.len());
    let (mut fits, mut futures) = (Vec::new(), Vec::new());
    for w in &works {
        ids.push(w.fit.id.clone());
        fits.push(if w.reused {
            PyBytes::new(py, &[])
        } else {
            encode(py, &w.fit)?
        });
        futures.push(w.future.as_ref().map(|f| encode(py, f)).transpose()?);
    }
    let frequency = serde_json::to_string(&panel.frequency).unwrap_or_default();
    Ok((ids, fits, futures, frequency))
}

/// The frequency every partition agrees on, else none.
fn common_frequency(frequencies: &[String]) -> PyResult<Option<Frequency>> {
    let parsed: Vec<Option<Frequency>> = frequencies
        .iter()
        .map(|f| from_json(f, "frequency"))
        .collect::<PyResult<_>>()?;
    Ok(match parsed.split_first() {
        Some((first, rest)) if rest.iter().all(|f| f == first) => *first,
        _ => None,
    })
}

/// Fits a meta-model from the series' gathered work (in the order the learner sees them).
#[pyfunction]
pub(crate) fn fit_from_work(
    py: Python<'_>,
    settings: &str,
    fits: Vec<Vec<u8>>,
    frequencies: Vec<String>,
) -> PyResult<PyMetaModel> {
    let settings: FitSettings = from_json(settings, "fit settings")?;
    let opts = settings.resolve_partitioned().or_raise()?;
    let fits: Vec<SeriesFit> = decode_all(&fits, "series work")?;
    let frequency = common_frequency(&frequencies)?;
    let model = interrupt::run(py, |p| fit_gathered(fits, &opts, frequency, p))?.or_raise()?;
    Ok(PyMetaModel::new(model))
}

/// The plan of the per-series map for forecasting with `model` at `levels`, calibrated on
/// the series `calibration` names.
#[pyfunction]
#[pyo3(signature = (model, levels, calibration="auto"))]
pub(crate) fn forecast_plan<'py>(
    py: Python<'py>,
    model: PyRef<'_, PyMetaModel>,
    levels: Vec<f64>,
    calibration: &str,
) -> PyResult<Bound<'py, PyBytes>> {
    let opts = forecast_options(levels, calibration)?;
    encode(py, &Plan::for_forecast(model.model(), &opts).or_raise()?)
}

/// The index of the work `model` kept, for `map_partition` to skip it on a forecast at
/// `levels` calibrated as `calibration` says; `None` when it kept none (or none fit for
/// that forecast).
#[pyfunction]
#[pyo3(signature = (model, levels, calibration="auto"))]
pub(crate) fn kept_index<'py>(
    py: Python<'py>,
    model: PyRef<'_, PyMetaModel>,
    levels: Vec<f64>,
    calibration: &str,
) -> PyResult<Option<Bound<'py, PyBytes>>> {
    let opts = forecast_options(levels, calibration)?;
    let work = model.model().kept_work(&opts);
    work.map(|w| encode(py, &w.index())).transpose()
}

/// Each series' weights (`None` on the fallback) and the calibration (bytes; `None`
/// without levels; on the series `calibration` names) that `model` gives the series'
/// gathered work (`ids[i]`'s; empty bytes: the model's kept work of that series).
#[allow(clippy::type_complexity)]
#[pyfunction]
#[pyo3(signature = (model, ids, fits, levels, calibration="auto"))]
pub(crate) fn combine_work<'py>(
    py: Python<'py>,
    model: PyRef<'_, PyMetaModel>,
    ids: Vec<String>,
    fits: Vec<Vec<u8>>,
    levels: Vec<f64>,
    calibration: &str,
) -> PyResult<(Vec<Option<Vec<f64>>>, Option<Bound<'py, PyBytes>>)> {
    let opts = forecast_options(levels, calibration)?;
    if ids.len() != fits.len() {
        return Err(raise(
            Kind::InvalidInput,
            format!("{} ids for {} series' work", ids.len(), fits.len()),
        ));
    }
    let model = model.model();
    let gathered = ids
        .into_iter()
        .zip(&fits)
        .map(|(id, b)| {
            let fit = (!b.is_empty())
                .then(|| decode::<SeriesFit>(b, "series work"))
                .transpose()?;
            Ok((id, fit))
        })
        .collect::<PyResult<Vec<_>>>()?;
    let fits = model.complete_work(gathered).or_raise()?;
    let combination = py
        .detach(|| combine_gathered(model, fits, &opts))
        .or_raise()?;
    let calibration = combination
        .calibration
        .as_ref()
        .map(|c| encode(py, c))
        .transpose()?;
    Ok((combination.weights, calibration))
}

/// The forecast columns (as `MetaModel.forecast` returns them) of a partition's series from
/// their future work, weights and the calibration; `card` is the model card's JSON.
#[pyfunction]
#[pyo3(signature = (card, futures, weights, levels, calibration=None))]
pub(crate) fn forecast_partition<'py>(
    py: Python<'py>,
    card: &str,
    futures: Vec<Vec<u8>>,
    weights: Vec<Option<Vec<f64>>>,
    levels: Vec<f64>,
    calibration: Option<Vec<u8>>,
) -> PyResult<Bound<'py, PyDict>> {
    let card: ModelCard = from_json(card, "model card")?;
    let futures: Vec<SeriesFuture> = decode_all(&futures, "series work")?;
    let calibration: Option<Calibration> =
        calibration.map(|c| decode(&c, "calibration")).transpose()?;
    if weights.len() != futures.len() {
        return Err(raise(
            Kind::InvalidInput,
            format!("{} weights for {} series", weights.len(), futures.len()),
        ));
    }
    let mut rows = Vec::with_capacity(futures.len() * card.horizon);
    for (future, w) in futures.iter().zip(&weights) {
        rows.extend(
            forecast_rows(
                &card,
                future,
                w.as_deref(),
                levels.len(),
                calibration.as_ref(),
            )
            .or_raise()?,
        );
    }
    let forecasts = Forecasts {
        names: card.names.clone(),
        horizon: card.horizon,
        levels,
        rows,
        calibration: calibration.map(|c| c.info),
    };
    columns(py, &forecasts)
}

/// The cross-validation's options on a partitioned panel.
fn cv_options(settings: &str, windows: usize, levels: Vec<f64>) -> PyResult<CvOptions> {
    let settings: FitSettings = from_json(settings, "fit settings")?;
    Ok(CvOptions {
        fit: settings.resolve_partitioned().or_raise()?,
        windows,
        levels,
    })
}

/// A staged cross-validation's plan (bytes) and its options (the plan's windows and levels).
fn plan_and_options(settings: &str, plan: &[u8]) -> PyResult<(CvPlan, CvOptions)> {
    let plan: CvPlan = decode(plan, "plan")?;
    let opts = cv_options(settings, plan.windows, plan.levels.clone())?;
    Ok((plan, opts))
}

/// The plan of a staged cross-validation.
#[pyfunction]
pub(crate) fn cv_plan<'py>(
    py: Python<'py>,
    settings: &str,
    windows: usize,
    levels: Vec<f64>,
) -> PyResult<Bound<'py, PyBytes>> {
    let opts = cv_options(settings, windows, levels)?;
    encode(py, &CvPlan::new(&opts).or_raise()?)
}

/// One partition's work for window `window`: the ids, each series' `SeriesFit` and
/// `WindowTail` as bytes, and the partition's frequency as JSON.
#[allow(clippy::type_complexity)]
#[pyfunction]
#[pyo3(signature = (csv, plan, window, fill="error"))]
pub(crate) fn map_window_partition<'py>(
    py: Python<'py>,
    csv: PanelData<'_>,
    plan: &[u8],
    window: usize,
    fill: &str,
) -> PyResult<(
    Vec<String>,
    Vec<Bound<'py, PyBytes>>,
    Vec<Bound<'py, PyBytes>>,
    String,
)> {
    let plan: CvPlan = decode(plan, "plan")?;
    let panel = panel(&csv, fill)?;
    let works = interrupt::run(py, |p| map_window(&panel, &plan, window, p))?.or_raise()?;
    let (mut ids, mut fits, mut tails) = (Vec::new(), Vec::new(), Vec::new());
    for (fit, tail) in &works {
        ids.push(fit.id.clone());
        fits.push(encode(py, fit)?);
        tails.push(encode(py, tail)?);
    }
    let frequency = serde_json::to_string(&panel.frequency).unwrap_or_default();
    Ok((ids, fits, tails, frequency))
}

/// A window's fit from its series' gathered work: the card (JSON), `weights[c][i]` per
/// combination and series, the calibrations (bytes), the series scored and on the fallback.
#[allow(clippy::type_complexity)]
#[pyfunction]
pub(crate) fn fit_window_work<'py>(
    py: Python<'py>,
    settings: &str,
    plan: &[u8],
    window: usize,
    fits: Vec<Vec<u8>>,
    frequencies: Vec<String>,
) -> PyResult<(
    String,
    Vec<Vec<Option<Vec<f64>>>>,
    Bound<'py, PyBytes>,
    usize,
    usize,
)> {
    let (plan, opts) = plan_and_options(settings, plan)?;
    let fits: Vec<SeriesFit> = decode_all(&fits, "series work")?;
    let frequency = common_frequency(&frequencies)?;
    let fit =
        interrupt::run(py, |p| fit_window(fits, &plan, &opts, window, frequency, p))?.or_raise()?;
    let card = serde_json::to_string(&fit.card).unwrap_or_default();
    let calibrations = encode(py, &fit.calibrations)?;
    Ok((card, fit.weights, calibrations, fit.series, fit.fallbacks))
}

/// A partition's series' shares of a window's scores (bytes each); `weights[i][c]` is
/// combination c's weights for series i.
#[pyfunction]
pub(crate) fn score_partition<'py>(
    py: Python<'py>,
    card: &str,
    plan: &[u8],
    tails: Vec<Vec<u8>>,
    weights: Vec<Vec<Option<Vec<f64>>>>,
    calibrations: &[u8],
) -> PyResult<Vec<Bound<'py, PyBytes>>> {
    let card: ModelCard = from_json(card, "model card")?;
    let plan: CvPlan = decode(plan, "plan")?;
    let tails: Vec<WindowTail> = decode_all(&tails, "series work")?;
    let calibrations: Vec<Option<Calibration>> = decode(calibrations, "calibrations")?;
    if weights.len() != tails.len() {
        return Err(raise(
            Kind::InvalidInput,
            format!("{} weights for {} series", weights.len(), tails.len()),
        ));
    }
    tails
        .iter()
        .zip(&weights)
        .map(|(tail, w)| {
            let scores = score_series(&card, &plan, tail, w, &calibrations).or_raise()?;
            encode(py, &scores)
        })
        .collect()
}

/// The rolling-origin report (JSON, as `cross_validate`'s) from every window's series'
/// shares (in series order), their series scored and on the fallback, and each window's
/// card (JSON).
#[pyfunction]
pub(crate) fn cv_report_from_scores(
    settings: &str,
    plan: &[u8],
    cards: Vec<String>,
    scores: Vec<Vec<Vec<u8>>>,
    series_scored: Vec<usize>,
    fallbacks: Vec<usize>,
) -> PyResult<String> {
    let (plan, opts) = plan_and_options(settings, plan)?;
    let mut per_window = Vec::new();
    for (window, (card, shares)) in cards.iter().zip(&scores).enumerate() {
        let card: ModelCard = from_json(card, "model card")?;
        let shares: Vec<SeriesScores> = decode_all(shares, "scores")?;
        per_window.push(score_window(&plan, &card, window, &shares).or_raise()?);
    }
    let report = cv_report(&plan, &opts, per_window, series_scored, fallbacks);
    Ok(serde_json::to_string(&report).unwrap_or_default())
}
