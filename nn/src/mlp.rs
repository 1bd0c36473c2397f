//! Multi-layer perceptrons: dense layers with one activation between them and a linear
//! output layer.

use candle_core::{Device, Tensor, Var};
use rand::Rng;

use crate::{init, Activation, Dense, Result};

/// Which forward path a network runs (see the crate docs); fixed for the network's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ForwardPath {
    /// candle's generic ops ([`crate::dense`]).
    #[default]
    Generic,
    /// The fused CPU op ([`crate::dense_fused`]).
    Fused,
}

/// An MLP: `layers[0] → act → layers[1] → act → … → layers[last]` (linear).
#[derive(Debug, Clone)]
pub struct Mlp {
    layers: Vec<Dense>,
    activation: Activation,
    path: ForwardPath,
}

impl Mlp {
    /// An MLP from its layers (each layer's inputs must match the previous one's outputs).
    pub fn new(layers: Vec<Dense>, activation: Activation) -> Result<Self> {
        for (i, pair) in layers.windows(2).enumerate() {
            if pair[0].fan_out() != pair[1].fan_in() {
                return Err(crate::Error::Shape(format!(
                    "layer {i} has {} outputs but layer {} has {} inputs",
                    pair[0].fan_out(),
                    i + 1,
                    pair[1].fan_in()
                )));
            }
        }
        Ok(Self {
            layers,
            activation,
            path: ForwardPath::Generic,
        })
    }

    /// Sizes `sizes[0] → … → sizes[last]`, every layer initialised as PyTorch's
    /// `nn.Linear` (weight then bias uniform in ±1/√fan-in, layer by layer).
    pub fn uniform<R: Rng + ?Sized>(
        sizes: &[usize],
        activation: Activation,
        rng: &mut R,
        device: &Device,
    ) -> Result<Self> {
        let layers = sizes
            .windows(2)
            .map(|w| Dense::uniform(rng, w[0], w[1], init::default_bound(w[0]), device))
            .collect::<Result<_>>()?;
        Self::new(layers, activation)
    }

    /// Runs the forward pass through `path` from now on.
    pub fn with_path(mut self, path: ForwardPath) -> Self {
        self.path = path;
        self
    }

    /// Forward pass on a `(batch, in)` tensor.
    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let mut h = x.clone();
        let last = self.layers.len() - 1;
        for (i, layer) in self.layers.iter().enumerate() {
            let act = (i < last).then_some(self.activation);
            h = match self.path {
                ForwardPath::Generic => layer.forward(&h, act)?,
                ForwardPath::Fused => layer.forward_fused(&h, act)?,
            };
        }
        Ok(h)
    }

    /// The forward path.
    pub fn path(&self) -> ForwardPath {
        self.path
    }

    /// The layers.
    pub fn layers(&self) -> &[Dense] {
        &self.layers
    }

    /// The hidden activation.
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// Input size.
    pub fn input_dim(&self) -> usize {
        self.layers[0].fan_in()
    }

    /// Every parameter: each layer's weight, then its bias.
    pub fn vars(&self) -> Vec<Var> {
        self.layers
            .iter()
            .flat_map(|l| [l.weight().clone(), l.bias().clone()])
            .collect()
    }

    /// [`Mlp::vars`] named `{prefix}.{layer}.weight` / `.bias` (PyTorch's names).
    pub fn named_vars(&self, prefix: &str) -> Vec<(String, Var)> {
        self.layers
            .iter()
            .enumerate()
            .flat_map(|(i, l)| {
                [
                    (format!("{prefix}.{i}.weight"), l.weight().clone()),
                    (format!("{prefix}.{i}.bias"), l.bias().clone()),
                ]
            })
            .collect()
    }

    /// Per variable of [`Mlp::vars`]: the fan-in of each weight, `None` for biases.
    pub fn fan_ins(&self) -> Vec<Option<usize>> {
        self.layers
            .iter()
            .flat_map(|l| [Some(l.fan_in()), None])
            .collect()
    }

    /// A copy whose parameters no longer follow the original's (a policy snapshot).
    pub fn detached_copy(&self) -> Result<Self> {
        Ok(Self {
            layers: self
                .layers
                .iter()
                .map(Dense::detached_copy)
                .collect::<Result<_>>()?,
            activation: self.activation,
            path: self.path,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn both_paths_agree_and_layers_must_fit() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(0);
        let mlp = Mlp::uniform(&[5, 16, 16, 3], Activation::Tanh, &mut rng, &Device::Cpu).unwrap();
        let x = Tensor::rand(-1f32, 1.0, (7, 5), &Device::Cpu).unwrap();
        let generic = mlp
            .forward(&x)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let fused = mlp
            .clone()
            .with_path(ForwardPath::Fused)
            .forward(&x)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        for (a, b) in generic.iter().zip(&fused) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
        let layers = vec![
            Dense::zeros(2, 3, &Device::Cpu).unwrap(),
            Dense::zeros(4, 1, &Device::Cpu).unwrap(),
        ];
        let err = Mlp::new(layers, Activation::Relu).unwrap_err().to_string();
        assert!(err.contains("3 outputs but layer 1 has 4 inputs"), "{err}");
    }
}
