//! Automatic ARIMA order selection (Hyndman & Khandakar 2008, as forecast::auto.arima and
//! statsforecast's `AutoARIMA` do it for non-seasonal data): d from repeated KPSS tests at
//! level α, then a stepwise search over (p, q, constant) by AICc, each candidate fitted by
//! exact CSS-ML, candidates with an AR or MA root within 1.01 of the unit circle rejected.
//! With [`AutoArimaConfig::approximate_above`], long series are searched on the candidates'
//! CSS fits and only the winner is refit exactly (forecast::auto.arima's `approximation`).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{difference, Arima, ArimaConfig, ArimaFit};
use crate::error::{check_finite, check_len};
use crate::forecast::{check_append, Forecaster};
use crate::{Error, Result};

/// The KPSS level-stationarity statistic (Kwiatkowski et al. 1992; `urca::ur.kpss(type =
/// "mu")`) with a Bartlett long-run variance over `lags` lags.
pub fn kpss_statistic(x: &[f64], lags: usize) -> f64 {
    let n = x.len();
    let mean = x.iter().sum::<f64>() / n as f64;
    let res: Vec<f64> = x.iter().map(|v| v - mean).collect();
    let mut partial = 0.0;
    let mut eta = 0.0;
    for r in &res {
        partial += r;
        eta += partial * partial;
    }
    eta /= (n * n) as f64;
    let mut s2 = res.iter().map(|r| r * r).sum::<f64>() / n as f64;
    for lag in 1..=lags.min(n.saturating_sub(1)) {
        let cov: f64 = (lag..n).map(|t| res[t] * res[t - lag]).sum();
        s2 += 2.0 / n as f64 * (1.0 - lag as f64 / (lags + 1) as f64) * cov;
    }
    eta / s2
}

/// Interpolated KPSS p-value from the level-case critical values (0.347, 0.463, 0.574,
/// 0.739 at 10%, 5%, 2.5%, 1%), clamped to [0.01, 0.1] as R's `approx(rule = 2)`.
fn kpss_p_value(stat: f64) -> f64 {
    const CRIT: [f64; 4] = [0.347, 0.463, 0.574, 0.739];
    const P: [f64; 4] = [0.1, 0.05, 0.025, 0.01];
    if stat <= CRIT[0] {
        return P[0];
    }
    for i in 1..4 {
        if stat <= CRIT[i] {
            let f = (stat - CRIT[i - 1]) / (CRIT[i] - CRIT[i - 1]);
            return P[i - 1] + f * (P[i] - P[i - 1]);
        }
    }
    P[3]
}

fn is_constant(x: &[f64]) -> bool {
    x.iter().all(|&v| v == x[0])
}

/// The number of first differences that makes `y` level-stationary by the KPSS test at
/// level `alpha` (forecast::ndiffs: lags ⌊3√n/13⌋, at most `max_d`).
pub fn ndiffs_kpss(y: &[f64], alpha: f64, max_d: usize) -> usize {
    let rejects = |x: &[f64]| {
        let lags = (3.0 * (x.len() as f64).sqrt() / 13.0) as usize;
        let stat = kpss_statistic(x, lags);
        stat.is_finite() && kpss_p_value(stat) < alpha
    };
    let mut x = y.to_vec();
    let mut d = 0;
    if x.len() < 3 || is_constant(&x) {
        return 0;
    }
    while d < max_d && rejects(&x) {
        d += 1;
        x = difference(&x, 1);
        if x.len() < 3 || is_constant(&x) {
            break;
        }
    }
    d
}

/// Settings of the automatic search (statsforecast `AutoARIMA` defaults, non-seasonal, with
/// `approximation = False`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AutoArimaConfig {
    /// Largest AR order.
    pub max_p: usize,
    /// Largest MA order.
    pub max_q: usize,
    /// Largest p + q in the exhaustive search (the stepwise search is bounded by max_p, max_q).
    pub max_order: usize,
    /// Largest differencing order.
    pub max_d: usize,
    /// Starting AR order of the stepwise search.
    pub start_p: usize,
    /// Starting MA order of the stepwise search.
    pub start_q: usize,
    /// Level of the KPSS tests that choose d.
    pub alpha: f64,
    /// Allow a mean (d = 0) or drift (d = 1).
    pub allow_constant: bool,
    /// Stepwise search (true) or every (p, q) with p + q ≤ max_order (false).
    pub stepwise: bool,
    /// Most models to fit in the stepwise search.
    pub max_models: usize,
    /// On series longer than this, rank the candidates by their conditional-sum-of-squares
    /// fit and refit only the best by exact CSS-ML (forecast::auto.arima's
    /// `approximation`, which it uses above 150 observations); `None`: every candidate
    /// exact, as statsforecast's default.
    pub approximate_above: Option<usize>,
}

