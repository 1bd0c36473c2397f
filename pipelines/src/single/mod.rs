//! One predictions table, one learned combiner: PPO trained on the ensemble env over the
//! table's training rows and selected on its validation rows ([`train()`]), evaluated on the
//! test rows against every classical combiner ([`evaluate()`]), and evaluated off-policy from
//! logged trajectories ([`ope`]); online, the policy's weights for a table's latest row
//! ([`next_step()`]).

mod evaluate;
mod next_step;
pub mod ope;
mod settings;
mod train;

pub use evaluate::{evaluate, read_run, verdicts_markdown, Evaluation, Verdict, POLICY};
pub use next_step::{next_step, ModelWeight, NextStep};
pub use settings::{EnvSettings, Ranges, Split, TrainSettings};
pub(crate) use train::Report;
pub use train::{env_configs, fingerprint, policy_mse, train, DataInfo, TrainOutcome, TrainRun};
