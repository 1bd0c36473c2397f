//! `_core.VecEnv`: `n` copies of an env stepped in one call, with Gymnasium's `SAME_STEP`
//! autoreset (an ended sub-env is reset within the step; its last observation is kept).

use metablend_env::{Info, SyncVectorEnv, VecStep};
use numpy::{PyArray1, PyArray2, PyArrayMethods, PyUntypedArrayMethods};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::{box_action, discrete_action, obs_array, InfoKeys};
use crate::envs::PyEnv;
use crate::errors::{raise, Kind, OrRaise};
use crate::kinds::{AnyEnv, BoxEnv, DiscreteEnv};
use crate::recipe::Recipe;

enum AnyVec {
    Discrete(SyncVectorEnv<DiscreteEnv>),
    Box(SyncVectorEnv<BoxEnv>),
}

/// The vector env.
#[pyclass(module = "metablend._core", name = "VecEnv", unsendable)]
pub(crate) struct PyVecEnv {
    envs: AnyVec,
    recipe: Recipe,
    /// The last step, refilled by each call (its vectors are allocated once).
    last: VecStep<Vec<f64>>,
    /// The last discrete actions, refilled by each call.
    discrete_actions: Vec<usize>,
    /// The last box actions, refilled by each call.
    box_actions: Vec<Vec<f64>>,
    /// The info keys' Python strings.
    keys: InfoKeys,
}

/// A batch of rows as a float32 `n x d` array, written straight into numpy's buffer.
fn rows<'py>(py: Python<'py>, obs: &[Vec<f64>]) -> PyResult<Bound<'py, PyArray2<f32>>> {
    let d = obs.first().map_or(0, Vec::len);
    if obs.iter().any(|o| o.len() != d) {
        return Err(raise(
            Kind::InvalidInput,
            "sub-envs returned observations of different lengths",
        ));
    }
    // SAFETY: the array is new, so nothing else reads it, and every element is written
    // below before it is returned.
    let array = unsafe { PyArray2::<f32>::new(py, [obs.len(), d], false) };
    let out =
        unsafe { array.as_slice_mut() }.map_err(|e| raise(Kind::InvalidInput, e.to_string()))?;
    for (row, o) in out.chunks_exact_mut(d.max(1)).zip(obs) {
        for (x, &v) in row.iter_mut().zip(o) {
            *x = v as f32;
        }
    }
    Ok(array)
}

/// The infos of the sub-envs batched as Gymnasium's vector envs batch them: per key, an
/// array with one row per sub-env (zeros where a sub-env lacks the key) and the mask
/// `_key`. `infos[i]` is `None` for a sub-env that contributes nothing.
///
/// Every array is allocated by numpy and filled in place (`from_vec` would hand numpy a
/// second Python object owning a Rust vector), and the key strings come from `keys`.
fn batched<'py>(
    py: Python<'py>,
    keys: &mut InfoKeys,
    infos: &[Option<&Info>],
) -> PyResult<Bound<'py, PyDict>> {
    let n = infos.len();
    let d = PyDict::new(py);
    // Keys in first-seen order, with the vector length (None for scalars).
    let mut seen: Vec<(&str, Option<usize>)> = Vec::new();
    // Most steps of most envs carry no info at all.
    for info in infos.iter().flatten().filter(|info| !info.is_empty()) {
        for (k, _) in info.scalars() {
            if !seen.iter().any(|(key, _)| *key == k) {
                seen.push((k, None));
            }
        }
        for (k, v) in info.vectors() {
            if !seen.iter().any(|(key, _)| *key == k) {
                seen.push((k, Some(v.len())));
            }
        }
    }
    for (key, len) in seen {
        let mut mask = vec![false; n];
        let values = PyArray1::<f64>::zeros(py, [n * len.unwrap_or(1)], false);
        // SAFETY: the array is new, so nothing else reads or writes it.
        let out = unsafe { values.as_slice_mut() }
            .map_err(|e| raise(Kind::InvalidInput, e.to_string()))?;
        for (i, info) in infos.iter().enumerate() {
            let Some(info) = info else { continue };
            match len {
                None => {
                    if let Some(v) = info.get(key) {
                        out[i] = v;
                        mask[i] = true;
                    }
                }
                Some(len) => {
                    if let Some(v) = info.get_vec(key).filter(|v| v.len() == len) {
                        out[i * len..(i + 1) * len].copy_from_slice(v);
                        mask[i] = true;
                    }
                }
            }
        }
        let (name, masked) = keys.with_mask(py, key);
        match len {
            None => d.set_item(name, values)?,
            Some(len) => d.set_item(
                name,
                values
                    .reshape([n, len])
                    .map_err(|e| raise(Kind::InvalidInput, e.to_string()))?,
            )?,
        }
        d.set_item(masked, PyArray1::from_slice(py, &mask))?;
    }
    Ok(d)
}

