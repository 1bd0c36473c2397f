//! A supervised FFORMA-style meta-learner: a small softmax network from a series'
//! observation (scaled features and its models' validation log-losses) to combination
//! weights, trained by gradient descent over the validation windows on one of two
//! objectives ([`Objective`]): FFORMA's expected loss `Σ_k w_k(x)·loss_k` (Montero-Manso et
//! al. 2020 use it with gradient-boosted trees), or the loss of the combined forecast
//! `Σ_k w_k(x)·f_k` itself, the quantity that is finally scored.

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

/// What the learner minimises on the validation windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Objective {
    /// FFORMA's `Σ_k w_k·loss_k`: rewards putting weight on the best model, a selection
    /// objective; a mix can never score better than its best member.
    #[default]
    #[cfg_attr(feature = "clap", value(name = "expected"))]
    ExpectedLoss,
    /// The M4 loss (½ sMAPE/sMAPE_ref + ½ MASE/MASE_ref) of `Σ_k w_k·f_k`: rewards mixes
    /// whose errors cancel, which is what the combined forecast is scored on.
    #[cfg_attr(feature = "clap", value(name = "combined"))]
    CombinedLoss,
}

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
    /// Initialisation seed (of the first network of the bag; the others take the next
    /// seeds).
    pub seed: u64,
    /// The training objective.
    pub objective: Objective,
    /// Networks trained alike from seeds `seed`, `seed + 1`, …, whose weights are averaged
    /// (a bag). One network's weights depend on its seed: on M4 Hourly five seeds' test
    /// OWA spread from 0.410 to 0.440.
    pub bag: usize,
}

impl Default for FformaConfig {
    fn default() -> Self {
        Self {
            hidden: 32,
            steps: 400,
            learning_rate: 1e-2,
            weight_decay: 1e-2,
            seed: 0,
            objective: Objective::ExpectedLoss,
            bag: 1,
        }
    }
}

/// An objective's data on the training tasks, as tensors.
enum Loss {
    /// Each model's loss per task, `[n, K]`, capped at [`LOSS_CAP`].
    Expected(Tensor),
    /// Targets `[n, 1, h]`, forecasts `[n, K, h]`, `1/(h·scale·MASE_ref)` and
    /// `200/(h·sMAPE_ref)` per task `[n, 1]`.
    Combined {
        target: Tensor,
        forecasts: Tensor,
        mase_factor: Tensor,
        smape_factor: Tensor,
    },
}

impl Loss {
    fn expected(panel: &ContextPanel, rows: &[usize]) -> Result<Self> {
        let k = panel.model_names().len();
        let losses: Vec<f32> = rows
            .iter()
            .flat_map(|&i| panel.losses()[i].iter().map(|l| l.min(LOSS_CAP) as f32))
            .collect();
        Ok(Self::Expected(Tensor::from_vec(
            losses,
            (rows.len(), k),
            &Device::Cpu,
        )?))
    }

    fn combined(panel: &ContextPanel, rows: &[usize]) -> Result<Self> {
        let (n, k) = (rows.len(), panel.model_names().len());
        let tasks = panel.tasks();
        let h = tasks[rows[0]].target.len();
        let (mut target, mut forecasts) =
            (Vec::with_capacity(n * h), Vec::with_capacity(n * k * h));
        let (mut mase_factor, mut smape_factor) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for &i in rows {
            let t = &tasks[i];
            target.extend(t.target.iter().map(|&v| v as f32));
            forecasts.extend(t.forecasts.iter().flatten().map(|&v| v as f32));
            let (smape_ref, mase_ref) = (t.reference.0.max(1e-8), t.reference.1.max(1e-8));
            // ½ of each relative term folded into the factors.
            mase_factor.push((0.5 / (h as f64 * t.mase_scale * mase_ref)) as f32);
            smape_factor.push((0.5 * 200.0 / (h as f64 * smape_ref)) as f32);
        }
        let dev = &Device::Cpu;
        Ok(Self::Combined {
            target: Tensor::from_vec(target, (n, 1, h), dev)?,
            forecasts: Tensor::from_vec(forecasts, (n, k, h), dev)?,
            mase_factor: Tensor::from_vec(mase_factor, (n, 1), dev)?,
            smape_factor: Tensor::from_vec(smape_factor, (n, 1), dev)?,
        })
    }

