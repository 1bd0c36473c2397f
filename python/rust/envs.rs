//! `_core.Env`: one env (CartPole-v1, Pendulum-v1 or the ensemble env) behind the
//! `gymnasium.Env` classes of `metablend.envs`.

use std::sync::Arc;

use metablend_env::contextual::{ContextOrder, ContextPanel, ContextTask};
use metablend_env::ensemble::ActionMapKind;
use metablend_env::{EnsembleEnvConfig, Env, Predictions, PredictionsPanel, RewardSpec, Snapshot};
use numpy::{PyArray1, PyReadonlyArray1, PyReadonlyArray2, PyReadonlyArray3};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::convert::{box_action, discrete_action, from_json, obs_array, InfoKeys};
use crate::errors::{raise, Kind, OrRaise};
use crate::kinds::{AnyEnv, EnvState};
use crate::recipe::{PyReward, Recipe, Reward};

/// One env and what it was built from.
#[pyclass(module = "metablend._core", name = "Env", unsendable)]
pub(crate) struct PyEnv {
    env: AnyEnv,
    pub(crate) recipe: Recipe,
    keys: InfoKeys,
    /// The last observation (for rendering; `step` is called straight from Python).
    last_obs: Option<Vec<f64>>,
}

/// An observation, a reward, the two end flags and an info.
type StepTuple<'py> = (
    Bound<'py, PyArray1<f32>>,
    f64,
    bool,
    bool,
    Bound<'py, PyDict>,
);

impl PyEnv {
    /// The env `recipe` builds; an exception a Python part raised while building wins.
    fn from_recipe(recipe: Recipe) -> PyResult<Self> {
        let built = recipe.build();
        if let Some(e) = recipe.take_reward_error() {
            return Err(e);
        }
        Ok(Self {
            env: built.or_raise()?,
            recipe,
            keys: InfoKeys::default(),
            last_obs: None,
        })
    }
}

/// The ensemble env's recipe from a panel, its settings as JSON and the reward.
pub(crate) fn ensemble_recipe(
    panel: PredictionsPanel,
    config: Option<&str>,
    action_map: &str,
    reward: Option<&str>,
    reward_fn: Option<Py<PyAny>>,
) -> PyResult<Recipe> {
    let config: EnsembleEnvConfig = config.map_or(Ok(Default::default()), |c| {
        from_json(c, "ensemble env config")
    })?;
    config.validate().or_raise()?;
    let map: ActionMapKind = from_json(&format!("\"{action_map}\""), "action map")?;
    let reward = match (reward, reward_fn) {
        (_, Some(f)) => Reward::Python(Arc::new(PyReward::new(f))),
        (Some(spec), None) => Reward::Spec(from_json::<RewardSpec>(spec, "reward")?),
        (None, None) => Reward::Spec(RewardSpec::default()),
    };
    Ok(Recipe::Ensemble {
        data: Arc::new(panel),
        config,
        map,
        reward,
    })
}

/// A panel from per-series target vectors and `T x K` prediction matrices.
pub(crate) fn panel_from_arrays(
    targets: Vec<PyReadonlyArray1<f64>>,
    predictions: Vec<PyReadonlyArray2<f64>>,
    names: Vec<String>,
    ids: Option<Vec<String>>,
) -> PyResult<PredictionsPanel> {
    if targets.len() != predictions.len() {
        return Err(raise(
            Kind::InvalidInput,
            format!(
                "{} targets but {} prediction matrices",
                targets.len(),
                predictions.len()
            ),
        ));
    }
    let mut series = Vec::with_capacity(targets.len());
    for (i, (t, p)) in targets.iter().zip(&predictions).enumerate() {
        let p = p.as_array();
        let flat: Vec<f64> = p.iter().copied().collect();
        if p.ncols() != names.len() {
            return Err(raise(
                Kind::InvalidInput,
                format!(
                    "series {i}: the predictions have {} columns, {} model names given",
                    p.ncols(),
                    names.len()
                ),
            ));
        }
        let mut s = Predictions::from_flat(t.as_array().to_vec(), flat, names.clone())
            .map_err(|e| raise(Kind::InvalidInput, format!("series {i}: {e}")))?;
        if let Some(id) = ids.as_ref().and_then(|ids| ids.get(i)) {
            s = s.with_id(id.clone());
        }
        series.push(s);
    }
    PredictionsPanel::new(series).or_raise()
}

