//! `metablend collect` and `metablend ope`: log a run's policy (or a noisy version of it) on
//! the ensemble env, and estimate another policy's value from such a log.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use anyhow::{bail, Context};
use metablend::agents::ope::{
    collect, evaluate_off_policy, EpsilonGreedy, GaussianNoise, LogProbPolicy, OpeReport,
    OpeSettings, Trajectory,
};
use metablend::agents::ppo::PpoPolicy;
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

/// What the OPE commands need: an env factory and policies over it.
struct Setup<M: ActionMap> {
    env: EnsembleEnv<M>,
    make_policy: Box<dyn Fn(PolicyChoice, u64) -> anyhow::Result<Boxed<M>>>,
}

fn setup_box<M: ActionMap<Space = BoxSpace>>(
    map: M,
    run: &Path,
    preds: &Predictions,
    range: &str,
    episode_len: Option<usize>,
) -> anyhow::Result<Setup<M>> {
    let (mut settings, _) = read_run(run)?;
    settings.env.episode_len = episode_len.unwrap_or(settings.env.episode_len);
    let panel = Arc::new(PredictionsPanel::new(vec![preds.clone()])?);
    let cfg = env_config(&settings, range_of(&settings, preds.len(), range)?);
    let env = EnsembleEnv::new(panel, cfg, map)?.with_boxed_reward(settings.reward.build()?);
    let space = env.action_space().clone();
    let best = run.join("best_model");
    let make_policy = Box::new(
        move |choice: PolicyChoice, seed: u64| -> anyhow::Result<Boxed<M>> {
            let ppo = PpoPolicy::load(&best, space.clone())?;
            box_policy::<M>(choice, ppo, space.clone(), seed)
        },
    );
    Ok(Setup { env, make_policy })
}

fn setup_select(
    run: &Path,
    preds: &Predictions,
    range: &str,
    episode_len: Option<usize>,
) -> anyhow::Result<Setup<Select>> {
    let (mut settings, _) = read_run(run)?;
    settings.env.episode_len = episode_len.unwrap_or(settings.env.episode_len);
    let panel = Arc::new(PredictionsPanel::new(vec![preds.clone()])?);
    let cfg = env_config(&settings, range_of(&settings, preds.len(), range)?);
    let env = EnsembleEnv::new(panel, cfg, Select)?.with_boxed_reward(settings.reward.build()?);
    let space = *env.action_space();
    let best = run.join("best_model");
    let make_policy = Box::new(
        move |choice: PolicyChoice, seed: u64| -> anyhow::Result<Boxed<Select>> {
            let ppo = PpoPolicy::load(&best, space)?;
            discrete_policy(choice, ppo, space, seed)
        },
    );
    Ok(Setup { env, make_policy })
}

/// Logs `episodes` episodes of `choice` on the run's env over `range`.
pub fn collect_log(
    env: &EnvChoice<'_>,
    choice: PolicyChoice,
    episodes: usize,
    seed: u64,
) -> anyhow::Result<Vec<Trajectory>> {
    fn go<M: ActionMap>(
        mut s: Setup<M>,
        choice: PolicyChoice,
        episodes: usize,
        seed: u64,
    ) -> anyhow::Result<Vec<Trajectory>> {
        let mut policy = (s.make_policy)(choice, seed)?;
        Ok(collect(
            &mut s.env,
            &mut Wrap(policy.as_mut()),
            episodes,
            seed,
        )?)
    }
    let EnvChoice {
        run,
        preds,
        range,
        episode_len,
    } = *env;
    check_models(run, preds)?;
    let (settings, _) = read_run(run)?;
    match settings.env.action_map {
        ActionMapKind::Softmax => go(
            setup_box(Softmax, run, preds, range, episode_len)?,
            choice,
            episodes,
            seed,
        ),
        ActionMapKind::Residual => go(
            setup_box(Residual, run, preds, range, episode_len)?,
            choice,
            episodes,
            seed,
        ),
        ActionMapKind::Simplex => go(
            setup_box(Simplex, run, preds, range, episode_len)?,
            choice,
            episodes,
            seed,
        ),
        ActionMapKind::Select => go(
            setup_select(run, preds, range, episode_len)?,
            choice,
            episodes,
            seed,
        ),
    }
}

/// Estimates `choice`'s value from `log`; with `replay > 0` also replays it on the env for
/// that many episodes (its value by simulation, for comparison).
pub fn estimate(
    env: &EnvChoice<'_>,
    choice: PolicyChoice,
    log: &[Trajectory],
    settings: &OpeSettings,
    replay: usize,
) -> anyhow::Result<(OpeReport, Option<f64>)> {
    fn go<M: ActionMap>(
        mut s: Setup<M>,
        choice: PolicyChoice,
        log: &[Trajectory],
        settings: &OpeSettings,
        replay: usize,
    ) -> anyhow::Result<(OpeReport, Option<f64>)> {
        let mut target = (s.make_policy)(choice, settings.seed)?;
        let report =
            evaluate_off_policy(log, |obs, a| target.log_prob(&obs.to_vec(), a), settings)?;
        let truth = if replay > 0 {
            let mut sim = (s.make_policy)(choice, settings.seed.wrapping_add(1))?;
            let episodes = collect(&mut s.env, &mut Wrap(sim.as_mut()), replay, 1 << 40)?;
            Some(
                episodes
                    .iter()
                    .map(|t| t.discounted_return(settings.gamma))
                    .sum::<f64>()
                    / replay as f64,
            )
        } else {
            None
        };
        Ok((report, truth))
    }
    let EnvChoice {
        run,
        preds,
        range,
        episode_len,
    } = *env;
    check_models(run, preds)?;
    let (run_settings, _) = read_run(run)?;
    match run_settings.env.action_map {
        ActionMapKind::Softmax => go(
            setup_box(Softmax, run, preds, range, episode_len)?,
            choice,
            log,
            settings,
            replay,
        ),
        ActionMapKind::Residual => go(
            setup_box(Residual, run, preds, range, episode_len)?,
            choice,
            log,
            settings,
            replay,
        ),
        ActionMapKind::Simplex => go(
            setup_box(Simplex, run, preds, range, episode_len)?,
            choice,
            log,
            settings,
            replay,
        ),
        ActionMapKind::Select => go(
            setup_select(run, preds, range, episode_len)?,
            choice,
            log,
            settings,
            replay,
        ),
    }
}

fn check_models(run: &Path, preds: &Predictions) -> anyhow::Result<()> {
    let (_, info) = read_run(run)?;
    if info.models != preds.model_names() {
        bail!(
            "the predictions' models {:?} do not match the run's model set {:?}",
            preds.model_names(),
            info.models
        );
    }
    Ok(())
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
