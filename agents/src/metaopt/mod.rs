//! A learned optimizer (Andrychowicz et al. 2016; Metz et al. 2019): a small coordinatewise
//! network g_φ maps each parameter's gradient, momenta at three time scales and value to an
//! update, θ' = θ + g_φ(∇θ, …), so one network serves models of any size. The MLP variant
//! follows Metz et al.'s per-parameter MLP; the LSTM variant Andrychowicz et al.'s
//! coordinatewise LSTM.
//!
//! * [`UpdateNet`] holds φ; [`OptState`] a task's momenta and LSTM state; [`update`]
//!   applies one step (differentiably, for meta-training).
//! * [`LearnedOptimizer`] implements `candle_nn::Optimizer`, so anything trained by a candle
//!   optimiser (e.g. the ensemble crate's neural forecasters) can train with it.
//! * [`meta_train`]: truncated unrolls with first-order meta-gradients (the task's gradients
//!   enter g_φ detached, as in the paper), meta-loss = mean log normalised training loss along
//!   the unroll, clipped; NaN-guarded; an unroll-length curriculum; an antithetic
//!   evolution-strategies gradient as an option; then ES fine-tuning of the step-size head
//!   on whole runs ([`EsFinetune`]), against the truncation's short-horizon bias.
//!   Checkpoints are atomic folders.
//! * [`StepDecay`]: steps shrink as a power of the step count beyond the training horizon,
//!   which the optimizer cannot see (part of [`MetaOptConfig`]).
//! * Width scaling ([`MetaOptConfig::fan_in_factor`]): a weight matrix wider than the base
//!   fan-in takes proportionally smaller steps (μP's rule), so the optimizer carries over to
//!   networks wider than those it was meta-trained on; tasks give their fan-ins
//!   ([`MetaTask::fan_in`]).
//! * [`run_learned`], [`run_baseline`], [`tune_learning_rate`] and [`compare`]: runs on
//!   held-out tasks against Adam and SGD with momentum whose learning
//!   rates are tuned per task family.

mod checkpoint;
mod es;
mod eval;
mod finetune;
mod net;
mod optimizer;
mod tasks;
mod train;
mod unroll;

pub use checkpoint::MetaCheckpoint;
pub use es::EsConfig;
pub use eval::{
    compare, run_baseline, run_learned, tune_learning_rate, Baseline, Comparison, Curve, LR_GRID,
};
pub use finetune::EsFinetune;
pub use metablend_nn::Activation;
pub use net::{
    MetaOptConfig, NetKind, StepDecay, UpdateForm, UpdateNet, DEFAULT_BASE_FAN_IN,
    DEFAULT_DECAY_POWER,
};
pub use optimizer::{update, LearnedOptimizer, OptState};
pub use tasks::{MetaTask, MlpRegression, Quadratic};
pub use train::{meta_train, MetaTrainConfig, MetaTrainLog};

#[cfg(test)]
mod tests;
