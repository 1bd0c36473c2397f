//! # metablend-pipelines
//!
//! metablend's protocols as library entry points, each an options struct in and a
//! serialisable report out, with progress and interruption through
//! [`metablend_core::Progress`] and charts through [`Charts`]:
//!
//! - [`single`]: PPO trained on the ensemble env over one predictions table, evaluated
//!   against every classical combiner with Diebold–Mariano verdicts, and off-policy
//!   evaluation from logged trajectories.
//! - [`main_job`]: the main job on the vendored S&P 500 and electricity data.
//! - [`m4`]: meta-feature combination on M4 Hourly or Weekly (FFORMA's protocol with a
//!   contextual PPO meta-combiner and a supervised learner).
//! - [`metaopt`]: meta-training and evaluating the learned optimizer on M4 forecasting tasks.
//!
//! These protocols compose the agents crate (PPO, the learned optimizer) with the ensemble
//! crate (forecasters, combiners), which never depend on each other; this crate is where
//! they meet. Output folders go through the foundation's atomic writer: an interrupted or
//! failed protocol leaves the previous result in place.
//!
//! ```
//! use metablend_pipelines::single::TrainSettings;
//! # fn main() -> metablend_pipelines::Result<()> {
//! let settings = TrainSettings::from_toml("total_timesteps = 4096\n[env]\nwindow = 10\n", "inline")?;
//! let ranges = settings.ranges(400)?;
//! assert_eq!((ranges.train, ranges.test), (0..200, 300..400));
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

pub mod charts;
mod error;
pub mod forecast;
pub mod m4;
pub mod main_job;
mod meta_ppo;
pub mod metaopt;
mod rules;
pub mod single;
mod threads;

pub use charts::{Charts, NoCharts};
pub use error::{Error, Result};
pub use threads::on_all_cores;
