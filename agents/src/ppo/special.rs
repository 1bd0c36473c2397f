//! Log-gamma and digamma as differentiable candle ops (candle has none), for the Dirichlet
//! policy head; the plain functions live in `metablend_env::math`.

use candle_core::{CpuStorage, CustomOp1, Layout, Shape, Tensor};

use metablend_core::math::{digamma, ln_gamma, trigamma};

#[derive(Clone, Copy)]
enum Fun {
    LnGamma,
    Digamma,
    Trigamma,
}

impl CustomOp1 for Fun {
    fn name(&self) -> &'static str {
        match self {
            Fun::LnGamma => "ln-gamma",
            Fun::Digamma => "digamma",
            Fun::Trigamma => "trigamma",
        }
    }

    fn cpu_fwd(
        &self,
        storage: &CpuStorage,
        layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let data = metablend_nn::cpu::contiguous_f32(storage, layout, self.name())?;
        let f = match self {
            Fun::LnGamma => ln_gamma,
            Fun::Digamma => digamma,
            Fun::Trigamma => trigamma,
        };
        let out = data.iter().map(|&x| f(x as f64) as f32).collect();
        Ok((CpuStorage::F32(out), layout.shape().clone()))
    }

    fn bwd(
        &self,
        arg: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<Option<Tensor>> {
        let derivative = match self {
            Fun::LnGamma => apply(arg, Fun::Digamma)?,
            Fun::Digamma => apply(arg, Fun::Trigamma)?,
            Fun::Trigamma => candle_core::bail!("trigamma has no derivative implemented"),
        };
        Ok(Some(grad.mul(&derivative)?))
    }
}

fn apply(x: &Tensor, f: Fun) -> candle_core::Result<Tensor> {
    x.contiguous()?.apply_op1(f)
}

/// Element-wise `ln Γ(x)`, differentiable (its derivative is digamma).
pub fn ln_gamma_t(x: &Tensor) -> candle_core::Result<Tensor> {
    apply(x, Fun::LnGamma)
}

/// Element-wise `ψ(x)`, differentiable (its derivative is trigamma).
pub fn digamma_t(x: &Tensor) -> candle_core::Result<Tensor> {
    apply(x, Fun::Digamma)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tensor_ops_backpropagate() {
        let x = candle_core::Var::new(&[0.5f32, 2.0], &candle_core::Device::Cpu).unwrap();
        let y = (ln_gamma_t(x.as_tensor()).unwrap() + digamma_t(x.as_tensor()).unwrap()).unwrap();
        let g = y.sum_all().unwrap().backward().unwrap();
        let got = g.get(x.as_tensor()).unwrap().to_vec1::<f32>().unwrap();
        for (gi, xi) in got.iter().zip([0.5f64, 2.0]) {
            assert!((*gi as f64 - (digamma(xi) + trigamma(xi))).abs() < 1e-4);
        }
    }
}
