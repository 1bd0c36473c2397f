//! Prefix sums that make every observation O(K) to build.

use crate::ensemble::Predictions;

/// Cumulative sums over one series, so any window sum is one subtraction:
/// `diff_sq[i] = sum_{1 <= j < i} (target[j] - target[j-1])^2` and
/// `err_sq[i*K + k] = sum_{j < i} (pred[j][k] - target[j])^2`.
///
/// Entry `i` depends only on rows before `i`, so a statistic for time `t` read from entries
/// `<= t` cannot see `target[t..]`: the no-look-ahead guarantee holds bit for bit.
#[derive(Debug, Clone)]
pub(crate) struct SeriesStats {
    diff_sq: Vec<f64>,
    err_sq: Vec<f64>,
    k: usize,
}

impl SeriesStats {
    pub(crate) fn new(p: &Predictions) -> Self {
        let (n, k) = (p.len(), p.num_models());
        let y = p.target();
        let mut diff_sq = Vec::with_capacity(n + 1);
        diff_sq.push(0.0);
        let mut acc = 0.0;
        for i in 0..n {
            if i >= 1 {
                let d = y[i] - y[i - 1];
                acc += d * d;
            }
            diff_sq.push(acc);
        }
        let mut err_sq = vec![0.0; (n + 1) * k];
        for i in 0..n {
            let row = p.pred(i);
            for j in 0..k {
                let e = row[j] - y[i];
                err_sq[(i + 1) * k + j] = err_sq[i * k + j] + e * e;
            }
        }
        Self { diff_sq, err_sq, k }
    }

    /// Root-mean-square of the `w` one-step changes ending at `t - 1` (needs `t > w`).
    pub(crate) fn rms_diff(&self, t: usize, w: usize) -> f64 {
        ((self.diff_sq[t] - self.diff_sq[t - w]).max(0.0) * (1.0 / w as f64)).sqrt()
    }

    /// The cumulative squared errors of all K models before rows `t` and `t - w`: their
    /// difference over `w` is each model's MSE over rows `t-w..t` (needs `t >= w`).
    pub(crate) fn err_sq_rows(&self, t: usize, w: usize) -> (&[f64], &[f64]) {
        let k = self.k;
        (
            &self.err_sq[t * k..(t + 1) * k],
            &self.err_sq[(t - w) * k..(t - w + 1) * k],
        )
    }
}
