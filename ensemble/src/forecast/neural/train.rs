//! The training loop shared by the neural forecasters: seeded minibatch order, an optimiser
//! behind a small trait (Adam by default; any `candle_nn::Optimizer` fits, so a learned
//! optimiser can train these models), early stopping on a chronological validation tail
//! with the best weights restored.

use candle_core::{backprop::GradStore, Device, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::data::Windows;
use crate::Result;

/// Something that updates variables from their gradients.
pub trait StepOptimizer: Send {
    /// Applies one update.
    fn step(&mut self, grads: &GradStore) -> candle_core::Result<()>;
}

impl<O: Optimizer + Send> StepOptimizer for O {
    fn step(&mut self, grads: &GradStore) -> candle_core::Result<()> {
        Optimizer::step(self, grads)
    }
}

/// Builds the optimiser for a model's variables (called once per fit). The variables are in
/// candle's layout (weights `[out, in]`, biases 1-D), so an optimiser that scales steps by
/// width reads each weight's fan-in from its second dimension.
pub type OptimizerFactory =
    dyn Fn(Vec<Var>) -> candle_core::Result<Box<dyn StepOptimizer>> + Send + Sync;

/// Adam (no weight decay) with the given learning rate.
pub fn adam(vars: Vec<Var>, lr: f64) -> candle_core::Result<Box<dyn StepOptimizer>> {
    let params = ParamsAdamW {
        lr,
        weight_decay: 0.0,
        ..ParamsAdamW::default()
    };
    Ok(Box::new(AdamW::new(vars, params)?))
}

/// A network mapping a batch of lag windows `[B, L]` to one-step predictions `[B]`.
pub trait Network: Send {
    /// The forward pass.
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor>;
    /// Trainable variables, in candle's layout (weights `[out, in]`, biases 1-D).
    fn vars(&self) -> Vec<Var>;
}

/// Loop settings.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LoopSettings {
    pub epochs: usize,
    pub batch_size: usize,
    pub patience: usize,
    pub val_frac: f64,
    pub seed: u64,
}

/// What training did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NeuralFit {
    /// Epochs run (≤ the configured maximum when early stopping triggered).
    pub epochs_run: usize,
    /// The epoch whose weights were kept (0-based).
    pub best_epoch: usize,
    /// Validation MSE (scaled units) of the kept weights.
    pub best_val_loss: f64,
    /// Training MSE (scaled units) in the kept epoch.
    pub train_loss: f64,
}

fn tensors(w: &Windows, rows: &[usize]) -> candle_core::Result<(Tensor, Tensor)> {
    let mut x = Vec::with_capacity(rows.len() * w.lags);
    let mut y = Vec::with_capacity(rows.len());
    for &r in rows {
        x.extend_from_slice(&w.inputs[r * w.lags..(r + 1) * w.lags]);
        y.push(w.targets[r]);
    }
    Ok((
        Tensor::from_vec(x, (rows.len(), w.lags), &Device::Cpu)?,
        Tensor::from_vec(y, rows.len(), &Device::Cpu)?,
    ))
}

fn mse(net: &dyn Network, x: &Tensor, y: &Tensor) -> candle_core::Result<Tensor> {
    net.forward(x)?.sub(y)?.sqr()?.mean_all()
}

/// Trains `net` on `windows`; the last `val_frac` of them (in time order) is the validation
/// tail. Returns what happened; the network ends with the best validation weights.
pub(crate) fn train(
    net: &dyn Network,
    windows: &Windows,
    settings: LoopSettings,
    optimizer: &OptimizerFactory,
) -> Result<NeuralFit> {
    let n = windows.len();
    let n_val = ((n as f64 * settings.val_frac).round() as usize).clamp(1, n / 2);
    let train_rows: Vec<usize> = (0..n - n_val).collect();
    let (val_x, val_y) = tensors(windows, &(n - n_val..n).collect::<Vec<_>>())?;
    let vars = net.vars();
    let mut opt = optimizer(vars.clone())?;
    let mut rng = ChaCha8Rng::seed_from_u64(settings.seed ^ 0x005e_ed0f_7a11);
    let snapshot = |vars: &[Var]| -> candle_core::Result<Vec<Tensor>> {
        vars.iter().map(|v| v.as_tensor().copy()).collect()
    };
    let mut best = (f64::INFINITY, 0usize, f64::NAN, snapshot(&vars)?);
    let mut order = train_rows.clone();
    let mut epochs_run = 0;
    for epoch in 0..settings.epochs {
        epochs_run = epoch + 1;
        order.shuffle(&mut rng);
        let (mut train_sum, mut train_count) = (0.0, 0usize);
        for batch in order.chunks(settings.batch_size.max(1)) {
            let (x, y) = tensors(windows, batch)?;
            let loss = mse(net, &x, &y)?;
            let grads = loss.backward()?;
            opt.step(&grads)?;
            train_sum += loss.to_scalar::<f32>()? as f64 * batch.len() as f64;
            train_count += batch.len();
        }
        let val = mse(net, &val_x, &val_y)?.to_scalar::<f32>()? as f64;
        if !val.is_finite() {
            break;
        }
        if val < best.0 {
            best = (val, epoch, train_sum / train_count as f64, snapshot(&vars)?);
        } else if epoch - best.1 >= settings.patience {
            break;
        }
    }
    for (var, saved) in vars.iter().zip(&best.3) {
        var.set(saved)?;
    }
    Ok(NeuralFit {
        epochs_run,
        best_epoch: best.1,
        best_val_loss: best.0,
        train_loss: best.2,
    })
}
