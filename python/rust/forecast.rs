//! Forecasting a panel (`metablend.forecast`): fit, forecast, cross-validation and
//! features, through the same library functions and settings as the command, so the
//! numbers are the command's. Panels arrive as CSV text in the long `unique_id,ds,y` shape
//! (or its id and time columns as text beside the values as an array) and go through the
//! command's reader (its validation and messages included).

use std::path::Path;

use metablend_ensemble::panel::{read_panel_from, read_panel_with_values, Panel, PanelOptions};
use metablend_ensemble::FillPolicy;
use metablend_pipelines::forecast::{
    cross_validation, fit, forecast_with, CalibrateOn, CvOptions, FitSettings, ForecastOptions,
    Forecasts, MetaModel,
};
use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::from_json;
use crate::errors::OrRaise;
use crate::interrupt;

/// A panel as Python hands it over: long CSV text, or the text of its id and time columns
/// beside its values as a float64 array, one per data row (a frame's numeric values need
/// not be printed and parsed again).
#[derive(FromPyObject)]
pub(crate) enum PanelData<'py> {
    Apart(String, PyReadonlyArray1<'py, f64>),
    Text(String),
}

/// Intervals at `levels` calibrated on the series `calibration` names.
pub(crate) fn forecast_options(levels: Vec<f64>, calibration: &str) -> PyResult<ForecastOptions> {
    let calibrate_on: CalibrateOn = calibration.parse().or_raise()?;
    Ok(ForecastOptions {
        levels,
        calibrate_on,
    })
}

/// The panel in `data` with the fill policy named by `fill`.
pub(crate) fn panel(data: &PanelData<'_>, fill: &str) -> PyResult<Panel> {
    let fill: FillPolicy = from_json(&format!("\"{fill}\""), "fill policy")?;
    let (source, options) = ("the data frame", &PanelOptions { fill });
    match data {
        PanelData::Text(csv) => read_panel_from(csv.as_bytes(), source, options),
        PanelData::Apart(csv, values) => match values.as_slice() {
            Ok(values) => read_panel_with_values(csv.as_bytes(), source, options, values),
            // A strided array: its values copied into one row.
            Err(_) => {
                let values = values.as_array().to_vec();
                read_panel_with_values(csv.as_bytes(), source, options, &values)
            }
        },
    }
    .or_raise()
}

/// A fitted meta-model.
#[pyclass(module = "metablend._core", name = "MetaModel")]
pub(crate) struct PyMetaModel {
    model: MetaModel,
}

/// Fits a meta-model on the panel with the settings (JSON of the library's `FitSettings`).
#[pyfunction]
#[pyo3(signature = (csv, settings, fill="error"))]
pub(crate) fn fit_panel(
    py: Python<'_>,
    csv: PanelData<'_>,
    settings: &str,
    fill: &str,
) -> PyResult<PyMetaModel> {
    let settings: FitSettings = from_json(settings, "fit settings")?;
    let panel = panel(&csv, fill)?;
    let opts = settings.resolve(&panel).or_raise()?;
    let model = interrupt::run(py, |p| fit(&panel, &opts, p))?.or_raise()?;
    Ok(PyMetaModel { model })
}

impl PyMetaModel {
    pub(crate) fn new(model: MetaModel) -> Self {
        Self { model }
    }

    pub(crate) fn model(&self) -> &MetaModel {
        &self.model
    }
}

/// Rolling-origin evaluation; the report as JSON.
#[pyfunction]
#[pyo3(signature = (csv, settings, windows, levels, fill="error"))]
pub(crate) fn cross_validate(
    py: Python<'_>,
    csv: PanelData<'_>,
    settings: &str,
    windows: usize,
    levels: Vec<f64>,
    fill: &str,
) -> PyResult<String> {
    let settings: FitSettings = from_json(settings, "fit settings")?;
    let panel = panel(&csv, fill)?;
    let fit = settings.resolve(&panel).or_raise()?;
    let opts = CvOptions {
        fit,
        windows,
        levels,
    };
    let report = interrupt::run(py, |p| cross_validation(&panel, &opts, p))?.or_raise()?;
    Ok(serde_json::to_string(&report).unwrap_or_default())
}

