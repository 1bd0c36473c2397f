//! The actor and critic networks (separate MLPs, as SB3's default PPO policy).

use super::config::{Activation, PpoConfig};
use super::init::orthogonal;
use crate::Result;
use candle_core::{DType, Device, Tensor, Var};
use rand::Rng;

/// One dense layer; the weight is stored `in x out` so the forward pass is `x @ W + b` with
/// no transpose.
#[derive(Debug, Clone)]
struct Dense {
    w: Var,
    b: Var,
}

/// A multi-layer perceptron with a linear output layer.
#[derive(Debug, Clone)]
pub struct Mlp {
    layers: Vec<Dense>,
    activation: Activation,
}

impl Mlp {
    /// Builds `sizes[0] -> ... -> sizes[last]`; hidden layers get gain `hidden_gain`, the
    /// output layer `out_gain` (orthogonal when `ortho`, else PyTorch-style uniform).
    fn new<R: Rng + ?Sized>(
        sizes: &[usize],
        activation: Activation,
        ortho: bool,
        hidden_gain: f64,
        out_gain: f64,
        device: &Device,
        rng: &mut R,
    ) -> Result<Self> {
        let mut layers = Vec::with_capacity(sizes.len() - 1);
        for (i, pair) in sizes.windows(2).enumerate() {
            let (fan_in, fan_out) = (pair[0], pair[1]);
            let gain = if i + 2 == sizes.len() {
                out_gain
            } else {
                hidden_gain
            };
            let w = if ortho {
                // orthogonal() gives (out x in) as PyTorch stores it; transpose to (in x out).
                let m = orthogonal(fan_out, fan_in, gain, rng);
                (0..fan_in * fan_out)
                    .map(|k| m[(k % fan_out) * fan_in + k / fan_out])
                    .collect()
            } else {
                let bound = 1.0 / (fan_in as f64).sqrt();
                (0..fan_in * fan_out)
                    .map(|_| rng.random_range(-bound..bound) as f32)
                    .collect()
            };
            let w = Var::from_tensor(&Tensor::from_vec(w, (fan_in, fan_out), device)?)?;
            let b = Var::from_tensor(&Tensor::zeros(fan_out, DType::F32, device)?)?;
            layers.push(Dense { w, b });
        }
        Ok(Self { layers, activation })
    }

    /// Forward pass on a `(batch, in)` tensor.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let mut h = x.clone();
        let last = self.layers.len() - 1;
        for (i, l) in self.layers.iter().enumerate() {
            let act = (i < last).then_some(self.activation);
            h = super::dense::dense(&h, l.w.as_tensor(), l.b.as_tensor(), act)?;
        }
        Ok(h)
    }

    /// A copy whose parameters no longer follow the original's (a policy snapshot).
    pub fn clone_detached(&self) -> Result<Self> {
        let copy = |v: &Var| Var::from_tensor(&v.as_tensor().copy()?);
        let layers = self
            .layers
            .iter()
            .map(|l| {
                Ok(Dense {
                    w: copy(&l.w)?,
                    b: copy(&l.b)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            layers,
            activation: self.activation,
        })
    }

    fn named_vars(&self, prefix: &str, out: &mut Vec<(String, Var)>) {
        for (i, l) in self.layers.iter().enumerate() {
            out.push((format!("{prefix}.{i}.weight"), l.w.clone()));
            out.push((format!("{prefix}.{i}.bias"), l.b.clone()));
        }
    }
}

/// Actor (policy head outputs: logits or Gaussian means), critic (state value) and, for
/// continuous actions, a state-independent log standard deviation.
#[derive(Debug, Clone)]
pub struct ActorCritic {
    /// Policy network.
    pub actor: Mlp,
    /// Value network.
    pub critic: Mlp,
    /// Log standard deviation per action dimension (Gaussian heads only).
    pub log_std: Option<Var>,
    obs_dim: usize,
    out_dim: usize,
}

impl ActorCritic {
    /// Builds the networks for `obs_dim` inputs and `out_dim` policy outputs; `gaussian` adds
    /// the log-std parameter. Gains follow SB3: sqrt 2 hidden, 0.01 policy out, 1 value out.
    pub fn new<R: Rng + ?Sized>(
        cfg: &PpoConfig,
        obs_dim: usize,
        out_dim: usize,
        gaussian: bool,
        device: &Device,
        rng: &mut R,
    ) -> Result<Self> {
        let sizes = |out: usize| {
            let mut s = vec![obs_dim];
            s.extend(&cfg.net_arch);
            s.push(out);
            s
        };
        let g = 2f64.sqrt();
        let o = cfg.ortho_init;
        let actor = Mlp::new(&sizes(out_dim), cfg.activation, o, g, 0.01, device, rng)?;
        let critic = Mlp::new(&sizes(1), cfg.activation, o, g, 1.0, device, rng)?;
        let log_std = if gaussian {
            let t = Tensor::full(cfg.log_std_init as f32, out_dim, device)?;
            Some(Var::from_tensor(&t)?)
        } else {
            None
        };
        Ok(Self {
            actor,
            critic,
            log_std,
            obs_dim,
            out_dim,
        })
    }

    /// Observation size.
    pub fn obs_dim(&self) -> usize {
        self.obs_dim
    }

    /// Policy output size.
    pub fn out_dim(&self) -> usize {
        self.out_dim
    }

    /// V(obs) as a `(batch,)` tensor.
    pub fn value(&self, obs: &Tensor) -> Result<Tensor> {
        Ok(self.critic.forward(obs)?.squeeze(1)?)
    }

    /// Every trainable parameter with a stable name, in a fixed order (the order of the
    /// optimiser state and of checkpoints).
    pub fn named_vars(&self) -> Vec<(String, Var)> {
        let mut out = Vec::new();
        self.actor.named_vars("actor", &mut out);
        self.critic.named_vars("critic", &mut out);
        if let Some(ls) = &self.log_std {
            out.push(("log_std".to_string(), ls.clone()));
        }
        out
    }
}
