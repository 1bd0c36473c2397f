//! Seasonal-trend decomposition by LOESS (Cleveland, Cleveland, McRae & Terpenning 1990),
//! following the reference Fortran `stl` routine that statsmodels' `STL` ports: degree-1
//! LOESS everywhere, all jumps 1, no robustness iterations. The features compare against
//! statsmodels' defaults (`seasonal = 13`, inner loop 5 passes), so this keeps its exact
//! window rules and arithmetic order.

use crate::{Error, Result};

/// Trend, seasonal and remainder components (`y = trend + seasonal + remainder`).
#[derive(Debug, Clone, PartialEq)]
pub struct Decomposition {
    /// Trend component.
    pub trend: Vec<f64>,
    /// Seasonal component.
    pub seasonal: Vec<f64>,
    /// Remainder.
    pub remainder: Vec<f64>,
}

/// STL windows; [`StlConfig::new`] gives statsmodels' defaults for a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StlConfig {
    /// Seasonal period (≥ 2).
    pub period: usize,
    /// Seasonal smoother window (odd, ≥ 3).
    pub seasonal: usize,
    /// Trend smoother window (odd).
    pub trend: usize,
    /// Low-pass filter window (odd).
    pub low_pass: usize,
    /// Passes of the inner loop.
    pub inner_iter: usize,
}

fn odd(v: usize) -> usize {
    if v.is_multiple_of(2) {
        v + 1
    } else {
        v
    }
}

impl StlConfig {
    /// statsmodels' `STL(x, period, seasonal)` defaults: trend window = the smallest odd
    /// integer ≥ 1.5·period / (1 − 1.5/seasonal), low-pass window = period + 1 made odd,
    /// five inner passes.
    pub fn new(period: usize, seasonal: usize) -> Self {
        let trend = (1.5 * period as f64 / (1.0 - 1.5 / seasonal as f64)).ceil() as usize;
        Self {
            period,
            seasonal,
            trend: odd(trend),
            low_pass: odd(period + 1),
            inner_iter: 5,
        }
    }

    /// Decomposes `y`: at least two full periods, all values finite.
    pub fn decompose(&self, y: &[f64]) -> Result<Decomposition> {
        let n = y.len();
        if self.period < 2 || self.seasonal < 3 || self.seasonal.is_multiple_of(2) {
            return Err(Error::InvalidInput(format!(
                "STL needs a period ≥ 2 and an odd seasonal window ≥ 3 (got {} and {})",
                self.period, self.seasonal
            )));
        }
        if n < 2 * self.period {
            return Err(Error::TooShort {
                model: "STL".into(),
                needed: 2 * self.period,
                got: n,
            });
        }
        if y.iter().any(|v| !v.is_finite()) {
            return Err(Error::InvalidInput("STL: non-finite value".into()));
        }
        let np = self.period;
        let mut trend = vec![0.0; n];
        let mut season = vec![0.0; n];
        let mut work = vec![0.0; n + 2 * np];
        let mut cycle = vec![0.0; n + 2 * np];
        let mut low = vec![0.0; n];
        let mut buf = vec![0.0; n + 2 * np];
        for _ in 0..self.inner_iter {
            for i in 0..n {
                work[i] = y[i] - trend[i];
            }
            seasonal_smooth(&work[..n], np, self.seasonal, &mut cycle, &mut buf);
            // Low-pass filter of the cycle-subseries smooth: moving averages of length
            // np, np, 3, then LOESS.
            let m1 = moving_average(&cycle, np);
            let m2 = moving_average(&m1, np);
            let m3 = moving_average(&m2, 3);
            loess(&m3, self.low_pass, &mut low, &mut buf);
            for i in 0..n {
                season[i] = cycle[np + i] - low[i];
                work[i] = y[i] - season[i];
            }
            loess(&work[..n], self.trend, &mut trend, &mut buf);
        }
        let remainder = (0..n).map(|i| y[i] - trend[i] - season[i]).collect();
        Ok(Decomposition {
            trend,
            seasonal: season,
            remainder,
        })
    }
}

