//! Proximal Policy Optimization (Schulman et al. 2017) with the implementation details of
//! Stable-Baselines3 / CleanRL (Huang et al. 2022, "The 37 implementation details of PPO").

mod actor_critic;
mod callbacks;
mod checkpoint;
mod config;
mod fused_loss;
mod gae;
mod head;
mod learner;
mod log;
mod policy;
mod rollout;
mod special;
mod trainer;

pub use actor_critic::ActorCritic;
pub use callbacks::{
    Callback, CheckpointEvery, Control, EvalCallback, JsonlLogger, OnUpdate, StopOnRewardThreshold,
};
pub use checkpoint::{parse_state, read_state, CheckpointState, FORMAT_VERSION};
pub use config::{PpoConfig, Schedule};
pub use gae::{compute_gae, GaeInputs};
pub use head::{HeadKind, PolicySpace};
pub use learner::{PpoLearner, RolloutNets};
pub use log::{UpdateLog, UpdateStats};
pub use metablend_nn::Activation;
pub use policy::PpoPolicy;
pub use rollout::{explained_variance, RolloutBuffer};
pub use trainer::Ppo;
