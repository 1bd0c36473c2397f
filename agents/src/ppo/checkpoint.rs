//! Checkpoints: one folder with weights and optimiser moments (safetensors), and the config,
//! head and counters (JSON), written atomically.

use super::head::HeadKind;
use super::learner::PpoLearner;
use super::PpoConfig;
use crate::{Error, Result};
use candle_core::{Device, Tensor};
use metablend_core::fs::checksum::{file_sha256, verify_file};
use metablend_nn::Adam;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Bumped whenever the folder layout changes. Version 2 stores dense weights `[out, in]`
/// (candle's layout) and records the SHA-256 of each tensor file; version 1 (weights
/// `[in, out]`, no digests) still loads, its weights transposed. Other versions are errors.
pub const FORMAT_VERSION: u32 = 2;

/// The oldest version this build reads.
const OLDEST_READABLE: u32 = 1;

const WEIGHTS: &str = "model.safetensors";
const OPTIMIZER: &str = "optimizer.safetensors";
const STATE: &str = "state.json";

/// The JSON part of a checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointState {
    /// Layout version.
    pub format_version: u32,
    /// The training config (architecture included).
    pub config: PpoConfig,
    /// The action head.
    pub head: HeadKind,
    /// Observation size.
    pub obs_dim: usize,
    /// Env steps taken.
    pub num_timesteps: u64,
    /// Updates done.
    pub iterations: u64,
    /// Adam steps taken.
    pub adam_step: u64,
    /// SHA-256 of each tensor file, checked on load (absent in version 1).
    #[serde(default)]
    pub checksums: std::collections::BTreeMap<String, String>,
}

pub(crate) fn ckpt_err(path: &Path, message: impl Into<String>) -> Error {
    Error::Checkpoint {
        path: path.display().to_string(),
        message: message.into(),
    }
}

impl PpoLearner {
    /// Saves a checkpoint folder at `dir`: everything is written into a temporary sibling
    /// folder, then renamed into place, so `dir` is always either the old checkpoint or the
    /// complete new one. (Replacing an existing folder takes two renames; between them the old
    /// one sits at `<dir>.old-<pid>`.)
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<()> {
        self.save_with(dir.as_ref(), &[])
    }

    /// [`PpoLearner::save`] plus extra files (name, content) in the same atomic folder.
    pub(crate) fn save_with(&self, dir: &Path, extra: &[(&str, String)]) -> Result<()> {
        let io = |p: &Path, source| Error::Io {
            path: p.display().to_string(),
            source,
        };
        metablend_core::fs::write_folder(dir, |tmp| {
            let mut weights = HashMap::new();
            let mut moments = HashMap::new();
            for (i, (name, var)) in self.vars.iter().enumerate() {
                weights.insert(name.clone(), var.as_tensor().copy()?);
                let shape = var.shape();
                moments.insert(
                    format!("m.{name}"),
                    Tensor::from_slice(&self.adam.m[i], shape, &self.device)?,
                );
                moments.insert(
                    format!("v.{name}"),
                    Tensor::from_slice(&self.adam.v[i], shape, &self.device)?,
                );
            }
            candle_core::safetensors::save(&weights, tmp.join(WEIGHTS))?;
            candle_core::safetensors::save(&moments, tmp.join(OPTIMIZER))?;
            let mut checksums = std::collections::BTreeMap::new();
            for file in [WEIGHTS, OPTIMIZER] {
                checksums.insert(file.to_string(), file_sha256(&tmp.join(file))?);
            }
            let state = CheckpointState {
                format_version: FORMAT_VERSION,
                config: self.cfg.clone(),
                head: self.head,
                obs_dim: self.model.obs_dim(),
                num_timesteps: self.num_timesteps,
                iterations: self.iterations,
                adam_step: self.adam.step,
                checksums,
            };
            let json = serde_json::to_string_pretty(&state).expect("state serialises");
            std::fs::write(tmp.join(STATE), json).map_err(|e| io(&tmp.join(STATE), e))?;
            for (name, content) in extra {
                std::fs::write(tmp.join(name), content).map_err(|e| io(&tmp.join(name), e))?;
            }
            Ok(())
        })
    }

