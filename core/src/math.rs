//! Numerical helpers (plain f64) shared by the crates built on this one: special functions
//! (the agents crate's Dirichlet head, the ensemble crate's statistical tests) and a small
//! dense linear solver (ARIMA's initial covariance, simplex least squares, OPE's value
//! regression).

/// `ln Γ(x)` for `x > 0`: shift to `x >= 7` with `Γ(x+1) = xΓ(x)`, then Stirling's series
/// (error below 1e-14 there).
pub fn ln_gamma(x: f64) -> f64 {
    let mut x = x;
    let mut shift = 0.0;
    while x < 7.0 {
        shift -= x.ln();
        x += 1.0;
    }
    let z = 1.0 / (x * x);
    let series =
        (((((-691.0 / 360_360.0 * z + 1.0 / 1188.0) * z - 1.0 / 1680.0) * z + 1.0 / 1260.0) * z
            - 1.0 / 360.0)
            * z
            + 1.0 / 12.0)
            / x;
    shift + (x - 0.5) * x.ln() - x + 0.5 * (2.0 * std::f64::consts::PI).ln() + series
}

/// `ψ(x) = d/dx ln Γ(x)` for `x > 0`: recurrence to `x >= 7`, then the asymptotic series.
pub fn digamma(x: f64) -> f64 {
    let mut x = x;
    let mut acc = 0.0;
    while x < 7.0 {
        acc -= 1.0 / x;
        x += 1.0;
    }
    let z = 1.0 / (x * x);
    let series =
        z * (1.0 / 12.0 - z * (1.0 / 120.0 - z * (1.0 / 252.0 - z * (1.0 / 240.0 - z / 132.0))));
    acc + x.ln() - 0.5 / x - series
}

/// `ψ'(x)` for `x > 0`: recurrence to `x >= 7`, then the asymptotic series.
pub fn trigamma(x: f64) -> f64 {
    let mut x = x;
    let mut acc = 0.0;
    while x < 7.0 {
        acc += 1.0 / (x * x);
        x += 1.0;
    }
    let z = 1.0 / (x * x);
    let series =
        1.0 / x + z / 2.0 + z / x * (1.0 / 6.0 - z * (1.0 / 30.0 - z * (1.0 / 42.0 - z / 30.0)));
    acc + series
}

/// Solves the dense system `a x = b` in place (`a` row-major n×n, `b` of length n, the
/// solution left in `b`) by Gaussian elimination with partial pivoting. `None` when a pivot
/// is below `1e-300` in magnitude (singular to working precision). Meant for the small
/// systems (n ≤ ~50) of model fitting.
pub fn solve_dense(a: &mut [f64], b: &mut [f64]) -> Option<()> {
    let n = b.len();
    if a.len() != n * n {
        return None;
    }
    for col in 0..n {
        let pivot =
            (col..n).max_by(|&i, &j| a[i * n + col].abs().total_cmp(&a[j * n + col].abs()))?;
        let magnitude = a[pivot * n + col].abs();
        if magnitude.is_nan() || magnitude < 1e-300 {
            return None;
        }
        if pivot != col {
            for k in 0..n {
                a.swap(pivot * n + k, col * n + k);
            }
            b.swap(pivot, col);
        }
        let d = a[col * n + col];
        for row in col + 1..n {
            let f = a[row * n + col] / d;
            if f != 0.0 {
                for k in col..n {
                    a[row * n + k] -= f * a[col * n + k];
                }
                b[row] -= f * b[col];
            }
        }
    }
    for col in (0..n).rev() {
        let s: f64 = (col + 1..n).map(|k| a[col * n + k] * b[k]).sum();
        b[col] = (b[col] - s) / a[col * n + col];
    }
    b.iter().all(|v| v.is_finite()).then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_solver_solves_and_detects_singular_systems() {
        let mut a = vec![2.0, 1.0, 1.0, 3.0];
        let mut b = vec![3.0, 5.0];
        solve_dense(&mut a, &mut b).unwrap();
        assert!((b[0] - 0.8).abs() < 1e-12 && (b[1] - 1.4).abs() < 1e-12);
        assert!(solve_dense(&mut [1.0, 2.0, 2.0, 4.0], &mut [1.0, 2.0]).is_none());
    }

    #[test]
    fn known_values() {
        let pi = std::f64::consts::PI;
        assert!((ln_gamma(0.5) - pi.sqrt().ln()).abs() < 1e-10);
        assert!((ln_gamma(1.0)).abs() < 1e-10 && (ln_gamma(2.0)).abs() < 1e-10);
        assert!((ln_gamma(10.0) - 362_880f64.ln()).abs() < 1e-10);
        assert!((ln_gamma(0.01) - 4.599_479_878_042_022).abs() < 1e-10);
        assert!((digamma(1.0) + 0.577_215_664_901_532_9).abs() < 1e-10);
        assert!((digamma(0.5) + 0.577_215_664_901_532_9 + 2.0 * 2f64.ln()).abs() < 1e-10);
        assert!((trigamma(1.0) - pi * pi / 6.0).abs() < 1e-10);
        assert!((trigamma(0.5) - pi * pi / 2.0).abs() < 1e-10);
    }

    #[test]
    fn derivatives_match_finite_differences() {
        for x in [0.05, 0.7, 3.3, 12.0, 150.0] {
            let h = 1e-5 * x;
            let d = (ln_gamma(x + h) - ln_gamma(x - h)) / (2.0 * h);
            assert!(
                (d - digamma(x)).abs() < 1e-6 * digamma(x).abs().max(1.0),
                "digamma({x})"
            );
            let d2 = (digamma(x + h) - digamma(x - h)) / (2.0 * h);
            assert!(
                (d2 - trigamma(x)).abs() < 1e-5 * trigamma(x).max(1.0),
                "trigamma({x})"
            );
        }
    }
}
