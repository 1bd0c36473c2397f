//! What `fit` and `forecast` both compute: the per-series work (see the `work` module)
//! gathered into the meta-learner's tasks, with the feature scaler and the windows the
//! intervals calibrate on.

use metablend_ensemble::features::Features;
use metablend_ensemble::forecast::GlobalMlpConfig;
use metablend_ensemble::meta::{context_task, FeatureScaler};
use metablend_ensemble::panel::Panel;
use metablend_ensemble::ModelSpec;
use metablend_env::contextual::ContextPanel;
use std::sync::Arc;

use super::earlier::EarlierWindow;
use super::work::{add_global, map_series, Plan, SeriesFit, SeriesFuture};
use crate::threads::on_all_cores;
use crate::{Error, Result};

pub(crate) use super::work::min_length;

/// The pool's work on the series of a panel, gathered.
pub(crate) struct Prepared {
    /// Indices (into the gathered series) of those the pool ran on, in order.
    pub eligible: Vec<usize>,
    /// The pool's column names.
    pub names: Vec<String>,
    /// The Naive2 column.
    pub naive2: usize,
    /// The feature scaler (fitted here, or the meta-model's).
    pub scaler: FeatureScaler,
    /// One meta-learning task per eligible series (`None` when no series is eligible).
    pub ctx: Option<Arc<ContextPanel>>,
    /// The window before the validation window, when asked for.
    pub earlier: Option<EarlierWindow>,
    /// Every series' future forecasts, when asked for.
    pub futures: Vec<SeriesFuture>,
    /// Every series' id, digest and validation work.
    pub fits: Vec<SeriesFit>,
}

impl Prepared {
    /// Runs the pool (with a global MLP when `global` is given), the features and builds the
    /// tasks for horizon `h` and season `m`; with `earlier` the pool on the earlier window
    /// too, with `future` on the steps after each series' end. `scaler`: the meta-model's,
    /// or `None` to fit one on these series.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        panel: &Panel,
        models: &[ModelSpec],
        global: Option<&GlobalMlpConfig>,
        (h, m): (usize, usize),
        scaler: Option<&FeatureScaler>,
        earlier: bool,
        future: bool,
        progress: &dyn metablend_core::Progress,
    ) -> Result<Self> {
        let plan = Plan {
            horizon: h,
            period: m,
            models: models.to_vec(),
            earlier,
            future,
        };
        let mut names = plan.names()?;
        // Series are independent: every core, whatever the binary's global pool is.
        let works = on_all_cores(|| {
            let mut works = map_series(panel, &plan, progress)?;
            if let Some(config) = global {
                add_global(panel, &mut works, config, h)?;
            }
            Ok::<_, Error>(works)
        })??;
        if global.is_some() {
            names.push("global_mlp".into());
        }
        let (fits, futures): (Vec<SeriesFit>, Vec<Option<SeriesFuture>>) =
            works.into_iter().map(|w| (w.fit, w.future)).unzip();
        let mut prepared = Self::gather(fits, names, scaler, earlier)?;
        prepared.futures = futures.into_iter().flatten().collect();
        Ok(prepared)
    }

    /// The tasks made of gathered per-series work (`fits`, in the order that the learner
    /// and the scaler see them) whose pool columns are `names`.
    pub fn gather(
        fits: Vec<SeriesFit>,
        names: Vec<String>,
        scaler: Option<&FeatureScaler>,
        earlier: bool,
    ) -> Result<Self> {
        let naive2 = names
            .iter()
            .position(|n| n.starts_with("naive2_"))
            .ok_or_else(|| Error::Settings("the pool has no Naive2 column".into()))?;
        let eligible: Vec<usize> = (0..fits.len())
            .filter(|&i| fits[i].pool.is_some())
            .collect();
        let pools: Vec<&super::work::PoolWork> =
            fits.iter().filter_map(|f| f.pool.as_ref()).collect();
        for (p, f) in pools.iter().zip(fits.iter().filter(|f| f.pool.is_some())) {
            let windows =
                std::iter::once(&p.validation).chain(p.earlier.as_ref().map(|e| &e.forecasts));
            if windows.into_iter().any(|w| w.len() != names.len()) {
                return Err(Error::Settings(format!(
                    "series {}: its work has another pool than the model's {} columns",
                    f.id,
                    names.len()
                )));
            }
        }
        let features: Vec<Features> = pools
            .iter()
            .map(|p| Features {
                values: p.features.clone(),
            })
            .collect();
        let rows: Vec<usize> = (0..features.len()).collect();
        let scaler = scaler
            .cloned()
            .unwrap_or_else(|| FeatureScaler::fit(&features, &rows));
        let ctx = if pools.is_empty() {
            None
        } else {
            let tasks = eligible
                .iter()
                .zip(&pools)
                .zip(&features)
                .map(|((&i, p), f)| {
                    let (target, forecasts) = (p.target.clone(), p.validation.clone());
                    context_task(
                        &fits[i].id,
                        f,
                        &scaler,
                        target,
                        forecasts,
                        p.mase_scale,
                        naive2,
                    )
                })
                .collect();
            Some(Arc::new(ContextPanel::new(tasks, names.clone())?))
        };
        let earlier = earlier.then(|| {
            let mut window = EarlierWindow {
                rows: Vec::new(),
                targets: Vec::new(),
                forecasts: Vec::new(),
                scales: Vec::new(),
            };
            for (r, p) in pools.iter().enumerate() {
                if let Some(e) = &p.earlier {
                    window.rows.push(r);
                    window.targets.push(e.target.clone());
                    window.forecasts.push(e.forecasts.clone());
                    window.scales.push(e.scale);
                }
            }
            window
        });
        Ok(Self {
            eligible,
            names,
            naive2,
            scaler,
            ctx,
            earlier,
            futures: Vec::new(),
            fits,
        })
    }

    /// The ids of the series that were not eligible (they get the fallback).
    pub fn fallback_ids(&self) -> Vec<String> {
        self.fits
            .iter()
            .filter(|f| f.pool.is_none())
            .map(|f| f.id.clone())
            .collect()
    }
}
