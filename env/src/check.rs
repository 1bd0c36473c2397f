//! `check_env`: the API contract every env must keep (Gymnasium's / SB3's env checker).

use crate::{Env, Error, Result, Space};
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::fmt::Debug;

/// Checks that `env` keeps the contract of [`Env`], running up to `max_steps` random steps:
///
/// 1. `reset` and every `step` return observations inside the observation space, and rewards
///    are finite;
/// 2. the same seed and the same actions give the same trajectory (observations, rewards,
///    flags), step for step;
/// 3. malformed actions (wrong shape, NaN, out-of-range index) are errors, and the env keeps
///    working after rejecting them;
/// 4. once an episode ends, `step` is an error until `reset`.
///
/// Returns [`Error::CheckFailed`] naming the first broken rule.
pub fn check_env<E>(env: &mut E, seed: u64, max_steps: usize) -> Result<()>
where
    E: Env,
    E::Obs: PartialEq + Debug,
{
    let fail = |msg: String| Err(Error::CheckFailed(msg));
    let mut rng = StdRng::seed_from_u64(seed);

    let (obs0, _) = env.reset(Some(seed))?;
    if !env.observation_space().contains(&obs0) {
        return fail(format!(
            "reset() returned {obs0:?}, outside the observation space"
        ));
    }
    let mut actions = Vec::new();
    let mut trajectory = Vec::new();
    let mut ended = false;
    for t in 0..max_steps.max(1) {
        let action = env.action_space().sample(&mut rng);
        if !env.action_space().contains(&action) {
            return fail(format!(
                "action space sample at step {t} is not in the space"
            ));
        }
        let step = env.step(&action)?;
        actions.push(action);
        if !env.observation_space().contains(&step.obs) {
            return fail(format!(
                "step {t} returned {:?}, outside the observation space",
                step.obs
            ));
        }
        if !step.reward.is_finite() {
            return fail(format!(
                "step {t} returned a non-finite reward {}",
                step.reward
            ));
        }
        let done = step.done();
        trajectory.push((
            step.obs,
            step.reward.to_bits(),
            step.terminated,
            step.truncated,
        ));
        if done {
            ended = true;
            break;
        }
    }
    if ended {
        let probe = env.action_space().sample(&mut rng);
        match env.step(&probe) {
            Err(Error::StepAfterDone) => {}
            Err(e) => return fail(format!("step() after the end gave the wrong error: {e}")),
            Ok(_) => return fail("step() after the episode ended did not fail".into()),
        }
    }

    let (again0, _) = env.reset(Some(seed))?;
    if again0 != obs0 {
        return fail(format!(
            "reset(Some({seed})) is not deterministic: {obs0:?} then {again0:?}"
        ));
    }
    for (t, (action, expected)) in actions.iter().zip(&trajectory).enumerate() {
        let step = env.step(action)?;
        let got = (
            step.obs,
            step.reward.to_bits(),
            step.terminated,
            step.truncated,
        );
        if &got != expected {
            return fail(format!(
                "same seed and actions diverged at step {t}: {expected:?} then {got:?}"
            ));
        }
    }

    env.reset(Some(seed))?;
    for bad in env.action_space().malformed_samples() {
        if env.step(&bad).is_ok() {
            return fail(
                "a malformed action (wrong shape, NaN or out of range) was accepted".into(),
            );
        }
    }
    if let Some(action) = actions.first() {
        env.step(action).map_err(|e| {
            Error::CheckFailed(format!(
                "env unusable after rejecting a malformed action: {e}"
            ))
        })?;
    }
    Ok(())
}
