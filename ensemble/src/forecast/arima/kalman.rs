//! The exact Gaussian likelihood of a zero-mean ARMA(p, q) by the Kalman filter, in Harvey's
//! state-space form (state dimension r = max(p, q + 1); as R's `arima`): transition T with
//! first column φ and ones on the superdiagonal, R = (1, θ_1, …, θ_{r−1}), no measurement
//! noise, and the initial covariance solving P = T P T' + R R'. Variances are in units of
//! σ², which is concentrated out. Once the covariance stops changing the filter switches to
//! its steady state, so a long series costs O(r) per step.

/// A filter positioned at the next observation: its state is the prediction a_{t|t−1}.
#[derive(Debug, Clone)]
pub(crate) struct ArmaFilter {
    r: usize,
    phi: Vec<f64>,
    rvec: Vec<f64>,
    a: Vec<f64>,
    p: Vec<f64>,
    steady: bool,
    scratch: Vec<f64>,
}

/// Largest change of the predicted covariance below which the filter is taken to have
/// converged to its steady state (the covariance is O(1) in units of σ²).
const STEADY_TOL: f64 = 1e-12;

/// Sums that make up the concentrated log-likelihood.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct LikSums {
    /// Σ v_t²/F_t.
    pub ssq: f64,
    /// Σ ln F_t.
    pub sumlog: f64,
    /// Number of observations.
    pub n: usize,
}

impl LikSums {
    /// Log-likelihood with σ² at its maximum-likelihood value ssq/n.
    pub fn concentrated_loglik(&self) -> f64 {
        let n = self.n as f64;
        -0.5 * (n * (2.0 * std::f64::consts::PI * self.ssq / n).ln() + self.sumlog + n)
    }

    /// Log-likelihood at a given σ².
    pub fn loglik_at(&self, sigma2: f64) -> f64 {
        let n = self.n as f64;
        -0.5 * (n * (2.0 * std::f64::consts::PI * sigma2).ln() + self.sumlog + self.ssq / sigma2)
    }

    /// The maximum-likelihood innovation variance.
    pub fn sigma2(&self) -> f64 {
        self.ssq / self.n as f64
    }
}

impl ArmaFilter {
    /// A filter at t = 0 with the stationary initial state; `None` if the initial covariance
    /// cannot be solved (a unit root).
    pub fn new(ar: &[f64], ma: &[f64]) -> Option<Self> {
        let r = ar.len().max(ma.len() + 1);
        let mut phi = vec![0.0; r];
        phi[..ar.len()].copy_from_slice(ar);
        let mut rvec = vec![0.0; r];
        rvec[0] = 1.0;
        rvec[1..=ma.len()].copy_from_slice(ma);
        // Unknowns: the upper triangle of P, index of (i, j) with i ≤ j.
        let idx = |i: usize, j: usize| {
            let (i, j) = if i <= j { (i, j) } else { (j, i) };
            i * r - i * (i + 1) / 2 + j
        };
        let m = r * (r + 1) / 2;
        let mut a = vec![0.0; m * m];
        let mut b = vec![0.0; m];
        for i in 0..r {
            for j in i..r {
                let row = idx(i, j);
                a[row * m + row] += 1.0;
                // − (T P T')_ij = −(φ_iφ_j P00 + φ_i P0,j+1 + φ_j Pi+1,0 + Pi+1,j+1)
                a[row * m + idx(0, 0)] -= phi[i] * phi[j];
                if j + 1 < r {
                    a[row * m + idx(0, j + 1)] -= phi[i];
                }
                if i + 1 < r {
                    a[row * m + idx(i + 1, 0)] -= phi[j];
                }
                if i + 1 < r && j + 1 < r {
                    a[row * m + idx(i + 1, j + 1)] -= 1.0;
                }
                b[row] = rvec[i] * rvec[j];
            }
        }
        metablend_core::math::solve_dense(&mut a, &mut b)?;
        let mut p = vec![0.0; r * r];
        for i in 0..r {
            for j in 0..r {
                p[i * r + j] = b[idx(i, j)];
            }
        }
        if !(p[0].is_finite() && p[0] > 0.0) {
            return None;
        }
        Some(Self {
            r,
            phi,
            rvec,
            a: vec![0.0; r],
            p,
            steady: false,
            scratch: vec![0.0; r * r],
        })
    }

