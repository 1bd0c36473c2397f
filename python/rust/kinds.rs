//! The env types the bindings run, as two enums: one per action-space kind, since PPO and
//! the vector env are generic over the action type. Each arm delegates to a crate env.

use crate::pyenv::PythonEnv;
use metablend_env::contextual::{ContextualEnv, ContextualEnvSnapshot};
use metablend_env::ensemble::{EnsembleEnvSnapshot, Residual, Select, Simplex, Softmax};
use metablend_env::envs::{CartPole, Pendulum};
use metablend_env::wrappers::TimeLimit;
use metablend_env::{BoxSpace, Discrete, EnsembleEnv, Env, Info, Result, Snapshot, Step};
use serde::{Deserialize, Serialize};

/// Envs with a `Discrete` action space.
pub(crate) enum DiscreteEnv {
    /// CartPole-v1 (500-step limit).
    CartPole(Box<TimeLimit<CartPole>>),
    /// The ensemble env with the `Select` map (pick one model).
    Select(Box<EnsembleEnv<Select>>),
    /// The contextual env with the `Select` map.
    ContextSelect(Box<ContextualEnv<Select>>),
    /// A Python `gymnasium.Env` with a `Discrete` action space.
    Python(Box<PythonEnv<Discrete>>),
}

/// Envs with a `Box` action space.
pub(crate) enum BoxEnv {
    /// Pendulum-v1 (200-step limit).
    Pendulum(Box<TimeLimit<Pendulum>>),
    /// The ensemble env with the `Softmax` map.
    Softmax(Box<EnsembleEnv<Softmax>>),
    /// The ensemble env with the `Residual` map.
    Residual(Box<EnsembleEnv<Residual>>),
    /// The ensemble env with the `Simplex` map.
    Simplex(Box<EnsembleEnv<Simplex>>),
    /// The contextual env with the `Softmax` map.
    ContextSoftmax(Box<ContextualEnv<Softmax>>),
    /// The contextual env with the `Residual` map.
    ContextResidual(Box<ContextualEnv<Residual>>),
    /// The contextual env with the `Simplex` map.
    ContextSimplex(Box<ContextualEnv<Simplex>>),
    /// A Python `gymnasium.Env` with a `Box` action space.
    Python(Box<PythonEnv<BoxSpace>>),
}

/// Runs `$body` with `$e` bound to whichever env the enum holds.
macro_rules! each {
    ($value:expr, $e:ident => $body:expr, $($arm:path),+) => {
        match $value {
            $($arm($e) => $body,)+
        }
    };
}

macro_rules! discrete {
    ($value:expr, $e:ident => $body:expr) => {
        each!($value, $e => $body, DiscreteEnv::CartPole, DiscreteEnv::Select, DiscreteEnv::ContextSelect,
            DiscreteEnv::Python)
    };
}

macro_rules! boxed {
    ($value:expr, $e:ident => $body:expr) => {
        each!(
            $value, $e => $body,
            BoxEnv::Pendulum, BoxEnv::Softmax, BoxEnv::Residual, BoxEnv::Simplex,
            BoxEnv::ContextSoftmax, BoxEnv::ContextResidual, BoxEnv::ContextSimplex,
            BoxEnv::Python
        )
    };
}

impl Env for DiscreteEnv {
    type Obs = Vec<f64>;
    type Act = usize;
    type ObsSpace = BoxSpace;
    type ActSpace = Discrete;

    fn observation_space(&self) -> &BoxSpace {
        discrete!(self, e => e.observation_space())
    }
    fn action_space(&self) -> &Discrete {
        discrete!(self, e => e.action_space())
    }
    fn reset(&mut self, seed: Option<u64>) -> Result<(Vec<f64>, Info)> {
        discrete!(self, e => e.reset(seed))
    }
    fn step(&mut self, action: &usize) -> Result<Step<Vec<f64>>> {
        discrete!(self, e => e.step(action))
    }
    fn step_into(&mut self, action: &usize, obs: &mut Vec<f64>) -> Result<Step<()>> {
        discrete!(self, e => e.step_into(action, obs))
    }
}

impl Env for BoxEnv {
    type Obs = Vec<f64>;
    type Act = Vec<f64>;
    type ObsSpace = BoxSpace;
    type ActSpace = BoxSpace;

