//! Non-seasonal exponential smoothing: SES, Holt's linear trend and damped Holt, in
//! component form (as statsmodels' `Holt`):
//!
//! f_t = l_{t−1} + φ b_{t−1};  l_t = α y_t + (1−α) f_t;  b_t = β (l_t − l_{t−1}) + (1−β) φ b_{t−1};
//! forecast l_n + (φ + … + φ^h) b_n.
//!
//! Parameters minimise the one-step SSE over all n points (equivalently the Gaussian
//! likelihood of the additive-error ETS model). For fixed (α, β, φ) every one-step prediction
//! is affine in the initial states (l_0, b_0), so those are solved exactly by least squares
//! in the same pass, and only the smoothing parameters are searched (Brent for SES,
//! bounded Nelder–Mead otherwise). Bounds: α, β ∈ [0, 1], φ ∈ [0.8, 0.98] (Hyndman et al.'s
//! `ets` defaults).

use super::{check_append, Forecaster};
use crate::error::{check_finite, check_len};
use crate::optim::{brent, NelderMead};
use crate::{Error, Result};

/// The trend component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trend {
    /// No trend: simple exponential smoothing.
    None,
    /// Additive (Holt's linear) trend.
    Additive,
    /// Additive damped trend.
    Damped,
}

/// Estimated parameters and the in-sample fit.
#[derive(Debug, Clone, PartialEq)]
pub struct EtsFit {
    /// Level smoothing.
    pub alpha: f64,
    /// Trend smoothing (component form); 0 without a trend.
    pub beta: f64,
    /// Damping; 1 for an undamped trend.
    pub phi: f64,
    /// Initial level.
    pub initial_level: f64,
    /// Initial trend; 0 without a trend.
    pub initial_trend: f64,
    /// One-step sum of squared errors over all n observations.
    pub sse: f64,
    /// Number of observations fitted.
    pub nobs: usize,
}

/// An exponential smoothing forecaster.
#[derive(Debug, Clone)]
pub struct Ets {
    trend: Trend,
    fit: Option<EtsFit>,
    /// (level, trend) after the last observation.
    state: (f64, f64),
}

const PHI_BOUNDS: (f64, f64) = (0.8, 0.98);

/// SSE of the recursion with the initial states solved by least squares; returns
/// (sse, l0, b0). `with_trend` false ignores beta/phi.
pub(crate) fn profiled_sse(
    y: &[f64],
    alpha: f64,
    beta: f64,
    phi: f64,
    with_trend: bool,
) -> (f64, f64, f64) {
    // The component form as a linear state recursion s_t = M s_{t−1} + g y_t with s = (l, b):
    // l' = (1−α) l + (1−α)φ b + α y;  b' = −αβ l + φ(1−αβ) b + αβ y (β = 0 without a trend).
    // This is the same arithmetic with a shorter dependency chain per step. Each state is
    // carried as an affine function c + a·l0 + b·b0 of the initial states.
    let beta = if with_trend { beta } else { 0.0 };
    let (m11, m12) = (1.0 - alpha, (1.0 - alpha) * phi);
    let (m21, m22) = (-alpha * beta, phi * (1.0 - alpha * beta));
    let (g1, g2) = (alpha, alpha * beta);
    let (mut lc, mut la, mut lb) = (0.0, 1.0, 0.0);
    let (mut bc, mut ba, mut bb) = (0.0, 0.0, if with_trend { 1.0 } else { 0.0 });
    let (mut see, mut sea, mut seb, mut saa, mut sab, mut sbb) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for &yt in y {
        let (fa, fb) = (la + phi * ba, lb + phi * bb);
        // e = (y − fc) − fa·l0 − fb·b0
        let ec = yt - (lc + phi * bc);
        see += ec * ec;
        sea += ec * fa;
        seb += ec * fb;
        saa += fa * fa;
        sab += fa * fb;
        sbb += fb * fb;
        (lc, bc) = (m11 * lc + m12 * bc + g1 * yt, m21 * lc + m22 * bc + g2 * yt);
        (la, ba) = (m11 * la + m12 * ba, m21 * la + m22 * ba);
        (lb, bb) = (m11 * lb + m12 * bb, m21 * lb + m22 * bb);
    }
    // Minimise see − 2(sea l0 + seb b0) + saa l0² + 2 sab l0 b0 + sbb b0².
    let (l0, b0) = if with_trend {
        let det = saa * sbb - sab * sab;
        if det.abs() > 1e-12 * (saa * sbb).max(f64::MIN_POSITIVE) {
            ((sea * sbb - seb * sab) / det, (saa * seb - sab * sea) / det)
        } else if saa > 0.0 {
            (sea / saa, 0.0)
        } else {
            (0.0, 0.0)
        }
    } else if saa > 0.0 {
        (sea / saa, 0.0)
    } else {
        (0.0, 0.0)
    };
    let sse =
        see - 2.0 * (sea * l0 + seb * b0) + saa * l0 * l0 + 2.0 * sab * l0 * b0 + sbb * b0 * b0;
    (sse.max(0.0), l0, b0)
}

impl Ets {
    /// An unfitted model with the given trend.
    pub fn new(trend: Trend) -> Self {
        Self {
            trend,
            fit: None,
            state: (0.0, 0.0),
        }
    }

    /// The fitted parameters, once `fit` has run.
    pub fn fitted(&self) -> Option<&EtsFit> {
        self.fit.as_ref()
    }

    fn step(&mut self, y: f64) {
        let Some(fit) = &self.fit else { return };
        let (l, b) = self.state;
        let f = l + fit.phi * b;
        let nl = fit.alpha * y + (1.0 - fit.alpha) * f;
        let nb = match self.trend {
            Trend::None => 0.0,
            _ => fit.beta * (nl - l) + (1.0 - fit.beta) * fit.phi * b,
        };
        self.state = (nl, nb);
    }

