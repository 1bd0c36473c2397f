//! `_core.PPO`: the Rust PPO trainer on `n_envs` copies of a metablend env. Training runs
//! with the GIL released; after every update the trainer takes the GIL back briefly to
//! honour Ctrl-C and to call the Python callback.

use metablend_agents::ppo::PpoPolicy;
use metablend_agents::ppo::{
    Callback, Control, JsonlLogger, Ppo, PpoConfig, PpoLearner, UpdateLog,
};
use metablend_env::{BoxSpace, Discrete};
use numpy::{PyArray1, PyArrayMethods, PyReadonlyArray2};
use pyo3::prelude::*;

use crate::envs::PyEnv;
use crate::errors::{raise, Kind, OrRaise};
use crate::kinds::{AnyEnv, BoxEnv, DiscreteEnv};
use crate::recipe::Recipe;

enum Trainer {
    Discrete(Box<Ppo<DiscreteEnv>>),
    Box(Box<Ppo<BoxEnv>>),
}

enum Policy {
    Discrete(PpoPolicy<Discrete>),
    Box(PpoPolicy<BoxSpace>),
}

/// The trainer, its env recipe and a policy snapshot for `predict` (taken when needed).
#[pyclass(module = "metablend._core", name = "PPO", unsendable)]
pub(crate) struct PyPpo {
    trainer: Trainer,
    recipe: Recipe,
    policy: Option<Policy>,
}

/// After each update: Ctrl-C and the Python callback (which gets the update's log as JSON
/// and stops training by returning False). Errors are kept and raised after `learn`.
struct Hooks {
    callback: Option<Py<PyAny>>,
    error: Option<PyErr>,
}

impl Callback for Hooks {
    fn on_update(&mut self, _: &PpoLearner, log: &UpdateLog) -> metablend_agents::Result<Control> {
        Python::attach(|py| {
            if let Err(e) = py.check_signals() {
                self.error = Some(e);
                return Ok(Control::Stop);
            }
            let Some(cb) = &self.callback else {
                return Ok(Control::Continue);
            };
            let line = serde_json::to_string(log).unwrap_or_default();
            match cb.bind(py).call1((line,)) {
                Ok(r) if matches!(r.extract::<bool>(), Ok(false)) => Ok(Control::Stop),
                Ok(_) => Ok(Control::Continue),
                Err(e) => {
                    self.error = Some(e);
                    Ok(Control::Stop)
                }
            }
        })
    }
}

fn config(preset: Option<&str>, overrides: Option<&str>) -> PyResult<PpoConfig> {
    let base = match preset {
        Some(name) => PpoConfig::preset(name).or_raise()?,
        None => PpoConfig::default(),
    };
    let mut value =
        serde_json::to_value(&base).map_err(|e| raise(Kind::InvalidInput, e.to_string()))?;
    if let Some(text) = overrides {
        let extra: serde_json::Map<String, serde_json::Value> =
            crate::convert::from_json(text, "PPO settings")?;
        let target = value.as_object_mut().expect("a config is an object");
        for (k, v) in extra {
            target.insert(k, v);
        }
    }
    let cfg: PpoConfig = serde_json::from_value(value)
        .map_err(|e| raise(Kind::InvalidInput, format!("invalid PPO settings: {e}")))?;
    cfg.validate().or_raise()?;
    Ok(cfg)
}

impl PyPpo {
    fn policy(&mut self) -> PyResult<&mut Policy> {
        if self.policy.is_none() {
            self.policy = Some(match &self.trainer {
                Trainer::Discrete(t) => Policy::Discrete(t.policy().or_raise()?),
                Trainer::Box(t) => Policy::Box(t.policy().or_raise()?),
            });
        }
        Ok(self.policy.as_mut().expect("just set"))
    }
}

#[pymethods]
impl PyPpo {
    /// A trainer on `env`'s kind; `preset` names a config, `settings` (JSON) overrides
    /// fields of it.
    #[new]
    #[pyo3(signature = (env, preset=None, settings=None))]
    fn new(env: &PyEnv, preset: Option<&str>, settings: Option<&str>) -> PyResult<Self> {
        let cfg = config(preset, settings)?;
        let recipe = env.recipe.clone();
        let trainer = match recipe.build().or_raise()? {
            AnyEnv::Discrete(first) => Trainer::Discrete(Box::new(
                Ppo::new(cfg, recipe.discrete_copies(first)).or_raise()?,
            )),
            AnyEnv::Box(first) => Trainer::Box(Box::new(
                Ppo::new(cfg, recipe.box_copies(first)).or_raise()?,
            )),
        };
        Ok(Self {
            trainer,
            recipe,
            policy: None,
        })
    }

