//! # metablend-ensemble
//!
//! The forecasting side of metablend: base forecasters behind one object-safe
//! [`Forecaster`] trait (checked against statsmodels and statsforecast), walk-forward
//! backtests that produce the predictions tables the ensemble env wraps, every classical
//! combiner with the comparison report and the Diebold–Mariano test, FFORMA's time-series
//! features, and the pieces of meta-learning on panels (the pool, the context panel, the
//! supervised FFORMA-style learner, M4 scoring).
//!
//! ```
//! use metablend_core::Silent;
//! use metablend_ensemble::{classical_combiners, compare, ModelSpec, Series, WalkForward, Window};
//! # fn main() -> metablend_ensemble::Result<()> {
//! let values: Vec<f64> = (0..120).map(|t| 10.0 + (t as f64 * 0.5).sin() + 0.01 * t as f64).collect();
//! let series = Series { name: "demo".into(), values, timestamps: None };
//! let mut theta = "theta".parse::<ModelSpec>()?.build()?;
//! theta.fit(&series.values)?;
//! assert_eq!(theta.forecast(6)?.len(), 6);
//! // One-step forecasts at each of the last 40 origins, refit every 10 steps.
//! let wf = WalkForward {
//!     models: ModelSpec::parse_list("naive drift ses theta", 1)?,
//!     start: 80,
//!     end: None,
//!     refit_every: 10,
//!     window: Window::Expanding,
//! };
//! let preds = wf.run(&series, &Silent)?.predictions;
//! let (report, _) = compare(&preds, 0..20, 20..40, 1, classical_combiners())?;
//! assert!(report.methods.iter().any(|m| m.name == "equal"));
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

pub mod backtest;
pub mod combine;
mod dm;
mod error;
pub mod features;
pub mod forecast;
pub mod meta;
pub mod optim;
pub mod panel;
pub mod report;
pub mod series;

pub use dm::{diebold_mariano, DieboldMariano};

pub use backtest::{holdout_panel, BacktestOutput, WalkForward, Window};
pub use combine::{classical_combiners, run_combiner, seasonal_combiners, Combined, Combiner};
pub use error::{Error, Result};
pub use forecast::{Forecaster, ModelSpec};
pub use report::{compare, compare_panel, Report};
pub use series::{
    read_panel, read_panel_from, read_series, read_series_from, FillPolicy, Series,
    SeriesCsvOptions,
};
