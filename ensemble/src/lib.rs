//! # metablend-ensemble
//!
//! The forecasting side of metablend: base forecasters, walk-forward backtests that produce
//! the `Predictions` tables the ensemble env wraps, combiners, and the metrics the
//! forecasting community trusts. This release carries the metrics, with the M4 competition's
//! exact definitions (checked against the project's reference fixture); forecasters and
//! combiners build on them.
#![warn(missing_docs)]

mod error;
pub mod metrics;

pub use error::{Error, Result};
