//! `metablend train`: PPO on an ensemble env over the training rows of a predictions table,
//! with model selection on the validation rows, into a run folder:
//!
//! ```text
//! RUN/config.toml          the settings used (every default written out)
//! RUN/data.json            the table's models, rows and ranges (checked by evaluate)
//! RUN/metrics.jsonl        one line per PPO update (SB3's names)
//! RUN/validation.json      validation MSE of the policy at each evaluation
//! RUN/checkpoint/          resumable checkpoint (periodic, on Ctrl-C and at the end)
//! RUN/best_model/          the policy with the lowest validation MSE
//! RUN/training_curve.png   validation MSE against env steps
//! ```

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context};
use metablend::agents::ppo::{
    Callback, Control, JsonlLogger, PolicySpace, Ppo, PpoLearner, PpoPolicy, ProgressBar, UpdateLog,
};
use metablend::env::ensemble::{ActionMap, ActionMapKind, Residual, Select, Simplex, Softmax};
use metablend::env::{EnsembleEnv, EnsembleEnvConfig, EpisodeStart, Predictions, PredictionsPanel};
use serde::{Deserialize, Serialize};

use super::settings::{Ranges, TrainSettings};
use super::{interrupt_flag, plots, write_text};

/// What a training run produced.
#[derive(Debug, Clone)]
pub struct TrainOutcome {
    /// The best validation policy.
    pub best_dir: PathBuf,
    /// (env steps, validation MSE) at each evaluation.
    pub curve: Vec<(u64, f64)>,
    /// Whether Ctrl-C stopped it (a checkpoint was saved; `--resume` continues).
    pub interrupted: bool,
    /// Env steps taken in all.
    pub timesteps: u64,
    /// Wall time of this invocation.
    pub seconds: f64,
}

/// What `data.json` records about the table a run was trained on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataInfo {
    /// The predictions file.
    pub predictions: String,
    /// Its model columns.
    pub models: Vec<String>,
    /// Its number of rows.
    pub rows: usize,
    /// The ranges used.
    pub ranges: Ranges,
}

/// The validation history, persisted so a resumed run keeps its best model.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Validation {
    best_mse: Option<f64>,
    curve: Vec<(u64, f64)>,
}

/// Calls `f` with the action map named in the settings (monomorphised per map).
macro_rules! with_map {
    ($kind:expr, $f:ident ( $($arg:expr),* )) => {
        match $kind {
            ActionMapKind::Softmax => $f(Softmax, $($arg),*),
            ActionMapKind::Residual => $f(Residual, $($arg),*),
            ActionMapKind::Simplex => $f(Simplex, $($arg),*),
            ActionMapKind::Select => $f(Select, $($arg),*),
        }
    };
}
pub(crate) use with_map;

/// The env configs for training (random starts) and for a deterministic pass over `range`.
pub fn env_configs(
    settings: &TrainSettings,
    ranges: &Ranges,
) -> (EnsembleEnvConfig, EnsembleEnvConfig) {
    let base = EnsembleEnvConfig {
        window: settings.env.window,
        log_rmse: settings.env.log_rmse,
        episode_len: Some(settings.env.episode_len),
        start: EpisodeStart::Random,
        range_start: None,
        range_end: Some(ranges.train.end),
        ..EnsembleEnvConfig::default()
    };
    let validation = base.evaluation(ranges.validation.start, ranges.validation.end);
    (base, validation)
}

/// The policy's combined-forecast MSE over a deterministic pass of `config`'s range.
pub fn policy_mse<M, P>(
    panel: &Arc<PredictionsPanel>,
    config: &EnsembleEnvConfig,
    map: M,
    policy: &mut P,
) -> anyhow::Result<f64>
where
    M: ActionMap,
    P: metablend::env::Policy<EnsembleEnv<M>>,
{
    let mut env = EnsembleEnv::new(panel.clone(), config.clone(), map)?;
    let steps = env.forecast_episode(policy, true, Some(0))?;
    let target = panel.series()[0].target();
    let sse: f64 = steps.iter().map(|(t, f, _)| (f - target[*t]).powi(2)).sum();
    Ok(sse / steps.len().max(1) as f64)
}

/// Stops training when Ctrl-C was pressed.
struct StopOnInterrupt;

impl Callback for StopOnInterrupt {
    fn on_update(&mut self, _: &PpoLearner, _: &UpdateLog) -> metablend::agents::Result<Control> {
        Ok(if interrupt_flag().load(Ordering::SeqCst) {
            Control::Stop
        } else {
            Control::Continue
        })
    }
}

/// Validates every `every` updates, keeps the best model and persists the history.
struct Validate<F> {
    every: u64,
    evaluate: F,
    state: Validation,
    run_dir: PathBuf,
}

impl<F: FnMut(&PpoLearner) -> anyhow::Result<f64>> Callback for Validate<F> {
    fn on_update(
        &mut self,
        learner: &PpoLearner,
        log: &UpdateLog,
    ) -> metablend::agents::Result<Control> {
        if !log.iteration.is_multiple_of(self.every) {
            return Ok(Control::Continue);
        }
        let mse = (self.evaluate)(learner)
            .map_err(|e| metablend::agents::Error::InvalidConfig(format!("validation: {e:#}")))?;
        self.state.curve.push((log.total_timesteps, mse));
        if self.state.best_mse.is_none_or(|b| mse < b) {
            self.state.best_mse = Some(mse);
            learner.save(self.run_dir.join("best_model"))?;
        }
        let json = serde_json::to_string_pretty(&self.state).expect("serialisable");
        write_text(&self.run_dir.join("validation.json"), &json)
            .map_err(|e| metablend::agents::Error::InvalidConfig(format!("{e:#}")))?;
        Ok(Control::Continue)
    }
}

