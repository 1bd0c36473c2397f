//! Pluggable rewards for the ensemble env: the `RewardFn` trait, any closure, and built-ins.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// Everything a reward may look at for the decision at time `t`. All of it is known once
/// `target[t]` is revealed; nothing after `t` is reachable.
#[derive(Debug, Clone, Copy)]
pub struct RewardContext<'a> {
    /// Time index of the step.
    pub t: usize,
    /// `target[t]`, the value being forecast.
    pub target: f64,
    /// `target[t - 1]`, the last value known when the forecast was made.
    pub prev_target: f64,
    /// `target[..t]`, the history before the decision.
    pub history: &'a [f64],
    /// The K base predictions `pred[t][..]`.
    pub preds: &'a [f64],
    /// The weights chosen at `t` (on the simplex).
    pub weights: &'a [f64],
    /// The weights chosen at `t - 1` (equal weights at the start of an episode).
    pub prev_weights: &'a [f64],
    /// The ensemble forecast `sum_k weights[k] * preds[k]`.
    pub forecast: f64,
    /// The previous step's ensemble forecast (`None` at the start of an episode).
    pub prev_forecast: Option<f64>,
    /// The scale `s_t` that makes errors unit-free.
    pub scale: f64,
}

impl RewardContext<'_> {
    /// The ensemble forecast's error, `forecast - target`.
    pub fn error(&self) -> f64 {
        self.forecast - self.target
    }

    /// The equal-weights forecast, the natural baseline.
    pub fn equal_weights_forecast(&self) -> f64 {
        self.preds.iter().sum::<f64>() / self.preds.len() as f64
    }
}

/// A reward for the ensemble env. Any `Fn(&RewardContext) -> f64 + Send + Sync` is one.
pub trait RewardFn: Send + Sync {
    /// The reward for one step.
    fn reward(&self, ctx: &RewardContext<'_>) -> f64;
}

impl<F> RewardFn for F
where
    F: Fn(&RewardContext<'_>) -> f64 + Send + Sync,
{
    fn reward(&self, ctx: &RewardContext<'_>) -> f64 {
        self(ctx)
    }
}

/// `-((forecast - target) / s)^2`: the scaled squared error, negated.
#[derive(Debug, Clone, Copy, Default)]
pub struct NegSquaredError;

impl RewardFn for NegSquaredError {
    fn reward(&self, ctx: &RewardContext<'_>) -> f64 {
        let e = ctx.error() / ctx.scale;
        -e * e
    }
}

/// `-|forecast - target| / s`.
#[derive(Debug, Clone, Copy, Default)]
pub struct NegAbsError;

impl RewardFn for NegAbsError {
    fn reward(&self, ctx: &RewardContext<'_>) -> f64 {
        -(ctx.error() / ctx.scale).abs()
    }
}

/// Scaled squared error of equal weights minus that of the chosen weights: positive when the
/// policy beat equal weights on this step.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImprovementOverEqual;

impl RewardFn for ImprovementOverEqual {
    fn reward(&self, ctx: &RewardContext<'_>) -> f64 {
        let eq = (ctx.equal_weights_forecast() - ctx.target) / ctx.scale;
        let e = ctx.error() / ctx.scale;
        eq * eq - e * e
    }
}

/// `+1` when the forecast's predicted move `forecast - prev_target` has the sign of the
/// realised move `target - prev_target`, `-1` when opposite, `0` when either is zero.
#[derive(Debug, Clone, Copy, Default)]
pub struct DirectionalHit;

impl RewardFn for DirectionalHit {
    fn reward(&self, ctx: &RewardContext<'_>) -> f64 {
        sign(ctx.forecast - ctx.prev_target) * sign(ctx.target - ctx.prev_target)
    }
}

/// Trading P&L in scale units: hold `position_t = sign(forecast - prev_target)` (long, short
/// or flat) over the move `target - prev_target`, paying `cost` per unit of position change:
/// `position_t (target - prev_target) / s - cost |position_t - position_{t-1}|`. The position
/// before an episode's first step is flat.
#[derive(Debug, Clone, Copy)]
pub struct TradingPnl {
    /// Cost per unit of position change, in scale units (>= 0).
    pub cost: f64,
}

impl RewardFn for TradingPnl {
    fn reward(&self, ctx: &RewardContext<'_>) -> f64 {
        let pos = sign(ctx.forecast - ctx.prev_target);
        let prev_pos = match (ctx.prev_forecast, ctx.history.len().checked_sub(2)) {
            (Some(f), Some(i)) => sign(f - ctx.history[i]),
            _ => 0.0,
        };
        pos * (ctx.target - ctx.prev_target) / ctx.scale - self.cost * (pos - prev_pos).abs()
    }
}

/// `inner - lambda * ||w - w_prev||_1`: discourages churning the weights.
pub struct TurnoverPenalty {
    /// The reward being penalised.
    pub inner: Box<dyn RewardFn>,
    /// Penalty per unit of L1 turnover (>= 0).
    pub lambda: f64,
}

impl RewardFn for TurnoverPenalty {
    fn reward(&self, ctx: &RewardContext<'_>) -> f64 {
        let turnover: f64 = ctx
            .weights
            .iter()
            .zip(ctx.prev_weights)
            .map(|(a, b)| (a - b).abs())
            .sum();
        self.inner.reward(ctx) - self.lambda * turnover
    }
}

fn sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// A built-in reward chosen by name in a config file, e.g. TOML
/// `reward = { kind = "turnover_penalty", lambda = 0.1, inner = { kind = "neg_squared_error" } }`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum RewardSpec {
    /// [`NegSquaredError`] (the default).
    #[default]
    NegSquaredError,
    /// [`NegAbsError`].
    NegAbsError,
    /// [`ImprovementOverEqual`].
    ImprovementOverEqual,
    /// [`DirectionalHit`].
    DirectionalHit,
    /// [`TradingPnl`].
    TradingPnl {
        /// Cost per unit of position change.
        cost: f64,
    },
    /// [`TurnoverPenalty`].
    TurnoverPenalty {
        /// The penalised reward.
        inner: Box<RewardSpec>,
        /// Penalty per unit of turnover.
        lambda: f64,
    },
}

impl RewardSpec {
    /// The names accepted by [`RewardSpec::from_name`].
    pub const NAMES: [&'static str; 4] = [
        "neg_squared_error",
        "neg_abs_error",
        "improvement_over_equal",
        "directional_hit",
    ];

