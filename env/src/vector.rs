//! `SyncVectorEnv`: n copies of an env stepped in lock-step, with automatic reset.

use crate::{Env, Error, Info, Result};

/// What one step of a vector env returns, one entry per sub-env.
///
/// **Autoreset rule (Gymnasium's `AutoresetMode.SAME_STEP`, SB3's `VecEnv`):** when sub-env
/// `i` ends an episode (terminated or truncated) it is reset within the same call. Then
/// `obs[i]` is the *first observation of the new episode*, `final_obs[i]` holds the *last
/// observation of the ended one* (a trainer bootstraps a truncated episode from its value),
/// `infos[i]` is the info of the final step (episode statistics live there) and
/// `reset_infos[i]` the info `reset` returned. For sub-envs that did not end,
/// `final_obs[i]` and `reset_infos[i]` are `None`.
#[derive(Debug, Clone, PartialEq)]
pub struct VecStep<O> {
    /// Observation to act on next, per sub-env.
    pub obs: Vec<O>,
    /// Reward per sub-env.
    pub rewards: Vec<f64>,
    /// Terminal flag per sub-env.
    pub terminated: Vec<bool>,
    /// Truncation flag per sub-env.
    pub truncated: Vec<bool>,
    /// Step info per sub-env.
    pub infos: Vec<Info>,
    /// Last observation of an episode that ended on this step.
    pub final_obs: Vec<Option<O>>,
    /// Info returned by the automatic reset.
    pub reset_infos: Vec<Option<Info>>,
}

/// Steps `n` envs one after the other on the calling thread. No threaded variant is offered:
/// a step of the crate's envs costs about 0.1 µs (see the `vec_env_step` benchmark), less
/// than handing work to another thread and back, so threads could not pay here.
#[derive(Debug, Clone)]
pub struct SyncVectorEnv<E> {
    envs: Vec<E>,
}

impl<E: Env> SyncVectorEnv<E> {
    /// Wraps `envs`; there must be at least one.
    pub fn new(envs: Vec<E>) -> Result<Self> {
        if envs.is_empty() {
            return Err(Error::InvalidConfig(
                "SyncVectorEnv: needs at least one env".into(),
            ));
        }
        Ok(Self { envs })
    }

    /// Builds `n` envs with `make(i)`.
    pub fn from_fn(n: usize, make: impl FnMut(usize) -> Result<E>) -> Result<Self> {
        Self::new((0..n).map(make).collect::<Result<Vec<_>>>()?)
    }

    /// Number of sub-envs.
    pub fn num_envs(&self) -> usize {
        self.envs.len()
    }

    /// The sub-envs.
    pub fn envs(&self) -> &[E] {
        &self.envs
    }

    /// The sub-envs, mutably.
    pub fn envs_mut(&mut self) -> &mut [E] {
        &mut self.envs
    }

    /// The shared observation space (that of sub-env 0).
    pub fn observation_space(&self) -> &E::ObsSpace {
        self.envs[0].observation_space()
    }

    /// The shared action space (that of sub-env 0).
    pub fn action_space(&self) -> &E::ActSpace {
        self.envs[0].action_space()
    }

    /// Resets every sub-env; with `Some(seed)`, sub-env `i` gets `seed + i`.
    pub fn reset(&mut self, seed: Option<u64>) -> Result<(Vec<E::Obs>, Vec<Info>)> {
        let mut obs = Vec::with_capacity(self.envs.len());
        let mut infos = Vec::with_capacity(self.envs.len());
        for (i, env) in self.envs.iter_mut().enumerate() {
            let (o, info) = env.reset(seed.map(|s| s.wrapping_add(i as u64)))?;
            obs.push(o);
            infos.push(info);
        }
        Ok((obs, infos))
    }

    /// Steps sub-env `i` with `actions[i]`, resetting the ones that end (see [`VecStep`]).
    pub fn step(&mut self, actions: &[E::Act]) -> Result<VecStep<E::Obs>> {
        let mut out = VecStep::with_capacity(self.envs.len());
        self.step_into(actions, &mut out)?;
        Ok(out)
    }

    /// [`SyncVectorEnv::step`] into `out`, refilled in place: a caller that steps in a loop
    /// keeps one `VecStep`, and once it holds every sub-env's observation each sub-env writes
    /// its next one into the same allocation ([`Env::step_into`]), so a step allocates only
    /// when an episode ends. On an error, `out` is incomplete and must not be read.
    pub fn step_into(&mut self, actions: &[E::Act], out: &mut VecStep<E::Obs>) -> Result<()> {
        let n = self.envs.len();
        if actions.len() != n {
            return Err(Error::InvalidAction(format!(
                "SyncVectorEnv: expected {n} actions, got {}",
                actions.len()
            )));
        }
        // The observation buffers are kept only when they are a full set from this env.
        let kept = std::mem::take(&mut out.obs);
        out.clear();
        let reuse = kept.len() == n;
        if reuse {
            out.obs = kept;
        }
        for (i, (env, action)) in self.envs.iter_mut().zip(actions).enumerate() {
            let sub_env = |e: Error| match e {
                Error::InvalidAction(m) => Error::InvalidAction(format!("sub-env {i}: {m}")),
                other => other,
            };
            let (reward, terminated, truncated, info) = if reuse {
                let s = env.step_into(action, &mut out.obs[i]).map_err(sub_env)?;
                (s.reward, s.terminated, s.truncated, s.info)
            } else {
                let s = env.step(action).map_err(sub_env)?;
                out.obs.push(s.obs);
                (s.reward, s.terminated, s.truncated, s.info)
            };
            out.rewards.push(reward);
            out.terminated.push(terminated);
            out.truncated.push(truncated);
            out.infos.push(info);
            if terminated || truncated {
                let (first, reset_info) = env.reset(None)?;
                out.final_obs
                    .push(Some(std::mem::replace(&mut out.obs[i], first)));
                out.reset_infos.push(Some(reset_info));
            } else {
                out.final_obs.push(None);
                out.reset_infos.push(None);
            }
        }
        Ok(())
    }
}

