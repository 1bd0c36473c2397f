//! Closed-form statistics among the features: ARCH LM, crossing points, flat spots,
//! lumpiness and stability, Teräsvirta's nonlinearity test, the Phillips–Perron and KPSS
//! unit-root statistics, the rescaled-range Hurst exponent and spectral entropy. Each follows
//! the Python `tsfeatures` package's definition (see the fixture's `feature_definitions`).

use metablend_core::math::solve_dense;
use rustfft::{num_complex::Complex, FftPlanner};

/// Ordinary least squares of `y` on the columns `x` (an intercept is not added): the
/// coefficients and the residual sum of squares. `None` when the design is singular.
pub fn ols(x: &[Vec<f64>], y: &[f64]) -> Option<(Vec<f64>, f64)> {
    let k = x.len();
    let mut xtx = vec![0.0; k * k];
    let mut xty = vec![0.0; k];
    for a in 0..k {
        for b in a..k {
            let v: f64 = x[a].iter().zip(&x[b]).map(|(p, q)| p * q).sum();
            xtx[a * k + b] = v;
            xtx[b * k + a] = v;
        }
        xty[a] = x[a].iter().zip(y).map(|(p, q)| p * q).sum();
    }
    solve_dense(&mut xtx, &mut xty)?;
    let ssr = (0..y.len())
        .map(|t| {
            let fit: f64 = (0..k).map(|a| xty[a] * x[a][t]).sum();
            (y[t] - fit).powi(2)
        })
        .sum();
    Some((xty, ssr))
}

fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

/// Sample variance (ddof = 1).
pub fn var(x: &[f64]) -> f64 {
    let m = mean(x);
    x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (x.len() as f64 - 1.0)
}

/// R² of the regression of `(x_t − x̄)²` on its 12 lags with an intercept.
pub fn arch_lm(x: &[f64]) -> f64 {
    const LAGS: usize = 12;
    let n = x.len();
    if n <= LAGS + 1 {
        return f64::NAN;
    }
    let m = mean(x);
    let z: Vec<f64> = x.iter().map(|v| (v - m).powi(2)).collect();
    let y = &z[LAGS..];
    let mut cols = vec![vec![1.0; n - LAGS]];
    cols.extend((1..=LAGS).map(|l| z[LAGS - l..n - l].to_vec()));
    let Some((_, ssr)) = ols(&cols, y) else {
        return f64::NAN;
    };
    let my = mean(y);
    let sst: f64 = y.iter().map(|v| (v - my).powi(2)).sum();
    1.0 - ssr / sst
}

/// numpy's median.
pub fn median(x: &[f64]) -> f64 {
    let mut s = x.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        0.5 * (s[n / 2 - 1] + s[n / 2])
    }
}

/// How often consecutive values fall on different sides of the median (`≤` counts as
/// below).
pub fn crossing_points(x: &[f64]) -> usize {
    let mid = median(x);
    x.windows(2)
        .filter(|w| (w[0] <= mid) != (w[1] <= mid))
        .count()
}

/// The longest run of consecutive values in the same of 10 equal-width bins over
/// [min, max] (pandas' `cut(bins=10, include_lowest=True)`: right-closed bins, the lowest
/// edge moved down by 0.1% of the range).
pub fn flat_spots(x: &[f64]) -> usize {
    let (mn, mx) = x
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    if mn == mx {
        return x.len();
    }
    let step = (mx - mn) / 10.0;
    let mut edges: Vec<f64> = (0..=10).map(|i| i as f64 * step + mn).collect();
    edges[10] = mx;
    edges[0] -= (mx - mn) * 0.001;
    let bin = |v: f64| edges[1..].iter().position(|&e| v <= e).unwrap_or(9);
    let (mut best, mut run, mut last) = (0, 0, usize::MAX);
    for &v in x {
        let b = bin(v);
        run = if b == last { run + 1 } else { 1 };
        last = b;
        best = best.max(run);
    }
    best
}

/// Windows of `width` (the period, or 10 for non-seasonal series): (lumpiness, stability)
/// = sample variance of the windows' variances and of their means; 0 below two windows.
pub fn lumpiness_stability(x: &[f64], width: usize) -> (f64, f64) {
    if x.len() < 2 * width {
        return (0.0, 0.0);
    }
    let (vars, means): (Vec<f64>, Vec<f64>) =
        x.chunks_exact(width).map(|w| (var(w), mean(w))).unzip();
    (var(&vars), var(&means))
}

