//! Training PPO on an ensemble env over the training rows of a predictions table, with model
//! selection on the validation rows, into a run folder:
//!
//! ```text
//! RUN/config.toml          the settings used (every default written out)
//! RUN/data.json            the table's models, rows, ranges and fingerprint
//! RUN/metrics.jsonl        one line per PPO update (SB3's names)
//! RUN/validation.json      validation MSE of the policy at each evaluation
//! RUN/checkpoint/          resumable checkpoint (periodic, on interruption and at the end)
//! RUN/best_model/          the policy with the lowest validation MSE
//! RUN/training_curve.png   validation MSE against env steps (through the caller's charts)
//! ```
//!
//! One process at a time writes a run folder (an OS lock held for the run's life). A resume
//! continues exactly where the checkpoint left off: the same settings (only the step budget
//! may grow), the same data (by content), and the log and validation history cut back to
//! the checkpoint so nothing is counted twice.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use metablend_agents::action_maps::{with_action_map, ActionMapJob};
use metablend_agents::ope::Perturbable;
use metablend_agents::ppo::{
    read_state, Callback, Control, JsonlLogger, Ppo, PpoLearner, PpoPolicy, UpdateLog,
};
use metablend_core::fs::checksum::Fingerprint;
use metablend_core::fs::{write_text, FolderLock};
use metablend_core::{Predictions, Progress};
use metablend_env::ensemble::ActionMap;
use metablend_env::{EnsembleEnv, EnsembleEnvConfig, EpisodeStart, PredictionsPanel};
use serde::{Deserialize, Serialize};

use super::settings::{Ranges, TrainSettings};
use crate::charts::{training_curve, Charts};
use crate::{Error, Result};

/// What a training run produced.
#[derive(Debug, Clone, Serialize)]
pub struct TrainOutcome {
    /// The best validation policy.
    pub best_dir: PathBuf,
    /// (env steps, validation MSE) at each evaluation.
    pub curve: Vec<(u64, f64)>,
    /// Whether the caller asked to stop (a checkpoint was saved; a resume continues).
    pub interrupted: bool,
    /// Env steps taken in all.
    pub timesteps: u64,
    /// Wall time of this invocation.
    pub seconds: f64,
}

impl TrainOutcome {
    /// The lowest validation MSE.
    pub fn best_mse(&self) -> f64 {
        self.curve.iter().map(|c| c.1).fold(f64::INFINITY, f64::min)
    }
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
    /// SHA-256 of the table's values and names (absent in older runs).
    #[serde(default)]
    pub fingerprint: Option<String>,
}

impl DataInfo {
    /// The record of `preds` (read from `source`) split into `ranges`.
    pub fn of(preds: &Predictions, source: &str, ranges: Ranges) -> Self {
        Self {
            predictions: source.to_string(),
            models: preds.model_names().to_vec(),
            rows: preds.len(),
            ranges,
            fingerprint: Some(fingerprint(preds)),
        }
    }
}

/// The content digest of a predictions table.
pub fn fingerprint(preds: &Predictions) -> String {
    let mut f = Fingerprint::new();
    for name in preds.model_names() {
        f.text(name);
    }
    f.numbers(preds.target()).numbers(preds.preds_flat());
    f.finish()
}

/// The validation history, persisted so a resumed run keeps its best model.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Validation {
    best_mse: Option<f64>,
    curve: Vec<(u64, f64)>,
}

/// The env configs for training (random starts) and for a deterministic pass over the
/// validation range.
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
        context: settings.env.context.clone(),
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
) -> Result<f64>
where
    M: ActionMap,
    P: metablend_env::Policy<EnsembleEnv<M>>,
{
    let mut env = EnsembleEnv::new(panel.clone(), config.clone(), map)?;
    let steps = env.forecast_episode(policy, true, Some(0))?;
    let target = panel.series()[0].target();
    let sse: f64 = steps.iter().map(|(t, f, _)| (f - target[*t]).powi(2)).sum();
    Ok(sse / steps.len().max(1) as f64)
}

/// Reports env steps and stops when the caller asks.
pub(crate) struct Report<'a> {
    pub(crate) progress: &'a dyn Progress,
    pub(crate) done: u64,
    pub(crate) stopped: bool,
}

