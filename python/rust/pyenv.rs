//! A Python `gymnasium.Env` as a Rust env, so the Rust PPO trains on it: each `reset` and
//! `step` takes the GIL, calls the Python env and converts its values. An exception the
//! Python env raises is kept and raised again from the call that drove it (`learn`).

use std::sync::{Arc, Mutex};

use metablend_env::{BoxSpace, Discrete, Env, Info, Result, Space, Step};
use numpy::{PyArray1, PyReadonlyArrayDyn};
use pyo3::prelude::*;

/// The exception a Python env raised, shared by the copies of one recipe.
pub(crate) type ErrorSlot = Arc<Mutex<Option<PyErr>>>;

/// Action spaces a Python env may have: how a Rust action becomes a Python one.
pub(crate) trait PyActionSpace: Space + Clone + Send + Sync + 'static {
    /// The Python action for `action`.
    fn to_python<'py>(py: Python<'py>, action: &Self::Elem) -> PyResult<Bound<'py, PyAny>>;
}

impl PyActionSpace for Discrete {
    fn to_python<'py>(py: Python<'py>, action: &usize) -> PyResult<Bound<'py, PyAny>> {
        Ok(action.into_pyobject(py)?.into_any())
    }
}

impl PyActionSpace for BoxSpace {
    fn to_python<'py>(py: Python<'py>, action: &Vec<f64>) -> PyResult<Bound<'py, PyAny>> {
        Ok(PyArray1::from_iter(py, action.iter().map(|&x| x as f32)).into_any())
    }
}

/// A Python env with a flat `Box` observation space.
pub(crate) struct PythonEnv<S> {
    env: Py<PyAny>,
    obs_space: BoxSpace,
    act_space: S,
    error: ErrorSlot,
}

/// A flat float vector from a Python observation: a float32 or float64 array read in place
/// (the usual case, on every step), else anything numpy can flatten.
fn floats(obs: &Bound<'_, PyAny>) -> PyResult<Vec<f64>> {
    if let Ok(a) = obs.extract::<PyReadonlyArrayDyn<f32>>() {
        return Ok(a.as_array().iter().map(|&x| f64::from(x)).collect());
    }
    if let Ok(a) = obs.extract::<PyReadonlyArrayDyn<f64>>() {
        return Ok(a.as_array().iter().copied().collect());
    }
    obs.py()
        .import("numpy")?
        .call_method1("ravel", (obs,))?
        .call_method1("astype", ("float64",))?
        .extract::<Vec<f64>>()
}

impl<S: PyActionSpace> PythonEnv<S> {
    pub(crate) fn new(env: Py<PyAny>, obs_space: BoxSpace, act_space: S, error: ErrorSlot) -> Self {
        Self {
            env,
            obs_space,
            act_space,
            error,
        }
    }

    /// Runs `f` with the GIL; an exception is kept and becomes an env error.
    fn call<T>(&self, what: &str, f: impl FnOnce(Python<'_>) -> PyResult<T>) -> Result<T> {
        Python::attach(|py| {
            f(py).map_err(|e| {
                let message = format!("the Python env's {what} raised {e}");
                let mut slot = self.error.lock().unwrap_or_else(|p| p.into_inner());
                slot.get_or_insert(e);
                metablend_env::Error::InvalidData(message)
            })
        })
    }
}

impl<S: PyActionSpace> Env for PythonEnv<S> {
    type Obs = Vec<f64>;
    type Act = S::Elem;
    type ObsSpace = BoxSpace;
    type ActSpace = S;

    fn observation_space(&self) -> &BoxSpace {
        &self.obs_space
    }
    fn action_space(&self) -> &S {
        &self.act_space
    }
    fn reset(&mut self, seed: Option<u64>) -> Result<(Vec<f64>, Info)> {
        let obs = self.call("reset", |py| {
            let kwargs = pyo3::types::PyDict::new(py);
            kwargs.set_item("seed", seed)?;
            let out = self.env.bind(py).call_method("reset", (), Some(&kwargs))?;
            floats(&out.get_item(0)?)
        })?;
        Ok((obs, Info::new()))
    }
    fn step(&mut self, action: &S::Elem) -> Result<Step<Vec<f64>>> {
        let (obs, reward, terminated, truncated) = self.call("step", |py| {
            let a = S::to_python(py, action)?;
            let out = self.env.bind(py).call_method1("step", (a,))?;
            Ok((
                floats(&out.get_item(0)?)?,
                out.get_item(1)?.extract::<f64>()?,
                out.get_item(2)?.is_truthy()?,
                out.get_item(3)?.is_truthy()?,
            ))
        })?;
        Ok(Step {
            obs,
            reward,
            terminated,
            truncated,
            info: Info::new(),
        })
    }
}
