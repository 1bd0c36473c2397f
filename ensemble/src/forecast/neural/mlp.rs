//! A one-hidden-layer perceptron on lag windows.

use candle_core::{Tensor, Var};
use rand_chacha::ChaCha8Rng;

use super::train::{uniform_var, Network};

pub(crate) struct Mlp {
    lags: usize,
    hidden: usize,
    w1: Var,
    b1: Var,
    w2: Var,
    b2: Var,
}

impl Mlp {
    /// Weights U(±1/√fan_in), as PyTorch's `nn.Linear` default.
    pub fn new(lags: usize, hidden: usize, rng: &mut ChaCha8Rng) -> candle_core::Result<Self> {
        let b_in = 1.0 / (lags as f64).sqrt();
        let b_hidden = 1.0 / (hidden as f64).sqrt();
        Ok(Self {
            lags,
            hidden,
            w1: uniform_var(rng, (lags, hidden), b_in)?,
            b1: uniform_var(rng, (1, hidden), b_in)?,
            w2: uniform_var(rng, (hidden, 1), b_hidden)?,
            b2: uniform_var(rng, (1, 1), b_hidden)?,
        })
    }
}

impl Network for Mlp {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let h = x
            .matmul(self.w1.as_tensor())?
            .broadcast_add(self.b1.as_tensor())?
            .tanh()?;
        h.matmul(self.w2.as_tensor())?
            .broadcast_add(self.b2.as_tensor())?
            .squeeze(1)
    }

    fn vars(&self) -> Vec<Var> {
        vec![
            self.w1.clone(),
            self.b1.clone(),
            self.w2.clone(),
            self.b2.clone(),
        ]
    }

    fn fan_ins(&self) -> Vec<Option<usize>> {
        vec![Some(self.lags), None, Some(self.hidden), None]
    }
}
