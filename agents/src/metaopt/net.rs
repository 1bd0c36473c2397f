//! The update network g_φ and its checkpoint format.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Device, Tensor, Var};
use metablend_core::fs::checksum;
use metablend_nn::{dense, init, Activation};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Inputs per coordinate: gradient, three momenta and the parameter value (each normalised
/// by its tensor's RMS), Adam's direction m̂/(√v̂ + ε), and the log of the tensor's gradient
/// RMS relative to its first one (progress, so the network can anneal its steps).
pub(crate) const FEATURES: usize = 7;

/// Which network maps a coordinate's features to its update.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum NetKind {
    /// Two hidden ReLU layers (Metz et al. 2019's per-parameter MLP).
    Mlp,
    /// One LSTM cell with a state per coordinate (Andrychowicz et al. 2016).
    Lstm,
}

/// How the network's outputs `(d, s)` become a coordinate's step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum UpdateForm {
    /// `−step_scale · tanh(d) · exp(clamp(s, −8, 4))`: the network chooses direction and
    /// size alone (Andrychowicz et al. 2016; Metz et al. 2019).
    Free,
    /// `−step_scale · exp(clamp(s, −8, 4)) · a`, `a` Adam's direction m̂/(√v̂ + ε): zero
    /// outputs are Adam with learning rate `step_scale`, and the network learns a
    /// per-coordinate, state-dependent learning rate on top of it (`d` is unused; both forms
    /// share one network and checkpoint format). Adam's direction shrinks by itself where
    /// gradients oscillate, which a free direction does not. On the 214 held-out tasks
    /// (with mixed training architectures) it won 56% of runs against the tuned Adam at
    /// K = 100, where the free form trained on tanh-16 tasks won 41%; in smaller probes it
    /// also beat an additive correction `a + tanh(d)`, which stalled sooner on longer runs.
    #[default]
    #[cfg_attr(feature = "clap", value(name = "adam"))]
    AdamScaled,
}

impl UpdateForm {
    /// The form of checkpoints written before the field existed.
    fn legacy() -> Self {
        Self::Free
    }
}

/// The learned optimizer's architecture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetaOptConfig {
    /// MLP or LSTM.
    pub kind: NetKind,
    /// Hidden width.
    pub hidden: usize,
    /// Momentum decay rates of the three momentum inputs.
    pub betas: [f64; 3],
    /// The step's scale (see [`UpdateForm`]): each coordinate moves at most
    /// `step_scale · e⁴` (free form) or `10 · step_scale · e⁴` (Adam-scaled; Adam's
    /// direction is clipped to ±10).
    pub step_scale: f64,
    /// How the outputs become a step.
    #[serde(default = "UpdateForm::legacy")]
    pub form: UpdateForm,
    /// Decay of every step after the training horizon; `None` in checkpoints from before
    /// it existed (and with `--decay-power 0`).
    #[serde(default)]
    pub decay: Option<StepDecay>,
    /// Width scaling: a weight matrix whose fan-in `n` exceeds this takes steps
    /// `× base_fan_in / n` (see [`MetaOptConfig::fan_in_factor`]); `None` in checkpoints
    /// from before it existed (and with `--base-fan-in 0`).
    #[serde(default)]
    pub base_fan_in: Option<usize>,
}

/// After `after` updates, every step is multiplied by `(after / t)^power`: a power-law
/// learning-rate decay beyond the horizon the optimizer was meta-trained on.
///
/// Meta-trained on runs of K = 100 steps, the optimizer cannot tell step 100 from step
/// 1,000 and keeps its step sizes: on the 214 held-out tasks its 10 × K final losses were
/// 1.45–3.1× a tuned Adam's, and 0.74–0.98× with `power` 0.75 (see the README). The decay
/// is not learned: ES fine-tuning with a learned decay coefficient left it near 0, because
/// on the quadratics among the training tasks any decay costs far more (their log losses
/// fall to e^−16 in 1,000 steps without it) than it gains on the forecasting tasks, and
/// without the quadratics the estimate was too noisy to find it. So `power` is a
/// hyperparameter, chosen on validation series (M4 H151–H200, never held out).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepDecay {
    /// Updates before the decay starts (the training horizon K).
    pub after: u64,
    /// Exponent of the decay (0: none).
    pub power: f64,
}

