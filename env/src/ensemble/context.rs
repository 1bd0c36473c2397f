//! Block F of the observation: built-in context that a fixed combination rule cannot use —
//! where the series is in its seasonal cycles, how each model erred at the same phase of
//! the previous cycles, and how much the models disagree about the next value.
//!
//! On seasonal data the models' errors depend on the phase (an electricity forecaster that is
//! good at night can be poor at the morning ramp); inverse-MSE over a trailing window averages
//! that away. These features let a policy weight by phase. Like every block, each is computed
//! from `target[..t]` and `pred[..=t]` only.

use serde::{Deserialize, Serialize};

use crate::ensemble::Predictions;
use crate::{Error, Result};

/// Which context features block F holds (all off by default: block F is empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ContextFeatures {
    /// Seasonal periods `p`, in rows: for each, `sin` and `cos` of `2π (t mod p) / p`. The
    /// phase counts from the table's first row, so every series of a panel should start at
    /// the same point of its cycles.
    pub phase_periods: Vec<usize>,
    /// A period `p` (rows) for the same-phase errors: per model, the mean and the RMS of its
    /// scaled errors at rows `t - p, t - 2p, ...` (the same phase of earlier cycles). The RMS
    /// is given as its `ln` when the env's `log_rmse` is on, like block B, so that
    /// inverse-MSE weighting at the same phase is linear in the observation.
    pub same_phase_period: Option<usize>,
    /// How many earlier cycles the same-phase errors average (default 3).
    pub same_phase_cycles: usize,
    /// The standard deviation of the models' forecasts for `t`, in scale units.
    pub disagreement: bool,
}

impl Default for ContextFeatures {
    fn default() -> Self {
        Self {
            phase_periods: Vec::new(),
            same_phase_period: None,
            same_phase_cycles: 3,
            disagreement: false,
        }
    }
}

impl ContextFeatures {
    /// True when block F is empty.
    pub fn is_empty(&self) -> bool {
        self.phase_periods.is_empty() && self.same_phase_period.is_none() && !self.disagreement
    }

    /// Checks the values.
    pub fn validate(&self) -> Result<()> {
        if let Some(p) = self.phase_periods.iter().find(|&&p| p < 2) {
            return Err(Error::InvalidConfig(format!(
                "context.phase_periods: a period must be at least 2 rows, got {p}"
            )));
        }
        if self.same_phase_period == Some(0) {
            return Err(Error::InvalidConfig(
                "context.same_phase_period must be at least 1 row".into(),
            ));
        }
        if self.same_phase_period.is_some() && self.same_phase_cycles == 0 {
            return Err(Error::InvalidConfig(
                "context.same_phase_cycles must be at least 1".into(),
            ));
        }
        Ok(())
    }

    /// Number of features for `k` models.
    pub fn dim(&self, k: usize) -> usize {
        2 * self.phase_periods.len()
            + if self.same_phase_period.is_some() {
                2 * k
            } else {
                0
            }
            + usize::from(self.disagreement)
    }

    /// Bounds of each feature, in order (for the observation space); `rms_low` is the lower
    /// bound of the same-phase RMS (0, or the log floor in log mode).
    pub fn bounds(&self, k: usize, rms_low: f64) -> Vec<(f64, f64)> {
        let inf = f64::INFINITY;
        let mut out = vec![(-1.0, 1.0); 2 * self.phase_periods.len()];
        if self.same_phase_period.is_some() {
            out.extend(std::iter::repeat_n((-inf, inf), k));
            out.extend(std::iter::repeat_n((rms_low, inf), k));
        }
        if self.disagreement {
            out.push((0.0, inf));
        }
        out
    }

