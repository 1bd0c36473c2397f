//! The conditional-sum-of-squares objective used for ARIMA starting values (R's
//! `ARIMA_CSS`): residuals by the ARMA recursion, conditioning on the first p values and
//! taking earlier residuals as zero.

/// 0.5·ln(mean squared conditional residual) of ARMA(ar, ma) on the demeaned series `x`.
/// `resid` is scratch for the residuals, kept by the caller across an optimiser's
/// evaluations so that each evaluation allocates nothing.
pub(crate) fn objective(x: &[f64], ar: &[f64], ma: &[f64], resid: &mut Vec<f64>) -> f64 {
    let (p, q) = (ar.len(), ma.len());
    let n = x.len();
    if n <= p {
        return f64::INFINITY;
    }
    // Residuals before p are zero; the rest are written before they are read, so only
    // those p are reset between evaluations. Slices of the past, newest first, keep the
    // loops free of index arithmetic and bounds checks; the sums run in R's order.
    resid.resize(n, 0.0);
    resid[..p].fill(0.0);
    let mut ssq = 0.0;
    for t in p..n {
        let mut e = x[t];
        for (a, v) in ar.iter().zip(x[t - p..t].iter().rev()) {
            e -= a * v;
        }
        for (m, r) in ma.iter().zip(resid[t - q.min(t)..t].iter().rev()) {
            e -= m * r;
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
