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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envs::{CartPole, Pendulum};
    use crate::wrappers::*;
    use crate::{BoxSpace, Info, Step};

    #[test]
    fn classic_envs_pass_wrapped_and_unwrapped() {
        check_env(&mut CartPole::new(), 0, 600).unwrap();
        check_env(&mut CartPole::v1(), 1, 600).unwrap();
        check_env(&mut Pendulum::new(), 2, 50).unwrap();
        check_env(&mut Pendulum::v1(), 3, 300).unwrap();
        check_env(&mut RecordEpisodeStatistics::new(CartPole::v1()), 4, 600).unwrap();
        check_env(
            &mut TransformReward::new(CartPole::v1(), |r| 2.0 * r),
            5,
            600,
        )
        .unwrap();
        let mut norm = NormalizeObservation::new(Pendulum::v1(), 5.0).unwrap();
        norm.set_training(false);
        check_env(&mut norm, 6, 300).unwrap();
        let mut nr = NormalizeReward::new(CartPole::v1(), 0.99, 10.0).unwrap();
        nr.set_training(false);
        check_env(&mut nr, 7, 600).unwrap();
        check_env(&mut ClipAction::new(Pendulum::v1()), 8, 300).unwrap();
        check_env(
            &mut RescaleAction::new(Pendulum::v1(), -1.0, 1.0).unwrap(),
            9,
            300,
        )
        .unwrap();
    }

    /// An env that breaks the contract: it accepts NaN actions.
    struct Sloppy(Pendulum);
    impl Env for Sloppy {
        type Obs = Vec<f64>;
        type Act = Vec<f64>;
        type ObsSpace = BoxSpace;
        type ActSpace = BoxSpace;
        fn observation_space(&self) -> &BoxSpace {
            self.0.observation_space()
        }
        fn action_space(&self) -> &BoxSpace {
            self.0.action_space()
        }
        fn reset(&mut self, seed: Option<u64>) -> Result<(Vec<f64>, Info)> {
            self.0.reset(seed)
        }
        fn step(&mut self, a: &Vec<f64>) -> Result<Step<Vec<f64>>> {
            let a = if a.len() == 1 && a[0].is_nan() {
                vec![0.0]
            } else {
                a.clone()
            };
            self.0.step(&a)
        }
    }

    #[test]
    fn a_contract_breach_is_reported() {
        let err = check_env(&mut Sloppy(Pendulum::new()), 0, 10).unwrap_err();
        assert!(err.to_string().contains("malformed action"), "{err}");
    }
}