impl StepDecay {
    /// The factor on the step after `steps` updates: 1 up to `after`, then
    /// `(after / steps)^power`.
    pub fn factor(&self, steps: u64) -> f64 {
        if steps <= self.after {
            1.0
        } else {
            (self.after as f64 / steps as f64).powf(self.power)
        }
    }
}

/// The default [`StepDecay::power`].
pub const DEFAULT_DECAY_POWER: f64 = 0.75;

/// The default [`MetaOptConfig::base_fan_in`]: the meta-training tasks' input dimension
/// (24 lags), so their input layers' steps are unscaled.
pub const DEFAULT_BASE_FAN_IN: usize = 24;

impl Default for MetaOptConfig {
    fn default() -> Self {
        Self {
            kind: NetKind::Mlp,
            hidden: 32,
            betas: [0.5, 0.9, 0.99],
            step_scale: 0.01,
            form: UpdateForm::default(),
            decay: Some(StepDecay {
                after: 100,
                power: DEFAULT_DECAY_POWER,
            }),
            base_fan_in: Some(DEFAULT_BASE_FAN_IN),
        }
    }
}

impl MetaOptConfig {
    /// The factor on every step after `steps` updates (see [`StepDecay`]).
    pub fn step_factor(&self, steps: u64) -> f64 {
        self.decay.as_ref().map_or(1.0, |d| d.factor(steps))
    }

    /// The factor on the steps of a weight matrix with fan-in `fan_in` (`None`: a bias, a
    /// vector or a tensor of unknown layout): `min(1, base_fan_in / fan_in)`.
    ///
    /// Why: under Adam-like steps every weight moves by about the same amount, so the
    /// change of a unit's input per step grows with the number of weights feeding it. μP
    /// (Yang et al. 2022) therefore scales the learning rates of hidden and output weights
    /// as 1/fan-in and keeps those of input weights (a fixed, finite fan-in) constant, and
    /// μLO (Thérien et al. 2024) showed that learned optimizers meta-trained on narrow
    /// networks generalise to wider ones with it. Fan-ins up to `base_fan_in` are treated
    /// as μP's finite input dimensions. Without it, the optimizer meta-trained on widths
    /// 8–32 lost to a tuned Adam on 64-unit networks at K = 100 (final losses 1.15× Adam's
    /// on the held-out tasks), and scaling only the output layer's steps down won on
    /// validation (see the README).
    pub fn fan_in_factor(&self, fan_in: Option<usize>) -> f64 {
        match (self.base_fan_in, fan_in) {
            (Some(base), Some(n)) if n > base => base as f64 / n as f64,
            _ => 1.0,
        }
    }

    /// Checks the sizes and rates.
    pub fn validate(&self) -> Result<()> {
        if self.hidden == 0
            || self.betas.iter().any(|b| !(0.0..1.0).contains(b))
            || self.step_scale.is_nan()
            || self.step_scale <= 0.0
            || self
                .decay
                .as_ref()
                .is_some_and(|d| d.after == 0 || !(d.power.is_finite() && d.power >= 0.0))
            || self.base_fan_in == Some(0)
        {
            return Err(Error::InvalidMetaOptConfig(format!(
                "learned optimizer: hidden > 0, betas in [0, 1), a positive step scale and a \
                 decay after at least one step with a finite power ≥ 0 and a base fan-in > 0 \
                 ({self:?})"
            )));
        }
        Ok(())
    }
}

/// φ: the update network's variables.
pub struct UpdateNet {
    pub(crate) config: MetaOptConfig,
    pub(crate) vars: Vec<(String, Var)>,
}

/// A weight `[fan_out, fan_in]` (candle's layout) uniform in `±bound`.
fn weight(rng: &mut ChaCha8Rng, fan_in: usize, fan_out: usize, bound: f64) -> Result<Var> {
    let data = init::uniform_weight(rng, fan_in, fan_out, bound);
    let t = Tensor::from_vec(data, (fan_out, fan_in), &Device::Cpu)?;
    Ok(Var::from_tensor(&t)?)
}

