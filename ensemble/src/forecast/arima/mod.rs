//! ARIMA(p, d, q) with or without a constant, fitted by CSS-ML as R's `arima` (and
//! statsforecast's port of it): conditional sum of squares for starting values, then the
//! exact Gaussian likelihood by the Kalman filter, optimised by BFGS over partial
//! autocorrelations so the AR part stays stationary and the MA part invertible.
//!
//! Conventions (those of R and statsmodels): x_t = Σ φ_i x_{t−i} + e_t + Σ θ_j e_{t−j} for
//! x = Δ^d y − μ; with d = 0 the constant μ is the process mean, with d = 1 it is the drift.
//! The likelihood of ARIMA(p, d, q) is that of ARMA(p, q) on Δ^d y (n − d observations).
//! AIC = −2 loglik + 2k with k = p + q + constant + 1 (σ²); AICc = AIC + 2k(k+1)/(n − d − k − 1).

mod auto;
mod css;
mod kalman;
mod transform;

pub use auto::{kpss_statistic, ndiffs_kpss, AutoArima, AutoArimaConfig};

use serde::{Deserialize, Serialize};

use super::{check_append, Forecaster};
use crate::error::check_finite;
use crate::optim::{Bfgs, Minimum};
use crate::{Error, Result};
use kalman::{arma_sums, arma_sums_profiled, ArmaFilter, LikSums};
use transform::{constrain, roots_outside, unconstrain};

/// Series up to this many (differenced) points get a second ML start from zero.
const SECOND_START_MAX_N: usize = 300;

/// The model's orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArimaConfig {
    /// AR order.
    pub p: usize,
    /// Differencing order (0..=2).
    pub d: usize,
    /// MA order.
    pub q: usize,
    /// Include a constant (the mean when d = 0, the drift when d = 1; not allowed for d = 2).
    pub constant: bool,
}

impl ArimaConfig {
    /// Checks the orders.
    pub fn validate(&self) -> Result<()> {
        if self.d > 2 {
            return Err(Error::Config(format!("ARIMA: d = {} (at most 2)", self.d)));
        }
        if self.constant && self.d == 2 {
            return Err(Error::Config(
                "ARIMA: a constant with d = 2 (a quadratic trend) is not supported".into(),
            ));
        }
        if self.p > 10 || self.q > 10 {
            return Err(Error::Config(format!(
                "ARIMA: p = {}, q = {} (each at most 10)",
                self.p, self.q
            )));
        }
        Ok(())
    }

    /// Number of estimated parameters including σ².
    pub fn n_params(&self) -> usize {
        self.p + self.q + usize::from(self.constant) + 1
    }

    /// The model's label, e.g. `arima(2,1,2)+c`.
    pub fn label(&self) -> String {
        let c = if self.constant { "+c" } else { "" };
        format!("arima({},{},{}){c}", self.p, self.d, self.q)
    }

    /// The shortest history the fit accepts: enough differenced points for the parameters
    /// plus a few degrees of freedom (so AICc is defined).
    pub fn min_history(&self) -> usize {
        self.d + self.n_params() + self.p.max(self.q) + 3
    }
}

/// The estimated model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArimaFit {
    /// The orders.
    pub config: ArimaConfig,
    /// AR coefficients φ_1..φ_p.
    pub ar: Vec<f64>,
    /// MA coefficients θ_1..θ_q.
    pub ma: Vec<f64>,
    /// The constant (mean or drift); 0 without one.
    pub constant: f64,
    /// Maximum-likelihood innovation variance.
    pub sigma2: f64,
    /// Exact Gaussian log-likelihood.
    pub loglik: f64,
    /// Akaike information criterion.
    pub aic: f64,
    /// AIC with the small-sample correction.
    pub aicc: f64,
    /// Bayesian information criterion.
    pub bic: f64,
    /// Observations in the likelihood (n − d).
    pub nobs: usize,
    /// Whether the optimiser met its tolerance.
    pub converged: bool,
}

/// Δ^d y.
pub(crate) fn difference(y: &[f64], d: usize) -> Vec<f64> {
    let mut w = y.to_vec();
    for _ in 0..d {
        w = w.windows(2).map(|p| p[1] - p[0]).collect();
    }
    w
}

