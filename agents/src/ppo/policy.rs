//! `PpoPolicy`: a trained actor for inference, implementing the env crate's `Policy`.

use super::head::{HeadKind, PolicySpace};
use super::learner::PpoLearner;
use crate::Result;
use metablend_env::{Env, Policy};
use metablend_nn::FrozenMlp;
use rand::rngs::StdRng;
use rand::SeedableRng;

/// The actor of a PPO agent plus its action space: acts deterministically (the mode: argmax
/// or the Gaussian mean) or stochastically (a sample), one observation or a batch.
#[derive(Debug, Clone)]
pub struct PpoPolicy<S> {
    actor: FrozenMlp,
    head: HeadKind,
    log_std: Vec<f32>,
    obs_dim: usize,
    space: S,
    rng: StdRng,
}

impl<S: PolicySpace> PpoPolicy<S> {
    /// A snapshot of the learner's current actor.
    pub fn from_learner(learner: &PpoLearner, space: S) -> Result<Self> {
        Ok(Self {
            actor: FrozenMlp::new(&learner.model().actor)?,
            head: learner.head(),
            log_std: learner.log_std()?,
            obs_dim: learner.model().obs_dim(),
            space,
            rng: StdRng::seed_from_u64(learner.config().seed ^ 0x5eed),
        })
    }

    /// Loads the policy from a checkpoint folder (any written by `PpoLearner::save` or
    /// `Ppo::save_checkpoint`); `space` is the env's action space, checked against the
    /// checkpoint's head.
    pub fn load(dir: impl AsRef<std::path::Path>, space: S) -> Result<Self> {
        let learner = PpoLearner::load(dir.as_ref())?;
        let expected = learner.head();
        let fits =
            space.head().ok() == Some(expected) || space.dirichlet_head().ok() == Some(expected);
        if !fits {
            return Err(crate::Error::Checkpoint {
                path: dir.as_ref().display().to_string(),
                message: format!("its policy head {expected:?} does not serve this action space"),
            });
        }
        Self::from_learner(&learner, space)
    }

    /// Reseeds the sampling RNG (for reproducible stochastic evaluation).
    pub fn reseed(&mut self, seed: u64) {
        self.rng = StdRng::seed_from_u64(seed);
    }

    /// The env action for a raw policy action (clipped into a bounded box).
    pub fn env_action(&self, raw: &[f32]) -> S::Elem {
        self.space.to_env_action(raw)
    }

    /// ln π(raw | obs) of a raw action (an index for categorical heads, the unclipped
    /// Gaussian sample for continuous ones); Dirichlet heads are not supported here.
    pub fn log_prob_raw(&self, obs: &[f64], raw: &[f32]) -> Result<f32> {
        if obs.len() != self.obs_dim {
            return Err(crate::Error::InvalidInput(format!(
                "observation has {} values, the policy expects {}",
                obs.len(),
                self.obs_dim
            )));
        }
        let flat: Vec<f32> = obs.iter().map(|&x| x as f32).collect();
        let out = self.actor.forward(&flat, 1)?;
        self.head.log_prob(&out, &self.log_std, raw)
    }

    /// Raw actions and their log-probabilities for a batch of observations.
    pub fn act_raw(
        &mut self,
        obs: &[Vec<f64>],
        deterministic: bool,
    ) -> Result<Vec<(Vec<f32>, f32)>> {
        let flat: Vec<f32> = obs.iter().flatten().map(|&x| x as f32).collect();
        let out = self.actor.forward(&flat, obs.len())?;
        let d = self.head.out_dim();
        Ok((0..obs.len())
            .map(|i| {
                self.head.sample(
                    &out[i * d..(i + 1) * d],
                    &self.log_std,
                    deterministic,
                    &mut self.rng,
                )
            })
            .collect())
    }
}

impl<S, E> Policy<E> for PpoPolicy<S>
where
    S: PolicySpace,
    E: Env<Obs = Vec<f64>, Act = S::Elem, ActSpace = S>,
{
    fn act(&mut self, obs: &Vec<f64>, deterministic: bool) -> metablend_env::Result<S::Elem> {
        Ok(
            <Self as Policy<E>>::act_batch(self, std::slice::from_ref(obs), deterministic)?
                .remove(0),
        )
    }

    fn act_batch(
        &mut self,
        obs: &[Vec<f64>],
        deterministic: bool,
    ) -> metablend_env::Result<Vec<S::Elem>> {
        if let Some(o) = obs.iter().find(|o| o.len() != self.obs_dim) {
            return Err(metablend_env::Error::Policy(format!(
                "observation has {} values, the policy expects {}",
                o.len(),
                self.obs_dim
            )));
        }
        let raw = self
            .act_raw(obs, deterministic)
            .map_err(|e| metablend_env::Error::Policy(e.to_string()))?;
        Ok(raw
            .iter()
            .map(|(a, _)| self.space.to_env_action(a))
            .collect())
    }
}
