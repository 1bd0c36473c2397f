//! Off-policy evaluation on a run's ensemble env: log a policy derived from the run's PPO
//! policy ([`collect_log`]), and estimate another one's value from such a log ([`estimate`]).

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use metablend_agents::action_maps::{with_action_map, ActionMapJob};
use metablend_agents::ope::{
    collect, evaluate_off_policy, LogProbPolicy, LoggedAction, OpeReport, OpeSettings, Perturbable,
    PolicyChoice, Trajectory,
};
use metablend_agents::ppo::PpoPolicy;
use metablend_core::Predictions;
use metablend_env::ensemble::ActionMap;
use metablend_env::{EnsembleEnv, EnsembleEnvConfig, Env, EpisodeStart, PredictionsPanel};
use serde::Serialize;

use super::evaluate::{check_models, read_run};
use super::settings::TrainSettings;
use crate::{Error, Result};

/// The env the OPE protocols act in: a run's settings over rows of a predictions table.
pub struct OpeEnv<'a> {
    /// The run folder (settings and best policy).
    pub run: &'a Path,
    /// The predictions table.
    pub preds: &'a Predictions,
    /// Which rows episodes start in: `train`, `validation` or `test`.
    pub range: &'a str,
    /// Episode length (default: the run's).
    pub episode_len: Option<usize>,
}

/// The rows of the named range of a table of `rows` rows.
pub fn range_of(settings: &TrainSettings, rows: usize, name: &str) -> Result<Range<usize>> {
    let r = settings.ranges(rows)?;
    Ok(match name {
        "train" => r.train,
        "validation" => r.validation,
        "test" => r.test,
        other => {
            return Err(Error::Settings(format!(
                "unknown range `{other}` (train, validation or test)"
            )))
        }
    })
}

fn env_config(settings: &TrainSettings, range: Range<usize>) -> EnsembleEnvConfig {
    EnsembleEnvConfig {
        window: settings.env.window,
        log_rmse: settings.env.log_rmse,
        episode_len: Some(settings.env.episode_len),
        start: EpisodeStart::Random,
        range_start: Some(range.start.max(settings.env.window + 1)),
        range_end: Some(range.end),
        context: settings.env.context.clone(),
        ..EnsembleEnvConfig::default()
    }
}

/// The env of a run's action map and a way to build its policies.
struct Setup<M: ActionMap> {
    env: EnsembleEnv<M>,
    space: M::Space,
    best: std::path::PathBuf,
    /// The env's episode length (the run's, or the one asked for).
    episode_len: usize,
}

impl<M> Setup<M>
where
    M: ActionMap,
    M::Space: Perturbable,
{
    fn new(map: M, choice: &OpeEnv<'_>, settings: &TrainSettings) -> Result<Self> {
        let mut settings = settings.clone();
        settings.env.episode_len = choice.episode_len.unwrap_or(settings.env.episode_len);
        let panel = Arc::new(PredictionsPanel::new(vec![choice.preds.clone()])?);
        let range = range_of(&settings, choice.preds.len(), choice.range)?;
        let env = EnsembleEnv::new(panel, env_config(&settings, range), map)?
            .with_boxed_reward(settings.reward.build()?);
        let space = env.action_space().clone();
        Ok(Self {
            env,
            space,
            best: choice.run.join("best_model"),
            episode_len: settings.env.episode_len,
        })
    }

    fn policy(
        &self,
        choice: PolicyChoice,
        seed: u64,
    ) -> Result<Box<dyn LogProbPolicy<EnsembleEnv<M>>>> {
        let ppo = PpoPolicy::load(&self.best, self.space.clone())?;
        Ok(M::Space::policy(choice, ppo, self.space.clone(), seed)?)
    }
}

/// Something to do in a run's env, whatever its action map.
trait OpeJob {
    type Out;
    fn run<M>(self, setup: Setup<M>) -> Result<Self::Out>
    where
        M: ActionMap,
        M::Space: Perturbable;
}

struct Dispatch<'a, J> {
    env: &'a OpeEnv<'a>,
    settings: &'a TrainSettings,
    job: J,
}

impl<J: OpeJob> ActionMapJob for Dispatch<'_, J> {
    type Output = Result<J::Out>;
    fn run<M>(self, map: M) -> Result<J::Out>
    where
        M: ActionMap,
        M::Space: Perturbable,
    {
        self.job.run(Setup::new(map, self.env, self.settings)?)
    }
}

fn dispatch<J: OpeJob>(env: &OpeEnv<'_>, job: J) -> Result<J::Out> {
    let (settings, info) = read_run(env.run)?;
    check_models(env.preds, &info)?;
    let kind = settings.env.action_map;
    with_action_map(
        kind,
        Dispatch {
            env,
            settings: &settings,
            job,
        },
    )
}

