//! The conditional-sum-of-squares objective used for ARIMA starting values (R's
//! `ARIMA_CSS`): residuals by the ARMA recursion, conditioning on the first p values and
//! taking earlier residuals as zero.

/// 0.5·ln(mean squared conditional residual) of ARMA(ar, ma) on `w − mean`.
pub(crate) fn objective(w: &[f64], ar: &[f64], ma: &[f64], mean: f64) -> f64 {
    let (p, q) = (ar.len(), ma.len());
    let n = w.len();
    if n <= p {
        return f64::INFINITY;
    }
    let mut resid = vec![0.0; n];
    let mut ssq = 0.0;
    for t in p..n {
        let mut e = w[t] - mean;
        for i in 0..p {
            e -= ar[i] * (w[t - 1 - i] - mean);
        }
        for j in 0..q.min(t) {
            e -= ma[j] * resid[t - 1 - j];
        }
        resid[t] = e;
        ssq += e * e;
    }
    let value = 0.5 * (ssq.max(f64::MIN_POSITIVE) / (n - p) as f64).ln();
    if value.is_finite() {
        value
    } else {
        f64::INFINITY
    }
}
