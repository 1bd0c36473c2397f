//! Dense layers in candle's `[out, in]` layout.

use candle_core::{DType, Device, Tensor, Var};
use rand::Rng;

use crate::{init, Activation, Error, Result};

/// `act(x wᵀ + b)` for `x: (rows, in)`, `w: (out, in)`, `b: (out,)` through candle's generic
/// ops: any device and dtype, differentiable in every argument (so it also serves parameters
/// held as plain tensors, as the learned optimizer's tasks do); `act = None` is linear.
pub fn dense(
    x: &Tensor,
    w: &Tensor,
    b: &Tensor,
    act: Option<Activation>,
) -> candle_core::Result<Tensor> {
    // wᵀ as a contiguous copy: read through a transposed view, gemm's single-row path sums
    // in another order, so one-step forecasts would depend on how the weight is stored.
    let z = x.matmul(&w.t()?.contiguous()?)?.broadcast_add(b)?;
    match act {
        None => Ok(z),
        Some(a) => a.apply(&z),
    }
}

/// One dense layer: a weight `[out, in]` and a bias `[out]`.
#[derive(Debug, Clone)]
pub struct Dense {
    weight: Var,
    bias: Var,
}

impl Dense {
    /// A layer from its weight `[out, in]` and bias `[out]`.
    pub fn new(weight: Var, bias: Var) -> Result<Self> {
        match (weight.dims(), bias.dims()) {
            ([out, _], [b]) if out == b => Ok(Self { weight, bias }),
            (w, b) => Err(Error::Shape(format!(
                "a dense layer needs a weight [out, in] and a bias [out]; got {w:?} and {b:?}"
            ))),
        }
    }

    /// A layer from row-major `[out, in]` weight values and bias values.
    pub fn from_values(
        weight: Vec<f32>,
        bias: Vec<f32>,
        fan_in: usize,
        device: &Device,
    ) -> Result<Self> {
        let fan_out = bias.len();
        let w = Tensor::from_vec(weight, (fan_out, fan_in), device)?;
        let b = Tensor::from_vec(bias, fan_out, device)?;
        Self::new(Var::from_tensor(&w)?, Var::from_tensor(&b)?)
    }

    /// PyTorch's `nn.Linear` default with another bound: weight, then bias, uniform in
    /// `±bound` (see [`init::uniform_weight`] for the draw order).
    pub fn uniform<R: Rng + ?Sized>(
        rng: &mut R,
        fan_in: usize,
        fan_out: usize,
        bound: f64,
        device: &Device,
    ) -> Result<Self> {
        let w = init::uniform_weight(rng, fan_in, fan_out, bound);
        let b = init::uniform(rng, fan_out, bound);
        Self::from_values(w, b, fan_in, device)
    }

    /// An orthogonal weight scaled by `gain` and a zero bias (SB3's PPO initialisation).
    pub fn orthogonal<R: Rng + ?Sized>(
        rng: &mut R,
        fan_in: usize,
        fan_out: usize,
        gain: f64,
        device: &Device,
    ) -> Result<Self> {
        let w = init::orthogonal(fan_out, fan_in, gain, rng);
        Self::from_values(w, vec![0.0; fan_out], fan_in, device)
    }

    /// A uniform weight in `±1/√fan_in` and a zero bias.
    pub fn uniform_weight_zero_bias<R: Rng + ?Sized>(
        rng: &mut R,
        fan_in: usize,
        fan_out: usize,
        device: &Device,
    ) -> Result<Self> {
        let w = init::uniform_weight(rng, fan_in, fan_out, init::default_bound(fan_in));
        Self::from_values(w, vec![0.0; fan_out], fan_in, device)
    }

    /// The weight `[out, in]`.
    pub fn weight(&self) -> &Var {
        &self.weight
    }

    /// The bias `[out]`.
    pub fn bias(&self) -> &Var {
        &self.bias
    }

    /// Inputs.
    pub fn fan_in(&self) -> usize {
        self.weight.dims()[1]
    }

    /// Outputs.
    pub fn fan_out(&self) -> usize {
        self.weight.dims()[0]
    }

    /// `act(x wᵀ + b)` through candle's generic ops ([`dense`]).
    pub fn forward(&self, x: &Tensor, act: Option<Activation>) -> candle_core::Result<Tensor> {
        dense(x, self.weight.as_tensor(), self.bias.as_tensor(), act)
    }

    /// The same through the fused CPU op ([`crate::dense_fused`]).
    pub fn forward_fused(
        &self,
        x: &Tensor,
        act: Option<Activation>,
    ) -> candle_core::Result<Tensor> {
        crate::dense_fused(x, self.weight.as_tensor(), self.bias.as_tensor(), act)
    }

    /// A copy whose parameters no longer follow this layer's.
    pub fn detached_copy(&self) -> Result<Self> {
        Ok(Self {
            weight: Var::from_tensor(&self.weight.as_tensor().copy()?)?,
            bias: Var::from_tensor(&self.bias.as_tensor().copy()?)?,
        })
    }

    /// A zero layer of the given shape (to be loaded).
    pub fn zeros(fan_in: usize, fan_out: usize, device: &Device) -> Result<Self> {
        Self::new(
            Var::zeros((fan_out, fan_in), DType::F32, device)?,
            Var::zeros(fan_out, DType::F32, device)?,
        )
    }
}
