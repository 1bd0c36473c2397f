//! Logging a behaviour policy on an env.

use super::log::{LoggedStep, Trajectory};
use super::policy::LogProbPolicy;
use crate::{Error, Result};
use metablend_env::Env;

/// Runs `policy` for `episodes` episodes (episode i reset with seed `seed + i`) and logs
/// every step with the behaviour log-probability of its action.
pub fn collect<E, P>(
    env: &mut E,
    policy: &mut P,
    episodes: usize,
    seed: u64,
) -> Result<Vec<Trajectory>>
where
    E: Env<Obs = Vec<f64>>,
    P: LogProbPolicy<E>,
{
    if episodes == 0 {
        return Err(Error::InvalidInput(
            "collect: episodes must be at least 1".into(),
        ));
    }
    // Each episode's record holds at least a step's worth of numbers.
    metablend_core::limits::check_fits("collect: episodes", episodes as u128, 256)?;
    let mut out = Vec::with_capacity(episodes);
    for i in 0..episodes {
        let (mut obs, _) = env.reset(Some(seed.wrapping_add(i as u64)))?;
        let mut steps = Vec::new();
        loop {
            let (logged, action, logp) = policy.sample(&obs)?;
            let step = env.step(&action)?;
            steps.push(LoggedStep {
                episode: i as u64,
                t: steps.len(),
                obs: std::mem::replace(&mut obs, step.obs),
                action: logged,
                reward: step.reward,
                terminated: step.terminated,
                truncated: step.truncated,
                behavior_log_prob: logp,
            });
            if step.terminated || step.truncated {
                break;
            }
        }
        out.push(Trajectory {
            episode: i as u64,
            steps,
        });
    }
    Ok(out)
}
