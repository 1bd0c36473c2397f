//! `Snapshot`: save and restore an env's complete internal state, for exact resume.

use crate::Result;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// An env whose full internal state (dynamics, episode counters, RNG) can be captured and
/// put back, so a training run interrupted between two steps resumes exactly as if it had
/// never stopped. Wrappers snapshot their own state plus their inner env's.
pub trait Snapshot {
    /// The captured state; serde-serialisable so it can go into a checkpoint.
    type State: Serialize + DeserializeOwned + Clone;

    /// Captures the current state.
    fn snapshot(&self) -> Self::State;

    /// Restores a state captured from an env built the same way.
    fn restore(&mut self, state: Self::State) -> Result<()>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envs::{CartPole, Pendulum};
    use crate::wrappers::{NormalizeObservation, RecordEpisodeStatistics, TimeLimit};
    use crate::{EnsembleEnv, EnsembleEnvConfig, Env, Predictions, Space};
    use rand::SeedableRng;

    /// Runs random steps for `m` steps with the given RNG, resetting at episode ends.
    fn play<E: Env>(
        env: &mut E,
        rng: &mut rand::rngs::StdRng,
        m: usize,
    ) -> Vec<(E::Obs, u64, bool, bool)> {
        (0..m)
            .map(|_| {
                let a = env.action_space().sample(rng);
                let s = env.step(&a).unwrap();
                let out = (s.obs, s.reward.to_bits(), s.terminated, s.truncated);
                if out.2 || out.3 {
                    env.reset(None).unwrap();
                }
                out
            })
            .collect()
    }

    /// Plays `m` steps, snapshots through JSON, plays `m` more; a fresh env restored from the
    /// JSON and fed the same actions must produce exactly the same steps.
    fn resumes_exactly<E>(mut make: impl FnMut() -> E, m: usize)
    where
        E: Env + Snapshot,
        E::Obs: PartialEq + std::fmt::Debug,
    {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let mut env = make();
        env.reset(Some(3)).unwrap();
        play(&mut env, &mut rng, m);
        let json = serde_json::to_string(&env.snapshot()).unwrap();
        let mut rng_again = rng.clone();
        let reference = play(&mut env, &mut rng, m);
        let mut fresh = make();
        fresh.restore(serde_json::from_str(&json).unwrap()).unwrap();
        let got = play(&mut fresh, &mut rng_again, m);
        let first = got.iter().zip(&reference).position(|(a, b)| a != b);
        assert!(
            first.is_none(),
            "diverged at step {first:?}: {:?} vs {:?}",
            first.map(|i| &got[i]),
            first.map(|i| &reference[i])
        );
    }

    #[test]
    fn every_env_resumes_exactly_from_a_json_snapshot() {
        resumes_exactly(|| RecordEpisodeStatistics::new(CartPole::v1()), 300);
        resumes_exactly(
            || NormalizeObservation::new(Pendulum::v1(), 10.0).unwrap(),
            300,
        );
        let target: Vec<f64> = (0..400).map(|t| (t as f64 * 0.2).sin() * 3.0).collect();
        let preds = target
            .iter()
            .enumerate()
            .map(|(t, y)| vec![y + (t as f64).cos(), y - 0.5])
            .collect();
        let data = Predictions::new(target, preds, vec!["a".into(), "b".into()]).unwrap();
        let cfg = EnsembleEnvConfig {
            episode_len: Some(40),
            ..Default::default()
        };
        resumes_exactly(
            || TimeLimit::new(EnsembleEnv::single(data.clone(), cfg.clone()).unwrap(), 30).unwrap(),
            300,
        );
        let tasks = (0..12)
            .map(|i| crate::contextual::ContextTask {
                id: format!("s{i}"),
                context: vec![i as f64, (i * i) as f64 * 0.1],
                target: vec![10.0 + i as f64, 11.0],
                forecasts: vec![
                    vec![10.5 + i as f64, 11.5],
                    vec![9.0, 10.0 + 0.2 * i as f64],
                ],
                mase_scale: 1.0,
                reference: (5.0, 1.0),
            })
            .collect();
        let panel = std::sync::Arc::new(
            crate::contextual::ContextPanel::new(tasks, vec!["a".into(), "b".into()]).unwrap(),
        );
        resumes_exactly(
            || {
                crate::contextual::ContextualEnv::new(
                    panel.clone(),
                    crate::ensemble::Softmax,
                    crate::contextual::ContextOrder::Random,
                )
                .unwrap()
            },
            300,
        );
    }
}