/// Trains on `preds` (read from `source`) into `run_dir`; with `resume`, continues from the
/// run folder's checkpoint (same settings and data required).
pub fn train(
    preds: &Predictions,
    source: &str,
    settings: &TrainSettings,
    run_dir: &Path,
    resume: bool,
    progress: bool,
) -> anyhow::Result<TrainOutcome> {
    with_map!(
        settings.env.action_map,
        train_with(preds, source, settings, run_dir, resume, progress)
    )
}

fn train_with<M>(
    map: M,
    preds: &Predictions,
    source: &str,
    settings: &TrainSettings,
    run_dir: &Path,
    resume: bool,
    progress: bool,
) -> anyhow::Result<TrainOutcome>
where
    M: ActionMap,
    M::Space: PolicySpace + Clone,
{
    let started = Instant::now();
    let ranges = settings.ranges(preds.len())?;
    let info = DataInfo {
        predictions: source.to_string(),
        models: preds.model_names().to_vec(),
        rows: preds.len(),
        ranges: ranges.clone(),
    };
    std::fs::create_dir_all(run_dir).with_context(|| format!("creating {}", run_dir.display()))?;
    let checkpoint = run_dir.join("checkpoint");
    let config_text = toml::to_string(settings)?;
    let info_text = serde_json::to_string_pretty(&info)?;
    if resume {
        let old_config = std::fs::read_to_string(run_dir.join("config.toml"))
            .with_context(|| format!("--resume: {} has no config.toml", run_dir.display()))?;
        // Only the step budget may change on resume (to train longer).
        let mut old = TrainSettings::from_toml(&old_config, "config.toml")?;
        old.total_timesteps = settings.total_timesteps;
        if old != *settings {
            bail!("--resume: the settings differ from the run's config.toml (only total_timesteps may change)");
        }
        write_text(&run_dir.join("config.toml"), &config_text)?;
        let old_info: DataInfo =
            serde_json::from_str(&std::fs::read_to_string(run_dir.join("data.json"))?)
                .context("--resume: damaged data.json")?;
        if old_info.models != info.models || old_info.rows != info.rows {
            bail!("--resume: the predictions table differs from the one the run was trained on");
        }
    } else {
        if checkpoint.exists() {
            bail!(
                "{} already holds a run; use --resume to continue it or choose another --out",
                run_dir.display()
            );
        }
        write_text(&run_dir.join("config.toml"), &config_text)?;
        write_text(&run_dir.join("data.json"), &info_text)?;
    }
    let panel = Arc::new(PredictionsPanel::new(vec![preds.clone()])?);
    let (train_cfg, val_cfg) = env_configs(settings, &ranges);
    let reward = settings.reward.clone();
    let make_env = |_: usize| -> metablend::env::Result<EnsembleEnv<M>> {
        Ok(
            EnsembleEnv::new(panel.clone(), train_cfg.clone(), map.clone())?
                .with_boxed_reward(reward.build()?),
        )
    };
    let mut ppo = if resume {
        Ppo::resume(&checkpoint, make_env).context("--resume")?
    } else {
        Ppo::new(settings.ppo.clone(), make_env)?
    };
    ppo.autosave(&checkpoint, settings.checkpoint_every);
    let space = ppo.envs().action_space().clone();
    let state = if resume {
        std::fs::read_to_string(run_dir.join("validation.json"))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default()
    } else {
        Validation::default()
    };
    let val_panel = panel.clone();
    let val_map = map.clone();
    let mut validate = Validate {
        every: settings.eval_every,
        evaluate: move |learner: &PpoLearner| -> anyhow::Result<f64> {
            let mut policy = PpoPolicy::from_learner(learner, space.clone())?;
            policy_mse(&val_panel, &val_cfg, val_map.clone(), &mut policy)
        },
        state,
        run_dir: run_dir.to_path_buf(),
    };
    let log_path = run_dir.join("metrics.jsonl");
    let mut logger = if resume {
        JsonlLogger::append(&log_path)?
    } else {
        JsonlLogger::create(&log_path)?
    };
    let mut bar = ProgressBar::new(settings.total_timesteps);
    let mut stop = StopOnInterrupt;
    let mut callbacks: Vec<&mut dyn Callback> = vec![&mut logger, &mut validate, &mut stop];
    if progress {
        callbacks.push(&mut bar);
    }
    ppo.learn(settings.total_timesteps, &mut callbacks)?;
    let interrupted = interrupt_flag().load(Ordering::SeqCst);
    ppo.save_checkpoint(&checkpoint)?;
    if validate.state.best_mse.is_none() {
        // Too few updates for a scheduled validation: validate the final policy.
        let mse = (validate.evaluate)(ppo.learner())?;
        validate
            .state
            .curve
            .push((ppo.learner().num_timesteps, mse));
        validate.state.best_mse = Some(mse);
        ppo.learner().save(run_dir.join("best_model"))?;
        write_text(
            &run_dir.join("validation.json"),
            &serde_json::to_string_pretty(&validate.state)?,
        )?;
    }
    let curve = validate.state.curve.clone();
    plots::training_curve(&run_dir.join("training_curve.png"), &curve)?;
    Ok(TrainOutcome {
        best_dir: run_dir.join("best_model"),
        curve,
        interrupted,
        timesteps: ppo.learner().num_timesteps,
        seconds: started.elapsed().as_secs_f64(),
    })
}