    /// A parameter-free built-in by name.
    pub fn from_name(name: &str) -> Result<Self> {
        Ok(match name {
            "neg_squared_error" => RewardSpec::NegSquaredError,
            "neg_abs_error" => RewardSpec::NegAbsError,
            "improvement_over_equal" => RewardSpec::ImprovementOverEqual,
            "directional_hit" => RewardSpec::DirectionalHit,
            other => {
                return Err(Error::InvalidConfig(format!(
                    "unknown reward '{other}'; known: {}, trading_pnl (with cost), turnover_penalty (with inner, lambda)",
                    Self::NAMES.join(", ")
                )))
            }
        })
    }

    /// Checks parameters and builds the reward.
    pub fn build(&self) -> Result<Box<dyn RewardFn>> {
        Ok(match self {
            RewardSpec::NegSquaredError => Box::new(NegSquaredError),
            RewardSpec::NegAbsError => Box::new(NegAbsError),
            RewardSpec::ImprovementOverEqual => Box::new(ImprovementOverEqual),
            RewardSpec::DirectionalHit => Box::new(DirectionalHit),
            RewardSpec::TradingPnl { cost } => {
                if !(cost.is_finite() && *cost >= 0.0) {
                    return Err(Error::InvalidConfig(format!(
                        "trading_pnl: cost must be finite and >= 0, got {cost}"
                    )));
                }
                Box::new(TradingPnl { cost: *cost })
            }
            RewardSpec::TurnoverPenalty { inner, lambda } => {
                if !(lambda.is_finite() && *lambda >= 0.0) {
                    return Err(Error::InvalidConfig(format!(
                        "turnover_penalty: lambda must be finite and >= 0, got {lambda}"
                    )));
                }
                Box::new(TurnoverPenalty {
                    inner: inner.build()?,
                    lambda: *lambda,
                })
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx<'a>(
        w: &'a [f64],
        pw: &'a [f64],
        preds: &'a [f64],
        hist: &'a [f64],
    ) -> RewardContext<'a> {
        let forecast = w.iter().zip(preds).map(|(a, b)| a * b).sum();
        RewardContext {
            t: hist.len(),
            target: 12.0,
            prev_target: *hist.last().unwrap(),
            history: hist,
            preds,
            weights: w,
            prev_weights: pw,
            forecast,
            prev_forecast: Some(9.0),
            scale: 2.0,
        }
    }

    #[test]
    fn built_ins_match_hand_computation() {
        let (w, pw, preds, hist) = ([0.75, 0.25], [0.5, 0.5], [11.0, 15.0], [9.5, 10.0]);
        let c = ctx(&w, &pw, &preds, &hist); // forecast 12.0, error 0
        assert_eq!(NegSquaredError.reward(&c), 0.0);
        assert_eq!(NegAbsError.reward(&c), 0.0);
        assert_eq!(ImprovementOverEqual.reward(&c), 0.25); // equal weights: 13, error 1/2
        assert_eq!(DirectionalHit.reward(&c), 1.0);
        // position +1 over a move of +2 (1 scale unit); previous position sign(9 - 9.5) = -1.
        assert_eq!(TradingPnl { cost: 0.1 }.reward(&c), 1.0 - 0.2);
        let pen = TurnoverPenalty {
            inner: Box::new(NegSquaredError),
            lambda: 2.0,
        };
        assert_eq!(pen.reward(&c), -2.0 * 0.5);
        let closure = |c: &RewardContext<'_>| c.forecast * 2.0;
        assert_eq!(closure.reward(&c), 24.0);
    }

    #[test]
    fn specs_parse_and_validate() {
        let spec: RewardSpec = serde_json::from_str(
            r#"{"kind":"turnover_penalty","lambda":0.5,"inner":{"kind":"trading_pnl","cost":0.01}}"#,
        )
        .unwrap();
        assert!(spec.build().is_ok());
        assert!(RewardSpec::TradingPnl { cost: -1.0 }.build().is_err());
        assert!(RewardSpec::from_name("nope")
            .unwrap_err()
            .to_string()
            .contains("neg_squared_error"));
        assert!(
            serde_json::from_str::<RewardSpec>(r#"{"kind":"trading_pnl","cost":0.1,"x":1}"#)
                .is_err()
        );
    }
}
