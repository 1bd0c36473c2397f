//! A supervised FFORMA-style meta-learner: a small softmax network from a series'
//! observation (scaled features and its models' validation log-losses) to combination
//! weights, trained by gradient descent on FFORMA's objective, the expected loss
//! `Σ_k w_k(x)·loss_k` over the validation windows (Montero-Manso et al. 2020 use the
//! same objective with gradient-boosted trees).

use std::collections::HashMap;
use std::path::Path;

use candle_core::{Device, Tensor, D};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use metablend_env::contextual::ContextPanel;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};
use metablend_nn::{Activation, Mlp};

/// Losses above this count as this (as the env's reward cap).
const LOSS_CAP: f64 = 10.0;

/// Settings of [`Fforma`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FformaConfig {
    /// Hidden tanh units (0: a linear softmax model).
    pub hidden: usize,
    /// Full-batch Adam steps.
    pub steps: usize,
    /// Learning rate.
    pub learning_rate: f64,
    /// Decoupled weight decay.
    pub weight_decay: f64,
    /// Initialisation seed.
    pub seed: u64,
}

impl Default for FformaConfig {
    fn default() -> Self {
        Self {
            hidden: 32,
            steps: 400,
            learning_rate: 1e-2,
            weight_decay: 1e-2,
            seed: 0,
        }
    }
}

/// A trained meta-learner.
pub struct Fforma {
    net: Mlp,
}

impl Fforma {
    /// Trains on the tasks `rows` of `panel`.
    pub fn fit(config: &FformaConfig, panel: &ContextPanel, rows: &[usize]) -> Result<Self> {
        let bad_lr = config.learning_rate.is_nan() || config.learning_rate <= 0.0;
        if rows.is_empty() || config.steps == 0 || bad_lr {
            return Err(Error::Config(
                "FFORMA: needs training tasks, steps > 0 and a positive learning rate".into(),
            ));
        }
        let dim = panel.observation(0).len();
        let k = panel.model_names().len();
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        let sizes: Vec<usize> = if config.hidden == 0 {
            vec![dim, k]
        } else {
            vec![dim, config.hidden, k]
        };
        let net = Mlp::uniform(&sizes, Activation::Tanh, &mut rng, &Device::Cpu)?;
        let model = Self { net };
        let x = model.inputs(panel, rows)?;
        let losses: Vec<f32> = rows
            .iter()
            .flat_map(|&i| panel.losses()[i].iter().map(|l| l.min(LOSS_CAP) as f32))
            .collect();
        let losses = Tensor::from_vec(losses, (rows.len(), k), &Device::Cpu)?;
        let mut opt = AdamW::new(
            model.net.vars(),
            ParamsAdamW {
                lr: config.learning_rate,
                weight_decay: config.weight_decay,
                ..ParamsAdamW::default()
            },
        )?;
        for _ in 0..config.steps {
            let w = candle_nn::ops::softmax(&model.logits(&x)?, D::Minus1)?;
            let expected = (w * &losses)?.sum(1)?.mean_all()?;
            opt.backward_step(&expected)?;
        }
        Ok(model)
    }

    fn inputs(&self, panel: &ContextPanel, rows: &[usize]) -> Result<Tensor> {
        let dim = self.net.input_dim();
        let x: Vec<f32> = rows
            .iter()
            .flat_map(|&i| panel.observation(i).into_iter().map(|v| v as f32))
            .collect();
        Ok(Tensor::from_vec(x, (rows.len(), dim), &Device::Cpu)?)
    }

    fn logits(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        self.net.forward(x)
    }

    /// The weights for tasks `rows` of `panel` (one row of K per task).
    pub fn weights(&self, panel: &ContextPanel, rows: &[usize]) -> Result<Vec<Vec<f64>>> {
        let x = self.inputs(panel, rows)?;
        let w = candle_nn::ops::softmax(&self.logits(&x)?, D::Minus1)?;
        Ok(w.to_vec2::<f32>()?
            .into_iter()
            .map(|r| r.into_iter().map(f64::from).collect())
            .collect())
    }

    /// The layer sizes, input first (what [`Fforma::load`] needs to rebuild the network).
    pub fn sizes(&self) -> Vec<usize> {
        let mut sizes = vec![self.net.input_dim()];
        sizes.extend(self.net.layers().iter().map(|l| l.fan_out()));
        sizes
    }

    /// Writes the network's parameters to a safetensors file (`fforma.{layer}.weight`, `.bias`).
    pub fn save(&self, path: &Path) -> Result<()> {
        let tensors: HashMap<String, Tensor> = self
            .net
            .named_vars("fforma")
            .into_iter()
            .map(|(name, var)| (name, var.as_tensor().clone()))
            .collect();
        candle_core::safetensors::save(&tensors, path)?;
        Ok(())
    }

    /// Reads a network of layer sizes `sizes` written by [`Fforma::save`]; a missing tensor,
    /// a shape that does not match or a non-finite value is an error naming the tensor.
    pub fn load(path: &Path, sizes: &[usize]) -> Result<Self> {
        if sizes.len() < 2 {
            return Err(Error::Config(format!("FFORMA: layer sizes {sizes:?}")));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let net = Mlp::uniform(sizes, Activation::Tanh, &mut rng, &Device::Cpu)?;
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let tensors = candle_core::safetensors::load_buffer(&bytes, &Device::Cpu)?;
        let bad = |m: String| Error::InvalidInput(format!("{}: {m}", path.display()));
        for (name, var) in net.named_vars("fforma") {
            let t = tensors
                .get(&name)
                .ok_or_else(|| bad(format!("tensor {name} is missing")))?;
            if t.dims() != var.dims() {
                return Err(bad(format!(
                    "tensor {name} has shape {:?}, expected {:?}",
                    t.dims(),
                    var.dims()
                )));
            }
            let t = t.to_dtype(candle_core::DType::F32)?;
            let values = t.flatten_all()?.to_vec1::<f32>()?;
            if values.iter().any(|v| !v.is_finite()) {
                return Err(bad(format!("tensor {name} has NaN or inf")));
            }
            var.set(&t)?;
        }
        Ok(Self { net })
    }
}
