//! # metablend-core
//!
//! The foundation every metablend crate builds on, free of any ML framework:
//!
//! - [`Predictions`] and [`PredictionsPanel`]: a target series with K models' one-step
//!   forecasts (and panels of them), with their CSV format. The env crate wraps them in the
//!   ensemble-weighting env, the ensemble crate produces and scores them.
//! - [`metrics`]: the M4 competition's accuracy measures, defined once.
//! - [`math`]: special functions and a small dense solver.
//! - [`fs`]: how metablend writes files. Every output goes through one atomic writer, so a
//!   crash at any instant leaves either the previous or the new version under the target's
//!   own name; output folders are checked before any work (never the current folder, an
//!   ancestor of it, an input, or a folder of the user's), and a run folder has one writer
//!   at a time.
//! - [`Progress`]: how long-running work reports progress and learns it should stop, without
//!   tying a library to a terminal.
//!
//! Why a crate of its own: the agents and ensemble crates both need these pieces, and
//! reaching into the env crate for them would tie every consumer to the environments.
//!
//! ```
//! use metablend_core::{metrics, Predictions};
//! # fn main() -> metablend_core::Result<()> {
//! let table = Predictions::new(
//!     vec![1.0, 2.0, 3.0],
//!     vec![vec![1.1, 0.9], vec![2.2, 1.7], vec![2.9, 3.4]],
//!     vec!["a".into(), "b".into()],
//! )?;
//! let mse_a = metrics::mse(table.target(), &table.model_column(0))?;
//! assert!((mse_a - 0.02).abs() < 1e-12);
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

mod error;
pub mod fs;
pub mod limits;
pub mod math;
pub mod metrics;
mod predictions;
mod progress;

pub use error::{Error, Result};
pub use predictions::{Predictions, PredictionsPanel};
pub use progress::{Progress, Silent};
