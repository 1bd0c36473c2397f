//! Log-gamma, digamma and trigamma, as plain functions and as differentiable candle ops
//! (candle has none), for the Dirichlet policy head.

use candle_core::{CpuStorage, CustomOp1, Layout, Shape, Tensor};

/// `ln Γ(x)` for `x > 0`: shift to `x >= 7` with `Γ(x+1) = xΓ(x)`, then Stirling's series
/// (error below 1e-14 there).
pub fn ln_gamma(x: f64) -> f64 {
    let mut x = x;
    let mut shift = 0.0;
    while x < 7.0 {
        shift -= x.ln();
        x += 1.0;
    }
    let z = 1.0 / (x * x);
    let series =
        (((((-691.0 / 360_360.0 * z + 1.0 / 1188.0) * z - 1.0 / 1680.0) * z + 1.0 / 1260.0) * z
            - 1.0 / 360.0)
            * z
            + 1.0 / 12.0)
            / x;
    shift + (x - 0.5) * x.ln() - x + 0.5 * (2.0 * std::f64::consts::PI).ln() + series
}

/// `ψ(x) = d/dx ln Γ(x)` for `x > 0`: recurrence to `x >= 7`, then the asymptotic series.
pub fn digamma(x: f64) -> f64 {
    let mut x = x;
    let mut acc = 0.0;
    while x < 7.0 {
        acc -= 1.0 / x;
        x += 1.0;
    }
    let z = 1.0 / (x * x);
    let series =
        z * (1.0 / 12.0 - z * (1.0 / 120.0 - z * (1.0 / 252.0 - z * (1.0 / 240.0 - z / 132.0))));
    acc + x.ln() - 0.5 / x - series
}

/// `ψ'(x)` for `x > 0`: recurrence to `x >= 7`, then the asymptotic series.
pub fn trigamma(x: f64) -> f64 {
    let mut x = x;
    let mut acc = 0.0;
    while x < 7.0 {
        acc += 1.0 / (x * x);
        x += 1.0;
    }
    let z = 1.0 / (x * x);
    let series =
        1.0 / x + z / 2.0 + z / x * (1.0 / 6.0 - z * (1.0 / 30.0 - z * (1.0 / 42.0 - z / 30.0)));
    acc + series
}

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
        let CpuStorage::F32(data) = storage else {
            candle_core::bail!("{}: only f32 is supported", self.name());
        };
        let Some((start, end)) = layout.contiguous_offsets() else {
            candle_core::bail!("{}: input must be contiguous", self.name());
        };
        let f = match self {
            Fun::LnGamma => ln_gamma,
            Fun::Digamma => digamma,
            Fun::Trigamma => trigamma,
        };
        let out = data[start..end]
            .iter()
            .map(|&x| f(x as f64) as f32)
            .collect();
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
    fn known_values() {
        let pi = std::f64::consts::PI;
        assert!((ln_gamma(0.5) - pi.sqrt().ln()).abs() < 1e-10);
        assert!((ln_gamma(1.0)).abs() < 1e-10 && (ln_gamma(2.0)).abs() < 1e-10);
        assert!((ln_gamma(10.0) - 362_880f64.ln()).abs() < 1e-10);
        assert!((ln_gamma(0.01) - 4.599_479_878_042_022).abs() < 1e-10);
        assert!((digamma(1.0) + 0.577_215_664_901_532_9).abs() < 1e-10);
        assert!((digamma(0.5) + 0.577_215_664_901_532_9 + 2.0 * 2f64.ln()).abs() < 1e-10);
        assert!((trigamma(1.0) - pi * pi / 6.0).abs() < 1e-10);
        assert!((trigamma(0.5) - pi * pi / 2.0).abs() < 1e-10);
    }

    #[test]
    fn derivatives_match_finite_differences() {
        for x in [0.05, 0.7, 3.3, 12.0, 150.0] {
            let h = 1e-5 * x;
            let d = (ln_gamma(x + h) - ln_gamma(x - h)) / (2.0 * h);
            assert!(
                (d - digamma(x)).abs() < 1e-6 * digamma(x).abs().max(1.0),
                "digamma({x})"
            );
            let d2 = (digamma(x + h) - digamma(x - h)) / (2.0 * h);
            assert!(
                (d2 - trigamma(x)).abs() < 1e-5 * trigamma(x).max(1.0),
                "trigamma({x})"
            );
        }
    }

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
