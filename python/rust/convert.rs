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
    let array = PyArray1::<f32>::zeros(py, [obs.len()], false);
    // SAFETY: the array is new, so nothing else reads it. It is contiguous, so
    // `as_slice_mut` cannot fail (and if it did, the array would hold zeros, not garbage).
    if let Ok(out) = unsafe { array.as_slice_mut() } {
        for (x, &v) in out.iter_mut().zip(obs) {
            *x = v as f32;
        }
    }
    array
}

/// The Python strings of an env's info keys (and, for vector envs, of their `_key` masks),
/// made once: an env's infos repeat the same few keys on every step, and building the key
/// strings anew was a good part of a step's cost from Python.
#[derive(Default)]
pub(crate) struct InfoKeys(Vec<(String, Py<PyString>, Option<Py<PyString>>)>);

impl InfoKeys {
    fn index(&mut self, py: Python<'_>, key: &str) -> usize {
        if let Some(i) = self.0.iter().position(|(k, _, _)| k == key) {
            return i;
        }
        self.0
            .push((key.to_string(), PyString::new(py, key).unbind(), None));
        self.0.len() - 1
    }

    fn get<'py>(&mut self, py: Python<'py>, key: &str) -> Bound<'py, PyString> {
        let i = self.index(py, key);
        self.0[i].1.bind(py).clone()
    }

    /// The key's string and its mask's, `_key`, as Gymnasium's vector envs name it.
    pub(crate) fn with_mask<'py>(
        &mut self,
        py: Python<'py>,
        key: &str,
    ) -> (Bound<'py, PyString>, Bound<'py, PyString>) {
        let i = self.index(py, key);
        let (_, name, mask) = &mut self.0[i];
        let mask = mask.get_or_insert_with(|| PyString::new(py, &format!("_{key}")).unbind());
        (name.bind(py).clone(), mask.bind(py).clone())
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