    /// Writes the features at time `t` (scale `s_t`) into `out` (`dim(k)` values), reading
    /// `target[..t]` and `pred[..=t]` of `data` only. With `log_floor`, the same-phase RMS
    /// is written as `ln(max(rms, floor))`.
    pub fn write(
        &self,
        data: &Predictions,
        t: usize,
        scale: f64,
        log_floor: Option<f64>,
        out: &mut [f64],
    ) {
        let k = data.num_models();
        let inv_scale = 1.0 / scale;
        let mut at = 0;
        for &p in &self.phase_periods {
            let angle = std::f64::consts::TAU * (t % p) as f64 / p as f64;
            out[at] = angle.sin();
            out[at + 1] = angle.cos();
            at += 2;
        }
        if let Some(p) = self.same_phase_period {
            let (mean, rms) = out[at..at + 2 * k].split_at_mut(k);
            mean.fill(0.0);
            rms.fill(0.0);
            // Rows t - p, t - 2p, ...: all strictly before t, so their targets are known.
            let mut n = 0usize;
            for row in (1..=self.same_phase_cycles).map_while(|c| t.checked_sub(c * p)) {
                let y = data.target()[row];
                for (j, pred) in data.pred(row).iter().enumerate() {
                    let e = (pred - y) * inv_scale;
                    mean[j] += e;
                    rms[j] += e * e;
                }
                n += 1;
            }
            if n > 0 {
                let inv_n = 1.0 / n as f64;
                for (m, r) in mean.iter_mut().zip(rms.iter_mut()) {
                    *m *= inv_n;
                    *r = (*r * inv_n).sqrt();
                }
            }
            if let Some(floor) = log_floor {
                rms.iter_mut().for_each(|r| *r = r.max(floor).ln());
            }
            at += 2 * k;
        }
        if self.disagreement {
            // No forecasts exist past the data (the final bootstrap observation): 0.
            out[at] = if t < data.len() {
                let row = data.pred(t);
                let mean = row.iter().sum::<f64>() / k as f64;
                let var = row.iter().map(|p| (p - mean).powi(2)).sum::<f64>() / k as f64;
                var.sqrt() * inv_scale
            } else {
                0.0
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> Predictions {
        // Two models; model 0 errs by +1 at even rows, model 1 by -2 everywhere.
        let target: Vec<f64> = (0..12).map(|t| t as f64).collect();
        let preds = (0..12)
            .map(|t| {
                vec![
                    t as f64 + if t % 2 == 0 { 1.0 } else { 0.0 },
                    t as f64 - 2.0,
                ]
            })
            .collect();
        Predictions::new(target, preds, vec!["a".into(), "b".into()]).unwrap()
    }

    #[test]
    fn phases_same_phase_errors_and_disagreement_by_hand() {
        let f = ContextFeatures {
            phase_periods: vec![4],
            same_phase_period: Some(2),
            same_phase_cycles: 2,
            disagreement: true,
        };
        assert_eq!(f.dim(2), 2 + 4 + 1);
        let mut out = vec![f64::NAN; f.dim(2)];
        // t = 6: phase 6 mod 4 = 2 → angle π; same phase rows 4 and 2 (even: model 0 errs +1).
        f.write(&data(), 6, 0.5, None, &mut out);
        assert!((out[0] - 0.0).abs() < 1e-12 && (out[1] + 1.0).abs() < 1e-12);
        assert_eq!(&out[2..6], &[2.0, -4.0, 2.0, 4.0]);
        // Forecasts for t = 6 are 7 and 4: standard deviation 1.5, scaled by 1 / 0.5.
        assert_eq!(out[6], 3.0);
        // t = 7: rows 5 and 3 (odd: model 0 exact).
        f.write(&data(), 7, 1.0, None, &mut out);
        assert_eq!(&out[2..6], &[0.0, -2.0, 0.0, 2.0]);
        // t = 1: no earlier cycle yet → zeros; past the data → no disagreement.
        f.write(&data(), 1, 1.0, None, &mut out);
        assert_eq!(&out[2..6], &[0.0; 4]);
        // In log mode the RMS is ln(rms), floored: rows 5 and 3 give model 1 an RMS of 2.
        f.write(&data(), 7, 1.0, Some(1e-8), &mut out);
        assert_eq!(&out[4..6], &[1e-8f64.ln(), 2f64.ln()]);
        f.write(&data(), 12, 1.0, None, &mut out);
        assert_eq!(out[6], 0.0);
    }

    #[test]
    fn bad_values_are_clear_errors() {
        let periods = ContextFeatures {
            phase_periods: vec![48, 1],
            ..Default::default()
        };
        assert!(periods
            .validate()
            .unwrap_err()
            .to_string()
            .contains("at least 2"));
        let zero = ContextFeatures {
            same_phase_period: Some(0),
            ..Default::default()
        };
        assert!(zero.validate().is_err());
        assert!(ContextFeatures::default().is_empty());
    }
}
