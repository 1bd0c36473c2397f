//! Reference environments with Gymnasium's exact dynamics.

mod cartpole;
mod pendulum;

pub use cartpole::{CartPole, CartPoleSnapshot, CartPoleState};
pub use pendulum::{Pendulum, PendulumSnapshot, PendulumState};

use rand::SeedableRng;

/// The envs' RNG: ChaCha12, the algorithm behind `rand::rngs::StdRng`, used by name because
/// its state is serialisable (for [`crate::Snapshot`]) and its stream is stable across
/// releases of `rand`.
pub type EnvRng = rand_chacha::ChaCha12Rng;

/// Reseeds `rng` from `seed`, or from OS entropy the first time when no seed is given
/// (Gymnasium's `reset(seed=None)` behaviour: unseeded envs are random, seeded ones exact).
pub(crate) fn reseed(rng: &mut Option<EnvRng>, seed: Option<u64>) -> &mut EnvRng {
    match seed {
        Some(s) => *rng = Some(EnvRng::seed_from_u64(s)),
        None if rng.is_none() => *rng = Some(EnvRng::from_os_rng()),
        None => {}
    }
    rng.as_mut().expect("rng was just initialised")
}

/// Rounds to `f32` and back: Gymnasium returns float32 observations from float64 state.
#[inline]
pub(crate) fn f32_round(x: f64) -> f64 {
    x as f32 as f64
}
