//! A single-layer LSTM (Hochreiter & Schmidhuber 1997, with a forget gate) read over the lag
//! window one value at a time; a linear head maps the last hidden state to the prediction.

use candle_core::{Tensor, Var, D};
use candle_nn::ops::sigmoid;
use rand_chacha::ChaCha8Rng;

use super::train::{uniform_var, Network};

pub(crate) struct Lstm {
    hidden: usize,
    /// Input weights `[1, 4H]`, recurrent weights `[H, 4H]`, bias `[1, 4H]` (gates i, f, g, o).
    w_ih: Var,
    w_hh: Var,
    bias: Var,
    w_out: Var,
    b_out: Var,
}

impl Lstm {
    /// Weights U(±1/√H) as PyTorch's `nn.LSTM`; the forget-gate bias starts at 1 so early
    /// training keeps memory (Jozefowicz et al. 2015).
    pub fn new(hidden: usize, rng: &mut ChaCha8Rng) -> candle_core::Result<Self> {
        let bound = 1.0 / (hidden as f64).sqrt();
        let bias = uniform_var(rng, (1, 4 * hidden), bound)?;
        let forget = (bias.as_tensor().narrow(1, hidden, hidden)? + 1.0)?;
        let updated = Tensor::cat(
            &[
                bias.as_tensor().narrow(1, 0, hidden)?,
                forget,
                bias.as_tensor().narrow(1, 2 * hidden, 2 * hidden)?,
            ],
            1,
        )?;
        bias.set(&updated)?;
        Ok(Self {
            hidden,
            w_ih: uniform_var(rng, (1, 4 * hidden), bound)?,
            w_hh: uniform_var(rng, (hidden, 4 * hidden), bound)?,
            bias,
            w_out: uniform_var(rng, (hidden, 1), bound)?,
            b_out: uniform_var(rng, (1, 1), bound)?,
        })
    }
}

impl Network for Lstm {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let (batch, steps) = x.dims2()?;
        let hd = self.hidden;
        // All input projections at once: [B, L, 1] x [1, 4H] -> [B, L, 4H], plus the bias.
        let projected = x
            .reshape((batch * steps, 1))?
            .matmul(self.w_ih.as_tensor())?
            .broadcast_add(self.bias.as_tensor())?
            .reshape((batch, steps, 4 * hd))?;
        let mut h = Tensor::zeros((batch, hd), x.dtype(), x.device())?;
        let mut c = h.clone();
        for t in 0..steps {
            let gates = projected
                .narrow(1, t, 1)?
                .squeeze(1)?
                .add(&h.matmul(self.w_hh.as_tensor())?)?;
            let chunks = gates.chunk(4, D::Minus1)?;
            let i = sigmoid(&chunks[0])?;
            let f = sigmoid(&chunks[1])?;
            let g = chunks[2].tanh()?;
            let o = sigmoid(&chunks[3])?;
            c = f.mul(&c)?.add(&i.mul(&g)?)?;
            h = o.mul(&c.tanh()?)?;
        }
        h.matmul(self.w_out.as_tensor())?
            .broadcast_add(self.b_out.as_tensor())?
            .squeeze(1)
    }

    fn vars(&self) -> Vec<Var> {
        vec![
            self.w_ih.clone(),
            self.w_hh.clone(),
            self.bias.clone(),
            self.w_out.clone(),
            self.b_out.clone(),
        ]
    }

    fn fan_ins(&self) -> Vec<Option<usize>> {
        // One input value per step; the recurrent and output weights read the hidden state.
        vec![Some(1), Some(self.hidden), None, Some(self.hidden), None]
    }
}
