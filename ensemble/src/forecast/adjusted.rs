//! Any forecaster on the seasonally adjusted series, the way M4's benchmarks (SES, Holt,
//! Damped, Theta, Naive2) handle seasonality: when M4's 90% seasonality test says seasonal
//! (positive data, n ≥ 3m), divide by the classical multiplicative indices, forecast, and
//! multiply each forecast by its position's index; otherwise forecast the raw series.

use super::{check_append, m4_seasonality_test, multiplicative_indices, Forecaster};
use crate::{Error, Result};

/// `inner` on the seasonally adjusted series with period `m`.
pub struct SeasonallyAdjusted {
    m: usize,
    name: String,
    inner: Box<dyn Forecaster>,
    /// Indices by position t mod m (all 1 when not seasonal).
    indices: Vec<f64>,
    /// Observations seen (fit + appends); `None` before `fit`.
    seen: Option<usize>,
}

impl SeasonallyAdjusted {
    /// Wraps `inner`; `m` ≥ 2.
    pub fn new(inner: Box<dyn Forecaster>, m: usize) -> Result<Self> {
        if m < 2 {
            return Err(Error::Config(format!(
                "seasonal adjustment needs a period ≥ 2, got {m}"
            )));
        }
        Ok(Self {
            name: format!("{}_sa{m}", inner.name()),
            m,
            inner,
            indices: vec![1.0; m],
            seen: None,
        })
    }

    /// Whether the last fit found the series seasonal.
    pub fn seasonal(&self) -> bool {
        self.indices.iter().any(|&s| s != 1.0)
    }
}

impl Forecaster for SeasonallyAdjusted {
    fn name(&self) -> &str {
        &self.name
    }

    fn fit(&mut self, history: &[f64]) -> Result<()> {
        let positive = history.iter().all(|&v| v > 0.0);
        self.indices = if positive && m4_seasonality_test(history, self.m) {
            multiplicative_indices(history, self.m)?
        } else {
            vec![1.0; self.m]
        };
        let adjusted: Vec<f64> = history
            .iter()
            .enumerate()
            .map(|(t, v)| v / self.indices[t % self.m])
            .collect();
        self.inner.fit(&adjusted)?;
        self.seen = Some(history.len());
        Ok(())
    }

    fn append(&mut self, y: f64) -> Result<()> {
        check_append(&self.name, y)?;
        let n = self
            .seen
            .as_mut()
            .ok_or_else(|| Error::NotFitted(self.name.clone()))?;
        self.inner.append(y / self.indices[*n % self.m])?;
        *n += 1;
        Ok(())
    }

    fn forecast(&self, horizon: usize) -> Result<Vec<f64>> {
        let n = self
            .seen
            .ok_or_else(|| Error::NotFitted(self.name.clone()))?;
        Ok(self
            .inner
            .forecast(horizon)?
            .into_iter()
            .enumerate()
            .map(|(h, f)| f * self.indices[(n + h) % self.m])
            .collect())
    }

    fn min_history(&self) -> usize {
        self.inner.min_history()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::{Naive, Naive2};

    #[test]
    fn adjusted_naive_is_naive2() {
        let y: Vec<f64> = (0..120)
            .map(|t| (10.0 + 0.05 * t as f64) * (1.0 + 0.3 * ((t % 12) as f64 / 2.0).sin()))
            .collect();
        let mut a = SeasonallyAdjusted::new(Box::new(Naive::new()), 12).unwrap();
        let mut b = Naive2::new(12).unwrap();
        a.fit(&y[..100]).unwrap();
        b.fit(&y[..100]).unwrap();
        assert!(a.seasonal());
        assert_eq!(a.forecast(7).unwrap(), b.forecast(7).unwrap());
        a.append(y[100]).unwrap();
        b.append(y[100]).unwrap();
        assert_eq!(a.forecast(13).unwrap(), b.forecast(13).unwrap());
        assert_eq!(a.name(), "naive_sa12");
        assert!(SeasonallyAdjusted::new(Box::new(Naive::new()), 1).is_err());
    }
}
