//! CartPole-v1 (Barto, Sutton & Anderson 1983), ported from Gymnasium 1.x
//! `gymnasium/envs/classic_control/cartpole.py` with its default (Euler) integrator.

use super::{f32_round, reseed, EnvRng};
use crate::wrappers::TimeLimit;
use crate::{BoxSpace, Discrete, Env, EpisodeGuard, Info, Result, Snapshot, Space, Step};
use rand::Rng;

const GRAVITY: f64 = 9.8;
const MASS_CART: f64 = 1.0;
const MASS_POLE: f64 = 0.1;
const TOTAL_MASS: f64 = MASS_POLE + MASS_CART;
const LENGTH: f64 = 0.5;
const POLEMASS_LENGTH: f64 = MASS_POLE * LENGTH;
const FORCE_MAG: f64 = 10.0;
const TAU: f64 = 0.02;
const THETA_THRESHOLD: f64 = 12.0 * 2.0 * std::f64::consts::PI / 360.0;
const X_THRESHOLD: f64 = 2.4;

/// CartPole's internal state `[x, x_dot, theta, theta_dot]`, kept in f64 as Gymnasium does.
pub type CartPoleState = [f64; 4];

/// Balance a pole on a cart by pushing left (0) or right (1). Reward 1 per step, including the
/// step that terminates; use [`CartPole::v1`] for the registered 500-step time limit.
#[derive(Debug, Clone)]
pub struct CartPole {
    state: CartPoleState,
    guard: EpisodeGuard,
    rng: Option<EnvRng>,
    obs_space: BoxSpace,
    act_space: Discrete,
}

impl Default for CartPole {
    fn default() -> Self {
        Self::new()
    }
}

impl CartPole {
    /// The bare env, without a time limit.
    pub fn new() -> Self {
        let high = vec![
            X_THRESHOLD * 2.0,
            f32::MAX as f64,
            THETA_THRESHOLD * 2.0,
            f32::MAX as f64,
        ];
        let low = high.iter().map(|h| -h).collect();
        Self {
            state: [0.0; 4],
            guard: EpisodeGuard::NotReset,
            rng: None,
            obs_space: BoxSpace::new(low, high).expect("static bounds are valid"),
            act_space: Discrete::new(2).expect("n = 2 is valid"),
        }
    }

    /// `CartPole-v1` as Gymnasium registers it: truncated after 500 steps.
    pub fn v1() -> TimeLimit<CartPole> {
        TimeLimit::new(Self::new(), 500).expect("500 > 0")
    }

    /// Overwrites the state and starts an episode from it (used to replay recorded
    /// trajectories); returns the observation.
    pub fn set_state(&mut self, state: CartPoleState) -> Vec<f64> {
        self.state = state;
        self.guard = EpisodeGuard::Running;
        self.obs()
    }

    /// The current internal state.
    pub fn state(&self) -> CartPoleState {
        self.state
    }

    #[inline]
    fn obs(&self) -> Vec<f64> {
        self.state.iter().map(|&v| f32_round(v)).collect()
    }

    /// Advances the physics by one step under `action`; returns `terminated`.
    #[inline(always)]
    fn advance(&mut self, action: usize) -> bool {
        let [x, x_dot, theta, theta_dot] = self.state;
        let force = if action == 1 { FORCE_MAG } else { -FORCE_MAG };
        let (sintheta, costheta) = theta.sin_cos();
        // Gymnasium's exact operation order: folding the constant divisions into
        // multiplications changes results by an ulp, which the balancing episodes amplify
        // past float32 precision within 500 steps (the golden replay catches it).
        let temp = (force + POLEMASS_LENGTH * (theta_dot * theta_dot) * sintheta) / TOTAL_MASS;
        let thetaacc = (GRAVITY * sintheta - costheta * temp)
            / (LENGTH * (4.0 / 3.0 - MASS_POLE * (costheta * costheta) / TOTAL_MASS));
        let xacc = temp - POLEMASS_LENGTH * thetaacc * costheta / TOTAL_MASS;
        self.state = [
            x + TAU * x_dot,
            x_dot + TAU * xacc,
            theta + TAU * theta_dot,
            theta_dot + TAU * thetaacc,
        ];
        let [x, _, theta, _] = self.state;
        !(-X_THRESHOLD..=X_THRESHOLD).contains(&x)
            || !(-THETA_THRESHOLD..=THETA_THRESHOLD).contains(&theta)
    }
}

impl Env for CartPole {
    type Obs = Vec<f64>;
    type Act = usize;
    type ObsSpace = BoxSpace;
    type ActSpace = Discrete;

    fn observation_space(&self) -> &BoxSpace {
        &self.obs_space
    }

    fn action_space(&self) -> &Discrete {
        &self.act_space
    }

    fn reset(&mut self, seed: Option<u64>) -> Result<(Vec<f64>, Info)> {
        let rng = reseed(&mut self.rng, seed);
        for v in &mut self.state {
            *v = rng.random_range(-0.05..0.05);
        }
        self.guard = EpisodeGuard::Running;
        Ok((self.obs(), Info::new()))
    }

    #[inline]
    fn step(&mut self, action: &usize) -> Result<Step<Vec<f64>>> {
        self.guard.check_step()?;
        self.act_space.validate(action)?;
        let terminated = self.advance(*action);
        self.guard.record(terminated);
        Ok(Step {
            obs: self.obs(),
            reward: 1.0,
            terminated,
            truncated: false,
            info: Info::new(),
        })
    }

    #[inline]
    fn step_into(&mut self, action: &usize, obs: &mut Vec<f64>) -> Result<Step<()>> {
        self.guard.check_step()?;
        self.act_space.validate(action)?;
        let terminated = self.advance(*action);
        self.guard.record(terminated);
        obs.clear();
        obs.extend(self.state.iter().map(|&v| f32_round(v)));
        Ok(Step {
            obs: (),
            reward: 1.0,
            terminated,
            truncated: false,
            info: Info::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    #[test]
    fn step_before_reset_and_after_end_are_errors() {
        let mut env = CartPole::new();
        assert!(matches!(env.step(&0), Err(Error::NotReset)));
        env.reset(Some(1)).unwrap();
        let mut done = false;
        while !done {
            done = env.step(&1).unwrap().done();
        }
        assert!(matches!(env.step(&1), Err(Error::StepAfterDone)));
        assert!(matches!(env.reset(None).map(|_| ()), Ok(())));
        assert!(env.step(&2).is_err());
    }
}

/// Everything a [`CartPole`] needs to continue exactly: dynamics state, lifecycle and RNG.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct CartPoleSnapshot {
    state: CartPoleState,
    guard: EpisodeGuard,
    rng: Option<EnvRng>,
}

impl Snapshot for CartPole {
    type State = CartPoleSnapshot;

    fn snapshot(&self) -> Self::State {
        CartPoleSnapshot {
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
