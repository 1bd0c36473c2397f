//! Hidden-layer activations.

use candle_core::Tensor;
use serde::{Deserialize, Serialize};

/// A hidden layer's activation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// tanh (SB3's default for PPO, the forecasters' default).
    #[default]
    Tanh,
    /// ReLU.
    Relu,
}

impl Activation {
    /// Applies the activation through candle's generic ops.
    pub fn apply(self, x: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            Self::Tanh => x.tanh(),
            Self::Relu => x.relu(),
        }
    }
}
