//! A synthetic combination task with a known answer, for checking that an agent learns.

use super::{FeatureContext, FeatureFn, Predictions};
use rand::{Rng, SeedableRng};
use std::sync::Arc;

/// Two forecasters of a random walk: in regime A model 0 is accurate (noise ±0.1) and model 1
/// noisy (±3), in regime B the reverse. The regime is a persistent Markov chain (switch
/// probability 3% per step) that an agent can observe through [`RegimeTask::feature`]. The
/// per-step oracle that follows the regime is the best any combiner can do; equal weights
/// are far from it.
#[derive(Debug, Clone)]
pub struct RegimeTask {
    /// Target and the two models' one-step forecasts.
    pub data: Predictions,
    /// `true` in regime A at each time index.
    pub regimes: Arc<Vec<bool>>,
}

impl RegimeTask {
    /// Generates `len` steps from `seed`.
    pub fn generate(len: usize, seed: u64) -> Self {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let (mut y, mut regime) = (0.0f64, true);
        let (mut target, mut preds, mut regimes) = (vec![], vec![], vec![]);
        for _ in 0..len {
            if rng.random::<f64>() < 0.03 {
                regime = !regime;
            }
            y += rng.random_range(-1.0..1.0);
            let good = y + 0.1 * rng.random_range(-1.0..1.0);
            let bad = y + 3.0 * rng.random_range(-1.0..1.0);
            preds.push(if regime {
                vec![good, bad]
            } else {
                vec![bad, good]
            });
            target.push(y);
            regimes.push(regime);
        }
        let data = Predictions::new(target, preds, vec!["a".into(), "b".into()])
            .expect("generated data is finite and has two models");
        Self {
            data,
            regimes: Arc::new(regimes),
        }
    }

    /// The forecast of the model that is accurate in the regime at `t` (the oracle).
    pub fn oracle_forecast(&self, t: usize) -> f64 {
        let p = self.data.pred(t);
        if self.regimes[t] {
            p[0]
        } else {
            p[1]
        }
    }

    /// The fraction of the squared-error gap between equal weights and the oracle that
    /// `forecasts` (pairs `(t, forecast)`, e.g. from [`super::EnsembleEnv::forecast_episode`])
    /// close over their time indices: 0 is equal weights, 1 is the oracle.
    pub fn gap_closed(&self, forecasts: impl IntoIterator<Item = (usize, f64)>) -> f64 {
        let forecasts: Vec<(usize, f64)> = forecasts.into_iter().collect();
        self.gap_closed_from(&forecasts, 0.5)
    }

    /// The fraction of the squared-error gap between the best fixed combination and the
    /// oracle that `forecasts` close: 0 is the convex combination `w p_0 + (1 - w) p_1` with
    /// the one `w` that is best over the same rows (chosen with hindsight, so no fixed rule
    /// can do better), 1 is the oracle. Stricter than [`RegimeTask::gap_closed`].
    pub fn gap_closed_from_best_fixed(
        &self,
        forecasts: impl IntoIterator<Item = (usize, f64)>,
    ) -> f64 {
        let forecasts: Vec<(usize, f64)> = forecasts.into_iter().collect();
        // Least squares in w of sum((p1 - y) + w (p0 - p1))^2, clipped to [0, 1].
        let (mut num, mut den) = (0.0, 0.0);
        for &(t, _) in &forecasts {
            let (y, p) = (self.data.target()[t], self.data.pred(t));
            num -= (p[1] - y) * (p[0] - p[1]);
            den += (p[0] - p[1]).powi(2);
        }
        let w = if den > 0.0 {
            (num / den).clamp(0.0, 1.0)
        } else {
            0.5
        };
        self.gap_closed_from(&forecasts, w)
    }

    /// The fraction of the squared-error gap between the fixed combination
    /// `w p_0 + (1 - w) p_1` (0) and the oracle (1) that `forecasts` close.
    fn gap_closed_from(&self, forecasts: &[(usize, f64)], w: f64) -> f64 {
        let (mut se, mut se_fixed, mut se_oracle) = (0.0, 0.0, 0.0);
        for &(t, forecast) in forecasts {
            let (y, p) = (self.data.target()[t], self.data.pred(t));
            se += (forecast - y).powi(2);
            se_fixed += (w * p[0] + (1.0 - w) * p[1] - y).powi(2);
            se_oracle += (self.oracle_forecast(t) - y).powi(2);
        }
        (se_fixed - se) / (se_fixed - se_oracle)
    }

    /// Block E feature: +1 in regime A, -1 in regime B.
    pub fn feature(&self) -> RegimeFeature {
        RegimeFeature(self.regimes.clone())
    }
}

/// The regime indicator as an observation feature (see [`RegimeTask`]).
#[derive(Debug, Clone)]
pub struct RegimeFeature(Arc<Vec<bool>>);

impl FeatureFn for RegimeFeature {
    fn dim(&self) -> usize {
        1
    }

    fn features(&self, ctx: &FeatureContext<'_>, out: &mut [f64]) {
        // At the final observation of the data (t = T, used only to bootstrap) the regime of
        // t is unknown; the last known one stands in.
        out[0] = if self.0[ctx.t.min(self.0.len() - 1)] {
            1.0
        } else {
            -1.0
        };
    }
}
