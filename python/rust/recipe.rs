//! What an env is made of, kept so that copies can be built: the vector env and PPO build
//! `n` copies in Rust, and pickling rebuilds an env from it.

use std::sync::{Arc, Mutex};

use metablend_env::contextual::{ContextOrder, ContextPanel, ContextualEnv};
use metablend_env::ensemble::{ActionMapKind, Residual, Select, Simplex, Softmax};
use metablend_env::envs::{CartPole, Pendulum};
use metablend_env::{
    BoxSpace, Discrete, EnsembleEnv, EnsembleEnvConfig, PredictionsPanel, RewardContext, RewardFn,
    RewardSpec,
};
use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::kinds::{AnyEnv, BoxEnv, DiscreteEnv};
use crate::pyenv::{ErrorSlot, PythonEnv};

/// The ingredients of an env.
#[derive(Clone)]
pub(crate) enum Recipe {
    /// CartPole-v1.
    CartPole,
    /// Pendulum-v1.
    Pendulum,
    /// The ensemble-weighting env on a panel of predictions.
    Ensemble {
        /// The series: targets and the models' predictions.
        data: Arc<PredictionsPanel>,
        /// Every setting of the env.
        config: EnsembleEnvConfig,
        /// How an action becomes weights.
        map: ActionMapKind,
        /// The reward.
        reward: Reward,
    },
    /// The contextual env: one step per series, weights from its features and errors.
    Contextual {
        /// The tasks (one per series).
        panel: Arc<ContextPanel>,
        /// How an action becomes weights.
        map: ActionMapKind,
        /// Random tasks (training) or each in turn (evaluation).
        order: ContextOrder,
    },
    /// A Python `gymnasium.Env`, made by calling `make` (once per copy).
    Python {
        /// A callable returning a new env.
        make: Arc<Py<PyAny>>,
        /// An exception the Python env raised.
        error: ErrorSlot,
    },
}

/// A built-in reward or a Python callable.
#[derive(Clone)]
pub(crate) enum Reward {
    /// A built-in, by name or with its parameters.
    Spec(RewardSpec),
    /// `reward(ctx: dict) -> float`.
    Python(Arc<PyReward>),
}

/// A Python callable as the env's reward. A reward cannot fail in Rust, so an exception the
/// callable raises is kept here, the step's reward is NaN, and the binding that stepped the
/// env raises the exception (see [`Recipe::take_reward_error`]).
pub(crate) struct PyReward {
    callable: Py<PyAny>,
    error: Mutex<Option<PyErr>>,
}

impl PyReward {
    pub(crate) fn new(callable: Py<PyAny>) -> Self {
        Self {
            callable,
            error: Mutex::new(None),
        }
    }

    fn call(&self, py: Python<'_>, ctx: &RewardContext<'_>) -> PyResult<f64> {
        let d = PyDict::new(py);
        d.set_item("t", ctx.t)?;
        d.set_item("target", ctx.target)?;
        d.set_item("prev_target", ctx.prev_target)?;
        d.set_item("history", PyArray1::from_slice(py, ctx.history))?;
        d.set_item("preds", PyArray1::from_slice(py, ctx.preds))?;
        d.set_item("weights", PyArray1::from_slice(py, ctx.weights))?;
        d.set_item("prev_weights", PyArray1::from_slice(py, ctx.prev_weights))?;
        d.set_item("forecast", ctx.forecast)?;
        d.set_item("prev_forecast", ctx.prev_forecast)?;
        d.set_item("scale", ctx.scale)?;
        self.callable.bind(py).call1((d,))?.extract::<f64>()
    }
}

impl RewardFn for PyReward {
    fn reward(&self, ctx: &RewardContext<'_>) -> f64 {
        Python::attach(|py| match self.call(py, ctx) {
            Ok(r) => r,
            Err(e) => {
                let mut slot = self.error.lock().unwrap_or_else(|p| p.into_inner());
                slot.get_or_insert(e);
                f64::NAN
            }
        })
    }
}

/// Shares one Python reward between env copies.
struct Shared(Arc<PyReward>);

impl RewardFn for Shared {
    fn reward(&self, ctx: &RewardContext<'_>) -> f64 {
        self.0.reward(ctx)
    }
}

impl Recipe {
    /// Builds one env.
    pub(crate) fn build(&self) -> metablend_env::Result<AnyEnv> {
        Ok(match self {
            Recipe::CartPole => AnyEnv::Discrete(DiscreteEnv::CartPole(Box::new(CartPole::v1()))),
            Recipe::Pendulum => AnyEnv::Box(BoxEnv::Pendulum(Box::new(Pendulum::v1()))),
            Recipe::Ensemble {
                data,
                config,
                map,
                reward,
            } => {
                let reward: Box<dyn RewardFn> = match reward {
                    Reward::Spec(spec) => spec.build()?,
                    Reward::Python(r) => Box::new(Shared(r.clone())),
                };
                let (d, c) = (data.clone(), config.clone());
                match map {
                    ActionMapKind::Select => AnyEnv::Discrete(DiscreteEnv::Select(Box::new(
                        EnsembleEnv::new(d, c, Select)?.with_boxed_reward(reward),
                    ))),
                    ActionMapKind::Softmax => AnyEnv::Box(BoxEnv::Softmax(Box::new(
                        EnsembleEnv::new(d, c, Softmax)?.with_boxed_reward(reward),
                    ))),
                    ActionMapKind::Residual => AnyEnv::Box(BoxEnv::Residual(Box::new(
                        EnsembleEnv::new(d, c, Residual)?.with_boxed_reward(reward),
                    ))),
                    ActionMapKind::Simplex => AnyEnv::Box(BoxEnv::Simplex(Box::new(
                        EnsembleEnv::new(d, c, Simplex)?.with_boxed_reward(reward),
                    ))),
                }
            }
            Recipe::Python { make, error } => python_env(make, error)?,
            Recipe::Contextual { panel, map, order } => {
                let (p, o) = (panel.clone(), *order);
                match map {
                    ActionMapKind::Select => AnyEnv::Discrete(DiscreteEnv::ContextSelect(
                        Box::new(ContextualEnv::new(p, Select, o)?),
                    )),
                    ActionMapKind::Softmax => AnyEnv::Box(BoxEnv::ContextSoftmax(Box::new(
                        ContextualEnv::new(p, Softmax, o)?,
                    ))),
                    ActionMapKind::Residual => AnyEnv::Box(BoxEnv::ContextResidual(Box::new(
                        ContextualEnv::new(p, Residual, o)?,
                    ))),
                    ActionMapKind::Simplex => AnyEnv::Box(BoxEnv::ContextSimplex(Box::new(
                        ContextualEnv::new(p, Simplex, o)?,
                    ))),
                }
            }
        })
    }

