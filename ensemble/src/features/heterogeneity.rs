//! Heterogeneity (volatility clustering) features: the series is pre-whitened by an AR model
//! whose order minimises the AIC, then ARCH effects are measured in its residuals and in
//! those of a GARCH(1,1) fit. The `tsfeatures` package's own version is broken (it calls a
//! statsmodels class that no longer exists and returns NaN); this is the fixture's
//! supplementary definition: `ar_select_order(maxlag = ⌊10 log10 n⌋, ic = "aic", trend = "c")`.

use super::autocorr::{acf, sum_sq};
use super::stats::{arch_lm, ols};
use crate::optim::NelderMead;
use metablend_core::math::solve_dense;

/// The four heterogeneity features.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Heterogeneity {
    /// Sum of squares of the first 12 autocorrelations of the squared AR residuals.
    pub arch_acf: f64,
    /// The same for the GARCH(1,1) residuals.
    pub garch_acf: f64,
    /// ARCH LM R² of the AR residuals.
    pub arch_r2: f64,
    /// ARCH LM R² of the GARCH residuals.
    pub garch_r2: f64,
    /// The AR order chosen.
    pub ar_order: usize,
}

/// Pre-whitens `x` and measures the remaining ARCH effects; NaN fields when `x` is too
/// short.
pub fn heterogeneity(x: &[f64]) -> Heterogeneity {
    let n = x.len();
    let nan = Heterogeneity {
        arch_acf: f64::NAN,
        garch_acf: f64::NAN,
        arch_r2: f64::NAN,
        garch_r2: f64::NAN,
        ar_order: 0,
    };
    if n < 30 {
        return nan;
    }
    let maxlag = ((10.0 * (n as f64).log10()).floor() as usize).min(n - 1);
    let order = select_order(x, maxlag);
    let Some(e) = ar_residuals(x, order, order) else {
        return nan;
    };
    let sq: Vec<f64> = e.iter().map(|v| v * v).collect();
    let mu = garch_mean(&e);
    let u: Vec<f64> = e.iter().map(|v| v - mu).collect();
    let usq: Vec<f64> = u.iter().map(|v| v * v).collect();
    Heterogeneity {
        arch_acf: sum_sq(&acf(&sq, 12), 12),
        garch_acf: sum_sq(&acf(&usq, 12), 12),
        arch_r2: arch_lm(&e),
        garch_r2: arch_lm(&u),
        ar_order: order,
    }
}

/// Residuals of the OLS AR(p) fit with an intercept over t = hold_back..n.
fn ar_residuals(x: &[f64], p: usize, hold_back: usize) -> Option<Vec<f64>> {
    let n = x.len();
    let rows = n - hold_back;
    let mut cols = vec![vec![1.0; rows]];
    cols.extend((1..=p).map(|l| x[hold_back - l..n - l].to_vec()));
    let y = &x[hold_back..];
    let (coef, _) = ols(&cols, y)?;
    Some(
        (0..rows)
            .map(|t| y[t] - (0..=p).map(|j| coef[j] * cols[j][t]).sum::<f64>())
            .collect(),
    )
}

/// The AR order in 0..=maxlag with the smallest AIC, all fitted on the same sample
/// (t = maxlag..n): one cross-product matrix of [1, y_{t−1}, …, y_{t−maxlag}] serves every
/// order through its leading blocks.
fn select_order(x: &[f64], maxlag: usize) -> usize {
    let n = x.len();
    let rows = n - maxlag;
    let k = maxlag + 1;
    let col = |j: usize, t: usize| if j == 0 { 1.0 } else { x[maxlag + t - j] };
    let y = &x[maxlag..];
    let mut xtx = vec![0.0; k * k];
    let mut xty = vec![0.0; k];
    for (t, &yt) in y.iter().enumerate() {
        for a in 0..k {
            let va = col(a, t);
            xty[a] += va * yt;
            for b in a..k {
                xtx[a * k + b] += va * col(b, t);
            }
        }
    }
    let yty: f64 = y.iter().map(|v| v * v).sum();
    let mut best = (f64::INFINITY, 0);
    for p in 0..=maxlag {
        let d = p + 1;
        let mut a = vec![0.0; d * d];
        for i in 0..d {
            for j in 0..d {
                a[i * d + j] = xtx[i.min(j) * k + i.max(j)];
            }
        }
        let mut beta = xty[..d].to_vec();
        if solve_dense(&mut a, &mut beta).is_none() {
            continue;
        }
        let ssr = (yty - beta.iter().zip(&xty).map(|(b, c)| b * c).sum::<f64>()).max(1e-300);
        let aic = rows as f64 * (ssr / rows as f64).ln() + 2.0 * (p + 2) as f64;
        if aic < best.0 {
            best = (aic, p);
        }
    }
    best.1
}

/// The constant mean of a GARCH(1,1) fitted by Gaussian maximum likelihood (the `arch`
/// package's model: variance started from an exponentially weighted backcast).
fn garch_mean(e: &[f64]) -> f64 {
    let n = e.len();
    let mean = e.iter().sum::<f64>() / n as f64;
    let var = e.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64;
    let nll = |p: &[f64]| {
        let (mu, omega, alpha, beta) = (p[0], p[1] * var, p[2], p[3]);
        if omega <= 0.0 || alpha < 0.0 || beta < 0.0 || alpha + beta >= 1.0 {
            return f64::INFINITY;
        }
        let tau = n.min(75);
        let (mut wsum, mut back) = (0.0, 0.0);
        for (i, v) in e[..tau].iter().enumerate() {
            let w = 0.94f64.powi(i as i32);
            wsum += w;
            back += w * (v - mu).powi(2);
        }
        back /= wsum;
        let (mut s2, mut prev_sq) = (back, back);
        let mut ll = 0.0;
        for v in e {
            s2 = omega + alpha * prev_sq + beta * s2;
            let r = v - mu;
            ll += s2.ln() + r * r / s2;
            prev_sq = r * r;
        }
        0.5 * ll
    };
    let nm = NelderMead {
        step: vec![0.1 * var.sqrt(), 0.05, 0.05, 0.05],
        bounds: vec![
            (f64::NEG_INFINITY, f64::INFINITY),
            (1e-8, 10.0),
            (0.0, 1.0),
            (0.0, 1.0),
        ],
        ftol: 1e-10,
        max_evals: 2000,
    };
    let best = nm.minimize(nll, &[mean, 0.1, 0.1, 0.8]);
    if best.value.is_finite() {
        best.x[0]
    } else {
        mean
    }
}
