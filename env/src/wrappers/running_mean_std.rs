//! Running mean and variance, merged batch by batch.

use serde::{Deserialize, Serialize};

/// Per-dimension running mean and (population) variance, merged with the parallel algorithm
/// of Chan, Golub & LeVeque (1979), as Gymnasium's and SB3's `RunningMeanStd` do. Starts from
/// mean 0, variance 1 and a pseudo-count `epsilon` (1e-4 there), so early normalisation is
/// well defined; the pseudo-count's influence fades as 1/count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunningMeanStd {
    /// Running mean per dimension.
    pub mean: Vec<f64>,
    /// Running population variance per dimension.
    pub var: Vec<f64>,
    /// Number of samples merged (plus the initial pseudo-count).
    pub count: f64,
}

impl RunningMeanStd {
    /// Statistics for `dim` dimensions with the pseudo-count `epsilon`.
    pub fn new(dim: usize, epsilon: f64) -> Self {
        Self {
            mean: vec![0.0; dim],
            var: vec![1.0; dim],
            count: epsilon,
        }
    }

    /// Number of dimensions.
    pub fn dim(&self) -> usize {
        self.mean.len()
    }

    /// Merges one sample.
    pub fn update(&mut self, x: &[f64]) {
        debug_assert_eq!(
            x.len(),
            self.mean.len(),
            "RunningMeanStd: dimension mismatch"
        );
        let tot = self.count + 1.0;
        for ((m, v), &xi) in self.mean.iter_mut().zip(&mut self.var).zip(x) {
            let delta = xi - *m;
            let new_mean = *m + delta / tot;
            let m2 = *v * self.count + delta * delta * self.count / tot;
            *m = new_mean;
            *v = m2 / tot;
        }
        self.count = tot;
    }

    /// Merges a batch given by its mean, population variance and size.
    pub fn update_from_moments(&mut self, batch_mean: &[f64], batch_var: &[f64], batch_count: f64) {
        let tot = self.count + batch_count;
        for (((m, v), &bm), &bv) in self
            .mean
            .iter_mut()
            .zip(&mut self.var)
            .zip(batch_mean)
            .zip(batch_var)
        {
            let delta = bm - *m;
            let m2 =
                *v * self.count + bv * batch_count + delta * delta * self.count * batch_count / tot;
            *m += delta * batch_count / tot;
            *v = m2 / tot;
        }
        self.count = tot;
    }

    /// `(x - mean) / sqrt(var + eps)`, clipped to `[-clip, clip]`, written into `out`.
    pub fn normalize_into(&self, x: &[f64], eps: f64, clip: f64, out: &mut [f64]) {
        for (((o, &xi), m), v) in out.iter_mut().zip(x).zip(&self.mean).zip(&self.var) {
            *o = ((xi - m) / (v + eps).sqrt()).clamp(-clip, clip);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_pass(xs: &[Vec<f64>]) -> (Vec<f64>, Vec<f64>) {
        let n = xs.len() as f64;
        let d = xs[0].len();
        let mean: Vec<f64> = (0..d)
            .map(|j| xs.iter().map(|x| x[j]).sum::<f64>() / n)
            .collect();
        let var = (0..d)
            .map(|j| xs.iter().map(|x| (x[j] - mean[j]).powi(2)).sum::<f64>() / n)
            .collect();
        (mean, var)
    }

    #[test]
    fn running_stats_equal_two_pass_mean_and_variance() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let xs: Vec<Vec<f64>> = (0..5000)
            .map(|_| {
                vec![
                    rng.random_range(-3.0..5.0),
                    100.0 + rng.random_range(0.0..0.01),
                ]
            })
            .collect();
        // A zero pseudo-count makes the running result the exact sample statistics.
        let mut one_by_one = RunningMeanStd::new(2, 0.0);
        let mut batched = RunningMeanStd::new(2, 0.0);
        for x in &xs {
            one_by_one.update(x);
        }
        for chunk in xs.chunks(97) {
            let (m, v) = two_pass(chunk);
            batched.update_from_moments(&m, &v, chunk.len() as f64);
        }
        let (mean, var) = two_pass(&xs);
        for j in 0..2 {
            for rms in [&one_by_one, &batched] {
                assert!((rms.mean[j] - mean[j]).abs() <= 1e-12 * mean[j].abs().max(1.0));
                assert!(
                    (rms.var[j] - var[j]).abs() <= 1e-9 * var[j],
                    "{} vs {}",
                    rms.var[j],
                    var[j]
                );
            }
        }
    }
}
