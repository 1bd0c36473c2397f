//! The contextual PPO meta-combiner, shared by `m4` and `fit`/`forecast`: PPO trained on the
//! contextual env over a panel's tasks (one step per series: observe its scaled features and
//! the pool's validation errors, act combination weights, rewarded by the combined
//! validation loss), and the deterministic policy's weights for each series.

use std::sync::Arc;

use metablend_agents::action_maps::{with_action_map, ActionMapJob};
use metablend_agents::ope::Perturbable;
use metablend_agents::ppo::{Ppo, PpoConfig, PpoLearner, PpoPolicy};
use metablend_core::Progress;
use metablend_env::contextual::{ContextOrder, ContextPanel, ContextualEnv};
use metablend_env::ensemble::{ActionMap, ActionMapKind};
use metablend_env::{Env, Policy};

use crate::single::Report;
use crate::{Error, Result};

/// Trains PPO for `steps` env steps on the tasks `train_rows` of `ctx` (series drawn at
/// random) with the action map `kind`; `progress` advances with the steps taken.
pub(crate) fn train(
    ctx: &Arc<ContextPanel>,
    kind: ActionMapKind,
    cfg: PpoConfig,
    steps: u64,
    train_rows: &[usize],
    progress: &dyn Progress,
) -> Result<PpoLearner> {
    with_action_map(
        kind,
        TrainJob {
            ctx,
            train_rows,
            cfg,
            steps,
            progress,
        },
    )
}

/// The weights a trained learner's deterministic policy gives each of `eval_rows` of `ctx`.
pub(crate) fn weights(
    learner: &PpoLearner,
    kind: ActionMapKind,
    ctx: &Arc<ContextPanel>,
    eval_rows: &[usize],
) -> Result<Vec<Vec<f64>>> {
    with_action_map(
        kind,
        WeightsJob {
            learner,
            ctx,
            eval_rows,
        },
    )
}

struct TrainJob<'a> {
    ctx: &'a Arc<ContextPanel>,
    train_rows: &'a [usize],
    cfg: PpoConfig,
    steps: u64,
    progress: &'a dyn Progress,
}

impl ActionMapJob for TrainJob<'_> {
    type Output = Result<PpoLearner>;
    fn run<M>(self, map: M) -> Result<PpoLearner>
    where
        M: ActionMap,
        M::Space: Perturbable,
    {
        let (ctx, train_rows) = (self.ctx, self.train_rows);
        let make_env = |_: usize| {
            ContextualEnv::new(ctx.clone(), map.clone(), ContextOrder::Random)?
                .with_selection(train_rows.to_vec())
        };
        let mut ppo = Ppo::new(self.cfg, make_env)?;
        let mut report = Report {
            progress: self.progress,
            done: 0,
            stopped: false,
        };
        ppo.learn(self.steps, &mut [&mut report])?;
        if self.progress.stop_requested() {
            return Err(Error::Interrupted("during PPO training".into()));
        }
        Ok(ppo.into_learner())
    }
}

struct WeightsJob<'a> {
    learner: &'a PpoLearner,
    ctx: &'a Arc<ContextPanel>,
    eval_rows: &'a [usize],
}

impl ActionMapJob for WeightsJob<'_> {
    type Output = Result<Vec<Vec<f64>>>;
    fn run<M>(self, map: M) -> Result<Vec<Vec<f64>>>
    where
        M: ActionMap,
        M::Space: Perturbable,
    {
        let mut env = ContextualEnv::new(self.ctx.clone(), map, ContextOrder::Sequential)?
            .with_selection(self.eval_rows.to_vec())?;
        let mut policy = PpoPolicy::from_learner(self.learner, env.action_space().clone())?;
        let mut out = Vec::with_capacity(self.eval_rows.len());
        for j in 0..self.eval_rows.len() {
            let (obs, _) = env.reset(if j == 0 { Some(0) } else { None })?;
            let action = Policy::<ContextualEnv<M>>::act(&mut policy, &obs, true)?;
            env.step(&action)?;
            out.push(env.weights().to_vec());
        }
        Ok(out)
    }
}