/// The elements of a row-major (C-contiguous) array as a slice, or `None` for any other
/// layout. Numpy's borrow tracking (`PyReadonlyArray`) is skipped: it cost more than
/// stepping a dozen CartPoles. `as_slice` alone would also accept a column-major array (a
/// transpose), whose memory holds the columns one after another.
///
/// # Safety
///
/// The caller holds the GIL and runs no Python code while the slice lives, so nothing
/// can write the array meanwhile.
unsafe fn row_major<'a, T: numpy::Element, D: numpy::ndarray::Dimension>(
    array: &'a Bound<'_, numpy::PyArray<T, D>>,
) -> Option<&'a [T]> {
    if !array.is_c_contiguous() {
        return None;
    }
    unsafe { array.as_slice() }.ok()
}

/// Reads a vector step's discrete actions into `out`: an int64 array (what a policy's
/// `argmax` gives), or any sequence of integers.
fn discrete_actions(actions: &Bound<'_, PyAny>, out: &mut Vec<usize>) -> PyResult<()> {
    out.clear();
    let negative = || raise(Kind::InvalidInput, "invalid action: a negative index");
    if let Ok(array) = actions.cast::<PyArray1<i64>>() {
        // SAFETY: no Python code runs until the values are copied out.
        if let Some(values) = unsafe { row_major(array) } {
            for &x in values {
                out.push(usize::try_from(x).map_err(|_| negative())?);
            }
            return Ok(());
        }
    }
    // Strided arrays and Python sequences, element by element.
    for x in actions.try_iter()? {
        out.push(discrete_action(&x?)?);
    }
    Ok(())
}

/// Reads a vector step's box actions into `out`, one row per sub-env: a float32
/// `n x d` array (what a policy gives), or any sequence of 1-d float arrays or number lists.
/// The rows' vectors are reused from the previous step.
fn box_actions(actions: &Bound<'_, PyAny>, out: &mut Vec<Vec<f64>>) -> PyResult<()> {
    if let Ok(array) = actions.cast::<PyArray2<f32>>() {
        let d = array.shape()[1];
        // SAFETY: no Python code runs until the values are copied out.
        if let Some(values) = unsafe { row_major(array) } {
            out.resize_with(array.shape()[0], Vec::new);
            for (i, row) in out.iter_mut().enumerate() {
                row.clear();
                row.extend(values[i * d..(i + 1) * d].iter().map(|&x| f64::from(x)));
            }
            return Ok(());
        }
    }
    // Strided arrays, other dtypes and Python sequences, row by row.
    out.clear();
    for x in actions.try_iter()? {
        out.push(box_action(&x?)?);
    }
    Ok(())
}

/// `(obs, rewards, terminated, truncated, info)` of one step, the info batched with
/// Gymnasium's `SAME_STEP` rule: a sub-env that ended shows its reset's info, and its
/// last observation and info go to `final_obs` and `final_info` (masks `_final_obs`,
/// `_final_info`).
type VecStepTuple<'py> = (
    Bound<'py, PyArray2<f32>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<bool>>,
    Bound<'py, PyArray1<bool>>,
    Bound<'py, PyDict>,
);

