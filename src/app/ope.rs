//! `metablend collect` and `metablend ope`: log a run's policy (or a noisy version of it) on
//! the ensemble env, and estimate another policy's value from such a log.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use anyhow::{bail, Context};
use metablend::agents::ope::{
    collect, evaluate_off_policy, EpsilonGreedy, GaussianNoise, LogProbPolicy, OpeReport,
    OpeSettings, Trajectory,
};
use metablend::agents::ppo::{PolicySpace, PpoPolicy};
use metablend::env::ensemble::{ActionMap, ActionMapKind, Residual, Select, Simplex, Softmax};
use metablend::env::{
    BoxSpace, Discrete, EnsembleEnv, EnsembleEnvConfig, Env, EpisodeStart, Predictions,
    PredictionsPanel,
};

use super::evaluate::read_run;
use super::settings::TrainSettings;

/// Which policy: the run's stochastic PPO policy, its deterministic action plus Gaussian
/// noise (continuous action maps), or ε-greedy around it (the `select` map).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PolicyChoice {
    /// PPO's own stochastic policy.
    Ppo,
    /// Deterministic PPO action + N(0, σ²) per dimension.
    Noise(f64),
    /// ε-greedy around the deterministic PPO action.
    Epsilon(f64),
}

impl FromStr for PolicyChoice {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<Self> {
        let (name, arg) = s.split_once(':').unwrap_or((s, ""));
        let value = || {
            arg.parse::<f64>()
                .with_context(|| format!("policy `{s}`: `{arg}` is not a number"))
        };
        Ok(match name {
            "ppo" => Self::Ppo,
            "noise" => Self::Noise(value()?),
            "epsilon" => Self::Epsilon(value()?),
            _ => bail!("unknown policy `{s}` (known: ppo, noise:SIGMA, epsilon:EPS)"),
        })
    }
}

/// Which rows of the table the env's episodes are drawn from.
pub fn range_of(
    settings: &TrainSettings,
    rows: usize,
    name: &str,
) -> anyhow::Result<std::ops::Range<usize>> {
    let r = settings.ranges(rows)?;
    Ok(match name {
        "train" => r.train,
        "validation" => r.validation,
        "test" => r.test,
        other => bail!("unknown range `{other}` (train, validation or test)"),
    })
}

fn env_config(settings: &TrainSettings, range: std::ops::Range<usize>) -> EnsembleEnvConfig {
    EnsembleEnvConfig {
        window: settings.env.window,
        log_rmse: settings.env.log_rmse,
        episode_len: Some(settings.env.episode_len),
        start: EpisodeStart::Random,
        range_start: Some(range.start.max(settings.env.window + 1)),
        range_end: Some(range.end),
        ..EnsembleEnvConfig::default()
    }
}

type Boxed<M> = Box<dyn LogProbPolicy<EnsembleEnv<M>>>;

/// The env the OPE commands act in: a run's settings over rows of a predictions table.
pub struct EnvChoice<'a> {
    /// The run folder (settings and best policy).
    pub run: &'a Path,
    /// The predictions table.
    pub preds: &'a Predictions,
    /// train, validation or test.
    pub range: &'a str,
    /// Episode length override (default: the run's).
    pub episode_len: Option<usize>,
}

fn box_policy<M: ActionMap<Space = BoxSpace>>(
    choice: PolicyChoice,
    ppo: PpoPolicy<BoxSpace>,
    space: BoxSpace,
    seed: u64,
) -> anyhow::Result<Boxed<M>> {
    Ok(match choice {
        PolicyChoice::Ppo => Box::new(ppo),
        PolicyChoice::Noise(sigma) => Box::new(GaussianNoise::new(ppo, sigma, space, seed)?),
        PolicyChoice::Epsilon(_) => {
            bail!("epsilon-greedy needs a discrete action map (select); use noise:SIGMA")
        }
    })
}

fn discrete_policy(
    choice: PolicyChoice,
    ppo: PpoPolicy<Discrete>,
    space: Discrete,
    seed: u64,
) -> anyhow::Result<Boxed<Select>> {
    Ok(match choice {
        PolicyChoice::Ppo => Box::new(ppo),
        PolicyChoice::Epsilon(eps) => Box::new(EpsilonGreedy::new(ppo, eps, space.n(), seed)?),
        PolicyChoice::Noise(_) => {
            bail!("Gaussian noise needs a continuous action map; use epsilon:EPS")
        }
    })
}

/// Builds the behaviour/target policy of a choice from the run's PPO policy.
type PolicyBuilder<M> = fn(
    PolicyChoice,
    PpoPolicy<<M as ActionMap>::Space>,
    <M as ActionMap>::Space,
    u64,
) -> anyhow::Result<Boxed<M>>;

