//! The Diebold–Mariano test of equal predictive accuracy (Diebold & Mariano 1995) with the
//! small-sample correction of Harvey, Leybourne & Newbold (1997), as R's
//! `forecast::dm.test(..., power = 2)` computes it.

use crate::{Error, Result};
use metablend_core::math::ln_gamma;

/// Result of a Diebold–Mariano test.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DieboldMariano {
    /// HLN-corrected statistic; positive when the second forecast is more accurate.
    pub statistic: f64,
    /// Two-sided p-value from Student's t with n - 1 degrees of freedom.
    pub p_value: f64,
    /// Mean loss differential `mean(e1^2 - e2^2)`.
    pub mean_differential: f64,
}

/// Tests whether forecasts `f1` and `f2` of `y` are equally accurate under squared-error
/// loss, for `h`-step-ahead forecasts: `d_t = e1_t^2 - e2_t^2`, long-run variance from the
/// autocovariances of `d` up to lag `h - 1`, `DM = mean(d) / sqrt(V)`, then the HLN factor
/// `sqrt((n + 1 - 2h + h(h - 1)/n) / n)` and a t(n - 1) reference distribution.
pub fn diebold_mariano(y: &[f64], f1: &[f64], f2: &[f64], h: usize) -> Result<DieboldMariano> {
    let n = y.len();
    if n < 2 || f1.len() != n || f2.len() != n {
        return Err(Error::InvalidInput(format!(
            "Diebold-Mariano needs equally long series of at least 2 values (got {n}, {}, {})",
            f1.len(),
            f2.len()
        )));
    }
    if h == 0 || h >= n {
        return Err(Error::InvalidInput(format!(
            "horizon h must be in 1..{n}, got {h}"
        )));
    }
    let d: Vec<f64> = (0..n)
        .map(|t| (y[t] - f1[t]).powi(2) - (y[t] - f2[t]).powi(2))
        .collect();
    if let Some(t) = d.iter().position(|v| !v.is_finite()) {
        return Err(Error::InvalidInput(format!(
            "non-finite value at index {t}"
        )));
    }
    let nf = n as f64;
    let mean = d.iter().sum::<f64>() / nf;
    let gamma = |k: usize| {
        (k..n)
            .map(|t| (d[t] - mean) * (d[t - k] - mean))
            .sum::<f64>()
            / nf
    };
    let var = (gamma(0) + 2.0 * (1..h).map(gamma).sum::<f64>()) / nf;
    if var.is_nan() || var <= 0.0 {
        return Err(Error::InvalidInput(
            "the loss differential has no variance (identical forecasts?)".into(),
        ));
    }
    let hf = h as f64;
    let hln = ((nf + 1.0 - 2.0 * hf + hf * (hf - 1.0) / nf) / nf).sqrt();
    let statistic = mean / var.sqrt() * hln;
    let p_value = student_t_two_sided_p(statistic, nf - 1.0);
    Ok(DieboldMariano {
        statistic,
        p_value,
        mean_differential: mean,
    })
}

/// `P(|T| >= |t|)` for Student's t with `nu` degrees of freedom: `I_{nu/(nu+t^2)}(nu/2, 1/2)`.
fn student_t_two_sided_p(t: f64, nu: f64) -> f64 {
    regularized_incomplete_beta(nu / (nu + t * t), nu / 2.0, 0.5)
}

/// `I_x(a, b)` by the continued fraction of Numerical Recipes §6.4 (modified Lentz), using the
/// symmetry `I_x(a, b) = 1 - I_{1-x}(b, a)` where that converges faster.
fn regularized_incomplete_beta(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    if x < (a + 1.0) / (a + b + 2.0) {
        ln_front.exp() * beta_cf(x, a, b) / a
    } else {
        1.0 - ln_front.exp() * beta_cf(1.0 - x, b, a) / b
    }
}

fn beta_cf(x: f64, a: f64, b: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..=300 {
        let m = m as f64;
        let m2 = 2.0 * m;
        for aa in [
            m * (b - m) * x / ((qam + m2) * (a + m2)),
            -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)),
        ] {
            d = 1.0 + aa * d;
            if d.abs() < TINY {
                d = TINY;
            }
            c = 1.0 + aa / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            h *= d * c;
        }
        if (d * c - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_distribution_tail_matches_known_values() {
        // P(|T| > 2.228) with 10 df is 0.05; with 1 df (Cauchy) P(|T| > 1) = 0.5.
        assert!((student_t_two_sided_p(2.228_138_851_986_522, 10.0) - 0.05).abs() < 1e-10);
        assert!((student_t_two_sided_p(1.0, 1.0) - 0.5).abs() < 1e-12);
        assert!((student_t_two_sided_p(0.0, 5.0) - 1.0).abs() < 1e-15);
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(diebold_mariano(&[1.0], &[1.0], &[1.0], 1).is_err());
        assert!(diebold_mariano(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0], 1).is_err());
        assert!(diebold_mariano(&[1.0, 2.0, 3.0], &[1.0, 2.0], &[1.0, 2.0, 3.0], 1).is_err());
        assert!(diebold_mariano(&[1.0, 2.0, 3.0], &[0.0; 3], &[1.0; 3], 3).is_err());
    }
}
