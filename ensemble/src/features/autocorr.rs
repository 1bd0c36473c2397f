//! Autocorrelation and partial autocorrelation features (statsmodels' `acf(fft=False,
//! adjusted=False)` and `pacf(method="ldb")` conventions: biased autocovariances, divided by n).

/// `r_0..=r_nlags` of `x`: `r_k = Σ_{t<n−k} (x_t − x̄)(x_{t+k} − x̄) / Σ_t (x_t − x̄)²`.
/// Lags at or beyond `n` are 0; a constant series gives NaN from lag 1 on.
pub fn acf(x: &[f64], nlags: usize) -> Vec<f64> {
    let acov = autocovariances(x, nlags);
    acov.iter().map(|c| c / acov[0]).collect()
}

/// Biased autocovariances `c_0..=c_nlags` (divided by n).
fn autocovariances(x: &[f64], nlags: usize) -> Vec<f64> {
    let n = x.len();
    let mean = x.iter().sum::<f64>() / n as f64;
    let d: Vec<f64> = x.iter().map(|v| v - mean).collect();
    (0..=nlags)
        .map(|k| {
            if k >= n {
                0.0
            } else {
                d[..n - k]
                    .iter()
                    .zip(&d[k..])
                    .map(|(a, b)| a * b)
                    .sum::<f64>()
                    / n as f64
            }
        })
        .collect()
}

/// Partial autocorrelations `φ_11..φ_kk` for k = 1..=nlags by the Durbin–Levinson recursion
/// on biased autocovariances (index 0 holds 1.0, as statsmodels returns).
pub fn pacf(x: &[f64], nlags: usize) -> Vec<f64> {
    let c = autocovariances(x, nlags);
    let mut out = vec![1.0; nlags + 1];
    let mut phi = vec![0.0; nlags + 1];
    let mut prev = vec![0.0; nlags + 1];
    let mut sigma = c[0];
    for k in 1..=nlags {
        let num = c[k] - (1..k).map(|j| prev[j] * c[k - j]).sum::<f64>();
        let pk = num / sigma;
        phi[k] = pk;
        for j in 1..k {
            phi[j] = prev[j] - pk * prev[k - j];
        }
        sigma *= 1.0 - pk * pk;
        out[k] = pk;
        prev[..=k].copy_from_slice(&phi[..=k]);
    }
    out
}

/// `x_t − x_{t−1}`, applied `order` times (numpy's `diff(x, n=order)`).
pub fn diff(x: &[f64], order: usize) -> Vec<f64> {
    let mut d = x.to_vec();
    for _ in 0..order {
        d = d.windows(2).map(|w| w[1] - w[0]).collect();
    }
    d
}

/// Sum of squares of `r[1..=k]`.
pub fn sum_sq(r: &[f64], k: usize) -> f64 {
    r[1..=k].iter().map(|v| v * v).sum()
}
