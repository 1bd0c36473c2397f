//! Wrappers: envs that wrap an env and change one aspect of it (Gymnasium's wrappers,
//! named verb + target as there).

mod clip_action;
mod normalize_observation;
mod normalize_reward;
mod record_episode_statistics;
mod rescale_action;
mod running_mean_std;
mod time_limit;
mod transform_reward;

pub use clip_action::ClipAction;
pub use normalize_observation::NormalizeObservation;
pub use normalize_reward::NormalizeReward;
pub use record_episode_statistics::RecordEpisodeStatistics;
pub use rescale_action::RescaleAction;
pub use running_mean_std::RunningMeanStd;
pub use time_limit::TimeLimit;
pub use transform_reward::TransformReward;