/// What the OPE commands need: the env and a way to build policies over it.
struct Setup<M: ActionMap> {
    env: EnsembleEnv<M>,
    space: M::Space,
    best: PathBuf,
    build: PolicyBuilder<M>,
}

impl<M: ActionMap> Setup<M>
where
    M::Space: PolicySpace + Clone,
{
    fn new(map: M, choice: &EnvChoice<'_>, build: PolicyBuilder<M>) -> anyhow::Result<Self> {
        let (mut settings, _) = read_run(choice.run)?;
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
            build,
        })
    }

    fn policy(&self, choice: PolicyChoice, seed: u64) -> anyhow::Result<Boxed<M>> {
        let ppo = PpoPolicy::load(&self.best, self.space.clone())?;
        (self.build)(choice, ppo, self.space.clone(), seed)
    }
}

/// Something to do with the env of whichever action map the run uses.
trait WithSetup {
    type Out;
    fn run<M: ActionMap>(self, setup: Setup<M>) -> anyhow::Result<Self::Out>
    where
        M::Space: PolicySpace + Clone;
}

/// Checks the table against the run and calls `job` with the run's action map.
fn dispatch<J: WithSetup>(choice: &EnvChoice<'_>, job: J) -> anyhow::Result<J::Out> {
    let (settings, info) = read_run(choice.run)?;
    if info.models != choice.preds.model_names() {
        bail!(
            "the predictions' models {:?} do not match the run's model set {:?}",
            choice.preds.model_names(),
            info.models
        );
    }
    match settings.env.action_map {
        ActionMapKind::Softmax => job.run(Setup::new(Softmax, choice, box_policy::<Softmax>)?),
        ActionMapKind::Residual => job.run(Setup::new(Residual, choice, box_policy::<Residual>)?),
        ActionMapKind::Simplex => job.run(Setup::new(Simplex, choice, box_policy::<Simplex>)?),
        ActionMapKind::Select => job.run(Setup::new(Select, choice, discrete_policy)?),
    }
}

/// Logs `episodes` episodes of `policy` on the run's env.
pub fn collect_log(
    env: &EnvChoice<'_>,
    policy: PolicyChoice,
    episodes: usize,
    seed: u64,
) -> anyhow::Result<Vec<Trajectory>> {
    struct Job {
        policy: PolicyChoice,
        episodes: usize,
        seed: u64,
    }
    impl WithSetup for Job {
        type Out = Vec<Trajectory>;
        fn run<M: ActionMap>(self, mut setup: Setup<M>) -> anyhow::Result<Vec<Trajectory>>
        where
            M::Space: PolicySpace + Clone,
        {
            let mut policy = setup.policy(self.policy, self.seed)?;
            Ok(collect(
                &mut setup.env,
                &mut Wrap(policy.as_mut()),
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

/// Estimates `policy`'s value from `log`; with `replay > 0` also replays it on the env for
/// that many episodes (its value by simulation, for comparison).
pub fn estimate(
    env: &EnvChoice<'_>,
    policy: PolicyChoice,
    log: &[Trajectory],
    settings: &OpeSettings,
    replay: usize,
) -> anyhow::Result<(OpeReport, Option<f64>)> {
    struct Job<'a> {
        policy: PolicyChoice,
        log: &'a [Trajectory],
        settings: &'a OpeSettings,
        replay: usize,
    }
    impl WithSetup for Job<'_> {
        type Out = (OpeReport, Option<f64>);
        fn run<M: ActionMap>(self, mut setup: Setup<M>) -> anyhow::Result<Self::Out>
        where
            M::Space: PolicySpace + Clone,
        {
            let mut target = setup.policy(self.policy, self.settings.seed)?;
            let report = evaluate_off_policy(
                self.log,
                |obs, a| target.log_prob(&obs.to_vec(), a),
                self.settings,
            )?;
            let truth = if self.replay > 0 {
                let mut sim = setup.policy(self.policy, self.settings.seed.wrapping_add(1))?;
                let episodes = collect(
                    &mut setup.env,
                    &mut Wrap(sim.as_mut()),
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
            Ok((report, truth))
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
struct Wrap<'a, E: Env<Obs = Vec<f64>>>(&'a mut dyn LogProbPolicy<E>);

impl<E: Env<Obs = Vec<f64>>> LogProbPolicy<E> for Wrap<'_, E> {
    fn sample(
        &mut self,
        obs: &Vec<f64>,
    ) -> metablend::agents::Result<(metablend::agents::ope::LoggedAction, E::Act, f64)> {
        self.0.sample(obs)
    }
    fn log_prob(
        &mut self,
        obs: &Vec<f64>,
        action: &metablend::agents::ope::LoggedAction,
    ) -> metablend::agents::Result<f64> {
        self.0.log_prob(obs, action)
    }
}
