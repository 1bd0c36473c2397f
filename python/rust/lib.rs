//! `metablend._core`: the Rust side of the `metablend` Python package. The package's
//! Python modules (`metablend.envs`, `metablend.ppo`, `metablend.forecast`, ...) wrap these
//! classes in the shapes Python users know (Gymnasium envs, SB3's PPO, statsforecast's
//! frames); this module only converts values and errors and releases the GIL around long
//! work.

mod combine;
mod convert;
mod envs;
mod errors;
mod forecast;
mod interrupt;
mod kinds;
mod ppo;
mod pyenv;
mod recipe;
mod staged;
mod vector;

use pyo3::prelude::*;

// The same allocator as the command: env steps and panel work allocate small vectors in
// tight loops, where the system allocator was a tenth of a vector env's step.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The extension module.
#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add(
        "FEATURE_NAMES",
        metablend_ensemble::features::FEATURE_NAMES.to_vec(),
    )?;
    m.add_class::<envs::PyEnv>()?;
    m.add_class::<vector::PyVecEnv>()?;
    m.add_class::<ppo::PyPpo>()?;
    m.add_class::<forecast::PyMetaModel>()?;
    m.add_function(wrap_pyfunction!(forecast::fit_panel, m)?)?;
    m.add_function(wrap_pyfunction!(forecast::cross_validate, m)?)?;
    m.add_function(wrap_pyfunction!(forecast::panel_features, m)?)?;
    m.add_function(wrap_pyfunction!(staged::fit_plan, m)?)?;
    m.add_function(wrap_pyfunction!(staged::map_partition, m)?)?;
    m.add_function(wrap_pyfunction!(staged::fit_from_work, m)?)?;
    m.add_function(wrap_pyfunction!(staged::forecast_plan, m)?)?;
    m.add_function(wrap_pyfunction!(staged::combine_work, m)?)?;
    m.add_function(wrap_pyfunction!(staged::kept_index, m)?)?;
    m.add_function(wrap_pyfunction!(staged::cv_plan, m)?)?;
    m.add_function(wrap_pyfunction!(staged::map_window_partition, m)?)?;
    m.add_function(wrap_pyfunction!(staged::fit_window_work, m)?)?;
    m.add_function(wrap_pyfunction!(staged::score_partition, m)?)?;
    m.add_function(wrap_pyfunction!(staged::cv_report_from_scores, m)?)?;
    m.add_function(wrap_pyfunction!(staged::forecast_partition, m)?)?;
    m.add_function(wrap_pyfunction!(combine::combine, m)?)?;
    m.add_function(wrap_pyfunction!(combine::off_policy, m)?)?;
    Ok(())
}
