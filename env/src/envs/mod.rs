//! Reference environments with Gymnasium's exact dynamics.

mod cartpole;
mod pendulum;

pub use cartpole::{CartPole, CartPoleState};
pub use pendulum::{Pendulum, PendulumState};

use rand::rngs::StdRng;
use rand::SeedableRng;

/// Reseeds `rng` from `seed`, or from OS entropy the first time when no seed is given
/// (Gymnasium's `reset(seed=None)` behaviour: unseeded envs are random, seeded ones exact).
pub(crate) fn reseed(rng: &mut Option<StdRng>, seed: Option<u64>) -> &mut StdRng {
    match seed {
        Some(s) => *rng = Some(StdRng::seed_from_u64(s)),
        None if rng.is_none() => *rng = Some(StdRng::from_os_rng()),
        None => {}
    }
    rng.as_mut().expect("rng was just initialised")
}

/// Rounds to `f32` and back: Gymnasium returns float32 observations from float64 state.
pub(crate) fn f32_round(x: f64) -> f64 {
    x as f32 as f64
}