    /// Makes the copies of a discrete-action env for a vector env or a trainer: `first`
    /// (already built: it told the kind), then fresh ones.
    pub(crate) fn discrete_copies(
        &self,
        first: DiscreteEnv,
    ) -> impl FnMut(usize) -> metablend_env::Result<DiscreteEnv> + '_ {
        let mut first = Some(first);
        move |_| match first.take() {
            Some(env) => Ok(env),
            None => match self.build()? {
                AnyEnv::Discrete(env) => Ok(env),
                AnyEnv::Box(_) => Err(wrong_kind("Box")),
            },
        }
    }

    /// Makes the copies of a box-action env: `first`, then fresh ones.
    pub(crate) fn box_copies(
        &self,
        first: BoxEnv,
    ) -> impl FnMut(usize) -> metablend_env::Result<BoxEnv> + '_ {
        let mut first = Some(first);
        move |_| match first.take() {
            Some(env) => Ok(env),
            None => match self.build()? {
                AnyEnv::Box(env) => Ok(env),
                AnyEnv::Discrete(_) => Err(wrong_kind("Discrete")),
            },
        }
    }

    /// The exception a Python reward or Python env raised since the last call, if any.
    pub(crate) fn take_reward_error(&self) -> Option<PyErr> {
        match self {
            Recipe::Ensemble {
                reward: Reward::Python(r),
                ..
            } => r.error.lock().unwrap_or_else(|p| p.into_inner()).take(),
            Recipe::Python { error, .. } => error.lock().unwrap_or_else(|p| p.into_inner()).take(),
            _ => None,
        }
    }
}

fn wrong_kind(kind: &str) -> metablend_env::Error {
    metablend_env::Error::InvalidConfig(format!("the env has a {kind} action space"))
}

/// Makes a Python env and reads its spaces: a flat `Box` observation space and a
/// `Discrete` or `Box` action space.
fn python_env(make: &Py<PyAny>, error: &ErrorSlot) -> metablend_env::Result<AnyEnv> {
    let fail = |m: String| metablend_env::Error::InvalidConfig(m);
    Python::attach(|py| {
        let env = make
            .bind(py)
            .call0()
            .map_err(|e| fail(format!("making the Python env: {e}")))?;
        let spaces = py
            .import("gymnasium.spaces")
            .map_err(|e| fail(format!("gymnasium: {e}")))?;
        let is = |value: &Bound<'_, PyAny>, class: &str| {
            spaces
                .getattr(class)
                .and_then(|c| value.is_instance(&c))
                .unwrap_or(false)
        };
        let bounds = |space: &Bound<'_, PyAny>| -> metablend_env::Result<BoxSpace> {
            let read = |name: &str| -> PyResult<Vec<f64>> {
                py.import("numpy")?
                    .call_method1("ravel", (space.getattr(name)?,))?
                    .call_method1("astype", ("float64",))?
                    .extract()
            };
            let (low, high) = read("low")
                .and_then(|l| Ok((l, read("high")?)))
                .map_err(|e| fail(format!("reading a Box space: {e}")))?;
            BoxSpace::new(low, high)
        };
        let obs = env
            .getattr("observation_space")
            .map_err(|e| fail(e.to_string()))?;
        let act = env
            .getattr("action_space")
            .map_err(|e| fail(e.to_string()))?;
        if !is(&obs, "Box") {
            return Err(fail(format!(
                "PPO needs a Box observation space; the Python env has {obs}"
            )));
        }
        let obs_space = bounds(&obs)?;
        let env = env.unbind();
        if is(&act, "Discrete") {
            let n: usize = act
                .getattr("n")
                .and_then(|n| n.extract())
                .map_err(|e| fail(e.to_string()))?;
            let space = Discrete::new(n)?;
            Ok(AnyEnv::Discrete(DiscreteEnv::Python(Box::new(
                PythonEnv::new(env, obs_space, space, error.clone()),
            ))))
        } else if is(&act, "Box") {
            let space = bounds(&act)?;
            Ok(AnyEnv::Box(BoxEnv::Python(Box::new(PythonEnv::new(
                env,
                obs_space,
                space,
                error.clone(),
            )))))
        } else {
            Err(fail(format!(
                "PPO needs a Discrete or Box action space; the Python env has {act}"
            )))
        }
    })
}
