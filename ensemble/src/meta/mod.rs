//! Meta-feature combination on M4-style panels (FFORMA's protocol, Montero-Manso et al.
//! 2020): every base model forecasts the last h points of each training series from the part
//! before them (the validation window) and, refit on the whole training series, the test
//! horizon; a meta-learner maps each series' features and its models' validation errors to
//! combination weights, which then apply to the test forecasts. The test values enter only
//! [`score`]: everything the weights depend on is built from the training series.

mod fforma;
mod m4;
mod pool;
mod score;
mod shrink;
mod tasks;

pub use fforma::{Fforma, FformaConfig, Objective};
pub use m4::{published_rows, published_rows_named, M4Frequency, M4Panel, PublishedRow};
pub use pool::{
    forecast_history, forecast_pool, forecast_window, PoolFailure, PoolForecasts, WindowForecasts,
};
pub use score::{score, MethodScore};
pub use shrink::{choose as choose_shrinkage, owa as windows_owa, Shrinkage, SHRINK_GRID};
pub use tasks::{context_panel, context_task, FeatureScaler};

#[cfg(test)]
mod tests;