    /// Estimates parameters; see the module docs.
    fn estimate(&self, y: &[f64]) -> Result<EtsFit> {
        let (alpha, beta, phi) = match self.trend {
            Trend::None => {
                let m = brent(|a| profiled_sse(y, a, 0.0, 1.0, false).0, 0.0, 1.0, 1e-10);
                (m.x[0], 0.0, 1.0)
            }
            Trend::Additive | Trend::Damped => {
                let damped = self.trend == Trend::Damped;
                let phi0 = if damped { 0.95 } else { 1.0 };
                let (phi_lo, phi_hi) = if damped { PHI_BOUNDS } else { (1.0, 1.0) };
                let objective = |p: &[f64]| {
                    let phi = if damped { p[2] } else { 1.0 };
                    profiled_sse(y, p[0], p[1], phi, true).0
                };
                let dims = if damped { 3 } else { 2 };
                let coarse = NelderMead {
                    step: vec![0.1, 0.1, 0.02][..dims].to_vec(),
                    bounds: vec![(0.0, 1.0), (0.0, 1.0), (phi_lo, phi_hi)][..dims].to_vec(),
                    ftol: 1e-10,
                    max_evals: 2000,
                };
                // Two starts (an interior one and a high-alpha one: boundary optima at
                // alpha = 1 are common on trending data); the better is polished by a
                // restart with a small simplex, which also guards against a collapsed one.
                let mut best: Option<(Vec<f64>, f64)> = None;
                for start in [[0.5, 0.1, phi0], [0.95, 0.5, phi0]] {
                    let m = coarse.minimize(objective, &start[..dims]);
                    if best.as_ref().is_none_or(|(_, v)| m.value < *v) {
                        best = Some((m.x, m.value));
                    }
                }
                let fine = NelderMead {
                    step: vec![0.01; dims],
                    ftol: 1e-12,
                    ..coarse
                };
                if let Some((x, v)) = &best {
                    let m = fine.minimize(objective, x);
                    if m.value <= *v {
                        best = Some((m.x, m.value));
                    }
                }
                let (x, _) = best.expect("two starts ran");
                (x[0], x[1], if damped { x[2] } else { 1.0 })
            }
        };
        let with_trend = self.trend != Trend::None;
        let (sse, l0, b0) = profiled_sse(y, alpha, beta, phi, with_trend);
        if !sse.is_finite() {
            return Err(Error::FitFailed {
                model: self.name().into(),
                detail: "the sum of squared errors is not finite".into(),
            });
        }
        Ok(EtsFit {
            alpha,
            beta,
            phi,
            initial_level: l0,
            initial_trend: b0,
            sse,
            nobs: y.len(),
        })
    }
}

impl Forecaster for Ets {
    fn name(&self) -> &str {
        match self.trend {
            Trend::None => "ses",
            Trend::Additive => "holt",
            Trend::Damped => "damped",
        }
    }

    fn fit(&mut self, history: &[f64]) -> Result<()> {
        check_len(self.name(), history, self.min_history())?;
        check_finite(self.name(), history)?;
        let fit = self.estimate(history)?;
        self.state = (fit.initial_level, fit.initial_trend);
        self.fit = Some(fit);
        for &y in history {
            self.step(y);
        }
        Ok(())
    }

    fn append(&mut self, y: f64) -> Result<()> {
        check_append(self.name(), y)?;
        if self.fit.is_none() {
            return Err(Error::NotFitted(self.name().into()));
        }
        self.step(y);
        Ok(())
    }

    fn forecast(&self, horizon: usize) -> Result<Vec<f64>> {
        let fit = self
            .fit
            .as_ref()
            .ok_or_else(|| Error::NotFitted(self.name().into()))?;
        let (l, b) = self.state;
        let mut damp_sum = 0.0;
        let mut phi_h = 1.0;
        Ok((0..horizon)
            .map(|_| {
                phi_h *= fit.phi;
                damp_sum += phi_h;
                l + damp_sum * b
            })
            .collect())
    }

    fn min_history(&self) -> usize {
        match self.trend {
            Trend::None => 2,
            Trend::Additive => 4,
            Trend::Damped => 5,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The profiled SSE equals the plain recursion's SSE at the solved initial states.
    #[test]
    fn profiled_states_match_plain_recursion() {
        let y: Vec<f64> = (0..50)
            .map(|t| (t as f64 * 0.3).sin() * 5.0 + t as f64 * 0.2)
            .collect();
        let (alpha, beta, phi) = (0.4, 0.2, 0.9);
        let (sse, l0, b0) = profiled_sse(&y, alpha, beta, phi, true);
        let (mut l, mut b, mut plain) = (l0, b0, 0.0);
        for &yt in &y {
            let f = l + phi * b;
            plain += (yt - f).powi(2);
            let nl = alpha * yt + (1.0 - alpha) * f;
            b = beta * (nl - l) + (1.0 - beta) * phi * b;
            l = nl;
        }
        assert!((sse - plain).abs() < 1e-9 * plain, "{sse} vs {plain}");
        // And perturbing the initial states can only increase it.
        for (dl, db) in [(0.1, 0.0), (0.0, 0.1), (-0.1, 0.05)] {
            let (mut l, mut b, mut other) = (l0 + dl, b0 + db, 0.0);
            for &yt in &y {
                let f = l + phi * b;
                other += (yt - f).powi(2);
                let nl = alpha * yt + (1.0 - alpha) * f;
                b = beta * (nl - l) + (1.0 - beta) * phi * b;
                l = nl;
            }
            assert!(other >= plain);
        }
    }
}