/// Teräsvirta's neural-network test with one lag, as `10·stat/n` = `10·ln(SSR0/SSR1)`.
pub fn nonlinearity(x: &[f64]) -> f64 {
    let (m, sd) = (mean(x), var(x).sqrt());
    let z: Vec<f64> = x.iter().map(|v| (v - m) / sd).collect();
    let n = z.len();
    let lag = z[..n - 1].to_vec();
    let y = &z[1..];
    let ones = vec![1.0; n - 1];
    let Some((coef, ssr0)) = ols(&[ones.clone(), lag.clone()], y) else {
        return f64::NAN;
    };
    let u: Vec<f64> = (0..n - 1)
        .map(|t| y[t] - coef[0] - coef[1] * lag[t])
        .collect();
    let sq: Vec<f64> = lag.iter().map(|v| v * v).collect();
    let cube: Vec<f64> = lag.iter().map(|v| v * v * v).collect();
    let Some((_, ssr1)) = ols(&[ones, lag, sq, cube], &u) else {
        return f64::NAN;
    };
    10.0 * (ssr0 / ssr1).ln()
}

/// The lag truncation of the unit-root statistics: ⌊4·(n/100)^¼⌋.
pub fn unitroot_lags(n: usize) -> usize {
    (4.0 * (n as f64 / 100.0).powf(0.25)).floor() as usize
}

/// Phillips–Perron Z-alpha statistic with a constant (urca's `ur.pp`, short lags).
pub fn unitroot_pp(x: &[f64]) -> f64 {
    let n = x.len();
    let l = unitroot_lags(n);
    let (y, lag) = (&x[1..], &x[..n - 1]);
    let big_n = (n - 1) as f64;
    let Some((coef, _)) = ols(&[vec![1.0; n - 1], lag.to_vec()], y) else {
        return f64::NAN;
    };
    let e: Vec<f64> = (0..n - 1)
        .map(|t| y[t] - coef[0] - coef[1] * lag[t])
        .collect();
    let lambda: f64 = (1..=l)
        .map(|j| {
            let w = 1.0 - j as f64 / (l + 1) as f64;
            w * e[j..]
                .iter()
                .zip(&e[..n - 1 - j])
                .map(|(a, b)| a * b)
                .sum::<f64>()
        })
        .sum::<f64>()
        / big_n;
    let my = mean(y);
    let ybar2 = y.iter().map(|v| (v - my).powi(2)).sum::<f64>() / (big_n * big_n);
    big_n * (coef[1] - 1.0) - lambda / ybar2
}

/// The package's rescaled-range Hurst estimate: OLS slope of `ln(R_i/S_i)` on `ln i` over
/// the prefixes i = 2..n.
pub fn hurst(x: &[f64]) -> f64 {
    let n = x.len();
    let mut y = Vec::with_capacity(n);
    let mut acc = 0.0;
    for v in x {
        acc += v;
        y.push(acc);
    }
    let (mut sx, mut sy, mut sxx, mut sxy, mut cnt) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for i in 1..n {
        let m = y[i] / (i + 1) as f64;
        let (mut ss, mut lo, mut hi) = (0.0, f64::INFINITY, f64::NEG_INFINITY);
        for j in 0..=i {
            ss += (x[j] - m).powi(2);
            let d = y[j] - (j + 1) as f64 * m;
            lo = lo.min(d);
            hi = hi.max(d);
        }
        let s = (ss / (i + 1) as f64).sqrt();
        let v = ((hi - lo) / s).ln();
        let lt = ((i + 1) as f64).ln();
        if !v.is_finite() {
            return f64::NAN;
        }
        sx += lt;
        sy += v;
        sxx += lt * lt;
        sxy += lt * v;
        cnt += 1.0;
    }
    (cnt * sxy - sx * sy) / (cnt * sxx - sx * sx)
}

/// Normalised spectral entropy of the raw one-sided periodogram (scipy's `periodogram`
/// with the mean removed: floor(n/2)+1 bins, all but DC and an even n's Nyquist bin
/// doubled), in bits divided by log2 of the bin count.
pub fn spectral_entropy(x: &[f64]) -> f64 {
    let n = x.len();
    let m = mean(x);
    let mut buf: Vec<Complex<f64>> = x.iter().map(|v| Complex::new(v - m, 0.0)).collect();
    FftPlanner::new().plan_fft_forward(n).process(&mut buf);
    let bins = n / 2 + 1;
    let psd: Vec<f64> = (0..bins)
        .map(|k| {
            let p = buf[k].norm_sqr();
            if k == 0 || (n.is_multiple_of(2) && k == n / 2) {
                p
            } else {
                2.0 * p
            }
        })
        .collect();
    let total: f64 = psd.iter().sum();
    let h: f64 = psd
        .iter()
        .map(|p| p / total)
        .filter(|&p| p > 0.0)
        .map(|p| -p * p.log2())
        .sum();
    h / (bins as f64).log2()
}
