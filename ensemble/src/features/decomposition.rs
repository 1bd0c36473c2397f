//! Features of a trend/seasonal/remainder decomposition: STL for seasonal series, the super
//! smoother's trend for non-seasonal ones (the `tsfeatures` package's `stl_features`).

use super::autocorr::{acf, sum_sq};
use super::stats::var;
use super::stl::StlConfig;
use super::supsmu::super_smoother;
use crate::Result;

/// The decomposition-based features of one (standardised) series.
#[derive(Debug, Clone, PartialEq)]
pub struct DecompositionFeatures {
    /// Strength of trend, 1 − var(R)/var(T + R), clipped to [0, 1].
    pub trend: f64,
    /// Strength of seasonality, 1 − var(R)/var(S + R) (seasonal series only).
    pub seasonal_strength: Option<f64>,
    /// Variance of the leave-one-out variances of the remainder.
    pub spike: f64,
    /// Coefficient of the orthonormal linear term in a quadratic fit of the trend.
    pub linearity: f64,
    /// Coefficient of the orthonormal quadratic term (positive at the ends).
    pub curvature: f64,
    /// Cycle position (1..=m) of the largest seasonal value (seasonal series only).
    pub peak: Option<usize>,
    /// Cycle position of the smallest seasonal value (seasonal series only).
    pub trough: Option<usize>,
    /// Lag-1 autocorrelation of the remainder.
    pub e_acf1: f64,
    /// Sum of squares of the remainder's first 10 autocorrelations.
    pub e_acf10: f64,
}

/// Decomposes `x` (period `m`; 1 = non-seasonal) and computes the features.
pub fn decomposition_features(x: &[f64], m: usize) -> Result<DecompositionFeatures> {
    let n = x.len();
    let (trend, seasonal, remainder) = if m > 1 {
        let d = StlConfig::new(m, 13).decompose(x)?;
        (d.trend, d.seasonal, d.remainder)
    } else {
        let t: Vec<f64> = (1..=n).map(|v| v as f64).collect();
        let trend = super_smoother(&t, x);
        let remainder = x.iter().zip(&trend).map(|(a, b)| a - b).collect();
        (trend, vec![0.0; n], remainder)
    };
    let varx = var(x);
    let vare = var(&remainder);
    let deseason: Vec<f64> = x.iter().zip(&seasonal).map(|(a, b)| a - b).collect();
    let vardeseason = var(&deseason);
    let strength = if varx < f64::EPSILON || vardeseason / varx < 1e-10 {
        0.0
    } else {
        (1.0 - vare / vardeseason).clamp(0.0, 1.0)
    };
    let (seasonal_strength, peak, trough) = if m > 1 {
        let sr: Vec<f64> = remainder
            .iter()
            .zip(&seasonal)
            .map(|(a, b)| a + b)
            .collect();
        let vsr = var(&sr);
        let s = if varx < f64::EPSILON || vsr < f64::EPSILON {
            0.0
        } else {
            (1.0 - vare / vsr).clamp(0.0, 1.0)
        };
        let argmax = argbest(&seasonal, |a, b| a > b);
        let argmin = argbest(&seasonal, |a, b| a < b);
        (Some(s), Some(argmax % m + 1), Some(argmin % m + 1))
    } else {
        (None, None, None)
    };
    let mean_r = remainder.iter().sum::<f64>() / n as f64;
    let loo: Vec<f64> = remainder
        .iter()
        .map(|r| (vare * (n as f64 - 1.0) - (r - mean_r).powi(2)) / (n as f64 - 2.0))
        .collect();
    let (q1, q2) = orthonormal_quadratic(n);
    let r = acf(&remainder, 10);
    Ok(DecompositionFeatures {
        trend: strength,
        seasonal_strength,
        spike: var(&loo),
        linearity: dot(&q1, &trend),
        curvature: dot(&q2, &trend),
        peak,
        trough,
        e_acf1: r[1],
        e_acf10: sum_sq(&r, 10),
    })
}

/// First index of the best value (numpy's argmax/argmin tie rule).
fn argbest(x: &[f64], better: impl Fn(f64, f64) -> bool) -> usize {
    let mut best = 0;
    for (i, &v) in x.iter().enumerate() {
        if better(v, x[best]) {
            best = i;
        }
    }
    best
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(p, q)| p * q).sum()
}

/// The orthonormal degree-1 and degree-2 polynomials on t = 1..n, both orthogonal to the
/// constant: q1 increasing, q2 positive at the ends (R's `poly(t, 2)`).
fn orthonormal_quadratic(n: usize) -> (Vec<f64>, Vec<f64>) {
    let c = (n as f64 + 1.0) / 2.0;
    let s: Vec<f64> = (1..=n).map(|t| t as f64 - c).collect();
    let norm = dot(&s, &s).sqrt();
    let q1: Vec<f64> = s.iter().map(|v| v / norm).collect();
    let sq: Vec<f64> = s.iter().map(|v| v * v).collect();
    let msq = sq.iter().sum::<f64>() / n as f64;
    let mut u: Vec<f64> = sq.iter().map(|v| v - msq).collect();
    let proj = dot(&u, &q1);
    u.iter_mut().zip(&q1).for_each(|(v, q)| *v -= proj * q);
    let norm2 = dot(&u, &u).sqrt();
    let sign = if u[0] < 0.0 { -1.0 } else { 1.0 };
    (q1, u.iter().map(|v| sign * v / norm2).collect())
}