    /// Loads a checkpoint folder: rebuilds the networks from its config and restores weights,
    /// optimiser moments and counters. Missing files, damaged tensors, a different format
    /// version or parameters of the wrong shape are errors naming the file and tensor.
    pub fn load(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref();
        let state = read_state(dir)?;
        let mut learner =
            PpoLearner::new(state.config.clone(), state.obs_dim, state.head, Device::Cpu)?;
        for (file, digest) in &state.checksums {
            verify_file(&dir.join(file), digest)?;
        }
        let legacy_layout = state.format_version < 2;
        let weights = read_tensors(&dir.join(WEIGHTS))?;
        let moments = read_tensors(&dir.join(OPTIMIZER))?;
        let mut params = Vec::new();
        let mut adam = Adam::new(&[], learner.cfg.adam_eps as f32);
        for (name, var) in &learner.vars {
            let take = |map: &HashMap<String, Tensor>, key: &str, file: &str| -> Result<Vec<f32>> {
                let t = map.get(key).ok_or_else(|| {
                    ckpt_err(&dir.join(file), format!("tensor '{key}' is missing"))
                })?;
                // Version 1 stored dense weights [in, out].
                let transposed;
                let t = if legacy_layout && name.ends_with(".weight") && t.rank() == 2 {
                    transposed = t.t()?.contiguous()?;
                    &transposed
                } else {
                    t
                };
                if t.dims() != var.dims() {
                    return Err(ckpt_err(
                        &dir.join(file),
                        format!(
                            "tensor '{key}' has shape {:?}, the architecture needs {:?}",
                            t.dims(),
                            var.dims()
                        ),
                    ));
                }
                let v = t.flatten_all()?.to_vec1::<f32>()?;
                if v.iter().any(|x| !x.is_finite()) {
                    return Err(ckpt_err(
                        &dir.join(file),
                        format!("tensor '{key}' has NaN or inf"),
                    ));
                }
                Ok(v)
            };
            params.push(take(&weights, name, WEIGHTS)?);
            adam.m
                .push(take(&moments, &format!("m.{name}"), OPTIMIZER)?);
            adam.v
                .push(take(&moments, &format!("v.{name}"), OPTIMIZER)?);
        }
        if weights.len() != learner.vars.len() {
            return Err(ckpt_err(
                &dir.join(WEIGHTS),
                format!(
                    "has {} tensors, the architecture has {}",
                    weights.len(),
                    learner.vars.len()
                ),
            ));
        }
        adam.step = state.adam_step;
        learner.set_params(params)?;
        learner.adam = adam;
        learner.num_timesteps = state.num_timesteps;
        learner.iterations = state.iterations;
        Ok(learner)
    }
}

/// Reads and checks `state.json` of a checkpoint folder.
pub fn read_state(dir: &Path) -> Result<CheckpointState> {
    metablend_core::fs::recover_folder(dir)?;
    if !dir.is_dir() {
        return Err(ckpt_err(
            dir,
            "not a checkpoint folder (missing or not a directory)",
        ));
    }
    let path: PathBuf = dir.join(STATE);
    let text = std::fs::read_to_string(&path).map_err(|e| ckpt_err(&path, e.to_string()))?;
    parse_state(&text, &path)
}

/// Parses and checks the text of a `state.json`; `path` names it in errors.
pub fn parse_state(text: &str, path: &Path) -> Result<CheckpointState> {
    let state: CheckpointState =
        serde_json::from_str(text).map_err(|e| ckpt_err(path, format!("damaged: {e}")))?;
    if !(OLDEST_READABLE..=FORMAT_VERSION).contains(&state.format_version) {
        return Err(ckpt_err(
            path,
            format!(
                "format version {} (this build reads {OLDEST_READABLE} to {FORMAT_VERSION})",
                state.format_version
            ),
        ));
    }
    state.config.validate()?;
    Ok(state)
}

fn read_tensors(path: &Path) -> Result<HashMap<String, Tensor>> {
    let bytes = std::fs::read(path).map_err(|e| ckpt_err(path, e.to_string()))?;
    candle_core::safetensors::load_buffer(&bytes, &Device::Cpu)
        .map_err(|e| ckpt_err(path, format!("damaged safetensors: {e}")))
}