impl Default for AutoArimaConfig {
    fn default() -> Self {
        Self {
            max_p: 5,
            max_q: 5,
            max_order: 5,
            max_d: 2,
            start_p: 2,
            start_q: 2,
            alpha: 0.05,
            allow_constant: true,
            stepwise: true,
            max_models: 94,
            approximate_above: None,
        }
    }
}

impl AutoArimaConfig {
    /// Checks the settings.
    pub fn validate(&self) -> Result<()> {
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return Err(Error::Config(format!(
                "auto ARIMA: alpha = {} (must be in (0, 1))",
                self.alpha
            )));
        }
        if self.max_d > 2 {
            return Err(Error::Config(format!(
                "auto ARIMA: max_d = {} (at most 2)",
                self.max_d
            )));
        }
        if self.max_p > 10 || self.max_q > 10 {
            return Err(Error::Config(
                "auto ARIMA: max_p and max_q are at most 10".into(),
            ));
        }
        Ok(())
    }
}

/// ARIMA with automatic order selection; forecasts with the chosen model.
#[derive(Debug, Clone)]
pub struct AutoArima {
    config: AutoArimaConfig,
    chosen: Option<Arima>,
    trace: Vec<(ArimaConfig, Option<f64>)>,
}

impl AutoArima {
    /// An unfitted automatic ARIMA.
    pub fn new(config: AutoArimaConfig) -> Result<Self> {
        config.validate()?;
        Ok(Self {
            config,
            chosen: None,
            trace: Vec::new(),
        })
    }

    /// The chosen model's estimate, once `fit` has run.
    pub fn fitted(&self) -> Option<&ArimaFit> {
        self.chosen.as_ref().and_then(Arima::fitted)
    }

    /// Every candidate in the order tried, with its AICc (`None`: failed or rejected).
    pub fn trace(&self) -> &[(ArimaConfig, Option<f64>)] {
        &self.trace
    }

    /// Runs the search on `y`; returns the best estimate.
    fn search(&mut self, y: &[f64]) -> Result<ArimaFit> {
        let cfg = &self.config;
        let d = ndiffs_kpss(y, cfg.alpha, cfg.max_d);
        let constant_ok = cfg.allow_constant && d <= 1;
        let approximate = cfg.approximate_above.is_some_and(|n| y.len() > n);
        let estimate = match approximate {
            true => Arima::estimate_css,
            false => Arima::estimate,
        };
        let mut tried: HashMap<ArimaConfig, Option<ArimaFit>> = HashMap::new();
        let mut trace = Vec::new();
        let mut try_fit = |c: ArimaConfig, tried: &mut HashMap<ArimaConfig, Option<ArimaFit>>| {
            if let Some(f) = tried.get(&c) {
                return f.as_ref().map(|f| f.aicc);
            }
            let fit = if y.len() >= c.min_history() {
                estimate(c, y)
                    .ok()
                    .filter(|f| f.aicc.is_finite() && Arima::roots_clear(f, 1.01))
            } else {
                None
            };
            let aicc = fit.as_ref().map(|f| f.aicc);
            trace.push((c, aicc));
            tried.insert(c, fit);
            aicc
        };
        let model = |p, q, constant| ArimaConfig { p, d, q, constant };
        let mut best: Option<(ArimaConfig, f64)> = None;
        let mut consider =
            |c: ArimaConfig, tried: &mut HashMap<_, _>, best: &mut Option<(ArimaConfig, f64)>| {
                match try_fit(c, tried) {
                    Some(a) if best.is_none_or(|(_, b)| a < b) => {
                        *best = Some((c, a));
                        true
                    }
                    _ => false,
                }
            };
        if cfg.stepwise {
            let p0 = cfg.start_p.min(cfg.max_p);
            let q0 = cfg.start_q.min(cfg.max_q);
            consider(model(p0, q0, constant_ok), &mut tried, &mut best);
            consider(model(0, 0, constant_ok), &mut tried, &mut best);
            if cfg.max_p > 0 {
                consider(model(1, 0, constant_ok), &mut tried, &mut best);
            }
            if cfg.max_q > 0 {
                consider(model(0, 1, constant_ok), &mut tried, &mut best);
            }
            if constant_ok {
                consider(model(0, 0, false), &mut tried, &mut best);
            }
            'search: while tried.len() < cfg.max_models {
                let Some((current, _)) = best else { break };
                let (p, q, c) = (current.p as i64, current.q as i64, current.constant);
                // forecast::auto.arima's order of neighbours.
                let moves = [
                    (p - 1, q, c),
                    (p, q - 1, c),
                    (p + 1, q, c),
                    (p, q + 1, c),
                    (p - 1, q - 1, c),
                    (p - 1, q + 1, c),
                    (p + 1, q - 1, c),
                    (p + 1, q + 1, c),
                    (p, q, !c),
                ];
                for (np, nq, nc) in moves {
                    if np < 0 || nq < 0 || (nc && !constant_ok) {
                        continue;
                    }
                    let (np, nq) = (np as usize, nq as usize);
                    // As in forecast::auto.arima, max_order bounds only the exhaustive search.
                    if np > cfg.max_p || nq > cfg.max_q {
                        continue;
                    }
                    let candidate = model(np, nq, nc);
                    if tried.contains_key(&candidate) {
                        continue;
                    }
                    if consider(candidate, &mut tried, &mut best) {
                        continue 'search;
                    }
                    if tried.len() >= cfg.max_models {
                        break 'search;
                    }
                }
                break;
            }
        } else {
            for p in 0..=cfg.max_p {
                for q in 0..=cfg.max_q.min(cfg.max_order.saturating_sub(p)) {
                    for c in [false, true] {
                        if !c || constant_ok {
                            consider(model(p, q, c), &mut tried, &mut best);
                        }
                    }
                }
            }
        }
        self.trace = trace;
        let no_fit = || Error::FitFailed {
            model: "auto_arima".into(),
            detail: format!("no candidate model could be fitted (d = {d})"),
        };
        let (chosen, _) = best.ok_or_else(no_fit)?;
        if approximate {
            return exact_refit(tried, y).ok_or_else(no_fit);
        }
        Ok(tried
            .remove(&chosen)
            .flatten()
            .expect("the best candidate has a fit"))
    }
}