/// Moving average of window `len` (output length `x.len() − len + 1`).
fn moving_average(x: &[f64], len: usize) -> Vec<f64> {
    let new_n = x.len() + 1 - len;
    let flen = len as f64;
    let mut out = Vec::with_capacity(new_n);
    let mut v: f64 = x[..len].iter().sum();
    out.push(v / flen);
    for j in 1..new_n {
        v = v - x[j - 1] + x[len + j - 1];
        out.push(v / flen);
    }
    out
}

/// Smooths each cycle-subseries with LOESS and extends it by one value at each end;
/// `out` (length n + 2·np) holds the result in time order starting one period early.
fn seasonal_smooth(y: &[f64], np: usize, ns: usize, out: &mut [f64], w: &mut [f64]) {
    let n = y.len();
    let mut sub = Vec::with_capacity(n / np + 1);
    let mut smooth = vec![0.0; n / np + 3];
    for j in 0..np {
        sub.clear();
        sub.extend(y[j..].iter().step_by(np));
        let k = sub.len();
        loess(&sub, ns, &mut smooth[1..=k], w);
        let nright = ns.min(k);
        smooth[0] = estimate(&sub, ns, 0.0, 1, nright, w).unwrap_or(smooth[1]);
        let nleft = (k as isize - ns as isize + 1).max(1) as usize;
        smooth[k + 1] = estimate(&sub, ns, (k + 1) as f64, nleft, k, w).unwrap_or(smooth[k]);
        for (m, v) in smooth[..k + 2].iter().enumerate() {
            out[m * np + j] = *v;
        }
    }
}

/// Degree-1 LOESS of `y` with window `len` at every point (jump 1) into `ys`.
fn loess(y: &[f64], len: usize, ys: &mut [f64], w: &mut [f64]) {
    let n = y.len();
    if n < 2 {
        ys[0] = y[0];
        return;
    }
    let (mut nleft, mut nright) = if len >= n { (1, n) } else { (1, len) };
    let nsh = len.div_ceil(2);
    for i in 1..=n {
        if len < n && i > nsh && nright != n {
            nleft += 1;
            nright += 1;
        }
        ys[i - 1] = estimate(y, len, i as f64, nleft, nright, w).unwrap_or(y[i - 1]);
    }
}

/// The LOESS fit at position `xs` (1-based) from points `nleft..=nright` (1-based) with
/// tricube weights; `None` when every weight is zero.
fn estimate(
    y: &[f64],
    len: usize,
    xs: f64,
    nleft: usize,
    nright: usize,
    w: &mut [f64],
) -> Option<f64> {
    let n = y.len();
    let range = n as f64 - 1.0;
    let mut h = (xs - nleft as f64).max(nright as f64 - xs);
    if len > n {
        h += ((len - n) / 2) as f64;
    }
    let (h9, h1) = (0.999 * h, 0.001 * h);
    let mut a = 0.0;
    for j in nleft..=nright {
        let r = (j as f64 - xs).abs();
        let wj = if r <= h9 {
            if r <= h1 {
                1.0
            } else {
                let q = r / h;
                let c = 1.0 - q * q * q;
                c * c * c
            }
        } else {
            0.0
        };
        w[j - 1] = wj;
        a += wj;
    }
    if a <= 0.0 {
        return None;
    }
    for wj in &mut w[nleft - 1..nright] {
        *wj /= a;
    }
    if h > 0.0 {
        let a: f64 = (nleft..=nright).map(|j| w[j - 1] * j as f64).sum();
        let mut b = xs - a;
        let c: f64 = (nleft..=nright)
            .map(|j| w[j - 1] * (j as f64 - a) * (j as f64 - a))
            .sum();
        if c.sqrt() > 0.001 * range {
            b /= c;
            for j in nleft..=nright {
                w[j - 1] *= b * (j as f64 - a) + 1.0;
            }
        }
    }
    Some((nleft..=nright).map(|j| w[j - 1] * y[j - 1]).sum())
}