    /// Processes the next (demeaned) observation; returns the innovation and its variance
    /// (in units of σ²).
    pub fn step(&mut self, w: f64) -> (f64, f64) {
        let r = self.r;
        let v = w - self.a[0];
        let f = self.p[0];
        // Updated state a + K v with K = P[:, 0]/f, then the prediction T (a + K v).
        let gain_scale = v / f;
        let a0 = self.a[0] + self.p[0] * gain_scale;
        for i in 0..r {
            let next = if i + 1 < r {
                self.a[i + 1] + self.p[(i + 1) * r] * gain_scale
            } else {
                0.0
            };
            self.a[i] = self.phi[i] * a0 + next;
        }
        if !self.steady {
            // U = P − P[:,0] P[0,:]/f (symmetric), then P' = T U T' + R R', using the
            // companion structure of T: (T U T')_ij = φ_iφ_j U00 + φ_i U0,j+1 + φ_j Ui+1,0
            // + Ui+1,j+1.
            let upd = &mut self.scratch[..r * r];
            for i in 0..r {
                let pi0 = self.p[i * r] / f;
                for j in i..r {
                    let u = self.p[i * r + j] - pi0 * self.p[j * r];
                    upd[i * r + j] = u;
                    upd[j * r + i] = u;
                }
            }
            let u00 = upd[0];
            let mut change = 0.0f64;
            for i in 0..r {
                let phi_i = self.phi[i];
                for j in i..r {
                    let phi_j = self.phi[j];
                    let mut next = phi_i * phi_j * u00 + self.rvec[i] * self.rvec[j];
                    if j + 1 < r {
                        next += phi_i * upd[j + 1];
                    }
                    if i + 1 < r {
                        next += phi_j * upd[(i + 1) * r];
                        if j + 1 < r {
                            next += upd[(i + 1) * r + j + 1];
                        }
                    }
                    change = change.max((next - self.p[i * r + j]).abs());
                    self.p[i * r + j] = next;
                    self.p[j * r + i] = next;
                }
            }
            self.steady = change < STEADY_TOL;
        }
        (v, f)
    }

    /// Runs the filter over `w` (demeaned), accumulating the likelihood sums. Dispatches to a
    /// kernel specialised for the state dimension (fully unrolled, no bounds checks).
    pub fn filter(&mut self, w: &[f64]) -> LikSums {
        self.dispatch::<false>(w).0
    }

    /// Runs the filter over `w` with an unknown mean μ concentrated out: innovations are
    /// linear in μ (v_t = v_t(w) − μ v_t(1), with the same gains), so the exact GLS/ML mean
    /// follows from three sums. Returns the sums at μ̂ and μ̂. The filter's state afterwards
    /// is not that of `w − μ̂`; refilter for forecasting.
    pub fn filter_profiled(&mut self, w: &[f64]) -> (LikSums, f64) {
        self.dispatch::<true>(w)
    }

    fn dispatch<const MEAN: bool>(&mut self, w: &[f64]) -> (LikSums, f64) {
        match self.r {
            1 => self.filter_fixed::<1, MEAN>(w),
            2 => self.filter_fixed::<2, MEAN>(w),
            3 => self.filter_fixed::<3, MEAN>(w),
            4 => self.filter_fixed::<4, MEAN>(w),
            5 => self.filter_fixed::<5, MEAN>(w),
            6 => self.filter_fixed::<6, MEAN>(w),
            7 => self.filter_fixed::<7, MEAN>(w),
            8 => self.filter_fixed::<8, MEAN>(w),
            9 => self.filter_fixed::<9, MEAN>(w),
            10 => self.filter_fixed::<10, MEAN>(w),
            _ => self.filter_fixed::<11, MEAN>(w),
        }
    }

