//! # metablend-ensemble
//!
//! The forecasting side of metablend: base forecasters, walk-forward backtests that produce
//! the `Predictions` tables the ensemble env wraps, combiners, and the metrics the
//! forecasting community trusts. This release carries the metrics, with the M4 competition's
//! exact definitions, and the Diebold–Mariano test (both checked against the project's
//! reference fixtures); forecasters and combiners build on them.
#![warn(missing_docs)]

pub mod backtest;
pub mod combine;
mod dm;
mod error;
pub mod features;
pub mod forecast;
pub mod meta;
pub mod optim;
pub mod report;
pub mod series;

pub use dm::{diebold_mariano, DieboldMariano};

pub use backtest::{holdout_panel, BacktestOutput, WalkForward, Window};
pub use combine::{classical_combiners, run_combiner, Combined, Combiner};
pub use error::{Error, Result};
pub use forecast::{Forecaster, ModelSpec};
pub use report::{compare, compare_panel, Report};
pub use series::{
    read_panel, read_panel_from, read_series, read_series_from, FillPolicy, Series,
    SeriesCsvOptions,
};
