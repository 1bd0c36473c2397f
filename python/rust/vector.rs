//! `_core.VecEnv`: `n` copies of an env stepped in one call, with Gymnasium's `SAME_STEP`
//! autoreset (an ended sub-env is reset within the step; its last observation is kept).

use metablend_env::{Info, SyncVectorEnv, VecStep};
use numpy::{PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::convert::{box_action, discrete_action, info_dict};
use crate::envs::PyEnv;
use crate::errors::{raise, Kind, OrRaise};
use crate::kinds::{BoxEnv, DiscreteEnv};
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

fn infos<'py>(py: Python<'py>, infos: &[Info]) -> PyResult<Bound<'py, PyList>> {
    let dicts = infos
        .iter()
        .map(|i| info_dict(py, i))
        .collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, dicts)
}

/// `(obs, rewards, terminated, truncated, infos, final_obs, final_infos)` of one step;
/// `final_obs[i]` is `None` unless sub-env `i` ended.
type VecStepTuple<'py> = (
    Bound<'py, PyArray2<f32>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<bool>>,
    Bound<'py, PyArray1<bool>>,
    Bound<'py, PyList>,
    Bound<'py, PyList>,
    Bound<'py, PyList>,
);

fn step_tuple<'py>(py: Python<'py>, s: VecStep<Vec<f64>>) -> PyResult<VecStepTuple<'py>> {
    let final_obs: Vec<Option<Bound<'py, PyArray1<f32>>>> = s
        .final_obs
        .iter()
        .map(|o| {
            o.as_ref()
                .map(|o| PyArray1::from_iter(py, o.iter().map(|&x| x as f32)))
        })
        .collect();
    let reset_infos: Vec<Option<Bound<'py, PyDict>>> = s
        .reset_infos
        .iter()
        .map(|i| i.as_ref().map(|i| info_dict(py, i)).transpose())
        .collect::<PyResult<_>>()?;
    Ok((
        rows(py, &s.obs)?,
        PyArray1::from_vec(py, s.rewards),
        PyArray1::from_vec(py, s.terminated),
        PyArray1::from_vec(py, s.truncated),
        infos(py, &s.infos)?,
        PyList::new(py, final_obs)?,
        PyList::new(py, reset_infos)?,
    ))
}

#[pymethods]
impl PyVecEnv {
    /// `n` copies of `env` (built afresh from its ingredients).
    #[new]
    fn new(env: &PyEnv, n: usize) -> PyResult<Self> {
        let recipe = env.recipe.clone();
        let envs = match recipe.build().or_raise()? {
            crate::kinds::AnyEnv::Discrete(_) => {
                AnyVec::Discrete(SyncVectorEnv::from_fn(n, |_| recipe.build_discrete()).or_raise()?)
            }
            crate::kinds::AnyEnv::Box(_) => {
                AnyVec::Box(SyncVectorEnv::from_fn(n, |_| recipe.build_box()).or_raise()?)
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
    ) -> PyResult<(Bound<'py, PyArray2<f32>>, Bound<'py, PyList>)> {
        let (obs, info) = match &mut self.envs {
            AnyVec::Discrete(v) => v.reset(seed),
            AnyVec::Box(v) => v.reset(seed),
        }
        .or_raise()?;
        Ok((rows(py, &obs)?, infos(py, &info)?))
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