    /// Resumes the trainer saved in `path` (by `save`) on `env`'s kind: training goes on
    /// exactly as it would have without the stop.
    #[staticmethod]
    fn load(env: &PyEnv, path: &str) -> PyResult<Self> {
        let recipe = env.recipe.clone();
        let trainer = match recipe.build().or_raise()? {
            AnyEnv::Discrete(first) => Trainer::Discrete(Box::new(
                Ppo::resume(path, recipe.discrete_copies(first)).or_raise()?,
            )),
            AnyEnv::Box(first) => Trainer::Box(Box::new(
                Ppo::resume(path, recipe.box_copies(first)).or_raise()?,
            )),
        };
        Ok(Self {
            trainer,
            recipe,
            policy: None,
        })
    }

    /// Trains until `total_timesteps` env steps in all; returns each update's log (JSON
    /// lines). `log_path` appends them to a JSONL file as well.
    #[pyo3(signature = (total_timesteps, callback=None, log_path=None))]
    fn learn(
        &mut self,
        py: Python<'_>,
        total_timesteps: u64,
        callback: Option<Py<PyAny>>,
        log_path: Option<String>,
    ) -> PyResult<Vec<String>> {
        self.policy = None;
        let mut hooks = Hooks {
            callback,
            error: None,
        };
        let mut logger = log_path.map(JsonlLogger::create).transpose().or_raise()?;
        let trainer = &mut self.trainer;
        let result = py.detach(|| {
            let mut callbacks: Vec<&mut dyn Callback> = vec![&mut hooks];
            if let Some(l) = logger.as_mut() {
                callbacks.push(l);
            }
            match trainer {
                Trainer::Discrete(t) => t.learn(total_timesteps, &mut callbacks),
                Trainer::Box(t) => t.learn(total_timesteps, &mut callbacks),
            }
        });
        if let Some(e) = self.recipe.take_reward_error() {
            return Err(e);
        }
        if let Some(e) = hooks.error {
            return Err(e);
        }
        let logs = result.or_raise()?;
        Ok(logs
            .iter()
            .map(|l| serde_json::to_string(l).unwrap_or_default())
            .collect())
    }

    /// Actions for a batch of observations (`n x obs_dim`): an int64 array for discrete
    /// spaces, `n x d` float32 for box spaces.
    #[pyo3(signature = (obs, deterministic=false))]
    fn predict<'py>(
        &mut self,
        py: Python<'py>,
        obs: PyReadonlyArray2<'py, f64>,
        deterministic: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let rows: Vec<Vec<f64>> = obs
            .as_array()
            .rows()
            .into_iter()
            .map(|r| r.to_vec())
            .collect();
        let policy = self.policy()?;
        match policy {
            Policy::Discrete(p) => {
                check_rows(&rows)?;
                let raw = p.act_raw(&rows, deterministic).or_raise()?;
                let a: Vec<i64> = raw.iter().map(|(r, _)| p.env_action(r) as i64).collect();
                Ok(PyArray1::from_vec(py, a).into_any())
            }
            Policy::Box(p) => {
                check_rows(&rows)?;
                let raw = p.act_raw(&rows, deterministic).or_raise()?;
                let acts: Vec<Vec<f64>> = raw.iter().map(|(r, _)| p.env_action(r)).collect();
                let d = acts.first().map_or(0, Vec::len);
                let flat: Vec<f32> = acts.iter().flatten().map(|&x| x as f32).collect();
                let a = PyArray1::from_vec(py, flat)
                    .reshape([rows.len(), d])
                    .map_err(|e| raise(Kind::InvalidInput, e.to_string()))?;
                Ok(a.into_any())
            }
        }
    }

    /// Saves a resumable checkpoint folder (atomically; weights, optimiser, counters, every
    /// env's state).
    fn save(&self, path: &str) -> PyResult<()> {
        match &self.trainer {
            Trainer::Discrete(t) => t.save_checkpoint(path),
            Trainer::Box(t) => t.save_checkpoint(path),
        }
        .or_raise()
    }

    /// Env steps taken so far.
    #[getter]
    fn num_timesteps(&self) -> u64 {
        match &self.trainer {
            Trainer::Discrete(t) => t.learner().num_timesteps,
            Trainer::Box(t) => t.learner().num_timesteps,
        }
    }

    /// The config in use, as JSON.
    fn config_json(&self) -> String {
        let cfg = match &self.trainer {
            Trainer::Discrete(t) => t.learner().config(),
            Trainer::Box(t) => t.learner().config(),
        };
        serde_json::to_string(cfg).unwrap_or_default()
    }
}

/// A batch must hold at least one observation (their width is checked by the policy).
fn check_rows(rows: &[Vec<f64>]) -> PyResult<()> {
    if rows.is_empty() {
        return Err(raise(Kind::InvalidInput, "predict: no observations"));
    }
    Ok(())
}
