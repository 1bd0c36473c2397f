//! Reparameterisations that keep ARMA fits stationary and invertible (Jones 1980; as R's
//! `arima` and statsmodels do): partial autocorrelations in (−1, 1) ↔ AR coefficients by the
//! Durbin–Levinson recursion, and unconstrained reals ↔ partial autocorrelations by tanh.

/// AR coefficients φ (x_t = Σ φ_i x_{t−i} + …) from partial autocorrelations.
pub(crate) fn pacf_to_ar(pacf: &[f64]) -> Vec<f64> {
    let mut phi: Vec<f64> = Vec::with_capacity(pacf.len());
    for (k, &r) in pacf.iter().enumerate() {
        let prev = phi.clone();
        for j in 0..k {
            phi[j] = prev[j] - r * prev[k - 1 - j];
        }
        phi.push(r);
    }
    phi
}

/// Partial autocorrelations from AR coefficients; `None` when φ is not stationary
/// (some |pacf| ≥ 1).
pub(crate) fn ar_to_pacf(phi: &[f64]) -> Option<Vec<f64>> {
    let mut phi = phi.to_vec();
    let mut pacf = vec![0.0; phi.len()];
    for k in (0..phi.len()).rev() {
        let r = phi[k];
        if !r.is_finite() || r.abs() >= 1.0 {
            return None;
        }
        pacf[k] = r;
        let denom = 1.0 - r * r;
        let prev = phi.clone();
        for j in 0..k {
            phi[j] = (prev[j] + r * prev[k - 1 - j]) / denom;
        }
        phi.truncate(k);
    }
    Some(pacf)
}

/// Whether every root of 1 − Σ φ_i z^i has modulus greater than `margin` (≥ 1).
pub(crate) fn roots_outside(phi: &[f64], margin: f64) -> bool {
    let scaled: Vec<f64> = phi
        .iter()
        .enumerate()
        .map(|(i, &c)| c * margin.powi(i as i32 + 1))
        .collect();
    ar_to_pacf(&scaled).is_some()
}

/// Unconstrained parameters → AR coefficients of a stationary polynomial.
pub(crate) fn constrain(u: &[f64]) -> Vec<f64> {
    pacf_to_ar(&u.iter().map(|v| v.tanh()).collect::<Vec<_>>())
}

/// AR coefficients → unconstrained parameters (partial autocorrelations clipped to ±0.99 so
/// an optimiser started there can still move); `None` if not stationary.
pub(crate) fn unconstrain(phi: &[f64]) -> Option<Vec<f64>> {
    ar_to_pacf(phi).map(|p| p.iter().map(|r| r.clamp(-0.99, 0.99).atanh()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_stationarity() {
        let phi = constrain(&[0.7, -1.2, 0.3]);
        let back = constrain(&unconstrain(&phi).unwrap());
        for (a, b) in phi.iter().zip(&back) {
            assert!((a - b).abs() < 1e-12);
        }
        assert!(roots_outside(&[0.5], 1.0));
        assert!(!roots_outside(&[1.0], 1.0));
        assert!(!roots_outside(&[0.995], 1.01)); // root 1.005 is inside the margin
        assert!(roots_outside(&[1.5, -0.75], 1.0)); // complex roots, modulus 1.155
        assert!(!roots_outside(&[1.5, -0.5], 1.0)); // a root at 1
    }
}
