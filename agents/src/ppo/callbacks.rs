//! Callbacks: hooks after each update that can log, evaluate, checkpoint or stop training.

use super::learner::PpoLearner;
use super::log::UpdateLog;
use crate::{Error, Result};
use std::io::Write;
use std::path::PathBuf;

/// Whether training goes on after a callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Keep training.
    Continue,
    /// Stop after this update.
    Stop,
}

/// A hook into training. Every method has a default, so a callback implements what it needs.
pub trait Callback {
    /// Called after each rollout is collected, before the update that learns from it, with
    /// the env steps taken so far; returning [`Control::Stop`] skips that update and ends
    /// training.
    fn on_rollout_end(&mut self, learner: &PpoLearner, num_timesteps: u64) -> Result<Control> {
        let _ = (learner, num_timesteps);
        Ok(Control::Continue)
    }

    /// Called after every rollout + update with that update's log.
    fn on_update(&mut self, learner: &PpoLearner, log: &UpdateLog) -> Result<Control> {
        let _ = (learner, log);
        Ok(Control::Continue)
    }

    /// Called once when training ends (normally or stopped by a callback).
    fn on_training_end(&mut self, learner: &PpoLearner) -> Result<()> {
        let _ = learner;
        Ok(())
    }
}

/// Appends each update's log as one JSON line (flushed per line, so a crash loses at most the
/// line being written).
#[derive(Debug)]
pub struct JsonlLogger {
    path: PathBuf,
    file: std::fs::File,
}

impl JsonlLogger {
    /// Creates (truncates) `path`.
    pub fn create(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        let file = std::fs::File::create(&path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        Ok(Self { path, file })
    }

    /// Continues the log of a run resumed from a checkpoint taken after update `iterations`:
    /// lines of later updates (written before an interruption, and about to be repeated) are
    /// dropped first, so the log has each update once. A line that is not a log record is an
    /// error naming it.
    pub fn resume(path: impl Into<PathBuf>, iterations: u64) -> Result<Self> {
        let path = path.into();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(source) => {
                return Err(Error::Io {
                    path: path.display().to_string(),
                    source,
                })
            }
        };
        let mut kept = String::with_capacity(text.len());
        for (i, line) in text.lines().enumerate() {
            let record: UpdateLog = serde_json::from_str(line).map_err(|e| Error::Log {
                path: path.display().to_string(),
                line: i + 1,
                message: format!("not an update record: {e}"),
            })?;
            if record.iteration <= iterations {
                kept.push_str(line);
                kept.push('\n');
            }
        }
        metablend_core::fs::write_text(&path, &kept)?;
        Self::append(path)
    }

    /// Opens `path` for appending (creating it if needed): a resumed run continues its log.
    pub fn append(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|source| Error::Io {
                path: path.display().to_string(),
                source,
            })?;
        Ok(Self { path, file })
    }
}

impl Callback for JsonlLogger {
    fn on_update(&mut self, _: &PpoLearner, log: &UpdateLog) -> Result<Control> {
        let line = serde_json::to_string(log).expect("UpdateLog serialises");
        writeln!(self.file, "{line}").map_err(|source| Error::Io {
            path: self.path.display().to_string(),
            source,
        })?;
        Ok(Control::Continue)
    }
}

/// Stops training once `ep_rew_mean` reaches `threshold` (SB3's `StopTrainingOnRewardThreshold`,
/// here on the training episodes' running mean).
#[derive(Debug, Clone)]
pub struct StopOnRewardThreshold {
    /// The threshold.
    pub threshold: f64,
}

impl Callback for StopOnRewardThreshold {
    fn on_update(&mut self, _: &PpoLearner, log: &UpdateLog) -> Result<Control> {
        Ok(match log.ep_rew_mean {
            Some(r) if r >= self.threshold => Control::Stop,
            _ => Control::Continue,
        })
    }
}

/// Saves a checkpoint folder `<dir>/step_<N>` every `every` updates and at the end
/// (SB3's `CheckpointCallback`); each folder is written atomically.
#[derive(Debug, Clone)]
pub struct CheckpointEvery {
    /// Parent folder.
    pub dir: PathBuf,
    /// Updates between checkpoints.
    pub every: u64,
}

impl Callback for CheckpointEvery {
    fn on_update(&mut self, learner: &PpoLearner, log: &UpdateLog) -> Result<Control> {
        if self.every > 0 && log.iteration.is_multiple_of(self.every) {
            learner.save(self.dir.join(format!("step_{}", log.total_timesteps)))?;
        }
        Ok(Control::Continue)
    }

    fn on_training_end(&mut self, learner: &PpoLearner) -> Result<()> {
        learner.save(self.dir.join(format!("step_{}", learner.num_timesteps)))
    }
}

/// Runs an evaluation every `every` updates and saves the best model so far to `best_dir`
/// (SB3's `EvalCallback`). The evaluation itself is a closure, so it can run any env type
/// (for example a separate deterministic env over a validation range).
pub struct EvalCallback<F> {
    /// Updates between evaluations.
    pub every: u64,
    /// Returns the mean evaluation return of the learner's current policy.
    pub evaluate: F,
    /// Where the best model is saved (None: not saved).
    pub best_dir: Option<PathBuf>,
    /// Best mean return so far.
    pub best: Option<f64>,
    /// Every evaluation: (timesteps, mean return).
    pub history: Vec<(u64, f64)>,
}

impl<F: FnMut(&PpoLearner) -> Result<f64>> EvalCallback<F> {
    /// An evaluation callback.
    pub fn new(every: u64, best_dir: Option<PathBuf>, evaluate: F) -> Self {
        Self {
            every: every.max(1),
            evaluate,
            best_dir,
            best: None,
            history: Vec::new(),
        }
    }
}

impl<F: FnMut(&PpoLearner) -> Result<f64>> Callback for EvalCallback<F> {
    fn on_update(&mut self, learner: &PpoLearner, log: &UpdateLog) -> Result<Control> {
        if !log.iteration.is_multiple_of(self.every) {
            return Ok(Control::Continue);
        }
        let mean = (self.evaluate)(learner)?;
        self.history.push((log.total_timesteps, mean));
        tracing::info!(steps = log.total_timesteps, eval_mean = mean, "evaluation");
        if self.best.is_none_or(|b| mean > b) {
            self.best = Some(mean);
            if let Some(dir) = &self.best_dir {
                learner.save(dir)?;
            }
        }
        Ok(Control::Continue)
    }
}

/// Any closure as a callback after each update (progress display, custom logging, early
/// stopping): `OnUpdate(|log| { ...; Control::Continue })`.
pub struct OnUpdate<F>(pub F);

impl<F: FnMut(&UpdateLog) -> Control> Callback for OnUpdate<F> {
    fn on_update(&mut self, _: &PpoLearner, log: &UpdateLog) -> Result<Control> {
        Ok((self.0)(log))
    }
}