#[pymethods]
impl PyEnv {
    /// CartPole-v1, Gymnasium's dynamics exactly, with its 500-step limit.
    #[staticmethod]
    fn cartpole() -> PyResult<Self> {
        Self::from_recipe(Recipe::CartPole)
    }

    /// Pendulum-v1, Gymnasium's dynamics exactly, with its 200-step limit.
    #[staticmethod]
    fn pendulum() -> PyResult<Self> {
        Self::from_recipe(Recipe::Pendulum)
    }

    /// The ensemble env on one or more series: `targets[i]` (T_i values) and
    /// `predictions[i]` (T_i x K, one column per model in `names`).
    #[staticmethod]
    #[pyo3(signature = (targets, predictions, names, ids=None, config=None, action_map="softmax", reward=None, reward_fn=None))]
    #[allow(clippy::too_many_arguments)]
    fn ensemble(
        targets: Vec<PyReadonlyArray1<f64>>,
        predictions: Vec<PyReadonlyArray2<f64>>,
        names: Vec<String>,
        ids: Option<Vec<String>>,
        config: Option<&str>,
        action_map: &str,
        reward: Option<&str>,
        reward_fn: Option<Py<PyAny>>,
    ) -> PyResult<Self> {
        let panel = panel_from_arrays(targets, predictions, names, ids)?;
        Self::from_recipe(ensemble_recipe(
            panel, config, action_map, reward, reward_fn,
        )?)
    }

    /// The ensemble env on predictions CSV files (the CLI's format), one series per file.
    #[staticmethod]
    #[pyo3(signature = (paths, config=None, action_map="softmax", reward=None, reward_fn=None))]
    fn ensemble_csv(
        paths: Vec<String>,
        config: Option<&str>,
        action_map: &str,
        reward: Option<&str>,
        reward_fn: Option<Py<PyAny>>,
    ) -> PyResult<Self> {
        let series = paths
            .iter()
            .map(|p| Predictions::read_csv(p).or_raise())
            .collect::<PyResult<Vec<_>>>()?;
        let panel = PredictionsPanel::new(series).or_raise()?;
        Self::from_recipe(ensemble_recipe(
            panel, config, action_map, reward, reward_fn,
        )?)
    }

    /// The contextual env: task i is series `ids[i]` with features `contexts[i]`, the
    /// validation window `targets[i]` (h values), each model's forecast of it
    /// (`forecasts[i]`, K x h), its MASE scale and the reference forecast's (sMAPE, MASE)
    /// on the window (`references[i]`). `order`: "random" or "sequential".
    #[staticmethod]
    #[pyo3(signature = (ids, contexts, targets, forecasts, mase_scales, references, names, action_map="residual", order="random"))]
    #[allow(clippy::too_many_arguments)]
    fn contextual(
        ids: Vec<String>,
        contexts: PyReadonlyArray2<f64>,
        targets: PyReadonlyArray2<f64>,
        forecasts: PyReadonlyArray3<f64>,
        mase_scales: PyReadonlyArray1<f64>,
        references: PyReadonlyArray2<f64>,
        names: Vec<String>,
        action_map: &str,
        order: &str,
    ) -> PyResult<Self> {
        let (c, y, f) = (
            contexts.as_array(),
            targets.as_array(),
            forecasts.as_array(),
        );
        let (s, r) = (mase_scales.as_array(), references.as_array());
        let n = ids.len();
        let rows = [c.nrows(), y.nrows(), f.shape()[0], s.len(), r.nrows()];
        if rows.iter().any(|&m| m != n) || r.ncols() != 2 {
            return Err(raise(
                Kind::InvalidInput,
                format!(
                    "{n} ids but {rows:?} rows of contexts, targets, forecasts, scales and \
                     references (references: n x 2, sMAPE and MASE)"
                ),
            ));
        }
        let tasks = (0..n)
            .map(|i| ContextTask {
                id: ids[i].clone(),
                context: c.row(i).to_vec(),
                target: y.row(i).to_vec(),
                forecasts: (0..f.shape()[1])
                    .map(|k| f.slice(numpy::ndarray::s![i, k, ..]).to_vec())
                    .collect(),
                mase_scale: s[i],
                reference: (r[[i, 0]], r[[i, 1]]),
            })
            .collect();
        let panel = ContextPanel::new(tasks, names).or_raise()?;
        let map: ActionMapKind = from_json(&format!("\"{action_map}\""), "action map")?;
        let order = match order {
            "random" => ContextOrder::Random,
            "sequential" => ContextOrder::Sequential,
            other => {
                return Err(raise(
                    Kind::InvalidInput,
                    format!("order `{other}`: random or sequential"),
                ))
            }
        };
        Self::from_recipe(Recipe::Contextual {
            panel: Arc::new(panel),
            map,
            order,
        })
    }