/// The exact log-likelihood of ARIMA(p, d, q) on `y` at given parameters; σ² concentrated
/// out when `sigma2` is `None`. `None` when the AR part has a unit root.
pub fn arima_loglik(
    y: &[f64],
    d: usize,
    ar: &[f64],
    ma: &[f64],
    constant: f64,
    sigma2: Option<f64>,
) -> Option<f64> {
    let w: Vec<f64> = difference(y, d).iter().map(|v| v - constant).collect();
    let sums = arma_sums(ar, ma, &w)?;
    Some(match sigma2 {
        Some(s2) => sums.loglik_at(s2),
        None => sums.concentrated_loglik(),
    })
}

/// An ARIMA forecaster with fixed orders.
#[derive(Debug, Clone)]
pub struct Arima {
    config: ArimaConfig,
    name: String,
    fit: Option<ArimaFit>,
    filter: Option<ArmaFilter>,
    /// Last value of each differencing level Δ^j y, j = 0..d.
    levels: Vec<f64>,
}

/// The estimation problem: the differenced series and the orders. Parameters are the AR and
/// MA parts only; the constant is concentrated out of the likelihood (exact GLS mean given
/// the ARMA parameters) and fixed at the sample mean for the CSS start.
struct Problem<'a> {
    w: &'a [f64],
    /// `w` minus its sample mean when the model has a constant (the CSS start's input).
    w_centred: Vec<f64>,
    config: ArimaConfig,
}

/// The optimiser of both objectives. Forward differences with a small step: the objectives
/// are smooth and cheap to evaluate exactly, and a gradient costs n + 1 evaluations instead
/// of 2n.
fn fit_bfgs() -> Bfgs {
    Bfgs {
        grad_step: 1e-7,
        central: false,
        ..Bfgs::default()
    }
}

impl<'a> Problem<'a> {
    fn new(w: &'a [f64], sample_mean: f64, config: ArimaConfig) -> Self {
        Self {
            w,
            w_centred: w.iter().map(|v| v - sample_mean).collect(),
            config,
        }
    }

    fn split(&self, x: &[f64], transformed: bool) -> (Vec<f64>, Vec<f64>) {
        let (p, q) = (self.config.p, self.config.q);
        if transformed {
            (
                constrain(&x[..p]),
                constrain(&x[p..p + q]).iter().map(|v| -v).collect(),
            )
        } else {
            (x[..p].to_vec(), x[p..p + q].to_vec())
        }
    }

    /// Likelihood sums and the constant at unconstrained parameters `x`.
    fn sums(&self, x: &[f64]) -> Option<(LikSums, f64)> {
        let (ar, ma) = self.split(x, true);
        if self.config.constant {
            arma_sums_profiled(&ar, &ma, self.w)
        } else {
            arma_sums(&ar, &ma, self.w).map(|s| (s, 0.0))
        }
    }

    /// −loglik/n up to a constant (what R's `arima` minimises).
    fn ml_objective(&self, x: &[f64]) -> f64 {
        match self.sums(x) {
            Some((s, _)) => {
                0.5 * (s.ssq.max(f64::MIN_POSITIVE) / s.n as f64).ln() + 0.5 * s.sumlog / s.n as f64
            }
            _ => f64::INFINITY,
        }
    }

    /// The CSS objective at `x`, with `resid` as the residuals' scratch (see
    /// [`css::objective`]).
    fn css_objective(&self, x: &[f64], resid: &mut Vec<f64>) -> f64 {
        let (p, q) = (self.config.p, self.config.q);
        css::objective(&self.w_centred, &x[..p], &x[p..p + q], resid)
    }

    /// The CSS estimate from zero.
    fn minimize_css(&self, bfgs: &Bfgs) -> Minimum {
        let mut resid = Vec::with_capacity(self.w_centred.len());
        let dims = self.config.p + self.config.q;
        bfgs.minimize(|x| self.css_objective(x, &mut resid), &vec![0.0; dims])
    }

    /// Unconstrained ML start from (untransformed) CSS estimates; AR/MA parts that are not
    /// stationary/invertible start at zero.
    fn ml_start(&self, css: &[f64]) -> Vec<f64> {
        let (p, q) = (self.config.p, self.config.q);
        let mut x = vec![0.0; css.len()];
        if let Some(u) = unconstrain(&css[..p]) {
            x[..p].copy_from_slice(&u);
        }
        let neg_ma: Vec<f64> = css[p..p + q].iter().map(|v| -v).collect();
        if let Some(u) = unconstrain(&neg_ma) {
            x[p..p + q].copy_from_slice(&u);
        }
        x
    }
}