/// The approximation's last step (as forecast::auto.arima): the candidates in order of their
/// CSS AICc, each refit by exact CSS-ML (from the CSS estimate the ranking made) until one
/// fits with its roots clear of the unit circle.
fn exact_refit(tried: HashMap<ArimaConfig, Option<ArimaFit>>, y: &[f64]) -> Option<ArimaFit> {
    let mut ranked: Vec<(ArimaConfig, ArimaFit)> = tried
        .into_iter()
        .filter_map(|(c, f)| f.map(|f| (c, f)))
        .collect();
    // Ties (rare) broken by the orders, so the choice does not depend on the map's order.
    ranked.sort_by(|a, b| {
        a.1.aicc
            .total_cmp(&b.1.aicc)
            .then((a.0.p, a.0.q, a.0.constant).cmp(&(b.0.p, b.0.q, b.0.constant)))
    });
    ranked.into_iter().find_map(|(c, css)| {
        Arima::estimate_after_css(c, y, Some([css.ar, css.ma].concat()))
            .ok()
            .filter(|f| f.aicc.is_finite() && Arima::roots_clear(f, 1.01))
    })
}

impl Forecaster for AutoArima {
    fn name(&self) -> &str {
        "auto_arima"
    }

    fn fit(&mut self, history: &[f64]) -> Result<()> {
        check_len("auto_arima", history, self.min_history())?;
        check_finite("auto_arima", history)?;
        let fit = self.search(history)?;
        let mut model = Arima::new(fit.config)?;
        model.set_fit(fit, history)?;
        self.chosen = Some(model);
        Ok(())
    }

    fn append(&mut self, y: f64) -> Result<()> {
        check_append("auto_arima", y)?;
        self.chosen
            .as_mut()
            .ok_or_else(|| Error::NotFitted("auto_arima".into()))?
            .append(y)
    }

    fn forecast(&self, horizon: usize) -> Result<Vec<f64>> {
        self.chosen
            .as_ref()
            .ok_or_else(|| Error::NotFitted("auto_arima".into()))?
            .forecast(horizon)
    }

    fn min_history(&self) -> usize {
        // Enough for the smallest candidates after the largest differencing.
        ArimaConfig {
            p: 1,
            d: self.config.max_d,
            q: 1,
            constant: false,
        }
        .min_history()
    }
}
