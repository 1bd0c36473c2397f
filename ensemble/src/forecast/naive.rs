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