impl Arima {
    /// An unfitted model with the given orders.
    pub fn new(config: ArimaConfig) -> Result<Self> {
        config.validate()?;
        Ok(Self {
            config,
            name: config.label(),
            fit: None,
            filter: None,
            levels: Vec::new(),
        })
    }

    /// The estimated model, once `fit` has run.
    pub fn fitted(&self) -> Option<&ArimaFit> {
        self.fit.as_ref()
    }

    /// Estimates the model by CSS-ML (see the module docs); does not touch `self`.
    pub fn estimate(config: ArimaConfig, y: &[f64]) -> Result<ArimaFit> {
        Self::estimate_after_css(config, y, None)
    }

    /// [`Arima::estimate`], given the CSS estimate's AR then MA coefficients where they are
    /// known (auto ARIMA's approximation ranked the candidates by [`Arima::estimate_css`],
    /// which minimises the same objective from the same start): the same fit, without
    /// minimising the CSS objective again.
    pub(crate) fn estimate_after_css(
        config: ArimaConfig,
        y: &[f64],
        css_estimate: Option<Vec<f64>>,
    ) -> Result<ArimaFit> {
        let (w, sample_mean) = Self::differenced(config, y)?;
        let label = config.label();
        let n = w.len() as f64;
        let problem = Problem::new(&w, sample_mean, config);
        let dims = config.p + config.q;
        let bfgs = fit_bfgs();
        let css = match css_estimate {
            Some(x) if x.len() == dims => x,
            _ => problem.minimize_css(&bfgs).x,
        };
        // R's CSS-ML: ML from the CSS estimates. On short series the likelihood is often
        // multimodal and a fit is cheap, so a second start from zero is tried as well; on
        // long ones only if the first start fails.
        let mut best: Option<Minimum> = None;
        for start in [problem.ml_start(&css), vec![0.0; dims]] {
            if best.as_ref().is_some_and(|b| b.value.is_finite()) && w.len() > SECOND_START_MAX_N {
                break;
            }
            let m = bfgs.minimize(|x| problem.ml_objective(x), &start);
            if m.value.is_finite() && best.as_ref().is_none_or(|b| m.value < b.value) {
                best = Some(m);
            }
        }
        let best = best.ok_or_else(|| Error::FitFailed {
            model: label.clone(),
            detail: "no finite likelihood from any start".into(),
        })?;
        let (ar, ma) = problem.split(&best.x, true);
        let (sums, constant) = problem.sums(&best.x).ok_or_else(|| Error::FitFailed {
            model: label.clone(),
            detail: "the fitted AR part has a unit root".into(),
        })?;
        let loglik = sums.concentrated_loglik();
        if !loglik.is_finite() {
            return Err(Error::FitFailed {
                model: label,
                detail: "the (differenced) series is constant: the likelihood is degenerate".into(),
            });
        }
        let k = config.n_params() as f64;
        let aic = -2.0 * loglik + 2.0 * k;
        let dof = n - k - 1.0;
        let aicc = if dof > 0.0 {
            aic + 2.0 * k * (k + 1.0) / dof
        } else {
            f64::INFINITY
        };
        Ok(ArimaFit {
            config,
            ar,
            ma,
            constant,
            sigma2: sums.sigma2(),
            loglik,
            aic,
            aicc,
            bic: -2.0 * loglik + k * n.ln(),
            nobs: w.len(),
            converged: best.converged,
        })
    }