/// Logs `episodes` episodes of `policy` on the run's env.
pub fn collect_log(
    env: &OpeEnv<'_>,
    policy: PolicyChoice,
    episodes: usize,
    seed: u64,
) -> Result<Vec<Trajectory>> {
    struct Job {
        policy: PolicyChoice,
        episodes: usize,
        seed: u64,
    }
    impl OpeJob for Job {
        type Out = Vec<Trajectory>;
        fn run<M>(self, mut setup: Setup<M>) -> Result<Vec<Trajectory>>
        where
            M: ActionMap,
            M::Space: Perturbable,
        {
            let mut policy = setup.policy(self.policy, self.seed)?;
            Ok(collect(
                &mut setup.env,
                &mut Boxed(policy.as_mut()),
                self.episodes,
                self.seed,
            )?)
        }
    }
    dispatch(
        env,
        Job {
            policy,
            episodes,
            seed,
        },
    )
}

/// An OPE report and, when asked for, the target policy's value by simulation.
#[derive(Debug, Clone, Serialize)]
pub struct OpeOutcome {
    /// The estimates.
    pub report: OpeReport,
    /// The mean discounted return of the target policy replayed on the env.
    pub replayed_value: Option<f64>,
    /// How many episodes were replayed.
    pub replayed_episodes: usize,
}

impl OpeOutcome {
    /// The report as Markdown.
    pub fn to_markdown(&self) -> String {
        let mut md = self.report.to_markdown();
        if let Some(v) = self.replayed_value {
            md += &format!(
                "Replayed value of the target policy ({} episodes on the env): {v:.6}\n",
                self.replayed_episodes
            );
        }
        md
    }
}

/// Estimates `policy`'s value from `log`; with `replay > 0` also replays it on the env for
/// that many episodes (its value by simulation, for comparison).
pub fn estimate(
    env: &OpeEnv<'_>,
    policy: PolicyChoice,
    log: &[Trajectory],
    settings: &OpeSettings,
    replay: usize,
) -> Result<OpeOutcome> {
    struct Job<'a> {
        policy: PolicyChoice,
        log: &'a [Trajectory],
        settings: &'a OpeSettings,
        replay: usize,
    }
    impl OpeJob for Job<'_> {
        type Out = OpeOutcome;
        fn run<M>(self, mut setup: Setup<M>) -> Result<OpeOutcome>
        where
            M: ActionMap,
            M::Space: Perturbable,
        {
            if self.replay > 0 {
                // A replayed value is comparable with the estimates only for episodes as
                // long as the logged ones.
                let len = setup.episode_len;
                let longest = self.log.iter().map(|t| t.steps.len()).max().unwrap_or(0);
                if longest != len {
                    return Err(Error::Settings(format!(
                        "the log's episodes are up to {longest} steps long but the replay \
                         would run {len}-step episodes; pass --episode-len {longest}"
                    )));
                }
            }
            let mut target = setup.policy(self.policy, self.settings.seed)?;
            let report = evaluate_off_policy(
                self.log,
                |obs, a| target.log_prob(&obs.to_vec(), a),
                self.settings,
            )?;
            let replayed_value = if self.replay > 0 {
                let mut sim = setup.policy(self.policy, self.settings.seed.wrapping_add(1))?;
                let episodes = collect(
                    &mut setup.env,
                    &mut Boxed(sim.as_mut()),
                    self.replay,
                    1 << 40,
                )?;
                let total: f64 = episodes
                    .iter()
                    .map(|t| t.discounted_return(self.settings.gamma))
                    .sum();
                Some(total / self.replay as f64)
            } else {
                None
            };
            Ok(OpeOutcome {
                report,
                replayed_value,
                replayed_episodes: self.replay,
            })
        }
    }
    dispatch(
        env,
        Job {
            policy,
            log,
            settings,
            replay,
        },
    )
}

/// Lets a boxed policy be passed where a sized `LogProbPolicy` is expected.
struct Boxed<'a, E: Env<Obs = Vec<f64>>>(&'a mut dyn LogProbPolicy<E>);

impl<E: Env<Obs = Vec<f64>>> LogProbPolicy<E> for Boxed<'_, E> {
    fn sample(&mut self, obs: &Vec<f64>) -> metablend_agents::Result<(LoggedAction, E::Act, f64)> {
        self.0.sample(obs)
    }
    fn log_prob(&mut self, obs: &Vec<f64>, action: &LoggedAction) -> metablend_agents::Result<f64> {
        self.0.log_prob(obs, action)
    }
}
