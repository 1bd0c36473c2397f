//! Meta-training checkpoints, written as PPO's are: one folder replaced atomically, tensor
//! files verified against their recorded SHA-256 on load. The folder holds φ
//! ([`UpdateNet::save`]) and `train_state.json`: the iteration to continue from, the
//! settings, and the meta-optimiser's Adam state.

use std::path::Path;

use metablend_nn::Adam;
use serde::{Deserialize, Serialize};

use super::net::UpdateNet;
use super::train::MetaTrainConfig;
use crate::{Error, Result};

const STATE: &str = "train_state.json";

#[derive(Serialize, Deserialize)]
struct TrainState {
    iteration: usize,
    config: MetaTrainConfig,
    adam_m: Vec<Vec<f32>>,
    adam_v: Vec<Vec<f32>>,
    adam_step: u64,
}

/// Where meta-training stands: φ, Adam's state, the next iteration and the settings.
pub struct MetaCheckpoint {
    /// φ.
    pub net: UpdateNet,
    /// The meta-optimiser's state.
    pub adam: Adam,
    /// Iterations done (the next one to run).
    pub iteration: usize,
    /// The settings training runs with.
    pub config: MetaTrainConfig,
}

impl MetaCheckpoint {
    /// Saves the state after `iteration` iterations into `dir`, atomically.
    pub fn save(
        dir: &Path,
        net: &UpdateNet,
        adam: &Adam,
        iteration: usize,
        config: &MetaTrainConfig,
    ) -> Result<()> {
        let state = TrainState {
            iteration,
            config: config.clone(),
            adam_m: adam.m.clone(),
            adam_v: adam.v.clone(),
            adam_step: adam.step,
        };
        let json = serde_json::to_string(&state).expect("state serialises");
        net.save(dir, &[(STATE, json)])
    }

    /// Loads a checkpoint folder.
    pub fn load(dir: &Path) -> Result<Self> {
        let net = UpdateNet::load(dir)?;
        let path = dir.join(STATE);
        let damaged = |message: String| Error::Checkpoint {
            path: path.display().to_string(),
            message,
        };
        let text = std::fs::read_to_string(&path).map_err(|e| damaged(e.to_string()))?;
        let state: TrainState =
            serde_json::from_str(&text).map_err(|e| damaged(format!("damaged: {e}")))?;
        let mut adam = Adam::new(&[], 1e-8);
        (adam.m, adam.v, adam.step) = (state.adam_m, state.adam_v, state.adam_step);
        Ok(Self {
            net,
            adam,
            iteration: state.iteration,
            config: state.config,
        })
    }

    /// Checks that training can continue with `requested` settings: the same network, and
    /// inside ES fine-tuning the same truncated phase. Names the flags to set otherwise.
    pub fn check_resume(&self, requested: &MetaTrainConfig) -> Result<()> {
        if self.config.net != requested.net {
            return Err(Error::InvalidMetaOptConfig(format!(
                "--resume: the checkpoint's network ({:?}) differs from the requested one \
                 ({:?}); set --horizon, --decay-power and --base-fan-in as the run was started \
                 (a checkpoint without a decay needs --decay-power 0, one without width \
                 scaling --base-fan-in 0)",
                self.config.net, requested.net
            )));
        }
        // Inside the fine-tuning phase the truncated phase is over: changing its length
        // would re-run fine-tuning from a different point.
        if self.iteration > self.config.iterations && self.config.iterations != requested.iterations
        {
            return Err(Error::InvalidMetaOptConfig(format!(
                "--resume: the checkpoint is {} updates into ES fine-tuning after {} truncated \
                 iterations; resume with --iterations {}",
                self.iteration - self.config.iterations,
                self.config.iterations,
                self.config.iterations
            )));
        }
        Ok(())
    }
}
