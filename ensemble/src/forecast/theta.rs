//! The standard Theta method (Assimakopoulos & Nikolopoulos 2000) as the M3/M4 benchmark
//! runs it: M4's 90% seasonality test, classical multiplicative decomposition when seasonal,
//! then SES with drift equal to half the OLS slope (Hyndman & Billah 2003):
//!
//! x̂_{n+h} = l_n + (b0/2)(h − 1 + 1/α − (1−α)^n/α),
//!
//! l_n the SES level after the last point (SES started at l_0 = x_1, α minimising the
//! one-step SSE on [1e-6, 1]), b0 the OLS slope of x on t = 0..n−1; the forecast is
//! re-seasonalised with the index of position (n + h − 1) mod m.

use super::{check_append, Forecaster};
use crate::error::{check_finite, check_len};
use crate::optim::brent;
use crate::{Error, Result};

/// A series with its mean and total sum of squares about it, which every lag's
/// autocorrelation shares: computed once, not once per lag.
struct Autocorrelation<'a> {
    y: &'a [f64],
    mean: f64,
    denom: f64,
}

impl<'a> Autocorrelation<'a> {
    fn of(y: &'a [f64]) -> Self {
        let mean = y.iter().sum::<f64>() / y.len() as f64;
        let denom = y.iter().map(|v| (v - mean).powi(2)).sum();
        Self { y, mean, denom }
    }

    /// The sample autocorrelation at lag k (demeaned, divided by the total sum of squares).
    fn at(&self, k: usize) -> f64 {
        let (y, mean) = (self.y, self.mean);
        if self.denom == 0.0 || k >= y.len() {
            return 0.0;
        }
        (k..y.len())
            .map(|i| (y[i] - mean) * (y[i - k] - mean))
            .sum::<f64>()
            / self.denom
    }
}

/// M4's seasonality test at 90%: with n ≥ 3m and m > 1, seasonal iff
/// |r_m| > 1.645·sqrt((1 + 2 Σ_{k=1}^{m−1} r_k²)/n).
pub fn m4_seasonality_test(y: &[f64], m: usize) -> bool {
    if m <= 1 || y.len() < 3 * m {
        return false;
    }
    let acf = Autocorrelation::of(y);
    let s: f64 = (1..m).map(|k| acf.at(k).powi(2)).sum();
    let limit = 1.645 * ((1.0 + 2.0 * s) / y.len() as f64).sqrt();
    acf.at(m).abs() > limit
}

/// Classical multiplicative seasonal indices (R's `decompose`): a centred moving average of
/// order m (2×m when m is even), ratios y/trend averaged by position t mod m (t 0-based from
/// the first observation) and normalised to mean 1. Needs n ≥ 2m and positive data.
pub fn multiplicative_indices(y: &[f64], m: usize) -> Result<Vec<f64>> {
    let n = y.len();
    if m < 2 || n < 2 * m {
        return Err(Error::InvalidInput(format!(
            "seasonal decomposition needs m ≥ 2 and at least 2m = {} observations, got m = {m}, n = {n}",
            2 * m
        )));
    }
    let half = m / 2;
    let mut sums = vec![0.0; m];
    let mut counts = vec![0usize; m];
    for t in half..n - half {
        let trend = if m.is_multiple_of(2) {
            let inner: f64 = y[t + 1 - half..t + half].iter().sum();
            (inner + 0.5 * (y[t - half] + y[t + half])) / m as f64
        } else {
            y[t - half..=t + half].iter().sum::<f64>() / m as f64
        };
        if trend == 0.0 {
            return Err(Error::InvalidInput(format!(
                "zero moving average at t = {t}"
            )));
        }
        sums[t % m] += y[t] / trend;
        counts[t % m] += 1;
    }
    let raw: Vec<f64> = sums
        .iter()
        .zip(&counts)
        .map(|(s, &c)| s / c as f64)
        .collect();
    let mean = raw.iter().sum::<f64>() / m as f64;
    Ok(raw.iter().map(|r| r / mean).collect())
}

