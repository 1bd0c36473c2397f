//! Base forecasters behind one object-safe trait, so a backtest can hold a heterogeneous
//! `Vec<Box<dyn Forecaster>>` and run them in parallel.
//!
//! Every model estimates its parameters in [`Forecaster::fit`] from the history it is given
//! and nothing else; [`Forecaster::append`] then conditions the fitted model on one more
//! observation without re-estimating (what a walk-forward backtest does between refits).

mod adjusted;
mod arima;
mod ets;
mod global;
mod naive;
mod neural;
mod spec;
mod theta;

#[cfg(test)]
mod tests;

pub use adjusted::SeasonallyAdjusted;
pub use arima::{
    arima_loglik, kpss_statistic, ndiffs_kpss, Arima, ArimaConfig, ArimaFit, AutoArima,
    AutoArimaConfig,
};
pub(crate) use ets::profiled_sse;
pub use ets::{Ets, EtsFit, Trend};
pub use global::{GlobalMlp, GlobalMlpConfig};
pub use naive::{Drift, Naive, Naive2, SeasonalNaive};
pub use neural::{
    adam, Architecture, LstmConfig, LstmForecaster, MlpConfig, MlpForecaster, Network, NeuralFit,
    NeuralForecaster, OptimizerFactory, StepOptimizer, TrainConfig,
};
pub use spec::ModelSpec;
pub use theta::{m4_seasonality_test, multiplicative_indices, Theta, ThetaFit};

use crate::Result;

/// A point forecaster: fit on a history, then forecast `horizon` steps past its end.
pub trait Forecaster: Send {
    /// A short, unique label (used as the model's column in a predictions table).
    fn name(&self) -> &str;
    /// Estimates the model from `history` (oldest first) and sets the state at its end.
    /// Errors: too short a history for the model, non-finite values, a failed estimation.
    fn fit(&mut self, history: &[f64]) -> Result<()>;
    /// Adds the next observation to the state, keeping the estimated parameters.
    fn append(&mut self, y: f64) -> Result<()>;
    /// Forecasts `horizon` steps ahead from the current state. `Error::NotFitted` before `fit`.
    fn forecast(&self, horizon: usize) -> Result<Vec<f64>>;
    /// The shortest history `fit` accepts.
    fn min_history(&self) -> usize;
}

/// Rejects a non-finite appended value with the model's name.
pub(crate) fn check_append(model: &str, y: f64) -> Result<()> {
    if y.is_finite() {
        Ok(())
    } else {
        Err(crate::Error::InvalidInput(format!(
            "{model}: appended value {y} is not finite"
        )))
    }
}