    /// A Python `gymnasium.Env` made by `make()` (called once per copy), for the Rust PPO.
    #[staticmethod]
    fn python(make: Py<PyAny>) -> PyResult<Self> {
        Self::from_recipe(Recipe::Python {
            make: Arc::new(make),
            error: Default::default(),
        })
    }

    /// A fresh env built from the same ingredients (not reset).
    fn fresh(&self) -> PyResult<Self> {
        Self::from_recipe(self.recipe.clone())
    }

    /// Starts an episode; with a seed, the env's generator is reseeded.
    #[pyo3(signature = (seed=None))]
    fn reset<'py>(
        &mut self,
        py: Python<'py>,
        seed: Option<u64>,
    ) -> PyResult<(Bound<'py, PyArray1<f32>>, Bound<'py, PyDict>)> {
        let (obs, info) = match &mut self.env {
            AnyEnv::Discrete(e) => e.reset(seed),
            AnyEnv::Box(e) => e.reset(seed),
        }
        .or_raise()?;
        let out = (obs_array(py, &obs), self.keys.dict(py, &info)?);
        self.last_obs = Some(obs);
        Ok(out)
    }

    /// One step: `(obs, reward, terminated, truncated, info)`.
    fn step<'py>(
        &mut self,
        py: Python<'py>,
        action: &Bound<'py, PyAny>,
    ) -> PyResult<StepTuple<'py>> {
        let step = match &mut self.env {
            AnyEnv::Discrete(e) => e.step(&discrete_action(action)?),
            AnyEnv::Box(e) => e.step(&box_action(action)?),
        };
        if let Some(e) = self.recipe.take_reward_error() {
            return Err(e);
        }
        let s = step.or_raise()?;
        let out = (
            obs_array(py, &s.obs),
            s.reward,
            s.terminated,
            s.truncated,
            self.keys.dict(py, &s.info)?,
        );
        self.last_obs = Some(s.obs);
        Ok(out)
    }

    /// The last observation (None before the first reset).
    fn last_obs<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyArray1<f32>>> {
        self.last_obs.as_ref().map(|o| obs_array(py, o))
    }

    /// `(low, high, shape)` of the observation space.
    fn observation_space<'py>(&self, py: Python<'py>) -> Bound<'py, PyTuple> {
        let space = match &self.env {
            AnyEnv::Discrete(e) => e.observation_space(),
            AnyEnv::Box(e) => e.observation_space(),
        };
        space_tuple(py, "box", space)
    }

    /// `("discrete", n)` or `("box", low, high, shape)`.
    fn action_space<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        match &self.env {
            AnyEnv::Discrete(e) => PyTuple::new(
                py,
                [
                    "discrete".into_pyobject(py)?.into_any(),
                    e.action_space().n().into_pyobject(py)?.into_any(),
                ],
            ),
            AnyEnv::Box(e) => Ok(space_tuple(py, "box", e.action_space())),
        }
    }

    /// The episode state as JSON (the data and settings are not included).
    fn snapshot(&self) -> PyResult<String> {
        let state = match &self.env {
            AnyEnv::Discrete(e) => e.snapshot(),
            AnyEnv::Box(e) => e.snapshot(),
        };
        serde_json::to_string(&state).map_err(|e| raise(Kind::InvalidInput, e.to_string()))
    }

    /// Restores a state taken by `snapshot` from an env built from the same ingredients.
    fn restore(&mut self, state: &str) -> PyResult<()> {
        let state: EnvState = from_json(state, "env state")?;
        match &mut self.env {
            AnyEnv::Discrete(e) => e.restore(state),
            AnyEnv::Box(e) => e.restore(state),
        }
        .or_raise()
    }
}

fn space_tuple<'py>(
    py: Python<'py>,
    kind: &str,
    space: &metablend_env::BoxSpace,
) -> Bound<'py, PyTuple> {
    let items: [Bound<'py, PyAny>; 4] = [
        pyo3::types::PyString::new(py, kind).into_any(),
        PyArray1::from_slice(py, space.low()).into_any(),
        PyArray1::from_slice(py, space.high()).into_any(),
        PyTuple::new(py, space.shape())
            .expect("a shape is a tuple")
            .into_any(),
    ];
    PyTuple::new(py, items).expect("four items make a tuple")
}
