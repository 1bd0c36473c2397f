//! The logged-trajectory format: JSONL, one line per step —
//!
//! ```json
//! {"episode":0,"t":0,"obs":[0.1,-0.2],"action":1,"reward":1.0,"terminated":false,"truncated":false,"behavior_log_prob":-0.69}
//! ```
//!
//! `action` is an index (discrete) or an array (continuous; the policy's raw action, whose
//! density `behavior_log_prob` is). Steps of an episode are consecutive with t = 0, 1, …;
//! an episode ends at its last line. Reading rejects, naming the line: malformed JSON or a
//! missing field, non-finite numbers, episodes out of order, and log-probabilities above 0
//! for discrete actions (a probability cannot exceed 1).

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// An action as logged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LoggedAction {
    /// A discrete action's index.
    Discrete(usize),
    /// A continuous action.
    Continuous(Vec<f64>),
}

/// One logged step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoggedStep {
    /// Episode id.
    pub episode: u64,
    /// Step within the episode, from 0.
    pub t: usize,
    /// The observation the action was chosen on.
    pub obs: Vec<f64>,
    /// The action taken.
    pub action: LoggedAction,
    /// The reward received.
    pub reward: f64,
    /// The episode ended in a terminal state.
    pub terminated: bool,
    /// The episode was cut (time limit, end of data).
    pub truncated: bool,
    /// ln π_b(action | obs) of the behaviour policy.
    pub behavior_log_prob: f64,
}

/// One episode's steps.
#[derive(Debug, Clone, PartialEq)]
pub struct Trajectory {
    /// Episode id.
    pub episode: u64,
    /// Its steps in order.
    pub steps: Vec<LoggedStep>,
}

impl Trajectory {
    /// The discounted return Σ γ^t r_t.
    pub fn discounted_return(&self, gamma: f64) -> f64 {
        self.steps
            .iter()
            .rev()
            .fold(0.0, |acc, s| s.reward + gamma * acc)
    }
}

fn check_step(step: &LoggedStep, prev: Option<&LoggedStep>) -> std::result::Result<(), String> {
    if let Some(i) = step.obs.iter().position(|v| !v.is_finite()) {
        return Err(format!("obs[{i}] is not finite"));
    }
    if let LoggedAction::Continuous(a) = &step.action {
        if let Some(i) = a.iter().position(|v| !v.is_finite()) {
            return Err(format!("action[{i}] is not finite"));
        }
    }
    if !step.reward.is_finite() {
        return Err(format!("reward {} is not finite", step.reward));
    }
    if !step.behavior_log_prob.is_finite() {
        return Err(format!(
            "behavior_log_prob {} is not finite",
            step.behavior_log_prob
        ));
    }
    if matches!(step.action, LoggedAction::Discrete(_)) && step.behavior_log_prob > 1e-12 {
        return Err(format!(
            "behavior_log_prob {} > 0 for a discrete action (probabilities are at most 1)",
            step.behavior_log_prob
        ));
    }
    match prev {
        Some(p) if p.episode == step.episode => {
            if p.terminated || p.truncated {
                return Err(format!(
                    "episode {} continues after its last step",
                    step.episode
                ));
            }
            if step.t != p.t + 1 {
                return Err(format!(
                    "episode {}: t = {} follows t = {} (steps out of order)",
                    step.episode, step.t, p.t
                ));
            }
        }
        _ => {
            if step.t != 0 {
                return Err(format!(
                    "episode {} starts at t = {} (must start at 0)",
                    step.episode, step.t
                ));
            }
        }
    }
    Ok(())
}

/// The longest line a log may have (a step with a very large observation fits; a file that
/// is one giant line is refused instead of read into memory whole).
pub const MAX_LINE_BYTES: usize = 16 << 20;

/// Reads and validates a log from JSONL text, streamed line by line in linear time; `source`
/// names it in errors.
pub fn read_log_from<R: std::io::Read>(reader: R, source: &str) -> Result<Vec<Trajectory>> {
    let mut out: Vec<Trajectory> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut reader = BufReader::new(reader);
    let mut buf = Vec::new();
    for number in 1.. {
        let err = |message: String| Error::Log {
            path: source.to_string(),
            line: number,
            message,
        };
        buf.clear();
        let read = (&mut reader)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|e| err(e.to_string()))?;
        if read == 0 {
            break;
        }
        if buf.len() > MAX_LINE_BYTES && buf.last() != Some(&b'\n') {
            return Err(err(format!(
                "longer than {MAX_LINE_BYTES} bytes; a log line is one step"
            )));
        }
        let mut text = std::str::from_utf8(&buf).map_err(|e| err(format!("not UTF-8: {e}")))?;
        if number == 1 {
            text = text.trim_start_matches('\u{feff}');
        }
        let line = text.trim();
        if line.is_empty() {
            continue;
        }
        let step: LoggedStep = serde_json::from_str(line).map_err(|e| err(e.to_string()))?;
        let prev = out.last().and_then(|t| t.steps.last());
        check_step(&step, prev).map_err(err)?;
        match out.last_mut() {
            Some(t) if t.episode == step.episode => t.steps.push(step),
            _ => {
                if !seen.insert(step.episode) {
                    return Err(err(format!(
                        "episode {} appears again after other episodes",
                        step.episode
                    )));
                }
                out.push(Trajectory {
                    episode: step.episode,
                    steps: vec![step],
                });
            }
        }
    }
    if out.is_empty() {
        return Err(Error::Log {
            path: source.to_string(),
            line: 0,
            message: "the log has no steps".into(),
        });
    }
    Ok(out)
}

/// Reads and validates a log file.
pub fn read_log(path: impl AsRef<Path>) -> Result<Vec<Trajectory>> {
    let path = path.as_ref();
    let file = std::fs::File::open(path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })?;
    read_log_from(file, &path.display().to_string())
}

/// Writes a log atomically (one JSON line per step).
pub fn write_log(path: impl AsRef<Path>, trajectories: &[Trajectory]) -> Result<()> {
    let path = path.as_ref();
    metablend_core::fs::write_file(path, |w| {
        for step in trajectories.iter().flat_map(|t| &t.steps) {
            let line = serde_json::to_string(step).map_err(std::io::Error::other)?;
            writeln!(w, "{line}")?;
        }
        Ok(())
    })?;
    Ok(())
}
