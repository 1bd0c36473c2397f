//! A one-hidden-layer perceptron on lag windows.

use candle_core::{Device, Tensor, Var};
use metablend_nn::{Activation, Mlp as Layers};
use rand_chacha::ChaCha8Rng;

use super::train::Network;

pub(crate) struct Mlp {
    layers: Layers,
}

impl Mlp {
    /// Weights and biases U(±1/√fan_in), as PyTorch's `nn.Linear` default.
    pub fn new(lags: usize, hidden: usize, rng: &mut ChaCha8Rng) -> metablend_nn::Result<Self> {
        let layers = Layers::uniform(&[lags, hidden, 1], Activation::Tanh, rng, &Device::Cpu)?;
        Ok(Self { layers })
    }
}

impl Network for Mlp {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        self.layers.forward(x)?.squeeze(1)
    }

    fn vars(&self) -> Vec<Var> {
        self.layers.vars()
    }
}