    /// The recursion of [`ArmaFilter::step`] on stack arrays of the known dimension; with
    /// `MEAN`, a second state tracks the filtered series of ones.
    // Index loops mirror the matrix algebra (several arrays indexed together).
    #[allow(clippy::needless_range_loop)]
    fn filter_fixed<const R: usize, const MEAN: bool>(&mut self, w: &[f64]) -> (LikSums, f64) {
        let mut phi = [0.0; R];
        let mut rv = [0.0; R];
        let mut a = [0.0; R];
        let mut b = [0.0; R];
        let mut p = [[0.0; R]; R];
        phi.copy_from_slice(&self.phi);
        rv.copy_from_slice(&self.rvec);
        a.copy_from_slice(&self.a);
        for i in 0..R {
            p[i].copy_from_slice(&self.p[i * R..(i + 1) * R]);
        }
        // Σ v²/F, Σ v·v1/F, Σ v1²/F and Σ ln F.
        let (mut svv, mut sv1, mut s11, mut sumlog) = (0.0, 0.0, 0.0, 0.0);
        let mut rest = w;
        while let Some((&x, tail)) = rest.split_first() {
            if self.steady {
                break;
            }
            let f = p[0][0];
            let v = x - a[0];
            let column: [f64; R] = std::array::from_fn(|i| p[i][0]);
            advance(&mut a, &phi, &column, v / f);
            if MEAN {
                let v1 = 1.0 - b[0];
                advance(&mut b, &phi, &column, v1 / f);
                sv1 += v * v1 / f;
                s11 += v1 * v1 / f;
            }
            // Both matrices are symmetric: compute the upper triangle and mirror it.
            let mut u = [[0.0; R]; R];
            for i in 0..R {
                let pi0 = p[i][0] / f;
                for j in i..R {
                    let v = p[i][j] - pi0 * p[j][0];
                    u[i][j] = v;
                    u[j][i] = v;
                }
            }
            let mut change = 0.0f64;
            for i in 0..R {
                for j in i..R {
                    let mut next = phi[i] * phi[j] * u[0][0] + rv[i] * rv[j];
                    if j + 1 < R {
                        next += phi[i] * u[0][j + 1];
                    }
                    if i + 1 < R {
                        next += phi[j] * u[i + 1][0];
                        if j + 1 < R {
                            next += u[i + 1][j + 1];
                        }
                    }
                    change = change.max((next - p[i][j]).abs());
                    p[i][j] = next;
                    p[j][i] = next;
                }
            }
            self.steady = change < STEADY_TOL;
            svv += v * v / f;
            sumlog += f.ln();
            rest = tail;
        }
        if !rest.is_empty() {
            // Steady state: constant gain and variance, so ln F is added once in bulk.
            let f = p[0][0];
            let mut k = [0.0; R];
            for i in 0..R {
                k[i] = p[i][0] / f;
            }
            let (mut ssq, mut s_v1, mut s_11) = (0.0, 0.0, 0.0);
            for &x in rest {
                let v = x - a[0];
                advance(&mut a, &phi, &k, v);
                ssq += v * v;
                if MEAN {
                    let v1 = 1.0 - b[0];
                    advance(&mut b, &phi, &k, v1);
                    s_v1 += v * v1;
                    s_11 += v1 * v1;
                }
            }
            svv += ssq / f;
            sv1 += s_v1 / f;
            s11 += s_11 / f;
            sumlog += rest.len() as f64 * f.ln();
        }
        self.a.copy_from_slice(&a);
        for i in 0..R {
            self.p[i * R..(i + 1) * R].copy_from_slice(&p[i]);
        }
        let mean = if MEAN && s11 > 0.0 { sv1 / s11 } else { 0.0 };
        let ssq = if MEAN && s11 > 0.0 {
            (svv - sv1 * sv1 / s11).max(0.0)
        } else {
            svv
        };
        (
            LikSums {
                ssq,
                sumlog,
                n: w.len(),
            },
            mean,
        )
    }

    /// Forecasts of the next `horizon` (demeaned) values from the current state.
    pub fn forecast(&self, horizon: usize) -> Vec<f64> {
        let r = self.r;
        let mut a = self.a.clone();
        let mut out = Vec::with_capacity(horizon);
        for _ in 0..horizon {
            out.push(a[0]);
            let a0 = a[0];
            for i in 0..r {
                let next = if i + 1 < r { a[i + 1] } else { 0.0 };
                a[i] = self.phi[i] * a0 + next;
            }
        }
        out
    }
}

