//! Proximal Policy Optimization (Schulman et al. 2017) with the implementation details of
//! Stable-Baselines3 / CleanRL (Huang et al. 2022, "The 37 implementation details of PPO").

mod callbacks;
mod checkpoint;
mod config;
mod cpu_ops;
mod dense;
mod fused_loss;
mod gae;
mod head;
mod init;
mod learner;
mod log;
mod model;
mod optim;
mod policy;
mod rollout;
mod special;
mod trainer;

pub use callbacks::{
    Callback, CheckpointEvery, Control, EvalCallback, JsonlLogger, ProgressBar,
    StopOnRewardThreshold,
};
pub use checkpoint::{read_state, CheckpointState, FORMAT_VERSION};
pub use config::{Activation, PpoConfig, Schedule};
pub use gae::{compute_gae, GaeInputs};
pub use head::{HeadKind, PolicySpace};
pub use learner::PpoLearner;
pub use log::{UpdateLog, UpdateStats};
pub use model::{ActorCritic, Mlp};
pub use optim::{clip_grad_norm, Adam};
pub(crate) use optim::{read_grads, read_vars, write_vars};
pub use policy::PpoPolicy;
pub use rollout::{explained_variance, RolloutBuffer};
pub use trainer::Ppo;
