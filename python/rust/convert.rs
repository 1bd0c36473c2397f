//! Values across the boundary: observations as float32 arrays (the spaces' declared dtype,
//! as Gymnasium's own envs), info as dicts, actions from ints, lists or arrays, settings as
//! JSON text (so unknown fields are refused by name).

use metablend_env::Info;
use numpy::{PyArray1, PyArrayMethods, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use serde::de::DeserializeOwned;

use crate::errors::{raise, Kind};

/// An observation as the float32 array the observation space declares.
///
/// The array's buffer is numpy's own and is written in place: `PyArray1::from_iter` would
/// collect into a Rust vector and hand numpy a second Python object to own it, which was a
/// good part of the vector env's step (every ended episode returns one observation).
pub(crate) fn obs_array<'py>(py: Python<'py>, obs: &[f64]) -> Bound<'py, PyArray1<f32>> {
    // SAFETY: the array is new, so nothing else reads it, and every element is written
    // before it is returned.
    let array = unsafe { PyArray1::<f32>::new(py, [obs.len()], false) };
    // A new array of `new` is contiguous, so `as_slice_mut` cannot fail.
    if let Ok(out) = unsafe { array.as_slice_mut() } {
        for (x, &v) in out.iter_mut().zip(obs) {
            *x = v as f32;
        }
    }
    array
}

/// The Python strings of an env's info keys, made once: an env's infos repeat the same
/// few keys on every step, and building the key strings anew was a good part of a step's
/// cost from Python.
#[derive(Default)]
pub(crate) struct InfoKeys(Vec<(String, Py<PyString>)>);

impl InfoKeys {
    fn get<'py>(&mut self, py: Python<'py>, key: &str) -> Bound<'py, PyString> {
        if let Some((_, s)) = self.0.iter().find(|(k, _)| k == key) {
            return s.bind(py).clone();
        }
        let s = PyString::new(py, key);
        self.0.push((key.to_string(), s.clone().unbind()));
        s
    }

    /// An info as a dict: scalars as floats, vectors as float64 arrays.
    pub(crate) fn dict<'py>(
        &mut self,
        py: Python<'py>,
        info: &Info,
    ) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (k, v) in info.scalars() {
            d.set_item(self.get(py, k), v)?;
        }
        for (k, v) in info.vectors() {
            d.set_item(self.get(py, k), PyArray1::from_slice(py, v))?;
        }
        Ok(d)
    }
}

/// A discrete action: a Python or numpy integer.
pub(crate) fn discrete_action(action: &Bound<'_, PyAny>) -> PyResult<usize> {
    action.extract::<usize>().map_err(|_| {
        raise(
            Kind::InvalidInput,
            format!("invalid action: expected a non-negative integer, got {action}"),
        )
    })
}

/// A box action: a float array of any float dtype, or a sequence of numbers.
pub(crate) fn box_action(action: &Bound<'_, PyAny>) -> PyResult<Vec<f64>> {
    if let Ok(a) = action.extract::<PyReadonlyArray1<f32>>() {
        return Ok(a.as_array().iter().map(|&x| f64::from(x)).collect());
    }
    if let Ok(a) = action.extract::<PyReadonlyArray1<f64>>() {
        return Ok(a.as_array().to_vec());
    }
    action.extract::<Vec<f64>>().map_err(|_| {
        raise(
            Kind::InvalidInput,
            format!("invalid action: expected a 1-d float array, got {action}"),
        )
    })
}

/// Settings from JSON text; `what` names them in the error.
pub(crate) fn from_json<T: DeserializeOwned>(text: &str, what: &str) -> PyResult<T> {
    serde_json::from_str(text)
        .map_err(|e| raise(Kind::InvalidInput, format!("invalid {what}: {e}")))
}