/// A bias `[n]` uniform in `±bound`.
fn bias(rng: &mut ChaCha8Rng, n: usize, bound: f64) -> Result<Var> {
    let t = Tensor::from_vec(init::uniform(rng, n, bound), n, &Device::Cpu)?;
    Ok(Var::from_tensor(&t)?)
}

impl UpdateNet {
    /// A freshly initialised network (PyTorch-style uniform initialisation; the output
    /// layer scaled down so the first updates are small).
    pub fn new(config: MetaOptConfig, seed: u64) -> Result<Self> {
        config.validate()?;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let h = config.hidden;
        let b_in = 1.0 / (FEATURES as f64).sqrt();
        let b_h = 1.0 / (h as f64).sqrt();
        let vars = match config.kind {
            NetKind::Mlp => vec![
                ("w1".to_string(), weight(&mut rng, FEATURES, h, b_in)?),
                ("b1".to_string(), bias(&mut rng, h, b_in)?),
                ("w2".to_string(), weight(&mut rng, h, h, b_h)?),
                ("b2".to_string(), bias(&mut rng, h, b_h)?),
                ("w3".to_string(), weight(&mut rng, h, 2, 0.1 * b_h)?),
                ("b3".to_string(), bias(&mut rng, 2, 0.1 * b_h)?),
            ],
            NetKind::Lstm => vec![
                ("wx".to_string(), weight(&mut rng, FEATURES, 4 * h, b_h)?),
                ("wh".to_string(), weight(&mut rng, h, 4 * h, b_h)?),
                ("b".to_string(), bias(&mut rng, 4 * h, b_h)?),
                ("wo".to_string(), weight(&mut rng, h, 2, 0.1 * b_h)?),
                ("bo".to_string(), bias(&mut rng, 2, 0.1 * b_h)?),
            ],
        };
        Ok(Self { config, vars })
    }

    /// The architecture.
    pub fn config(&self) -> &MetaOptConfig {
        &self.config
    }

    /// The trainable variables.
    pub fn vars(&self) -> Vec<Var> {
        self.vars.iter().map(|(_, v)| v.clone()).collect()
    }

    /// Per variable, which entries produce the step-size output `s` (row 1 of the output
    /// layer's weight `[2, hidden]`, entry 1 of its bias): what ES fine-tuning perturbs.
    pub(crate) fn magnitude_head_mask(&self) -> Vec<Vec<bool>> {
        let h = self.config.hidden;
        self.vars
            .iter()
            .map(|(name, var)| {
                (0..var.elem_count())
                    .map(|i| match name.as_str() {
                        "w3" | "wo" => i / h == 1,
                        "b3" | "bo" => i == 1,
                        _ => false,
                    })
                    .collect()
            })
            .collect()
    }

