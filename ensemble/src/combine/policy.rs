//! `PolicyCombiner`: any `env::Policy` (e.g. a trained PPO agent) applied through the
//! ensemble env's observation — the learned combiner, behind the same interface.

use std::ops::Range;
use std::sync::Arc;

use super::Combiner;
use crate::{Error, Result};
use metablend_env::ensemble::ActionMap;
use metablend_env::{EnsembleEnv, EnsembleEnvConfig, Policy, Predictions, PredictionsPanel};

/// Runs `policy` deterministically on an ensemble env built over the table, from the first
/// requested row to the table's end, and serves the env's weights. The env builds each
/// observation from `target[..t]` and `pred[..=t]`, so the policy sees only the past.
pub struct PolicyCombiner<M: ActionMap, P> {
    name: String,
    config: EnsembleEnvConfig,
    map: M,
    policy: P,
    setup: Option<Box<EnvSetup<M>>>,
    /// (first row, weights per row from there on).
    cache: Option<(usize, Vec<Vec<f64>>)>,
}

/// Customises the env the policy acts in (e.g. attaches the user features it was trained
/// with).
pub type EnvSetup<M> =
    dyn Fn(EnsembleEnv<M>) -> metablend_env::Result<EnsembleEnv<M>> + Send + 'static;

impl<M: ActionMap + Clone + Send, P: Policy<EnsembleEnv<M>> + Send> PolicyCombiner<M, P> {
    /// A combiner named `name` with the env settings the policy was trained with (window,
    /// features, action map); the range settings are replaced per evaluation.
    pub fn new(name: impl Into<String>, config: EnsembleEnvConfig, map: M, policy: P) -> Self {
        Self {
            name: name.into(),
            config,
            map,
            policy,
            setup: None,
            cache: None,
        }
    }

    /// Applies `setup` to every env built for the policy — the same features (and any
    /// other customisation) the policy was trained with.
    pub fn with_env_setup(
        mut self,
        setup: impl Fn(EnsembleEnv<M>) -> metablend_env::Result<EnsembleEnv<M>> + Send + 'static,
    ) -> Self {
        self.setup = Some(Box::new(setup));
        self
    }

    fn roll_out(&mut self, preds: &Predictions, start: usize) -> Result<()> {
        let panel = Arc::new(PredictionsPanel::new(vec![preds.clone()])?);
        let config = self.config.evaluation(start, preds.len());
        let mut env = EnsembleEnv::new(panel, config, self.map.clone())?;
        if let Some(setup) = &self.setup {
            env = setup(env)?;
        }
        let steps = env.forecast_episode(&mut self.policy, true, Some(0))?;
        let first = steps.first().map_or(start, |(t, _, _)| *t);
        self.cache = Some((first, steps.into_iter().map(|(_, _, w)| w).collect()));
        Ok(())
    }
}

impl<M: ActionMap + Clone + Send, P: Policy<EnsembleEnv<M>> + Send> Combiner
    for PolicyCombiner<M, P>
{
    fn name(&self) -> &str {
        &self.name
    }

    fn fit(&mut self, _preds: &Predictions, _train: Range<usize>) -> Result<()> {
        self.cache = None;
        Ok(())
    }

    fn weights(&mut self, preds: &Predictions, t: usize) -> Result<Vec<f64>> {
        let stale = match &self.cache {
            Some((first, w)) => t < *first || t - first >= w.len(),
            None => true,
        };
        if stale {
            self.roll_out(preds, t)?;
        }
        let (first, w) = self.cache.as_ref().expect("rolled out");
        w.get(t - first)
            .cloned()
            .ok_or_else(|| Error::InvalidInput(format!("{}: no weights for row {t}", self.name)))
    }
}