impl<O> VecStep<O> {
    /// An empty step with room for `n` sub-envs.
    pub fn with_capacity(n: usize) -> Self {
        Self {
            obs: Vec::with_capacity(n),
            rewards: Vec::with_capacity(n),
            terminated: Vec::with_capacity(n),
            truncated: Vec::with_capacity(n),
            infos: Vec::with_capacity(n),
            final_obs: Vec::with_capacity(n),
            reset_infos: Vec::with_capacity(n),
        }
    }

    /// Empties every vector, keeping their capacity.
    pub fn clear(&mut self) {
        self.obs.clear();
        self.rewards.clear();
        self.terminated.clear();
        self.truncated.clear();
        self.infos.clear();
        self.final_obs.clear();
        self.reset_infos.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envs::CartPole;
    use crate::wrappers::{RecordEpisodeStatistics, TimeLimit};

    fn make(limit: usize) -> SyncVectorEnv<RecordEpisodeStatistics<TimeLimit<CartPole>>> {
        SyncVectorEnv::from_fn(4, |_| {
            Ok(RecordEpisodeStatistics::new(TimeLimit::new(
                CartPole::new(),
                limit,
            )?))
        })
        .unwrap()
    }

    /// Steps two copies side by side, one with a fresh `VecStep` per call and one refilling
    /// a single buffer in place, and checks every field agrees at every step.
    fn in_place_matches_fresh<E: Env + Clone>(
        mut a: SyncVectorEnv<E>,
        act: impl Fn(usize, usize) -> E::Act,
    ) where
        E::Obs: PartialEq + std::fmt::Debug,
    {
        let mut b = a.clone();
        a.reset(Some(11)).unwrap();
        b.reset(Some(11)).unwrap();
        let n = a.num_envs();
        let mut buffer = VecStep::with_capacity(n);
        let mut ended = 0;
        for step in 0..600 {
            let actions: Vec<E::Act> = (0..n).map(|i| act(step, i)).collect();
            let fresh = a.step(&actions).unwrap();
            b.step_into(&actions, &mut buffer).unwrap();
            assert_eq!(fresh.obs, buffer.obs, "step {step}");
            assert_eq!(fresh.rewards, buffer.rewards);
            assert_eq!(fresh.terminated, buffer.terminated);
            assert_eq!(fresh.truncated, buffer.truncated);
            assert_eq!(fresh.final_obs, buffer.final_obs);
            for (x, y) in fresh.infos.iter().zip(&buffer.infos) {
                assert_eq!(
                    x.scalars().collect::<Vec<_>>(),
                    y.scalars().collect::<Vec<_>>()
                );
            }
            ended += fresh.final_obs.iter().flatten().count();
        }
        assert!(ended > 0, "the test covers episode ends");
    }

    #[test]
    fn stepping_in_place_gives_the_same_steps() {
        in_place_matches_fresh(make(50), |step, i| (step / 3 + i) % 2);
        let data = crate::ensemble::synthetic::RegimeTask::generate(400, 3).data;
        let config = crate::EnsembleEnvConfig {
            episode_len: Some(40),
            ..Default::default()
        };
        let ensemble = SyncVectorEnv::from_fn(3, |_| {
            crate::EnsembleEnv::single(data.clone(), config.clone())
        })
        .unwrap();
        in_place_matches_fresh(ensemble, |step, i| vec![(step + i) as f64 * 0.1, -0.2]);
    }

    #[test]
    fn truncated_sub_episode_exposes_its_final_observation() {
        let mut venv = make(5);
        let (mut obs, _) = venv.reset(Some(3)).unwrap();
        for step in 1..=5 {
            let actions: Vec<usize> = (0..4).map(|i| (i + step) % 2).collect();
            let prev = obs.clone();
            let out = venv.step(&actions).unwrap();
            if step < 5 {
                assert!(out.final_obs.iter().all(Option::is_none));
                obs = out.obs;
                continue;
            }
            #[allow(clippy::needless_range_loop)] // i indexes five parallel vectors
            for i in 0..4 {
                assert!(out.truncated[i] && !out.terminated[i]);
                let fin = out.final_obs[i].as_ref().expect("final obs kept");
                assert_ne!(
                    fin, &out.obs[i],
                    "obs is the new episode's first observation"
                );
                assert_ne!(fin, &prev[i]);
                assert_eq!(out.infos[i].get("episode_length"), Some(5.0));
                assert!(out.reset_infos[i].is_some());
            }
        }
    }

    #[test]
    fn same_seed_gives_identical_runs() {
        let run = |seed| {
            let mut venv = make(500);
            let mut log = vec![venv.reset(Some(seed)).unwrap().0];
            for t in 0..300 {
                let a: Vec<usize> = (0..4).map(|i| (t * 7 + i * 3) % 2).collect();
                let out = venv.step(&a).unwrap();
                log.push(out.obs);
            }
            log
        };
        assert_eq!(run(11), run(11));
        assert_ne!(run(11), run(12));
    }

    #[test]
    fn wrong_number_of_actions_is_an_error() {
        let mut venv = make(10);
        venv.reset(Some(0)).unwrap();
        assert!(venv.step(&[0, 1]).is_err());
        assert!(venv
            .step(&[0, 1, 0, 9])
            .unwrap_err()
            .to_string()
            .contains("sub-env 3"));
        assert!(SyncVectorEnv::<CartPole>::new(vec![]).is_err());
    }
}