    fn observation_space(&self) -> &BoxSpace {
        boxed!(self, e => e.observation_space())
    }
    fn action_space(&self) -> &BoxSpace {
        boxed!(self, e => e.action_space())
    }
    fn reset(&mut self, seed: Option<u64>) -> Result<(Vec<f64>, Info)> {
        boxed!(self, e => e.reset(seed))
    }
    fn step(&mut self, action: &Vec<f64>) -> Result<Step<Vec<f64>>> {
        boxed!(self, e => e.step(action))
    }
    fn step_into(&mut self, action: &Vec<f64>, obs: &mut Vec<f64>) -> Result<Step<()>> {
        boxed!(self, e => e.step_into(action, obs))
    }
}

/// The episode state of any of the envs, for checkpoints and pickling.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "env", content = "state", rename_all = "snake_case")]
pub(crate) enum EnvState {
    /// CartPole-v1's.
    CartPole(<TimeLimit<CartPole> as Snapshot>::State),
    /// Pendulum-v1's.
    Pendulum(<TimeLimit<Pendulum> as Snapshot>::State),
    /// The ensemble env's (any map).
    Ensemble(EnsembleEnvSnapshot),
    /// The contextual env's (any map).
    Contextual(ContextualEnvSnapshot),
    /// A Python env: its state lives in Python and is not saved.
    Python,
}

fn mismatch(state: &EnvState) -> metablend_env::Error {
    let kind = match state {
        EnvState::CartPole(_) => "CartPole",
        EnvState::Pendulum(_) => "Pendulum",
        EnvState::Ensemble(_) => "ensemble",
        EnvState::Contextual(_) => "contextual",
        EnvState::Python => {
            return metablend_env::Error::InvalidConfig(
                "a Python env's state is not in the checkpoint: its trainer cannot be \
                 resumed (the policy can: save and load the model for prediction)"
                    .into(),
            )
        }
    };
    metablend_env::Error::InvalidConfig(format!("a {kind} env's state does not fit this env"))
}

impl Snapshot for DiscreteEnv {
    type State = EnvState;

    fn snapshot(&self) -> EnvState {
        match self {
            DiscreteEnv::CartPole(e) => EnvState::CartPole(e.snapshot()),
            DiscreteEnv::Select(e) => EnvState::Ensemble(e.snapshot()),
            DiscreteEnv::ContextSelect(e) => EnvState::Contextual(e.snapshot()),
            DiscreteEnv::Python(_) => EnvState::Python,
        }
    }
    fn restore(&mut self, state: EnvState) -> Result<()> {
        match (self, state) {
            (DiscreteEnv::CartPole(e), EnvState::CartPole(s)) => e.restore(s),
            (DiscreteEnv::Select(e), EnvState::Ensemble(s)) => e.restore(s),
            (DiscreteEnv::ContextSelect(e), EnvState::Contextual(s)) => e.restore(s),
            (_, s) => Err(mismatch(&s)),
        }
    }
}

impl Snapshot for BoxEnv {
    type State = EnvState;

    fn snapshot(&self) -> EnvState {
        match self {
            BoxEnv::Pendulum(e) => EnvState::Pendulum(e.snapshot()),
            BoxEnv::Softmax(e) => EnvState::Ensemble(e.snapshot()),
            BoxEnv::Residual(e) => EnvState::Ensemble(e.snapshot()),
            BoxEnv::Simplex(e) => EnvState::Ensemble(e.snapshot()),
            BoxEnv::ContextSoftmax(e) => EnvState::Contextual(e.snapshot()),
            BoxEnv::ContextResidual(e) => EnvState::Contextual(e.snapshot()),
            BoxEnv::ContextSimplex(e) => EnvState::Contextual(e.snapshot()),
            BoxEnv::Python(_) => EnvState::Python,
        }
    }
    fn restore(&mut self, state: EnvState) -> Result<()> {
        match (self, state) {
            (BoxEnv::Pendulum(e), EnvState::Pendulum(s)) => e.restore(s),
            (BoxEnv::Softmax(e), EnvState::Ensemble(s)) => e.restore(s),
            (BoxEnv::Residual(e), EnvState::Ensemble(s)) => e.restore(s),
            (BoxEnv::Simplex(e), EnvState::Ensemble(s)) => e.restore(s),
            (BoxEnv::ContextSoftmax(e), EnvState::Contextual(s)) => e.restore(s),
            (BoxEnv::ContextResidual(e), EnvState::Contextual(s)) => e.restore(s),
            (BoxEnv::ContextSimplex(e), EnvState::Contextual(s)) => e.restore(s),
            (_, s) => Err(mismatch(&s)),
        }
    }
}

/// Either kind.
pub(crate) enum AnyEnv {
    /// A discrete-action env.
    Discrete(DiscreteEnv),
    /// A box-action env.
    Box(BoxEnv),
}