/// The companion-form state update a ← T(a + gain·innovation), shared by the data's state
/// and (with a concentrated mean) the state of the filtered series of ones.
#[inline(always)]
fn advance<const R: usize>(state: &mut [f64; R], phi: &[f64; R], gain: &[f64; R], innovation: f64) {
    let first = state[0] + gain[0] * innovation;
    for i in 0..R {
        let next = if i + 1 < R {
            state[i + 1] + gain[i + 1] * innovation
        } else {
            0.0
        };
        state[i] = phi[i] * first + next;
    }
}

/// Concentrated-likelihood sums of a zero-mean ARMA on `w`; `None` at a unit root.
pub(crate) fn arma_sums(ar: &[f64], ma: &[f64], w: &[f64]) -> Option<LikSums> {
    Some(ArmaFilter::new(ar, ma)?.filter(w))
}

/// Like [`arma_sums`] with the mean of `w` concentrated out; returns the sums and the mean.
pub(crate) fn arma_sums_profiled(ar: &[f64], ma: &[f64], w: &[f64]) -> Option<(LikSums, f64)> {
    Some(ArmaFilter::new(ar, ma)?.filter_profiled(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// For an AR(1) the exact likelihood has a closed form.
    #[test]
    fn profiled_mean_is_the_likelihood_maximiser() {
        let w: Vec<f64> = (0..80).map(|t| 3.0 + (t as f64 * 0.7).sin()).collect();
        let (ar, ma) = ([0.5, -0.2], [0.3]);
        let (sums, mean) = arma_sums_profiled(&ar, &ma, &w).unwrap();
        let at = |m: f64| {
            let shifted: Vec<f64> = w.iter().map(|v| v - m).collect();
            arma_sums(&ar, &ma, &shifted).unwrap().ssq
        };
        assert!((at(mean) - sums.ssq).abs() < 1e-9 * sums.ssq);
        assert!(at(mean + 1e-3) > sums.ssq && at(mean - 1e-3) > sums.ssq);
    }

    #[test]
    fn ar1_matches_closed_form() {
        let phi = 0.6;
        let w = [0.3, -0.2, 0.5, 0.1, -0.4, 0.2];
        let sums = arma_sums(&[phi], &[], &w).unwrap();
        let mut ssq = (1.0 - phi * phi) * w[0] * w[0];
        for t in 1..w.len() {
            ssq += (w[t] - phi * w[t - 1]).powi(2);
        }
        let sumlog = -(1.0 - phi * phi).ln();
        assert!((sums.ssq - ssq).abs() < 1e-12, "{} vs {ssq}", sums.ssq);
        assert!((sums.sumlog - sumlog).abs() < 1e-12);
    }

    /// For an MA(1) the first innovation variance is 1 + θ².
    #[test]
    fn ma1_first_variance() {
        let mut f = ArmaFilter::new(&[], &[0.5]).unwrap();
        let (_, var) = f.step(1.0);
        assert!((var - 1.25).abs() < 1e-12);
    }

    #[test]
    fn unit_root_is_rejected() {
        assert!(ArmaFilter::new(&[1.0], &[]).is_none());
    }
}

#[cfg(test)]
mod lyapunov_check {
    use super::*;

    /// The solved initial covariance satisfies P = T P T' + R R' (near-unit AR roots too).
    #[test]
    fn initial_covariance_solves_lyapunov() {
        let ar = [1.5686928156433866, -0.9492043254187333];
        let ma = [-1.404179366679798, 0.6252025621053299];
        let f = ArmaFilter::new(&ar, &ma).unwrap();
        let r = f.r;
        // Iterate the recursion from zero to convergence and compare.
        let mut p = vec![0.0; r * r];
        for _ in 0..20000 {
            let mut next = vec![0.0; r * r];
            for i in 0..r {
                for j in 0..r {
                    let t = |a: usize, b: usize| -> f64 {
                        (if b == 0 { f.phi[a] } else { 0.0 }) + (if b == a + 1 { 1.0 } else { 0.0 })
                    };
                    let mut s = f.rvec[i] * f.rvec[j];
                    for k in 0..r {
                        for l in 0..r {
                            s += t(i, k) * p[k * r + l] * t(j, l);
                        }
                    }
                    next[i * r + j] = s;
                }
            }
            p = next;
        }
        for (a, b) in p.iter().zip(&f.p) {
            assert!(
                (a - b).abs() < 1e-9 * a.abs().max(1.0),
                "{p:?} vs {:?}",
                f.p
            );
        }
    }
}