    /// The mean loss over the tasks under weights `w: [n, K]`.
    fn mean(&self, w: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            Self::Expected(losses) => (w * losses)?.sum(1)?.mean_all(),
            Self::Combined {
                target,
                forecasts,
                mase_factor,
                smape_factor,
            } => {
                // [n, K, 1] * [n, K, h] summed over K: the combined forecast [n, 1, h].
                let combined = forecasts.broadcast_mul(&w.unsqueeze(2)?)?.sum_keepdim(1)?;
                let abs_err = (target - &combined)?.abs()?;
                let denom = ((target.abs()? + combined.abs()?)? + 1e-6)?;
                let mase = abs_err.sum(2)?.mul(mase_factor)?;
                let smape = (abs_err / denom)?.sum(2)?.mul(smape_factor)?;
                // Capped as the expected loss is: a hopeless window stops pulling.
                (mase + smape)?.clamp(0f32, LOSS_CAP as f32)?.mean_all()
            }
        }
    }
}

/// The combined objective's mean over `rows` under weights `w: [n, K]` (for tests).
#[cfg(test)]
pub(crate) fn combined_objective(panel: &ContextPanel, rows: &[usize], w: &Tensor) -> Result<f64> {
    let value = Loss::combined(panel, rows)?.mean(w)?.to_scalar::<f32>()?;
    Ok(f64::from(value))
}

/// A trained meta-learner: the networks of a bag (see [`FformaConfig::bag`]).
pub struct Fforma {
    nets: Vec<Mlp>,
}

/// The safetensors prefix of the bag's network `b` (the first keeps the unbagged name).
fn prefix(b: usize) -> String {
    if b == 0 {
        "fforma".into()
    } else {
        format!("fforma_bag{b}")
    }
}

impl Fforma {
    /// Trains on the tasks `rows` of `panel`.
    pub fn fit(config: &FformaConfig, panel: &ContextPanel, rows: &[usize]) -> Result<Self> {
        let inputs: Vec<Vec<f64>> = rows.iter().map(|&i| panel.observation(i)).collect();
        Self::fit_on_inputs(config, &inputs, panel, rows)
    }

