//! The conditional-sum-of-squares objective used for ARIMA starting values (R's
//! `ARIMA_CSS`): residuals by the ARMA recursion, conditioning on the first p values and
//! taking earlier residuals as zero.

/// 0.5·ln(mean squared conditional residual) of ARMA(ar, ma) on the demeaned series `x`.
pub(crate) fn objective(x: &[f64], ar: &[f64], ma: &[f64]) -> f64 {
    const RING: usize = 16;
    let (p, q) = (ar.len(), ma.len());
    let n = x.len();
    if n <= p || q >= RING {
        return f64::INFINITY;
    }
    // The last q residuals in a ring buffer (q ≤ 10), indexed by t mod RING.
    let mut resid = [0.0; RING];
    let mut ssq = 0.0;
    for t in p..n {
        let mut e = x[t];
        for (i, a) in ar.iter().enumerate() {
            e -= a * x[t - 1 - i];
        }
        for (j, m) in ma.iter().enumerate().take(t) {
            e -= m * resid[(t - 1 - j) % RING];
        }
        resid[t % RING] = e;
        ssq += e * e;
    }
    let value = 0.5 * (ssq.max(f64::MIN_POSITIVE) / (n - p) as f64).ln();
    if value.is_finite() {
        value
    } else {
        f64::INFINITY
    }
}
