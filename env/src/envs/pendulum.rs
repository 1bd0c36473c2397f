//! Pendulum-v1, ported from Gymnasium 1.x `gymnasium/envs/classic_control/pendulum.py`
//! (g = 10). The state and the torque are float64 (as in Gymnasium when fed float64 actions);
//! only observations are rounded to float32.

use super::{f32_round, reseed, EnvRng};
use crate::wrappers::TimeLimit;
use crate::{BoxSpace, Env, EpisodeGuard, Info, Result, Snapshot, Space, Step};
use rand::Rng;
use std::f64::consts::PI;

const MAX_SPEED: f64 = 8.0;
const MAX_TORQUE: f64 = 2.0;
const DT: f64 = 0.05;
const G: f64 = 10.0;
const M: f64 = 1.0;
const L: f64 = 1.0;

/// Pendulum's internal state `[theta, theta_dot]`.
pub type PendulumState = [f64; 2];

/// Swing a pendulum up and keep it upright with a torque in `[-2, 2]` (clipped, not
/// rejected, as in Gymnasium). Never terminates; use [`Pendulum::v1`] for the 200-step limit.
#[derive(Debug, Clone)]
pub struct Pendulum {
    state: PendulumState,
    guard: EpisodeGuard,
    rng: Option<EnvRng>,
    obs_space: BoxSpace,
    act_space: BoxSpace,
}

impl Default for Pendulum {
    fn default() -> Self {
        Self::new()
    }
}

/// Wraps an angle into `[-pi, pi)` exactly as Gymnasium's `angle_normalize` (Python `%`).
fn angle_normalize(x: f64) -> f64 {
    (x + PI).rem_euclid(2.0 * PI) - PI
}

impl Pendulum {
    /// The bare env, without a time limit.
    pub fn new() -> Self {
        Self {
            state: [0.0; 2],
            guard: EpisodeGuard::NotReset,
            rng: None,
            obs_space: BoxSpace::new(vec![-1.0, -1.0, -MAX_SPEED], vec![1.0, 1.0, MAX_SPEED])
                .expect("static bounds are valid"),
            act_space: BoxSpace::uniform(-MAX_TORQUE, MAX_TORQUE, 1).expect("valid bounds"),
        }
    }

    /// `Pendulum-v1` as Gymnasium registers it: truncated after 200 steps.
    pub fn v1() -> TimeLimit<Pendulum> {
        TimeLimit::new(Self::new(), 200).expect("200 > 0")
    }

    /// Overwrites the state and starts an episode from it; returns the observation.
    pub fn set_state(&mut self, state: PendulumState) -> Vec<f64> {
        self.state = state;
        self.guard = EpisodeGuard::Running;
        self.obs()
    }

    /// The current internal state.
    pub fn state(&self) -> PendulumState {
        self.state
    }

    fn obs(&self) -> Vec<f64> {
        let [th, thdot] = self.state;
        vec![f32_round(th.cos()), f32_round(th.sin()), f32_round(thdot)]
    }
}

impl Env for Pendulum {
    type Obs = Vec<f64>;
    type Act = Vec<f64>;
    type ObsSpace = BoxSpace;
    type ActSpace = BoxSpace;

    fn observation_space(&self) -> &BoxSpace {
        &self.obs_space
    }

    fn action_space(&self) -> &BoxSpace {
        &self.act_space
    }

    fn reset(&mut self, seed: Option<u64>) -> Result<(Vec<f64>, Info)> {
        let rng = reseed(&mut self.rng, seed);
        self.state = [rng.random_range(-PI..PI), rng.random_range(-1.0..1.0)];
        self.guard = EpisodeGuard::Running;
        Ok((self.obs(), Info::new()))
    }

    fn step(&mut self, action: &Vec<f64>) -> Result<Step<Vec<f64>>> {
        self.guard.check_step()?;
        self.act_space.validate(action)?;
        let [th, thdot] = self.state;
        let u = action[0].clamp(-MAX_TORQUE, MAX_TORQUE);
        let costs = angle_normalize(th).powi(2) + 0.1 * (thdot * thdot) + 0.001 * (u * u);
        let newthdot = (thdot + (3.0 * G / (2.0 * L) * th.sin() + 3.0 / (M * L * L) * u) * DT)
            .clamp(-MAX_SPEED, MAX_SPEED);
        self.state = [th + newthdot * DT, newthdot];
        self.guard.record(false);
        Ok(Step {
            obs: self.obs(),
            reward: -costs,
            terminated: false,
            truncated: false,
            info: Info::new(),
        })
    }
}

/// Everything a [`Pendulum`] needs to continue exactly: dynamics state, lifecycle and RNG.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PendulumSnapshot {
    state: PendulumState,
    guard: EpisodeGuard,
    rng: Option<EnvRng>,
}

impl Snapshot for Pendulum {
    type State = PendulumSnapshot;

    fn snapshot(&self) -> Self::State {
        PendulumSnapshot {
            state: self.state,
            guard: self.guard,
            rng: self.rng.clone(),
        }
    }

    fn restore(&mut self, s: Self::State) -> Result<()> {
        self.state = s.state;
        self.guard = s.guard;
        self.rng = s.rng;
        Ok(())
    }
}
