//! Adam (Kingma & Ba 2015) over flat parameter buffers, with global gradient-norm clipping.
//!
//! Written here rather than wrapping `candle_nn::AdamW` because its moment estimates must be
//! saved in checkpoints (for exact resume), and because on tiny networks a plain loop over a
//! few thousand floats beats a dozen tensor ops per parameter.

use crate::{Error, Result};
use candle_core::{Tensor, Var};

/// Adam state for a list of parameters: first and second moments and the step count.
#[derive(Debug, Clone, PartialEq)]
pub struct Adam {
    /// First-moment estimates, one buffer per parameter.
    pub m: Vec<Vec<f32>>,
    /// Second-moment estimates, one buffer per parameter.
    pub v: Vec<Vec<f32>>,
    /// Steps taken.
    pub step: u64,
    /// Epsilon (PPO uses 1e-5).
    pub eps: f32,
    /// beta1.
    pub beta1: f32,
    /// beta2.
    pub beta2: f32,
}

impl Adam {
    /// Zero moments for parameters of the given sizes.
    pub fn new(sizes: &[usize], eps: f32) -> Self {
        Self {
            m: sizes.iter().map(|&n| vec![0.0; n]).collect(),
            v: sizes.iter().map(|&n| vec![0.0; n]).collect(),
            step: 0,
            eps,
            beta1: 0.9,
            beta2: 0.999,
        }
    }

    /// One update of `params` (flat values, updated in place) from `grads`, with PyTorch's
    /// bias correction: `p -= lr * m_hat / (sqrt(v_hat) + eps)`.
    pub fn update(&mut self, params: &mut [Vec<f32>], grads: &[Vec<f32>], lr: f32) {
        self.step += 1;
        let bc1 = 1.0 - self.beta1.powi(self.step as i32);
        let bc2 = 1.0 - self.beta2.powi(self.step as i32);
        let step_size = lr / bc1;
        let bc2_sqrt = bc2.sqrt();
        let (b1, b2, eps) = (self.beta1, self.beta2, self.eps);
        let inv_bc2_sqrt = 1.0 / bc2_sqrt;
        let layers = params
            .iter_mut()
            .zip(grads)
            .zip(&mut self.m)
            .zip(&mut self.v);
        for (((p, g), m), v) in layers {
            // Zipped slices (no indexing) so the compiler can vectorise the loop.
            for (((p, &g), m), v) in p.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
                *m = b1 * *m + (1.0 - b1) * g;
                *v = b2 * *v + (1.0 - b2) * g * g;
                *p -= step_size * *m / (v.sqrt() * inv_bc2_sqrt + eps);
            }
        }
    }
}

/// Scales `grads` in place so their global L2 norm is at most `max_norm` (PyTorch's
/// `clip_grad_norm_`, with its 1e-6 guard); returns the norm before clipping. `shapes[i]` is
/// the shape of `grads[i]`: a weight matrix `[out, in]` is summed input-major (column by
/// column). A float sum depends on its order, and this order keeps seeded PPO runs and
/// meta-training identical to the results recorded in the project's docs.
pub fn clip_grad_norm(grads: &mut [Vec<f32>], shapes: &[&[usize]], max_norm: f32) -> f32 {
    let norm = grads
        .iter()
        .zip(shapes)
        .map(|(g, shape)| match shape {
            [rows, cols] if *rows > 1 && *cols > 1 => {
                let t = crate::cpu::transpose(g, *rows, *cols);
                crate::cpu::dot(&t, &t)
            }
            _ => crate::cpu::dot(g, g),
        })
        .sum::<f32>()
        .sqrt();
    let coef = max_norm / (norm + 1e-6);
    if coef < 1.0 {
        for x in grads.iter_mut().flat_map(|g| g.iter_mut()) {
            *x *= coef;
        }
    }
    norm
}

/// Reads each variable's values into a flat buffer.
pub fn read_vars(vars: &[Var]) -> Result<Vec<Vec<f32>>> {
    vars.iter()
        .map(|v| Ok(v.as_tensor().flatten_all()?.to_vec1::<f32>()?))
        .collect()
}

/// Writes flat buffers back into the variables (shapes unchanged).
pub fn write_vars(vars: &[Var], values: &[Vec<f32>]) -> Result<()> {
    for (var, vals) in vars.iter().zip(values) {
        let t = Tensor::from_slice(vals, var.shape(), var.device())?;
        var.set(&t)?;
    }
    Ok(())
}

/// Reads the gradient of each variable (zeros where it got none) and checks it is finite.
pub fn read_grads(
    vars: &[(String, Var)],
    grads: &candle_core::backprop::GradStore,
) -> Result<Vec<Vec<f32>>> {
    vars.iter()
        .map(|(name, v)| {
            let g = match grads.get(v.as_tensor()) {
                Some(g) => g.flatten_all()?.to_vec1::<f32>()?,
                None => vec![0.0; v.elem_count()],
            };
            if g.iter().any(|x| !x.is_finite()) {
                return Err(Error::NonFinite(format!(
                    "gradient of '{name}' has NaN or inf"
                )));
            }
            Ok(g)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adam_first_step_moves_each_weight_by_lr() {
        // With bias correction the first step is lr * g / (|g| + eps) ~ lr * sign(g).
        let mut adam = Adam::new(&[3], 1e-8);
        let mut p = vec![vec![1.0, 1.0, 1.0]];
        adam.update(&mut p, &[vec![0.5, -2.0, 0.0]], 0.1);
        assert!((p[0][0] - 0.9).abs() < 1e-6 && (p[0][1] - 1.1).abs() < 1e-6 && p[0][2] == 1.0);
    }

    #[test]
    fn adam_minimises_a_quadratic() {
        let mut adam = Adam::new(&[2], 1e-5);
        let mut p = vec![vec![3.0f32, -4.0]];
        for _ in 0..2000 {
            let g = vec![p[0].iter().map(|x| 2.0 * x).collect()];
            adam.update(&mut p, &g, 0.05);
        }
        assert!(p[0].iter().all(|x| x.abs() < 1e-2), "{p:?}");
    }

    #[test]
    fn clipping_caps_the_global_norm() {
        let mut g = vec![vec![3.0f32], vec![4.0]];
        assert_eq!(clip_grad_norm(&mut g, &[&[1], &[1]], 1.0), 5.0);
        let n = (g[0][0].powi(2) + g[1][0].powi(2)).sqrt();
        assert!((n - 1.0).abs() < 1e-5);
        let mut small = vec![vec![0.1f32]];
        clip_grad_norm(&mut small, &[&[1]], 1.0);
        assert_eq!(small[0][0], 0.1);
    }
}
