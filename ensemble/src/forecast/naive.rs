//! The benchmark forecasters: naive (random walk), seasonal naive and random walk with drift.

use super::{check_append, Forecaster};
use crate::error::{check_finite, check_len};
use crate::{Error, Result};

/// Forecasts the last observation for every horizon.
#[derive(Debug, Clone, Default)]
pub struct Naive {
    last: Option<f64>,
}

impl Naive {
    /// An unfitted naive forecaster.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Forecaster for Naive {
    fn name(&self) -> &str {
        "naive"
    }
    fn fit(&mut self, history: &[f64]) -> Result<()> {
        check_len(self.name(), history, 1)?;
        check_finite(self.name(), history)?;
        self.last = history.last().copied();
        Ok(())
    }
    fn append(&mut self, y: f64) -> Result<()> {
        check_append(self.name(), y)?;
        let last = self
            .last
            .as_mut()
            .ok_or_else(|| Error::NotFitted("naive".into()))?;
        *last = y;
        Ok(())
    }
    fn forecast(&self, horizon: usize) -> Result<Vec<f64>> {
        let last = self
            .last
            .ok_or_else(|| Error::NotFitted(self.name().into()))?;
        Ok(vec![last; horizon])
    }
    fn min_history(&self) -> usize {
        1
    }
}

/// Forecasts the observation one season (`m` steps) earlier.
#[derive(Debug, Clone)]
pub struct SeasonalNaive {
    m: usize,
    name: String,
    /// The last `m` observations, oldest first.
    season: Vec<f64>,
}

impl SeasonalNaive {
    /// A seasonal naive forecaster with period `m` (≥ 1).
    pub fn new(m: usize) -> Result<Self> {
        if m == 0 {
            return Err(Error::Config(
                "seasonal naive: the period m must be at least 1".into(),
            ));
        }
        Ok(Self {
            m,
            name: format!("snaive{m}"),
            season: Vec::new(),
        })
    }
}

impl Forecaster for SeasonalNaive {
    fn name(&self) -> &str {
        &self.name
    }
    fn fit(&mut self, history: &[f64]) -> Result<()> {
        check_len(&self.name, history, self.m)?;
        check_finite(&self.name, history)?;
        self.season = history[history.len() - self.m..].to_vec();
        Ok(())
    }
    fn append(&mut self, y: f64) -> Result<()> {
        check_append(&self.name, y)?;
        if self.season.is_empty() {
            return Err(Error::NotFitted(self.name.clone()));
        }
        self.season.remove(0);
        self.season.push(y);
        Ok(())
    }
    fn forecast(&self, horizon: usize) -> Result<Vec<f64>> {
        if self.season.is_empty() {
            return Err(Error::NotFitted(self.name.clone()));
        }
        Ok((0..horizon).map(|h| self.season[h % self.m]).collect())
    }
    fn min_history(&self) -> usize {
        self.m
    }
}

/// Random walk with drift: the last value plus h times the average historical change.
#[derive(Debug, Clone, Default)]
pub struct Drift {
    /// (first value, last value, number of observations).
    state: Option<(f64, f64, usize)>,
}

impl Drift {
    /// An unfitted drift forecaster.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Forecaster for Drift {
    fn name(&self) -> &str {
        "drift"
    }
    fn fit(&mut self, history: &[f64]) -> Result<()> {
        check_len(self.name(), history, 2)?;
        check_finite(self.name(), history)?;
        self.state = Some((history[0], history[history.len() - 1], history.len()));
        Ok(())
    }
    fn append(&mut self, y: f64) -> Result<()> {
        check_append(self.name(), y)?;
        let (_, last, n) = self
            .state
            .as_mut()
            .ok_or_else(|| Error::NotFitted("drift".into()))?;
        *last = y;
        *n += 1;
        Ok(())
    }
    fn forecast(&self, horizon: usize) -> Result<Vec<f64>> {
        let (first, last, n) = self
            .state
            .ok_or_else(|| Error::NotFitted(self.name().into()))?;
        let slope = (last - first) / (n - 1) as f64;
        Ok((1..=horizon).map(|h| last + slope * h as f64).collect())
    }
    fn min_history(&self) -> usize {
        2
    }
}