fn step_tuple<'py>(
    py: Python<'py>,
    keys: &mut InfoKeys,
    s: &VecStep<Vec<f64>>,
) -> PyResult<VecStepTuple<'py>> {
    let n = s.obs.len();
    let ended: Vec<bool> = s.final_obs.iter().map(Option::is_some).collect();
    let shown: Vec<Option<&Info>> = (0..n)
        .map(|i| Some(s.reset_infos[i].as_ref().unwrap_or(&s.infos[i])))
        .collect();
    let info = batched(py, keys, &shown)?;
    if ended.iter().any(|&e| e) {
        let finals: Vec<Option<&Info>> = (0..n).map(|i| ended[i].then_some(&s.infos[i])).collect();
        // An object array of None, holding the last observation of each ended sub-env.
        let objects: Vec<Py<PyAny>> = s
            .final_obs
            .iter()
            .map(|o| match o {
                Some(o) => obs_array(py, o).into_any().unbind(),
                None => py.None(),
            })
            .collect();
        info.set_item(intern!(py, "final_obs"), PyArray1::from_vec(py, objects))?;
        info.set_item(intern!(py, "_final_obs"), PyArray1::from_slice(py, &ended))?;
        info.set_item(intern!(py, "final_info"), batched(py, keys, &finals)?)?;
        info.set_item(intern!(py, "_final_info"), PyArray1::from_slice(py, &ended))?;
    }
    Ok((
        rows(py, &s.obs)?,
        PyArray1::from_slice(py, &s.rewards),
        PyArray1::from_slice(py, &s.terminated),
        PyArray1::from_slice(py, &s.truncated),
        info,
    ))
}

#[pymethods]
impl PyVecEnv {
    /// `n` copies of `env` (built afresh from its ingredients).
    #[new]
    fn new(env: &PyEnv, n: usize) -> PyResult<Self> {
        let recipe = env.recipe.clone();
        let envs = match recipe.build().or_raise()? {
            AnyEnv::Discrete(first) => AnyVec::Discrete(
                SyncVectorEnv::from_fn(n, recipe.discrete_copies(first)).or_raise()?,
            ),
            AnyEnv::Box(first) => {
                AnyVec::Box(SyncVectorEnv::from_fn(n, recipe.box_copies(first)).or_raise()?)
            }
        };
        Ok(Self {
            envs,
            recipe,
            last: VecStep::with_capacity(n),
            discrete_actions: Vec::with_capacity(n),
            box_actions: Vec::with_capacity(n),
            keys: InfoKeys::default(),
        })
    }

    /// Number of sub-envs.
    #[getter]
    fn num_envs(&self) -> usize {
        match &self.envs {
            AnyVec::Discrete(v) => v.num_envs(),
            AnyVec::Box(v) => v.num_envs(),
        }
    }

    /// Resets every sub-env; with a seed, sub-env `i` gets `seed + i`.
    #[pyo3(signature = (seed=None))]
    fn reset<'py>(
        &mut self,
        py: Python<'py>,
        seed: Option<u64>,
    ) -> PyResult<(Bound<'py, PyArray2<f32>>, Bound<'py, PyDict>)> {
        let (obs, info) = match &mut self.envs {
            AnyVec::Discrete(v) => v.reset(seed),
            AnyVec::Box(v) => v.reset(seed),
        }
        .or_raise()?;
        let shown: Vec<Option<&Info>> = info.iter().map(Some).collect();
        Ok((rows(py, &obs)?, batched(py, &mut self.keys, &shown)?))
    }

    /// Steps every sub-env with its row of `actions` (ints for discrete spaces, an
    /// `n x d` float array for box spaces).
    fn step<'py>(
        &mut self,
        py: Python<'py>,
        actions: &Bound<'py, PyAny>,
    ) -> PyResult<VecStepTuple<'py>> {
        let last = &mut self.last;
        let step = match &mut self.envs {
            AnyVec::Discrete(v) => {
                let a = &mut self.discrete_actions;
                discrete_actions(actions, a)?;
                v.step_into(a, last)
            }
            AnyVec::Box(v) => {
                let a = &mut self.box_actions;
                box_actions(actions, a)?;
                v.step_into(a, last)
            }
        };
        if let Some(e) = self.recipe.take_reward_error() {
            return Err(e);
        }
        step.or_raise()?;
        step_tuple(py, &mut self.keys, &self.last)
    }
}
