//! A single-layer LSTM (Hochreiter & Schmidhuber 1997, with a forget gate) read over the lag
//! window one value at a time; a linear head maps the last hidden state to the prediction.

use candle_core::{Tensor, Var, D};
use candle_nn::ops::sigmoid;
use metablend_nn::dense;
use rand_chacha::ChaCha8Rng;

use metablend_nn::init;

use super::train::Network;

/// A variable of `shape` from values.
fn var(values: Vec<f32>, shape: impl Into<candle_core::Shape>) -> candle_core::Result<Var> {
    Var::from_tensor(&Tensor::from_vec(values, shape, &candle_core::Device::Cpu)?)
}

pub(crate) struct Lstm {
    hidden: usize,
    /// Input weights `[4H, 1]`, recurrent weights `[4H, H]`, bias `[4H]` (gates i, f, g, o),
    /// in the toolkit's `[out, in]` layout.
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
        let bound = init::default_bound(hidden);
        let mut bias = init::uniform(rng, 4 * hidden, bound);
        for b in &mut bias[hidden..2 * hidden] {
            *b += 1.0;
        }
        Ok(Self {
            hidden,
            bias: var(bias, 4 * hidden)?,
            w_ih: var(
                init::uniform_weight(rng, 1, 4 * hidden, bound),
                (4 * hidden, 1),
            )?,
            w_hh: var(
                init::uniform_weight(rng, hidden, 4 * hidden, bound),
                (4 * hidden, hidden),
            )?,
            w_out: var(init::uniform_weight(rng, hidden, 1, bound), (1, hidden))?,
            b_out: var(init::uniform(rng, 1, bound), 1)?,
        })
    }
}

impl Network for Lstm {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let (batch, steps) = x.dims2()?;
        let hd = self.hidden;
        // All input projections at once: [B, L, 1] x [1, 4H] -> [B, L, 4H], plus the bias.
        let projected = dense(
            &x.reshape((batch * steps, 1))?,
            self.w_ih.as_tensor(),
            self.bias.as_tensor(),
            None,
        )?
        .reshape((batch, steps, 4 * hd))?;
        let w_hh = self.w_hh.as_tensor().t()?.contiguous()?;
        let mut h = Tensor::zeros((batch, hd), x.dtype(), x.device())?;
        let mut c = h.clone();
        for t in 0..steps {
            let gates = projected
                .narrow(1, t, 1)?
                .squeeze(1)?
                .add(&h.matmul(&w_hh)?)?;
            let chunks = gates.chunk(4, D::Minus1)?;
            let i = sigmoid(&chunks[0])?;
            let f = sigmoid(&chunks[1])?;
            let g = chunks[2].tanh()?;
            let o = sigmoid(&chunks[3])?;
            c = f.mul(&c)?.add(&i.mul(&g)?)?;
            h = o.mul(&c.tanh()?)?;
        }
        dense(&h, self.w_out.as_tensor(), self.b_out.as_tensor(), None)?.squeeze(1)
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
}