    /// The conditional-sum-of-squares estimate alone (R's `arima(method = "CSS")`), what
    /// auto ARIMA's approximation ranks candidates by: `sigma2` is the mean squared
    /// conditional residual, `loglik` the conditional Gaussian log-likelihood, and the
    /// information criteria follow forecast::auto.arima's `nstar·ln σ² + 2k` (up to a
    /// constant shared by every candidate on the same series). The constant is the sample
    /// mean (or drift) of the differenced series. Not for forecasting: `converged` says only
    /// whether the CSS optimiser met its tolerance.
    pub fn estimate_css(config: ArimaConfig, y: &[f64]) -> Result<ArimaFit> {
        let (w, sample_mean) = Self::differenced(config, y)?;
        let problem = Problem::new(&w, sample_mean, config);
        let (p, q) = (config.p, config.q);
        let css = problem.minimize_css(&fit_bfgs());
        if !css.value.is_finite() {
            return Err(Error::FitFailed {
                model: config.label(),
                detail: "no finite conditional sum of squares".into(),
            });
        }
        let used = (w.len() - p) as f64;
        let sigma2 = (2.0 * css.value).exp();
        let nstar = w.len() as f64;
        let k = config.n_params() as f64;
        let aic = nstar * sigma2.ln() + 2.0 * k;
        let dof = nstar - k - 1.0;
        Ok(ArimaFit {
            config,
            ar: css.x[..p].to_vec(),
            ma: css.x[p..p + q].to_vec(),
            constant: sample_mean,
            sigma2,
            loglik: -0.5 * used * ((2.0 * std::f64::consts::PI * sigma2).ln() + 1.0),
            aic,
            aicc: if dof > 0.0 {
                aic + 2.0 * k * (k + 1.0) / dof
            } else {
                f64::INFINITY
            },
            bic: nstar * sigma2.ln() + k * nstar.ln(),
            nobs: w.len(),
            converged: css.converged,
        })
    }

    /// Checks `y` for `config` and returns Δ^d y and its sample mean (0 without a constant).
    fn differenced(config: ArimaConfig, y: &[f64]) -> Result<(Vec<f64>, f64)> {
        config.validate()?;
        let label = config.label();
        crate::error::check_len(&label, y, config.min_history())?;
        check_finite(&label, y)?;
        let w = difference(y, config.d);
        let mean = if config.constant {
            w.iter().sum::<f64>() / w.len() as f64
        } else {
            0.0
        };
        Ok((w, mean))
    }

    /// Sets a given estimate (from `estimate` or elsewhere) and filters `y` through it.
    pub fn set_fit(&mut self, fit: ArimaFit, y: &[f64]) -> Result<()> {
        if fit.config != self.config {
            return Err(Error::Config(format!(
                "fit for {} given to {}",
                fit.config.label(),
                self.name
            )));
        }
        let mut filter = ArmaFilter::new(&fit.ar, &fit.ma).ok_or_else(|| Error::FitFailed {
            model: self.name.clone(),
            detail: "the AR part has a unit root".into(),
        })?;
        let w = difference(y, self.config.d);
        for v in &w {
            filter.step(v - fit.constant);
        }
        self.levels = (0..self.config.d)
            .map(|j| *difference(y, j).last().expect("history longer than d"))
            .collect();
        self.filter = Some(filter);
        self.fit = Some(fit);
        Ok(())
    }

    /// Whether every AR and MA root lies outside the circle of radius `margin` (auto ARIMA
    /// rejects fits with roots within 1.01, as forecast::auto.arima does).
    pub fn roots_clear(fit: &ArimaFit, margin: f64) -> bool {
        let neg_ma: Vec<f64> = fit.ma.iter().map(|v| -v).collect();
        roots_outside(&fit.ar, margin) && roots_outside(&neg_ma, margin)
    }
}

impl Forecaster for Arima {
    fn name(&self) -> &str {
        &self.name
    }

    fn fit(&mut self, history: &[f64]) -> Result<()> {
        let fit = Self::estimate(self.config, history)?;
        self.set_fit(fit, history)
    }

    fn append(&mut self, y: f64) -> Result<()> {
        check_append(&self.name, y)?;
        let (Some(fit), Some(filter)) = (&self.fit, &mut self.filter) else {
            return Err(Error::NotFitted(self.name.clone()));
        };
        let mut v = y;
        for level in self.levels.iter_mut() {
            let dv = v - *level;
            *level = v;
            v = dv;
        }
        filter.step(v - fit.constant);
        Ok(())
    }

    fn forecast(&self, horizon: usize) -> Result<Vec<f64>> {
        let (Some(fit), Some(filter)) = (&self.fit, &self.filter) else {
            return Err(Error::NotFitted(self.name.clone()));
        };
        let mut levels = self.levels.clone();
        Ok(filter
            .forecast(horizon)
            .into_iter()
            .map(|w| {
                let mut v = w + fit.constant;
                for level in levels.iter_mut().rev() {
                    *level += v;
                    v = *level;
                }
                v
            })
            .collect())
    }

    fn min_history(&self) -> usize {
        self.config.min_history()
    }
}
