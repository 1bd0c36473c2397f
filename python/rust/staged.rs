//! The staged forecasting path for cluster engines (`metablend.engine`): the per-series
//! map, the driver's fit and combination, and the per-series rows, each the library's own
//! function. What crosses between workers and the driver is MessagePack bytes (exact for
//! every float, NaN included), one value per series.

use metablend_ensemble::panel::Frequency;
use metablend_pipelines::forecast::{
    combine_gathered, fit_gathered, forecast_rows, map_series, Calibration, FitSettings, Forecasts,
    ModelCard, Plan, SeriesFit, SeriesFuture,
};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::convert::from_json;
use crate::errors::{raise, Kind, OrRaise};
use crate::forecast::{columns, panel, PyMetaModel};
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
/// `SeriesFuture` as bytes, and the partition's frequency as JSON.
#[allow(clippy::type_complexity)]
#[pyfunction]
#[pyo3(signature = (csv, plan, fill="error"))]
pub(crate) fn map_partition<'py>(
    py: Python<'py>,
    csv: &str,
    plan: &[u8],
    fill: &str,
) -> PyResult<(
    Vec<String>,
    Vec<Bound<'py, PyBytes>>,
    Vec<Option<Bound<'py, PyBytes>>>,
    String,
)> {
    let plan: Plan = decode(plan, "plan")?;
    let panel = panel(csv, fill)?;
    let works = interrupt::run(py, |p| map_series(&panel, &plan, p))?.or_raise()?;
    let mut ids = Vec::with_capacity(works.len());
    let (mut fits, mut futures) = (Vec::new(), Vec::new());
    for w in &works {
        ids.push(w.fit.id.clone());
        fits.push(encode(py, &w.fit)?);
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

/// The plan of the per-series map for forecasting with `model` at `levels`.
#[pyfunction]
pub(crate) fn forecast_plan<'py>(
    py: Python<'py>,
    model: PyRef<'_, PyMetaModel>,
    levels: Vec<f64>,
) -> PyResult<Bound<'py, PyBytes>> {
    encode(py, &Plan::for_forecast(model.model(), &levels).or_raise()?)
}

/// Each series' weights (`None` on the fallback) and the calibration (bytes; `None`
/// without levels) that `model` gives the series' gathered work.
#[allow(clippy::type_complexity)]
#[pyfunction]
pub(crate) fn combine_work<'py>(
    py: Python<'py>,
    model: PyRef<'_, PyMetaModel>,
    fits: Vec<Vec<u8>>,
    levels: Vec<f64>,
) -> PyResult<(Vec<Option<Vec<f64>>>, Option<Bound<'py, PyBytes>>)> {
    let fits: Vec<SeriesFit> = decode_all(&fits, "series work")?;
    let model = model.model();
    let combination = py
        .detach(|| combine_gathered(model, fits, &levels))
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
