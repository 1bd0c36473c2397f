//! `_core.VecEnv`: `n` copies of an env stepped in one call, with Gymnasium's `SAME_STEP`
//! autoreset (an ended sub-env is reset within the step; its last observation is kept).

use metablend_env::{Info, SyncVectorEnv, VecStep};
use numpy::{PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::{box_action, discrete_action};
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
}

/// A batch of rows as a float32 `n x d` array.
fn rows<'py>(py: Python<'py>, obs: &[Vec<f64>]) -> PyResult<Bound<'py, PyArray2<f32>>> {
    let d = obs.first().map_or(0, Vec::len);
    let flat: Vec<f32> = obs.iter().flatten().map(|&x| x as f32).collect();
    PyArray1::from_vec(py, flat)
        .reshape([obs.len(), d])
        .map_err(|e| raise(Kind::InvalidInput, e.to_string()))
}

/// The infos of the sub-envs batched as Gymnasium's vector envs batch them: per key, an
/// array with one row per sub-env (zeros where a sub-env lacks the key) and the mask
/// `_key`. `infos[i]` is `None` for a sub-env that contributes nothing.
fn batched<'py>(py: Python<'py>, infos: &[Option<&Info>]) -> PyResult<Bound<'py, PyDict>> {
    let n = infos.len();
    let d = PyDict::new(py);
    // Keys in first-seen order, with the vector length (None for scalars).
    let mut keys: Vec<(String, Option<usize>)> = Vec::new();
    for info in infos.iter().flatten() {
        for (k, _) in info.scalars() {
            if !keys.iter().any(|(key, _)| key == k) {
                keys.push((k.to_string(), None));
            }
        }
        for (k, v) in info.vectors() {
            if !keys.iter().any(|(key, _)| key == k) {
                keys.push((k.to_string(), Some(v.len())));
            }
        }
    }
    for (key, len) in keys {
        let mut mask = vec![false; n];
        match len {
            None => {
                let mut values = vec![0.0; n];
                for (i, info) in infos.iter().enumerate() {
                    if let Some(v) = info.and_then(|info| info.get(&key)) {
                        values[i] = v;
                        mask[i] = true;
                    }
                }
                d.set_item(&key, PyArray1::from_vec(py, values))?;
            }
            Some(len) => {
                let mut values = vec![0.0; n * len];
                for (i, info) in infos.iter().enumerate() {
                    if let Some(v) = info.and_then(|info| info.get_vec(&key)) {
                        if v.len() == len {
                            values[i * len..(i + 1) * len].copy_from_slice(v);
                            mask[i] = true;
                        }
                    }
                }
                let array = PyArray1::from_vec(py, values)
                    .reshape([n, len])
                    .map_err(|e| raise(Kind::InvalidInput, e.to_string()))?;
                d.set_item(&key, array)?;
            }
        }
        d.set_item(format!("_{key}"), PyArray1::from_vec(py, mask))?;
    }
    Ok(d)
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

fn step_tuple<'py>(py: Python<'py>, s: VecStep<Vec<f64>>) -> PyResult<VecStepTuple<'py>> {
    let n = s.obs.len();
    let ended: Vec<bool> = s.final_obs.iter().map(Option::is_some).collect();
    let shown: Vec<Option<&Info>> = (0..n)
        .map(|i| Some(s.reset_infos[i].as_ref().unwrap_or(&s.infos[i])))
        .collect();
    let info = batched(py, &shown)?;
    if ended.iter().any(|&e| e) {
        let finals: Vec<Option<&Info>> = (0..n).map(|i| ended[i].then_some(&s.infos[i])).collect();
        // An object array of None, holding the last observation of each ended sub-env.
        let objects = py.import("numpy")?.call_method1("empty", (n, "object"))?;
        for (i, o) in s.final_obs.iter().enumerate() {
            if let Some(o) = o {
                objects.set_item(i, PyArray1::from_iter(py, o.iter().map(|&x| x as f32)))?;
            }
        }
        info.set_item("final_obs", objects)?;
        info.set_item("_final_obs", PyArray1::from_vec(py, ended.clone()))?;
        info.set_item("final_info", batched(py, &finals)?)?;
        info.set_item("_final_info", PyArray1::from_vec(py, ended))?;
    }
    Ok((
        rows(py, &s.obs)?,
        PyArray1::from_vec(py, s.rewards),
        PyArray1::from_vec(py, s.terminated),
        PyArray1::from_vec(py, s.truncated),
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
        Ok(Self { envs, recipe })
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
        Ok((rows(py, &obs)?, batched(py, &shown)?))
    }

    /// Steps every sub-env with its row of `actions` (ints for discrete spaces, an
    /// `n x d` float array for box spaces).
    fn step<'py>(
        &mut self,
        py: Python<'py>,
        actions: &Bound<'py, PyAny>,
    ) -> PyResult<VecStepTuple<'py>> {
        let step = match &mut self.envs {
            AnyVec::Discrete(v) => {
                let a: Vec<usize> = match actions.extract::<PyReadonlyArray1<i64>>() {
                    Ok(a) => a
                        .as_array()
                        .iter()
                        .map(|&x| usize::try_from(x))
                        .collect::<Result<_, _>>()
                        .map_err(|_| {
                            raise(Kind::InvalidInput, "invalid action: a negative index")
                        })?,
                    Err(_) => actions
                        .try_iter()?
                        .map(|x| discrete_action(&x?))
                        .collect::<PyResult<_>>()?,
                };
                v.step(&a)
            }
            AnyVec::Box(v) => {
                let a: Vec<Vec<f64>> = match actions.extract::<PyReadonlyArray2<f32>>() {
                    Ok(a) => a
                        .as_array()
                        .rows()
                        .into_iter()
                        .map(|r| r.iter().map(|&x| f64::from(x)).collect())
                        .collect(),
                    Err(_) => actions
                        .try_iter()?
                        .map(|x| box_action(&x?))
                        .collect::<PyResult<_>>()?,
                };
                v.step(&a)
            }
        };
        if let Some(e) = self.recipe.take_reward_error() {
            return Err(e);
        }
        step_tuple(py, step.or_raise()?)
    }
}
