//! An MLP's weights frozen for inference between two optimiser steps.
//!
//! A PPO rollout runs the actor and the critic once per environment step on a handful of
//! rows, with weights that change only when the update starts. Through candle each of those
//! passes builds tensors, dispatches three ops per layer and copies every wide weight into
//! the `wᵀ` layout the product reads (see [`crate::dense_fused`]). A [`FrozenMlp`] prepares
//! that layout once per snapshot and runs the same arithmetic on plain slices, so its outputs
//! equal the fused path's bit for bit.

use crate::fused::{forward_values, prepare_weight};
use crate::{Activation, Error, ForwardPath, Mlp, Result};

/// One layer: the weight as the product reads it, the bias and the sizes.
#[derive(Debug, Clone)]
struct FrozenLayer {
    weight: Vec<f32>,
    bias: Vec<f32>,
    fan_in: usize,
    fan_out: usize,
}

/// A copy of an [`Mlp`] on the fused path, for forward passes on flat `f32` rows.
#[derive(Debug, Clone)]
pub struct FrozenMlp {
    layers: Vec<FrozenLayer>,
    activation: Activation,
}

impl FrozenMlp {
    /// Snapshots `mlp`'s current weights. Only a network on [`ForwardPath::Fused`] can be
    /// frozen: the generic path rounds differently, and a network keeps one path for life.
    pub fn new(mlp: &Mlp) -> Result<Self> {
        if mlp.path() != ForwardPath::Fused {
            return Err(Error::Shape(
                "only a network on the fused forward path can be frozen".into(),
            ));
        }
        let layers = mlp
            .layers()
            .iter()
            .map(|l| {
                let (fan_in, fan_out) = (l.fan_in(), l.fan_out());
                let w = l.weight().as_tensor().flatten_all()?.to_vec1::<f32>()?;
                let bias = l.bias().as_tensor().to_vec1::<f32>()?;
                Ok(FrozenLayer {
                    weight: prepare_weight(&w, fan_out, fan_in).into_owned(),
                    bias,
                    fan_in,
                    fan_out,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Self {
            layers,
            activation: mlp.activation(),
        })
    }

    /// Input size.
    pub fn input_dim(&self) -> usize {
        self.layers[0].fan_in
    }

    /// Output size.
    pub fn output_dim(&self) -> usize {
        self.layers[self.layers.len() - 1].fan_out
    }

    /// The outputs `(rows, output_dim)`, row-major, for `rows` row-major inputs.
    pub fn forward(&self, x: &[f32], rows: usize) -> Result<Vec<f32>> {
        let last = self.layers.len() - 1;
        let mut h: Option<Vec<f32>> = None;
        for (i, l) in self.layers.iter().enumerate() {
            let act = (i < last).then_some(self.activation);
            let input = h.as_deref().unwrap_or(x);
            let dims = (rows, l.fan_in, l.fan_out);
            h = Some(forward_values(input, &l.weight, &l.bias, act, dims)?);
        }
        Ok(h.expect("an MLP has at least one layer"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Tensor};
    use rand::SeedableRng;

    #[test]
    fn equals_the_fused_path_bit_for_bit_and_refuses_the_generic_one() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        for act in [Activation::Tanh, Activation::Relu] {
            // A wide hidden layer (gemm on wᵀ) and a thin head (dot products on w's rows).
            let mlp = Mlp::uniform(&[5, 64, 64, 2], act, &mut rng, &Device::Cpu)
                .unwrap()
                .with_path(ForwardPath::Fused);
            let frozen = FrozenMlp::new(&mlp).unwrap();
            assert_eq!((frozen.input_dim(), frozen.output_dim()), (5, 2));
            for rows in [1, 3, 8, 256] {
                let x = Tensor::randn(0f32, 1.0, (rows, 5), &Device::Cpu).unwrap();
                let want = mlp.forward(&x).unwrap().flatten_all().unwrap();
                let want = want.to_vec1::<f32>().unwrap();
                let got = frozen
                    .forward(&x.flatten_all().unwrap().to_vec1().unwrap(), rows)
                    .unwrap();
                let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&got), bits(&want), "{act:?}, {rows} rows");
            }
            assert!(frozen.forward(&[0.0; 4], 1).is_err(), "wrong input size");
        }
        let generic = Mlp::uniform(&[2, 3], Activation::Tanh, &mut rng, &Device::Cpu).unwrap();
        assert!(FrozenMlp::new(&generic).is_err());
    }
}
