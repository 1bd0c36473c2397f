//! Wrappers: envs that wrap an env and change one aspect of it (Gymnasium's wrappers,
//! named verb + target as there).

/// The observation and action types and spaces of a wrapper that keeps its inner env's
/// (held in the field `env`, of type parameter `E`).
macro_rules! inner_spaces {
    () => {
        type Obs = E::Obs;
        type Act = E::Act;
        type ObsSpace = E::ObsSpace;
        type ActSpace = E::ActSpace;

        fn observation_space(&self) -> &E::ObsSpace {
            self.env.observation_space()
        }

        fn action_space(&self) -> &E::ActSpace {
            self.env.action_space()
        }
    };
}

/// `Snapshot` for a wrapper whose only state is its inner env's (field `env`).
macro_rules! snapshot_of_inner {
    ([$($g:ident),*] $ty:ty where $($bounds:tt)*) => {
        impl<$($g),*> crate::Snapshot for $ty
        where
            E: crate::Snapshot,
            $($bounds)*
        {
            type State = E::State;

            fn snapshot(&self) -> E::State {
                self.env.snapshot()
            }

            fn restore(&mut self, inner: E::State) -> crate::Result<()> {
                self.env.restore(inner)
            }
        }
    };
}

pub(crate) use {inner_spaces, snapshot_of_inner};

mod action;
mod normalize_observation;
mod normalize_reward;
mod record_episode_statistics;
mod running_mean_std;
mod time_limit;
mod transform_reward;

pub use action::{ActionTransform, ActionWrapper, Clip, ClipAction, Rescale, RescaleAction};
pub use normalize_observation::NormalizeObservation;
pub use normalize_reward::NormalizeReward;
pub use record_episode_statistics::RecordEpisodeStatistics;
pub use running_mean_std::RunningMeanStd;
pub use time_limit::TimeLimit;
pub use transform_reward::TransformReward;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envs::{CartPole, Pendulum};
    use crate::{Env, Error, Space};

    #[test]
    fn time_limit_truncates_and_then_refuses_steps() {
        let mut env = TimeLimit::new(Pendulum::new(), 3).unwrap();
        env.reset(Some(0)).unwrap();
        let flags: Vec<bool> = (0..3)
            .map(|_| env.step(&vec![0.0]).unwrap().truncated)
            .collect();
        assert_eq!(flags, vec![false, false, true]);
        assert!(matches!(env.step(&vec![0.0]), Err(Error::StepAfterDone)));
        assert!(TimeLimit::new(Pendulum::new(), 0).is_err());
    }

    #[test]
    fn rescale_and_clip_map_actions_like_gymnasium() {
        // RescaleAction [-1, 1] -> [-2, 2]: 0.5 means torque 1.0.
        let mut a = RescaleAction::new(Pendulum::new(), -1.0, 1.0).unwrap();
        let mut b = Pendulum::new();
        a.reset(Some(5)).unwrap();
        b.reset(Some(5)).unwrap();
        assert_eq!(a.step(&vec![0.5]).unwrap(), b.step(&vec![1.0]).unwrap());
        // ClipAction: 50 is clipped to 2; its space is unbounded.
        let mut c = ClipAction::new(Pendulum::new());
        assert!(c.action_space().contains(&vec![50.0]));
        c.reset(Some(5)).unwrap();
        b.reset(Some(5)).unwrap();
        assert_eq!(c.step(&vec![50.0]).unwrap(), b.step(&vec![2.0]).unwrap());
        assert!(c.step(&vec![f64::NAN]).is_err());
        assert!(RescaleAction::new(Pendulum::new(), 1.0, 1.0).is_err());
    }

    #[test]
    fn normalize_reward_divides_by_the_return_spread() {
        let mut env =
            NormalizeReward::new(TransformReward::new(CartPole::v1(), |r| 10.0 * r), 0.9, 1e9)
                .unwrap();
        env.reset(Some(0)).unwrap();
        let mut ratios = Vec::new();
        for _ in 0..5 {
            let s = env.step(&0).unwrap();
            ratios.push(s.info.get("raw_reward").unwrap() / s.reward);
            if s.done() {
                break;
            }
        }
        let sd = (env.return_rms().var[0] + 1e-8).sqrt();
        assert!((ratios.last().unwrap() - sd).abs() < 1e-9);
        assert!(NormalizeReward::new(CartPole::v1(), 1.5, 1.0).is_err());
    }

    #[test]
    fn normalize_observation_stats_export_and_freeze() {
        let mut env = NormalizeObservation::new(Pendulum::v1(), 10.0).unwrap();
        env.reset(Some(0)).unwrap();
        for _ in 0..50 {
            env.step(&vec![1.0]).unwrap();
        }
        let stats = env.obs_rms().clone();
        assert!((stats.count - 51.0).abs() < 1e-3);
        let mut fresh = NormalizeObservation::new(Pendulum::v1(), 10.0).unwrap();
        fresh.set_obs_rms(stats.clone()).unwrap();
        fresh.set_training(false);
        let (o1, _) = fresh.reset(Some(9)).unwrap();
        env.set_training(false);
        let (o2, _) = env.reset(Some(9)).unwrap();
        assert_eq!(o1, o2);
        assert_eq!(fresh.obs_rms(), &stats, "frozen statistics do not move");
        assert!(fresh.set_obs_rms(RunningMeanStd::new(2, 1.0)).is_err());
    }

    #[test]
    fn record_episode_statistics_keeps_a_bounded_queue() {
        let mut env =
            RecordEpisodeStatistics::with_buffer(TimeLimit::new(CartPole::new(), 4).unwrap(), 2);
        env.reset(Some(0)).unwrap();
        for _ in 0..3 {
            loop {
                if env.step(&0).unwrap().done() {
                    break;
                }
            }
            env.reset(None).unwrap();
        }
        assert_eq!(env.return_queue().len(), 2);
    }
}
