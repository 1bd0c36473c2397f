//! Replays trajectories recorded from Gymnasium 1.4 (tests/data/gymnasium, see PROVENANCE.md):
//! started from each recorded initial state and fed the recorded actions, the ports must
//! reproduce every observation and reward to float32 precision and every flag exactly,
//! including the step that ends each episode.

use crate::util::{close, read_json};
use metablend_env::envs::{CartPole, Pendulum};
use metablend_env::{Env, Error};
use serde_json::Value;

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn assert_obs(got: &[f64], want: &[f64], ctx: &str) {
    assert_eq!(got.len(), want.len(), "{ctx}");
    for (g, w) in got.iter().zip(want) {
        assert!(
            close(*g, *w, 1e-5),
            "{ctx}: obs {got:?} vs Gymnasium {want:?}"
        );
    }
}

/// Replays every episode of `file` on an env built by `make`; `set_state` installs the
/// recorded initial state, `action` decodes a recorded action.
fn replay<E, S, A>(file: &str, make: impl Fn() -> E, set_state: S, action: A) -> usize
where
    E: Env<Obs = Vec<f64>>,
    S: Fn(&mut E, &[f64]) -> Vec<f64>,
    A: Fn(&Value) -> E::Act,
{
    let fixture = read_json(file);
    let max_steps = fixture["max_episode_steps"].as_u64().unwrap() as usize;
    let mut checked = 0;
    for (e, ep) in fixture["episodes"].as_array().unwrap().iter().enumerate() {
        let mut env = make();
        // reset() starts the time limit's episode; the recorded state then replaces the
        // randomly drawn one.
        env.reset(Some(0)).unwrap();
        let obs0 = set_state(&mut env, &floats(&ep["initial_state"]));
        assert_obs(
            &obs0,
            &floats(&ep["initial_obs"]),
            &format!("episode {e} initial obs"),
        );
        let actions = ep["actions"].as_array().unwrap();
        assert!(actions.len() <= max_steps);
        for (t, a) in actions.iter().enumerate() {
            let step = env.step(&action(a)).unwrap();
            let ctx = format!("{file} episode {e} step {t}");
            assert_obs(&step.obs, &floats(&ep["obs"][t]), &ctx);
            let reward = ep["rewards"][t].as_f64().unwrap();
            assert!(
                close(step.reward, reward, 1e-5),
                "{ctx}: reward {} vs {reward}",
                step.reward
            );
            assert_eq!(
                step.terminated,
                ep["terminated"][t].as_bool().unwrap(),
                "{ctx}: terminated"
            );
            assert_eq!(
                step.truncated,
                ep["truncated"][t].as_bool().unwrap(),
                "{ctx}: truncated"
            );
            let last = t + 1 == actions.len();
            assert_eq!(
                step.done(),
                last,
                "{ctx}: the episode must end exactly on its last step"
            );
            checked += 1;
        }
        let probe = action(&actions[0]);
        assert!(matches!(env.step(&probe), Err(Error::StepAfterDone)));
    }
    checked
}

#[test]
fn cartpole_v1_reproduces_gymnasium_step_for_step() {
    let steps = replay(
        "gymnasium/cartpole_v1.json",
        CartPole::v1,
        |env, s| env.inner_mut().set_state([s[0], s[1], s[2], s[3]]),
        |a| a.as_u64().unwrap() as usize,
    );
    assert!(steps > 1000, "only {steps} steps replayed");
}

#[test]
fn pendulum_v1_reproduces_gymnasium_step_for_step() {
    let steps = replay(
        "gymnasium/pendulum_v1.json",
        Pendulum::v1,
        |env, s| env.inner_mut().set_state([s[0], s[1]]),
        floats,
    );
    assert_eq!(steps, 6 * 200);
}