/// M4's Naive2 benchmark: naive on the seasonally adjusted series. When M4's 90%
/// seasonality test says seasonal (n ≥ 3m), the series is divided by its classical
/// multiplicative indices, the last adjusted value is carried forward and re-seasonalised
/// with the index of each forecast position; otherwise it is plain naive.
#[derive(Debug, Clone)]
pub struct Naive2 {
    m: usize,
    name: String,
    /// Seasonal indices by position t mod m (all 1 when not seasonal).
    indices: Vec<f64>,
    /// The last seasonally adjusted value and the number of observations.
    state: Option<(f64, usize)>,
}

impl Naive2 {
    /// Naive2 with seasonal period `m` ≥ 1.
    pub fn new(m: usize) -> Result<Self> {
        if m == 0 {
            return Err(Error::Config(
                "naive2: the period m must be at least 1".into(),
            ));
        }
        Ok(Self {
            m,
            name: format!("naive2_{m}"),
            indices: vec![1.0; m],
            state: None,
        })
    }

    /// Whether the last fit found the series seasonal.
    pub fn seasonal(&self) -> bool {
        self.indices.iter().any(|&s| s != 1.0)
    }

    /// The seasonal indices of the last fit, by position t mod m.
    pub fn indices(&self) -> &[f64] {
        &self.indices
    }
}

impl Forecaster for Naive2 {
    fn name(&self) -> &str {
        &self.name
    }
    fn fit(&mut self, history: &[f64]) -> Result<()> {
        check_len(&self.name, history, 1)?;
        check_finite(&self.name, history)?;
        let n = history.len();
        let positive = history.iter().all(|&v| v > 0.0);
        self.indices = if positive && super::m4_seasonality_test(history, self.m) {
            super::multiplicative_indices(history, self.m)?
        } else {
            vec![1.0; self.m]
        };
        let last = history[n - 1] / self.indices[(n - 1) % self.m];
        self.state = Some((last, n));
        Ok(())
    }
    fn append(&mut self, y: f64) -> Result<()> {
        check_append(&self.name, y)?;
        let (last, n) = self
            .state
            .as_mut()
            .ok_or_else(|| Error::NotFitted("naive2".into()))?;
        *last = y / self.indices[*n % self.m];
        *n += 1;
        Ok(())
    }
    fn forecast(&self, horizon: usize) -> Result<Vec<f64>> {
        let (last, n) = self
            .state
            .ok_or_else(|| Error::NotFitted(self.name.clone()))?;
        Ok((1..=horizon)
            .map(|h| last * self.indices[(n + h - 1) % self.m])
            .collect())
    }
    fn min_history(&self) -> usize {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn benchmarks_forecast_as_defined() {
        let y = [1.0, 2.0, 4.0, 3.0, 5.0];
        let mut n = Naive::new();
        assert!(matches!(n.forecast(1), Err(Error::NotFitted(_))));
        n.fit(&y).unwrap();
        assert_eq!(n.forecast(2).unwrap(), vec![5.0, 5.0]);
        let mut s = SeasonalNaive::new(2).unwrap();
        s.fit(&y).unwrap();
        assert_eq!(s.forecast(3).unwrap(), vec![3.0, 5.0, 3.0]);
        s.append(7.0).unwrap();
        assert_eq!(s.forecast(2).unwrap(), vec![5.0, 7.0]);
        let mut d = Drift::new();
        d.fit(&y).unwrap();
        assert_eq!(d.forecast(2).unwrap(), vec![6.0, 7.0]);
        assert!(SeasonalNaive::new(0).is_err());
        assert!(matches!(s.fit(&[1.0]), Err(Error::TooShort { .. })));
        assert!(n.fit(&[1.0, f64::NAN]).is_err());
    }
}
