//! Training data for the neural forecasters: the series is differenced (so the networks
//! learn changes, not levels) and standardised with statistics of the fitting history only,
//! then cut into (window of lags → next change) pairs in time order.

/// Standardisation of the differenced series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Scaler {
    pub mean: f64,
    pub std: f64,
}

impl Scaler {
    /// Mean and standard deviation of `x` (a floor keeps constant series finite).
    pub fn fit(x: &[f64]) -> Self {
        let n = x.len() as f64;
        let mean = x.iter().sum::<f64>() / n;
        let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
        let floor = 1e-8 * mean.abs().max(1e-8);
        Self {
            mean,
            std: var.sqrt().max(floor),
        }
    }

    pub fn scale(&self, v: f64) -> f32 {
        ((v - self.mean) / self.std) as f32
    }

    pub fn unscale(&self, v: f32) -> f64 {
        v as f64 * self.std + self.mean
    }
}

/// Lag windows and targets, row-major: `inputs[i*lags..(i+1)*lags]` precedes `targets[i]`.
#[derive(Debug, Clone)]
pub(crate) struct Windows {
    pub inputs: Vec<f32>,
    pub targets: Vec<f32>,
    pub lags: usize,
}

impl Windows {
    /// All windows of the scaled series `z`.
    pub fn from_scaled(z: &[f32], lags: usize) -> Self {
        let count = z.len().saturating_sub(lags);
        let mut inputs = Vec::with_capacity(count * lags);
        let mut targets = Vec::with_capacity(count);
        for i in 0..count {
            inputs.extend_from_slice(&z[i..i + lags]);
            targets.push(z[i + lags]);
        }
        Self {
            inputs,
            targets,
            lags,
        }
    }

    pub fn len(&self) -> usize {
        self.targets.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_pair_lags_with_the_next_value() {
        let z = [0.0, 1.0, 2.0, 3.0, 4.0];
        let w = Windows::from_scaled(&z, 2);
        assert_eq!(w.len(), 3);
        assert_eq!(&w.inputs[2..4], &[1.0, 2.0]);
        assert_eq!(w.targets[1], 3.0);
        let s = Scaler::fit(&[1.0, 3.0]);
        assert_eq!((s.mean, s.std), (2.0, 1.0));
        assert_eq!(s.unscale(s.scale(5.0)), 5.0);
    }
}