/// The series' ids, the feature names and one row per series (`None`: too short).
type FeatureTable = (Vec<String>, Vec<&'static str>, Vec<Option<Vec<f64>>>);

/// FFORMA's features of every series (the library's `panel_features`, as `metablend
/// features`), with `season` as the period of the seasonal features.
#[pyfunction]
#[pyo3(signature = (csv, season, fill="error"))]
pub(crate) fn panel_features(
    py: Python<'_>,
    csv: PanelData<'_>,
    season: Option<usize>,
    fill: &str,
) -> PyResult<FeatureTable> {
    let panel = panel(&csv, fill)?;
    let table = interrupt::run(py, |p| {
        metablend_pipelines::forecast::panel_features(&panel, season, p)
    })?
    .or_raise()?;
    let (ids, rows) = table.rows.into_iter().unzip();
    Ok((ids, table.names, rows))
}

/// The forecasts as columns (the names of the command's CSV).
pub(crate) fn columns<'py>(py: Python<'py>, f: &Forecasts) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let ids: Vec<&str> = f.rows.iter().map(|r| r.unique_id.as_str()).collect();
    let ds: Vec<&str> = f.rows.iter().map(|r| r.ds.as_str()).collect();
    d.set_item("unique_id", ids)?;
    d.set_item("ds", ds)?;
    let col = |get: &dyn Fn(&metablend_pipelines::forecast::ForecastRow) -> f64| {
        PyArray1::from_iter(py, f.rows.iter().map(get))
    };
    d.set_item("metablend", col(&|r| r.forecast))?;
    for (l, level) in f.levels.iter().enumerate() {
        d.set_item(format!("metablend-lo-{level}"), col(&|r| r.intervals[l].0))?;
        d.set_item(format!("metablend-hi-{level}"), col(&|r| r.intervals[l].1))?;
    }
    for (k, name) in f.names.iter().enumerate() {
        d.set_item(name, col(&|r| r.models.get(k).copied().unwrap_or(f64::NAN)))?;
        for (l, level) in f.levels.iter().enumerate() {
            let bound = |r: &metablend_pipelines::forecast::ForecastRow, hi: bool| {
                r.model_intervals
                    .get(k)
                    .map_or(f64::NAN, |b| if hi { b[l].1 } else { b[l].0 })
            };
            d.set_item(format!("{name}-lo-{level}"), col(&|r| bound(r, false)))?;
            d.set_item(format!("{name}-hi-{level}"), col(&|r| bound(r, true)))?;
        }
    }
    for (k, name) in f.names.iter().enumerate() {
        d.set_item(
            format!("w_{name}"),
            col(&|r| r.weights.get(k).copied().unwrap_or(f64::NAN)),
        )?;
    }
    let fallback: Vec<Option<&str>> = f.rows.iter().map(|r| r.fallback.as_deref()).collect();
    d.set_item("fallback", fallback)?;
    Ok(d)
}

#[pymethods]
impl PyMetaModel {
    /// Forecasts the horizon after each series of the panel, with intervals at `levels`
    /// calibrated on the series `calibration` names (auto, panel or model); returns the
    /// columns.
    #[pyo3(signature = (csv, levels, fill="error", calibration="auto"))]
    fn forecast<'py>(
        &self,
        py: Python<'py>,
        csv: PanelData<'_>,
        levels: Vec<f64>,
        fill: &str,
        calibration: &str,
    ) -> PyResult<Bound<'py, PyDict>> {
        let panel = panel(&csv, fill)?;
        let opts = forecast_options(levels, calibration)?;
        let model = &self.model;
        let f = interrupt::run(py, |p| forecast_with(model, &panel, &opts, p))?.or_raise()?;
        columns(py, &f)
    }

    /// Writes the model folder (atomically), as `metablend fit --out` does.
    fn save(&self, path: &str) -> PyResult<()> {
        self.model.save(Path::new(path)).or_raise()
    }

    /// Loads a model folder written by `save` or `metablend fit`.
    #[staticmethod]
    fn load(path: &str) -> PyResult<Self> {
        Ok(Self {
            model: MetaModel::load(Path::new(path)).or_raise()?,
        })
    }

    /// The model card (every setting, the pool, the training data's fingerprint) as JSON.
    fn card_json(&self) -> String {
        serde_json::to_string(&self.model.card).unwrap_or_default()
    }
}