/// What the Theta fit estimated.
#[derive(Debug, Clone, PartialEq)]
pub struct ThetaFit {
    /// Whether the series was deseasonalised.
    pub seasonal: bool,
    /// Seasonal indices by position t mod m (all 1 when not seasonal).
    pub seasonal_indices: Vec<f64>,
    /// SES smoothing parameter.
    pub alpha: f64,
    /// OLS slope of the deseasonalised series on time.
    pub b0: f64,
    /// In-sample one-step SSE of the SES (deseasonalised scale).
    pub sse: f64,
}

/// The standard Theta forecaster with seasonal period `m` (1 = non-seasonal).
#[derive(Debug, Clone)]
pub struct Theta {
    m: usize,
    name: String,
    fit: Option<ThetaFit>,
    /// SES level after the last observation, and the number of observations so far.
    level: f64,
    n: usize,
}

impl Theta {
    /// A Theta forecaster for period `m` ≥ 1.
    pub fn new(m: usize) -> Result<Self> {
        if m == 0 {
            return Err(Error::Config(
                "theta: the seasonal period m must be at least 1".into(),
            ));
        }
        Ok(Self {
            m,
            name: if m > 1 {
                format!("theta{m}")
            } else {
                "theta".into()
            },
            fit: None,
            level: 0.0,
            n: 0,
        })
    }

    /// The fitted parameters, once `fit` has run.
    pub fn fitted(&self) -> Option<&ThetaFit> {
        self.fit.as_ref()
    }
}

fn ses_sse(x: &[f64], alpha: f64) -> (f64, f64) {
    let mut level = x[0];
    let mut sse = 0.0;
    for &v in &x[1..] {
        sse += (v - level).powi(2);
        level += alpha * (v - level);
    }
    (sse, level)
}

impl Forecaster for Theta {
    fn name(&self) -> &str {
        &self.name
    }

    fn fit(&mut self, history: &[f64]) -> Result<()> {
        check_len(&self.name, history, self.min_history())?;
        check_finite(&self.name, history)?;
        let n = history.len();
        let positive = history.iter().all(|&v| v > 0.0);
        let seasonal = positive && m4_seasonality_test(history, self.m);
        let seasonal_indices = if seasonal {
            multiplicative_indices(history, self.m)?
        } else {
            vec![1.0; self.m]
        };
        let x: Vec<f64> = history
            .iter()
            .enumerate()
            .map(|(t, v)| v / seasonal_indices[t % self.m])
            .collect();
        let t_mean = (n - 1) as f64 / 2.0;
        let x_mean = x.iter().sum::<f64>() / n as f64;
        let (mut sxy, mut sxx) = (0.0, 0.0);
        for (t, v) in x.iter().enumerate() {
            sxy += (t as f64 - t_mean) * (v - x_mean);
            sxx += (t as f64 - t_mean).powi(2);
        }
        let b0 = sxy / sxx;
        let alpha = brent(|a| ses_sse(&x, a).0, 1e-6, 1.0, 1e-10).x[0];
        let (sse, level) = ses_sse(&x, alpha);
        if !(sse.is_finite() && level.is_finite() && b0.is_finite()) {
            return Err(Error::FitFailed {
                model: self.name.clone(),
                detail: "non-finite SES fit".into(),
            });
        }
        self.level = level;
        self.n = n;
        self.fit = Some(ThetaFit {
            seasonal,
            seasonal_indices,
            alpha,
            b0,
            sse,
        });
        Ok(())
    }

    fn append(&mut self, y: f64) -> Result<()> {
        check_append(&self.name, y)?;
        let fit = self
            .fit
            .as_ref()
            .ok_or_else(|| Error::NotFitted(self.name.clone()))?;
        let x = y / fit.seasonal_indices[self.n % self.m];
        self.level += fit.alpha * (x - self.level);
        self.n += 1;
        Ok(())
    }

    fn forecast(&self, horizon: usize) -> Result<Vec<f64>> {
        let fit = self
            .fit
            .as_ref()
            .ok_or_else(|| Error::NotFitted(self.name.clone()))?;
        let a = fit.alpha;
        let tail = (1.0 / a) - (1.0 - a).powi(self.n as i32) / a;
        Ok((1..=horizon)
            .map(|h| {
                let x = self.level + 0.5 * fit.b0 * (h as f64 - 1.0 + tail);
                x * fit.seasonal_indices[(self.n + h - 1) % self.m]
            })
            .collect())
    }

    fn min_history(&self) -> usize {
        3
    }
}
