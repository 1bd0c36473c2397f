//! Task families for meta-training and evaluation: quadratics and MLP regressions on lag
//! windows of real series.

use candle_core::{Device, Tensor};
use metablend_nn::{dense, init, Activation, Dense};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

use crate::{Error, Result};

/// An optimisation problem: initial parameters and a differentiable scalar loss.
pub trait MetaTask: Send + Sync {
    /// A short description (for errors and reports).
    fn name(&self) -> String;
    /// Initial parameters for a run (deterministic in `seed`).
    fn init(&self, seed: u64) -> Result<Vec<Tensor>>;
    /// The loss at `params` (full batch).
    fn loss(&self, params: &[Tensor]) -> Result<Tensor>;
    /// The fan-in of parameter `index` if it is a weight matrix (for the learned
    /// optimizer's width scaling); `None` (the default) for anything else.
    fn fan_in(&self, _index: usize) -> Option<usize> {
        None
    }
}

/// `mean((A θ − b)²)` with Gaussian `A` (n × n) and `b`: the paper's synthetic family.
pub struct Quadratic {
    a: Tensor,
    b: Tensor,
    dim: usize,
    seed: u64,
}

impl Quadratic {
    /// A random instance of dimension `dim`.
    pub fn random(dim: usize, seed: u64) -> Result<Self> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let a: Vec<f32> = (0..dim * dim)
            .map(|_| rng.sample::<f64, _>(StandardNormal) as f32)
            .collect();
        let b: Vec<f32> = (0..dim)
            .map(|_| rng.sample::<f64, _>(StandardNormal) as f32)
            .collect();
        Ok(Self {
            a: Tensor::from_vec(a, (dim, dim), &Device::Cpu)?,
            b: Tensor::from_vec(b, (dim, 1), &Device::Cpu)?,
            dim,
            seed,
        })
    }
}

impl MetaTask for Quadratic {
    fn name(&self) -> String {
        format!("quadratic(dim {}, seed {})", self.dim, self.seed)
    }
    fn init(&self, seed: u64) -> Result<Vec<Tensor>> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let x: Vec<f32> = (0..self.dim)
            .map(|_| rng.sample::<f64, _>(StandardNormal) as f32)
            .collect();
        Ok(vec![Tensor::from_vec(x, (self.dim, 1), &Device::Cpu)?])
    }
    fn loss(&self, params: &[Tensor]) -> Result<Tensor> {
        Ok(self.a.matmul(&params[0])?.sub(&self.b)?.sqr()?.mean_all()?)
    }
}

/// A one-hidden-layer MLP forecasting the next value of a standardised series from its
/// last `lags` values: MSE over (up to) the last `max_rows` windows.
pub struct MlpRegression {
    name: String,
    x: Tensor,
    y: Tensor,
    lags: usize,
    hidden: usize,
    activation: Activation,
}

impl MlpRegression {
    /// Lag windows of `series` (standardised by its mean and sd; at least `lags + 10`
    /// values, finite, not constant).
    pub fn from_series(
        name: &str,
        series: &[f64],
        lags: usize,
        hidden: usize,
        activation: Activation,
        max_rows: usize,
    ) -> Result<Self> {
        let n = series.len();
        if lags == 0 || hidden == 0 || n < lags + 10 {
            return Err(Error::InvalidInput(format!(
                "{name}: {n} values are too few for {lags} lags (or a zero size)"
            )));
        }
        if let Some(i) = series.iter().position(|v| !v.is_finite()) {
            return Err(Error::InvalidInput(format!(
                "{name}: value {i} is not finite"
            )));
        }
        let mean = series.iter().sum::<f64>() / n as f64;
        let sd = (series.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
        if sd.is_nan() || sd <= 0.0 {
            return Err(Error::InvalidInput(format!(
                "{name}: the series is constant"
            )));
        }
        let z: Vec<f32> = series.iter().map(|v| ((v - mean) / sd) as f32).collect();
        let first = lags.max(n.saturating_sub(max_rows));
        let rows = n - first;
        let mut x = Vec::with_capacity(rows * lags);
        let mut y = Vec::with_capacity(rows);
        for t in first..n {
            x.extend_from_slice(&z[t - lags..t]);
            y.push(z[t]);
        }
        Ok(Self {
            name: format!("{name} (mlp {hidden} {activation:?})"),
            x: Tensor::from_vec(x, (rows, lags), &Device::Cpu)?,
            y: Tensor::from_vec(y, (rows, 1), &Device::Cpu)?,
            lags,
            hidden,
            activation,
        })
    }
}

impl MetaTask for MlpRegression {
    fn name(&self) -> String {
        self.name.clone()
    }
    /// Two dense layers `[hidden, lags]`, `[hidden]`, `[1, hidden]`, `[1]` (the toolkit's
    /// layout), initialised as PyTorch's `nn.Linear`.
    fn init(&self, seed: u64) -> Result<Vec<Tensor>> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut params = Vec::with_capacity(4);
        for (fan_in, fan_out) in [(self.lags, self.hidden), (self.hidden, 1)] {
            let layer = Dense::uniform(
                &mut rng,
                fan_in,
                fan_out,
                init::default_bound(fan_in),
                &Device::Cpu,
            )?;
            params.push(layer.weight().as_tensor().clone());
            params.push(layer.bias().as_tensor().clone());
        }
        Ok(params)
    }
    fn loss(&self, p: &[Tensor]) -> Result<Tensor> {
        let h = dense(&self.x, &p[0], &p[1], Some(self.activation))?;
        let out = dense(&h, &p[2], &p[3], None)?;
        Ok(out.sub(&self.y)?.sqr()?.mean_all()?)
    }
    fn fan_in(&self, index: usize) -> Option<usize> {
        match index {
            0 => Some(self.lags),
            2 => Some(self.hidden),
            _ => None,
        }
    }
}