    fn get(&self, name: &str) -> &Tensor {
        self.vars
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_tensor())
            .expect("the variable exists for this kind")
    }

    /// Outputs `[n, 2]` for features `[n, FEATURES]`; the LSTM variant also takes and
    /// returns its `(h, c)` state (`[n, hidden]` each; zeros when `None`).
    pub(crate) fn forward(
        &self,
        x: &Tensor,
        state: Option<(Tensor, Tensor)>,
    ) -> Result<(Tensor, Option<(Tensor, Tensor)>)> {
        match self.config.kind {
            NetKind::Mlp => {
                let relu = Some(Activation::Relu);
                let h1 = dense(x, self.get("w1"), self.get("b1"), relu)?;
                let h2 = dense(&h1, self.get("w2"), self.get("b2"), relu)?;
                Ok((dense(&h2, self.get("w3"), self.get("b3"), None)?, None))
            }
            NetKind::Lstm => {
                let n = x.dim(0)?;
                let hsz = self.config.hidden;
                let (h, c) = match state {
                    Some(s) => s,
                    None => (
                        Tensor::zeros((n, hsz), DType::F32, &Device::Cpu)?,
                        Tensor::zeros((n, hsz), DType::F32, &Device::Cpu)?,
                    ),
                };
                let gates = x
                    .matmul(&self.get("wx").t()?.contiguous()?)?
                    .add(&h.matmul(&self.get("wh").t()?.contiguous()?)?)?
                    .broadcast_add(self.get("b"))?;
                let chunk = |k: usize| gates.narrow(1, k * hsz, hsz);
                let i = candle_nn::ops::sigmoid(&chunk(0)?)?;
                let f = candle_nn::ops::sigmoid(&chunk(1)?)?;
                let g = chunk(2)?.tanh()?;
                let o = candle_nn::ops::sigmoid(&chunk(3)?)?;
                let c2 = f.mul(&c)?.add(&i.mul(&g)?)?;
                let h2 = o.mul(&c2.tanh()?)?;
                let out = dense(&h2, self.get("wo"), self.get("bo"), None)?;
                Ok((out, Some((h2, c2))))
            }
        }
    }

    /// Saves φ (`phi.safetensors`) and the architecture (`metaopt.json`) into `dir`,
    /// atomically; `extra` adds files (e.g. the training state).
    pub fn save(&self, dir: &Path, extra: &[(&str, String)]) -> Result<()> {
        metablend_core::fs::write_folder(dir, |tmp| {
            let map: HashMap<String, Tensor> = self
                .vars
                .iter()
                .map(|(n, v)| Ok((n.clone(), v.as_tensor().copy()?)))
                .collect::<Result<_>>()?;
            candle_core::safetensors::save(&map, tmp.join("phi.safetensors"))?;
            let json = serde_json::to_string_pretty(&self.config).expect("config serialises");
            let write = |name: &str, text: &str| {
                std::fs::write(tmp.join(name), text).map_err(|e| Error::Io {
                    path: tmp.join(name).display().to_string(),
                    source: e,
                })
            };
            write("metaopt.json", &json)?;
            let digest = checksum::file_sha256(&tmp.join("phi.safetensors"))?;
            let sums = serde_json::json!({ "phi.safetensors": digest });
            write("checksums.json", &sums.to_string())?;
            for (name, text) in extra {
                write(name, text)?;
            }
            Ok(())
        })
    }

    /// Loads a folder written by [`UpdateNet::save`]; a missing file, a damaged tensor file
    /// or a tensor of the wrong shape is an error naming the file and tensor. Folders from
    /// before the `[out, in]` layout (weights `[in, out]`, biases `[1, n]`, told apart by the
    /// biases' rank) load with their weights transposed.
    pub fn load(dir: &Path) -> Result<Self> {
        let err = |file: &str, message: String| Error::Checkpoint {
            path: dir.join(file).display().to_string(),
            message,
        };
        metablend_core::fs::recover_folder(dir)?;
        if let Ok(text) = std::fs::read_to_string(dir.join("checksums.json")) {
            let sums: HashMap<String, String> = serde_json::from_str(&text)
                .map_err(|e| err("checksums.json", format!("damaged: {e}")))?;
            for (file, digest) in &sums {
                checksum::verify_file(&dir.join(file), digest)?;
            }
        }
        let text = std::fs::read_to_string(dir.join("metaopt.json"))
            .map_err(|e| err("metaopt.json", e.to_string()))?;
        let config: MetaOptConfig =
            serde_json::from_str(&text).map_err(|e| err("metaopt.json", e.to_string()))?;
        let net = Self::new(config, 0)?;
        let bytes = std::fs::read(dir.join("phi.safetensors"))
            .map_err(|e| err("phi.safetensors", e.to_string()))?;
        let tensors = candle_core::safetensors::load_buffer(&bytes, &Device::Cpu)
            .map_err(|e| err("phi.safetensors", format!("damaged safetensors: {e}")))?;
        let legacy = tensors
            .iter()
            .any(|(name, t)| name.starts_with('b') && t.rank() == 2);
        for (name, var) in &net.vars {
            let t = tensors
                .get(name)
                .ok_or_else(|| err("phi.safetensors", format!("missing tensor '{name}'")))?;
            let t = match (legacy, name.starts_with('w')) {
                (true, true) => t.t()?.contiguous()?,
                (true, false) => t.flatten_all()?,
                (false, _) => t.clone(),
            };
            if t.dims() != var.dims() {
                return Err(err(
                    "phi.safetensors",
                    format!(
                        "tensor '{name}' has shape {:?}, expected {:?}",
                        t.dims(),
                        var.dims()
                    ),
                ));
            }
            var.set(&t.to_dtype(DType::F32)?)?;
        }
        Ok(net)
    }
}