impl Callback for Report<'_> {
    fn on_update(&mut self, _: &PpoLearner, log: &UpdateLog) -> metablend_agents::Result<Control> {
        self.progress
            .advance(log.total_timesteps.saturating_sub(self.done));
        self.done = log.total_timesteps;
        self.stopped = self.progress.stop_requested();
        Ok(if self.stopped {
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

impl<F: FnMut(&PpoLearner) -> Result<f64>> Validate<F> {
    fn record(&mut self, learner: &PpoLearner, steps: u64) -> Result<()> {
        let mse = (self.evaluate)(learner)?;
        if !mse.is_finite() {
            return Err(Error::Settings(format!(
                "the validation MSE is {mse} after {steps} env steps: the combined forecasts \
                 overflow (scale the series down, e.g. `backtest --log`)"
            )));
        }
        self.state.curve.push((steps, mse));
        if self.state.best_mse.is_none_or(|b| mse < b) {
            self.state.best_mse = Some(mse);
            learner.save(self.run_dir.join("best_model"))?;
        }
        let json = serde_json::to_string_pretty(&self.state).expect("serialisable");
        write_text(&self.run_dir.join("validation.json"), &json)?;
        Ok(())
    }
}

impl<F: FnMut(&PpoLearner) -> Result<f64>> Callback for Validate<F> {
    fn on_update(
        &mut self,
        learner: &PpoLearner,
        log: &UpdateLog,
    ) -> metablend_agents::Result<Control> {
        if log.iteration.is_multiple_of(self.every) {
            self.record(learner, log.total_timesteps)
                .map_err(|e| metablend_agents::Error::Callback(format!("validation: {e}")))?;
        }
        Ok(Control::Continue)
    }
}

/// A training run: the table, where it came from, the settings and the run folder.
pub struct TrainRun<'a> {
    /// The predictions table.
    pub preds: &'a Predictions,
    /// Its file (recorded in `data.json`).
    pub source: &'a str,
    /// The settings.
    pub settings: &'a TrainSettings,
    /// The run folder.
    pub run_dir: &'a Path,
    /// Continue the folder's checkpoint instead of starting.
    pub resume: bool,
}

/// Trains into the run folder (see the module docs). When the caller asks to stop, the
/// checkpoint is saved and the outcome says `interrupted`.
pub fn train(
    run: &TrainRun<'_>,
    progress: &dyn Progress,
    charts: &dyn Charts,
) -> Result<TrainOutcome> {
    with_action_map(
        run.settings.env.action_map,
        Job {
            run,
            progress,
            charts,
        },
    )
}

struct Job<'a, 'b> {
    run: &'a TrainRun<'b>,
    progress: &'a dyn Progress,
    charts: &'a dyn Charts,
}

impl ActionMapJob for Job<'_, '_> {
    type Output = Result<TrainOutcome>;
    fn run<M>(self, map: M) -> Result<TrainOutcome>
    where
        M: ActionMap,
        M::Space: Perturbable,
    {
        train_with(map, self.run, self.progress, self.charts)
    }
}

/// Writes or checks the run folder's settings and data record; returns the checkpoint's
/// update count when resuming.
fn prepare(run: &TrainRun<'_>, info: &DataInfo) -> Result<Option<(u64, u64)>> {
    let (dir, settings) = (run.run_dir, run.settings);
    let checkpoint = dir.join("checkpoint");
    let config_text = toml::to_string(settings).expect("settings serialise");
    if !run.resume {
        if checkpoint.exists() || dir.join("config.toml").exists() {
            return Err(Error::folder(
                dir,
                "already holds a run; use --resume to continue it or choose another folder",
            ));
        }
        write_text(&dir.join("config.toml"), &config_text)?;
        write_text(
            &dir.join("data.json"),
            &serde_json::to_string_pretty(info).expect("serialisable"),
        )?;
        return Ok(None);
    }
    let config_path = dir.join("config.toml");
    let old_text = std::fs::read_to_string(&config_path)
        .map_err(|e| Error::folder(&config_path, format!("--resume: cannot read it: {e}")))?;
    // Only the step budget may change on resume (to train longer).
    let mut old = TrainSettings::from_toml(&old_text, &config_path.display().to_string())?;
    let state = read_state(&checkpoint)?;
    if settings.total_timesteps < state.num_timesteps {
        return Err(Error::Settings(format!(
            "--resume: the run has already taken {} env steps; total_timesteps = {} would \
             train backwards (raise it to continue)",
            state.num_timesteps, settings.total_timesteps
        )));
    }
    old.total_timesteps = settings.total_timesteps;
    if old != *settings {
        return Err(Error::Settings(
            "--resume: the settings differ from the run's config.toml (only total_timesteps \
             may change)"
                .into(),
        ));
    }
    let data_path = dir.join("data.json");
    let text = std::fs::read_to_string(&data_path)
        .map_err(|e| Error::folder(&data_path, format!("--resume: cannot read it: {e}")))?;
    let old_info: DataInfo = serde_json::from_str(&text)
        .map_err(|e| Error::folder(&data_path, format!("damaged: {e}")))?;
    let same_content = match &old_info.fingerprint {
        Some(f) => info.fingerprint.as_ref() == Some(f),
        None => true,
    };
    if old_info.models != info.models || old_info.rows != info.rows || !same_content {
        return Err(Error::Settings(
            "--resume: the predictions table differs from the one the run was trained on".into(),
        ));
    }
    write_text(&config_path, &config_text)?;
    Ok(Some((state.iterations, state.num_timesteps)))
}

/// The validation history of a resumed run, cut back to the checkpoint. A damaged file is an
/// error: silently starting over would let a worse policy replace the best model.
fn resumed_validation(dir: &Path, timesteps: u64) -> Result<Validation> {
    let path = dir.join("validation.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Validation::default()),
        Err(e) => return Err(Error::folder(&path, e.to_string())),
    };
    let mut state: Validation = serde_json::from_str(&text).map_err(|e| {
        Error::folder(
            &path,
            format!("damaged ({e}); restore it or start a new run"),
        )
    })?;
    state.curve.retain(|&(steps, _)| steps <= timesteps);
    Ok(state)
}

fn train_with<M>(
    map: M,
    run: &TrainRun<'_>,
    progress: &dyn Progress,
    charts: &dyn Charts,
) -> Result<TrainOutcome>
where
    M: ActionMap,
    M::Space: Perturbable,
{
    let started = Instant::now();
    let (preds, settings, run_dir) = (run.preds, run.settings, run.run_dir);
    let ranges = settings.ranges(preds.len())?;
    let info = DataInfo::of(preds, run.source, ranges.clone());
    let _lock = FolderLock::acquire(run_dir)?;
    let resumed = prepare(run, &info)?;
    let checkpoint = run_dir.join("checkpoint");
    let panel = Arc::new(PredictionsPanel::new(vec![preds.clone()])?);
    let (train_cfg, val_cfg) = env_configs(settings, &ranges);
    let reward = settings.reward.clone();
    let make_env = |_: usize| -> metablend_env::Result<EnsembleEnv<M>> {
        Ok(
            EnsembleEnv::new(panel.clone(), train_cfg.clone(), map.clone())?
                .with_boxed_reward(reward.build()?),
        )
    };
    let mut ppo = match resumed {
        Some(_) => Ppo::resume(&checkpoint, make_env)?,
        None => Ppo::new(settings.ppo.clone(), make_env)?,
    };
    ppo.autosave(&checkpoint, settings.checkpoint_every);
    let space = ppo.envs().action_space().clone();
    let state = match resumed {
        Some((_, timesteps)) => resumed_validation(run_dir, timesteps)?,
        None => Validation::default(),
    };
    let (val_panel, val_map) = (panel.clone(), map.clone());
    let mut validate = Validate {
        every: settings.eval_every,
        evaluate: move |learner: &PpoLearner| -> Result<f64> {
            let mut policy = PpoPolicy::from_learner(learner, space.clone())?;
            policy_mse(&val_panel, &val_cfg, val_map.clone(), &mut policy)
        },
        state,
        run_dir: run_dir.to_path_buf(),
    };
    let log_path = run_dir.join("metrics.jsonl");
    let mut logger = match resumed {
        Some((iterations, _)) => JsonlLogger::resume(&log_path, iterations)?,
        None => JsonlLogger::create(&log_path)?,
    };
    progress.start("train", settings.total_timesteps);
    let mut report = Report {
        progress,
        done: ppo.learner().num_timesteps,
        stopped: false,
    };
    progress.advance(report.done);
    let mut callbacks: Vec<&mut dyn Callback> = vec![&mut logger, &mut validate, &mut report];
    ppo.learn(settings.total_timesteps, &mut callbacks)?;
    ppo.save_checkpoint(&checkpoint)?;
    if validate.state.best_mse.is_none() {
        // Too few updates for a scheduled validation: validate the final policy.
        validate.record(ppo.learner(), ppo.learner().num_timesteps)?;
    }
    let curve = validate.state.curve.clone();
    training_curve(charts, &run_dir.join("training_curve.png"), &curve)?;
    Ok(TrainOutcome {
        best_dir: run_dir.join("best_model"),
        curve,
        interrupted: report.stopped,
        timesteps: ppo.learner().num_timesteps,
        seconds: started.elapsed().as_secs_f64(),
    })
}