    /// Trains with `inputs[j]` as the observation of task `rows[j]` of `panel`, whose
    /// window the objective scores (e.g. the errors of an earlier window as inputs, so the
    /// learner maps past errors to the next window's, as it is used on the future).
    pub fn fit_on_inputs(
        config: &FformaConfig,
        inputs: &[Vec<f64>],
        panel: &ContextPanel,
        rows: &[usize],
    ) -> Result<Self> {
        let bad_lr = config.learning_rate.is_nan() || config.learning_rate <= 0.0;
        if rows.is_empty() || config.steps == 0 || bad_lr || config.bag == 0 {
            return Err(Error::Config(
                "FFORMA: needs training tasks, steps > 0, a positive learning rate and at \
                 least one network in the bag"
                    .into(),
            ));
        }
        let dim = panel.observation(0).len();
        if inputs.len() != rows.len() || inputs.iter().any(|x| x.len() != dim) {
            return Err(Error::Config(format!(
                "FFORMA: {} inputs for {} tasks, each must have {dim} values",
                inputs.len(),
                rows.len()
            )));
        }
        let k = panel.model_names().len();
        let sizes: Vec<usize> = if config.hidden == 0 {
            vec![dim, k]
        } else {
            vec![dim, config.hidden, k]
        };
        let flat: Vec<f32> = inputs.iter().flatten().map(|&v| v as f32).collect();
        let x = Tensor::from_vec(flat, (rows.len(), dim), &Device::Cpu)?;
        let objective = match config.objective {
            Objective::ExpectedLoss => Loss::expected(panel, rows)?,
            Objective::CombinedLoss => Loss::combined(panel, rows)?,
        };
        let nets = (0..config.bag as u64)
            .map(|b| train_one(config, config.seed.wrapping_add(b), &sizes, &x, &objective))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { nets })
    }

    fn inputs(&self, panel: &ContextPanel, rows: &[usize]) -> Result<Tensor> {
        let dim = self.input_dim();
        let x: Vec<f32> = rows
            .iter()
            .flat_map(|&i| panel.observation(i).into_iter().map(|v| v as f32))
            .collect();
        Ok(Tensor::from_vec(x, (rows.len(), dim), &Device::Cpu)?)
    }

    fn input_dim(&self) -> usize {
        self.nets[0].input_dim()
    }

    /// The weights for tasks `rows` of `panel` (one row of K per task).
    pub fn weights(&self, panel: &ContextPanel, rows: &[usize]) -> Result<Vec<Vec<f64>>> {
        let x = self.inputs(panel, rows)?;
        self.softmax_weights(&x)
    }

    /// The weights for given observations (e.g. made from another window's errors, as
    /// [`Fforma::fit_on_inputs`] takes them), one row of K per observation.
    pub fn weights_on_inputs(&self, inputs: &[Vec<f64>]) -> Result<Vec<Vec<f64>>> {
        let dim = self.input_dim();
        if inputs.iter().any(|x| x.len() != dim) {
            return Err(Error::Config(format!(
                "FFORMA: every observation must have {dim} values"
            )));
        }
        let flat: Vec<f32> = inputs.iter().flatten().map(|&v| v as f32).collect();
        let x = Tensor::from_vec(flat, (inputs.len(), dim), &Device::Cpu)?;
        self.softmax_weights(&x)
    }

    /// The bag's mean softmax weights (one network: its own, exactly).
    fn softmax_weights(&self, x: &Tensor) -> Result<Vec<Vec<f64>>> {
        let per_net = self
            .nets
            .iter()
            .map(|net| Ok(candle_nn::ops::softmax(&net.forward(x)?, D::Minus1)?.to_vec2::<f32>()?))
            .collect::<Result<Vec<_>>>()?;
        let bag = per_net.len() as f64;
        let mean =
            |i: usize, k: usize| per_net.iter().map(|w| f64::from(w[i][k])).sum::<f64>() / bag;
        Ok(per_net[0]
            .iter()
            .enumerate()
            .map(|(i, row)| (0..row.len()).map(|k| mean(i, k)).collect())
            .collect())
    }

    /// The networks in the bag.
    pub fn bag(&self) -> usize {
        self.nets.len()
    }

    /// The layer sizes, input first (what [`Fforma::load`] needs to rebuild the network).
    pub fn sizes(&self) -> Vec<usize> {
        let mut sizes = vec![self.input_dim()];
        sizes.extend(self.nets[0].layers().iter().map(|l| l.fan_out()));
        sizes
    }

    /// Writes the networks' parameters to a safetensors file (`fforma.{layer}.weight`,
    /// `.bias` for the first, `fforma_bag{b}.…` for the bag's others).
    pub fn save(&self, path: &Path) -> Result<()> {
        let tensors: HashMap<String, Tensor> = self
            .nets
            .iter()
            .enumerate()
            .flat_map(|(b, net)| net.named_vars(&prefix(b)))
            .map(|(name, var)| (name, var.as_tensor().clone()))
            .collect();
        candle_core::safetensors::save(&tensors, path)?;
        Ok(())
    }

    /// Reads `bag` networks of layer sizes `sizes` written by [`Fforma::save`]; a missing
    /// tensor, a shape that does not match or a non-finite value is an error naming the
    /// tensor.
    pub fn load(path: &Path, sizes: &[usize], bag: usize) -> Result<Self> {
        if sizes.len() < 2 || bag == 0 {
            return Err(Error::Config(format!(
                "FFORMA: layer sizes {sizes:?}, {bag} networks"
            )));
        }
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let tensors = candle_core::safetensors::load_buffer(&bytes, &Device::Cpu)?;
        let bad = |m: String| Error::InvalidInput(format!("{}: {m}", path.display()));
        let nets = (0..bag)
            .map(|b| load_net(&tensors, &prefix(b), sizes, &bad))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { nets })
    }
}

/// The network of layer sizes `sizes` whose tensors are named `{prefix}.…` in `tensors`;
/// `bad` turns a problem with one of them into the file's error.
fn load_net(
    tensors: &HashMap<String, Tensor>,
    prefix: &str,
    sizes: &[usize],
    bad: &dyn Fn(String) -> Error,
) -> Result<Mlp> {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let net = Mlp::uniform(sizes, Activation::Tanh, &mut rng, &Device::Cpu)?;
    for (name, var) in net.named_vars(prefix) {
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
    Ok(net)
}

/// One network of the bag, from seed `seed`: full-batch AdamW on `objective` over inputs `x`.
fn train_one(
    config: &FformaConfig,
    seed: u64,
    sizes: &[usize],
    x: &Tensor,
    objective: &Loss,
) -> Result<Mlp> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let net = Mlp::uniform(sizes, Activation::Tanh, &mut rng, &Device::Cpu)?;
    let mut opt = AdamW::new(
        net.vars(),
        ParamsAdamW {
            lr: config.learning_rate,
            weight_decay: config.weight_decay,
            ..ParamsAdamW::default()
        },
    )?;
    for _ in 0..config.steps {
        let w = candle_nn::ops::softmax(&net.forward(x)?, D::Minus1)?;
        opt.backward_step(&objective.mean(&w)?)?;
    }
    Ok(net)
}
