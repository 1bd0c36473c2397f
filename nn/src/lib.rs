//! # metablend-nn
//!
//! The small-network toolkit every metablend network is built from: the PPO actor and
//! critic, the learned optimizer's update network, its meta-training tasks, and the
//! forecasters (MLP, LSTM, the global MLP, the FFORMA-style learner).
//!
//! - [`Dense`] layers store their weight `[out, in]`, candle's own layout (as
//!   `candle_nn::Linear`), so a weight's fan-in is always its second dimension.
//! - Two forward paths compute `act(x Wᵀ + b)`: [`dense`] through candle's generic ops
//!   (any device; differentiable in every argument, so it also serves parameters held as
//!   plain tensors) and [`dense_fused`], one custom CPU op for the f32 networks of RL, where
//!   candle's per-op overhead dominates. They agree up to float rounding; a network keeps
//!   one path for its whole life so that seeded runs reproduce bit for bit.
//! - [`init`]: PyTorch's default uniform and orthogonal initialisation.
//! - [`Mlp`]: dense layers with one activation between them and a linear output;
//!   [`FrozenMlp`] snapshots one for inference on plain slices (PPO rollouts).
//! - [`Adam`] and [`clip_grad_norm`] on flat `f32` buffers: the optimiser whose moments go
//!   into checkpoints (for exact resume), and which beats a dozen tensor ops per parameter on
//!   networks this small.
//!
//! ```
//! use candle_core::{Device, Tensor};
//! use metablend_nn::{init, Activation, Mlp};
//! use rand::SeedableRng;
//! # fn main() -> metablend_nn::Result<()> {
//! let mut rng = rand::rngs::StdRng::seed_from_u64(0);
//! let mlp = Mlp::uniform(&[3, 16, 1], Activation::Tanh, &mut rng, &Device::Cpu)?;
//! let x = Tensor::zeros((4, 3), candle_core::DType::F32, &Device::Cpu)?;
//! assert_eq!(mlp.forward(&x)?.dims(), &[4, 1]);
//! assert_eq!(mlp.fan_ins(), vec![Some(3), None, Some(16), None]);
//! # let _ = init::orthogonal(2, 2, 1.0, &mut rng);
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

mod activation;
mod adam;
pub mod cpu;
mod dense;
mod error;
mod frozen;
mod fused;
pub mod init;
mod mlp;

pub use activation::Activation;
pub use adam::{clip_grad_norm, read_grads, read_vars, write_vars, Adam};
pub use dense::{dense, Dense};
pub use error::{Error, Result};
pub use frozen::FrozenMlp;
pub use fused::dense_fused;
pub use mlp::{ForwardPath, Mlp};
