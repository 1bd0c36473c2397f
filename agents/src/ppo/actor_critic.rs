//! The actor and critic networks (separate MLPs, as SB3's default PPO policy), built from the
//! toolkit's dense layers and run through its fused CPU path.

use super::config::PpoConfig;
use crate::Result;
use candle_core::{Device, Tensor, Var};
use metablend_nn::{Activation, Dense, ForwardPath, Mlp};
use rand::Rng;

/// Builds `sizes[0] -> ... -> sizes[last]`; hidden layers get gain `hidden_gain`, the output
/// layer `out_gain` (orthogonal with zero biases when `ortho`, else uniform weights in
/// ±1/√fan-in with zero biases).
fn mlp<R: Rng + ?Sized>(
    sizes: &[usize],
    activation: Activation,
    ortho: bool,
    (hidden_gain, out_gain): (f64, f64),
    device: &Device,
    rng: &mut R,
) -> Result<Mlp> {
    let layers = sizes
        .windows(2)
        .enumerate()
        .map(|(i, pair)| {
            let (fan_in, fan_out) = (pair[0], pair[1]);
            let gain = if i + 2 == sizes.len() {
                out_gain
            } else {
                hidden_gain
            };
            if ortho {
                Dense::orthogonal(rng, fan_in, fan_out, gain, device)
            } else {
                Dense::uniform_weight_zero_bias(rng, fan_in, fan_out, device)
            }
        })
        .collect::<metablend_nn::Result<_>>()?;
    Ok(Mlp::new(layers, activation)?.with_path(ForwardPath::Fused))
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
        let actor = mlp(&sizes(out_dim), cfg.activation, o, (g, 0.01), device, rng)?;
        let critic = mlp(&sizes(1), cfg.activation, o, (g, 1.0), device, rng)?;
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
        let mut out = self.actor.named_vars("actor");
        out.extend(self.critic.named_vars("critic"));
        if let Some(ls) = &self.log_std {
            out.push(("log_std".to_string(), ls.clone()));
        }
        out
    }
}
