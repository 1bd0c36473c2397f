//! Block E of the observation: user-supplied features computed from the past only.

use crate::ensemble::Predictions;

/// What a feature function may read when building the observation at `t`: the target before
/// `t` and the predictions up to and including `t` (the forecasts for `t` are known before
/// `target[t]` is), nothing later.
#[derive(Debug, Clone, Copy)]
pub struct FeatureContext<'a> {
    /// Time index of the observation. It equals the series length for the final observation
    /// of an episode that ends with the data (used only for bootstrapping).
    pub t: usize,
    /// `target[..t]`.
    pub history: &'a [f64],
    /// Predictions of rows `..=t`, row-major `(t + 1) x K` (shorter at the data's end).
    pub preds: &'a [f64],
    /// Number of models K.
    pub num_models: usize,
    /// The observation's scale `s_t`.
    pub scale: f64,
    /// Index of the series in the panel.
    pub series: usize,
}

impl<'a> FeatureContext<'a> {
    pub(crate) fn new(data: &'a Predictions, t: usize, scale: f64, series: usize) -> Self {
        let k = data.num_models();
        let rows = (t + 1).min(data.len());
        Self {
            t,
            history: &data.target()[..t],
            preds: &data.preds_flat()[..rows * k],
            num_models: k,
            scale,
            series,
        }
    }
}

/// Extra observation features (block E), e.g. calendar effects or volatility regimes.
pub trait FeatureFn: Send + Sync {
    /// Number of features written.
    fn dim(&self) -> usize;

    /// Writes `dim()` finite values into `out`.
    fn features(&self, ctx: &FeatureContext<'_>, out: &mut [f64]);
}
