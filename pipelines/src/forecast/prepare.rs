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
use super::kept::{KeptWork, Known};
use super::work::{add_global, map_series_reusing, Plan, SeriesFit, SeriesFuture};
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
    /// Every gathered series' id.
    pub ids: Vec<String>,
    /// Every gathered series' data digest (the model card's fingerprint is made of them).
    pub digests: Vec<String>,
    /// The per-series work, when asked to keep it.
    pub kept: Option<KeptWork>,
}

/// Which of the pool's work [`Prepared::new`] does, and what it keeps.
#[derive(Clone, Copy, Default)]
pub(crate) struct Windows<'a> {
    /// Also the window before the validation window.
    pub earlier: bool,
    /// Also the steps after each series' end.
    pub future: bool,
    /// Keep a copy of the per-series work ([`Prepared::kept`]).
    pub keep: bool,
    /// Per series, its work under the same plan done before (see [`KeptWork::for_panel`]):
    /// only its future is computed. With a global MLP, every series has it or none.
    pub reuse: Option<&'a [Option<Known<'a>>]>,
}

impl Prepared {
    /// Runs the pool (with a global MLP when `global` is given), the features and builds the
    /// tasks for horizon `h` and season `m`, on the windows `windows` asks for. `scaler`:
    /// the meta-model's, or `None` to fit one on these series.
    pub fn new(
        panel: &Panel,
        models: &[ModelSpec],
        global: Option<&GlobalMlpConfig>,
        (h, m): (usize, usize),
        scaler: Option<&FeatureScaler>,
        windows: Windows<'_>,
        progress: &dyn metablend_core::Progress,
    ) -> Result<Self> {
        let Windows {
            earlier,
            future,
            keep,
            reuse,
        } = windows;
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
            let mut works = map_series_reusing(panel, &plan, reuse, progress)?;
            if let Some(config) = global {
                add_global(panel, &mut works, config, h, reuse.is_some())?;
            }
            Ok::<_, Error>(works)
        })??;
        if global.is_some() {
            names.push("global_mlp".into());
        }
        let (fits, futures): (Vec<SeriesFit>, Vec<Option<SeriesFuture>>) =
            works.into_iter().map(|w| (w.fit, w.future)).unzip();
        let kept = keep.then(|| KeptWork {
            earlier,
            fits: fits.clone(),
        });
        let mut prepared = Self::gather(fits, names, scaler, earlier)?;
        prepared.futures = futures.into_iter().flatten().collect();
        prepared.kept = kept;
        Ok(prepared)
    }

    /// The tasks made of gathered per-series work (`fits`, in the order that the learner
    /// and the scaler see them) whose pool columns are `names`; the work is moved into
    /// the tasks, not copied.
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
        let (mut ids, mut digests) = (Vec::with_capacity(fits.len()), Vec::new());
        let (mut eligible, mut pools) = (Vec::new(), Vec::new());
        for (i, f) in fits.into_iter().enumerate() {
            if let Some(p) = f.pool {
                let windows =
                    std::iter::once(&p.validation).chain(p.earlier.as_ref().map(|e| &e.forecasts));
                if windows.into_iter().any(|w| w.len() != names.len()) {
                    return Err(Error::Settings(format!(
                        "series {}: its work has another pool than the model's {} columns",
                        f.id,
                        names.len()
                    )));
                }
                eligible.push(i);
                pools.push(p);
            }
            ids.push(f.id);
            digests.push(f.digest);
        }
        let features: Vec<Features> = pools
            .iter_mut()
            .map(|p| Features {
                values: std::mem::take(&mut p.features),
            })
            .collect();
        let rows: Vec<usize> = (0..features.len()).collect();
        let scaler = scaler
            .cloned()
            .unwrap_or_else(|| FeatureScaler::fit(&features, &rows));
        let mut window = earlier.then(|| EarlierWindow {
            rows: Vec::new(),
            targets: Vec::new(),
            forecasts: Vec::new(),
            scales: Vec::new(),
        });
        let mut tasks = Vec::with_capacity(pools.len());
        for (r, (p, f)) in pools.into_iter().zip(&features).enumerate() {
            if let (Some(w), Some(e)) = (window.as_mut(), p.earlier) {
                w.rows.push(r);
                w.targets.push(e.target);
                w.forecasts.push(e.forecasts);
                w.scales.push(e.scale);
            }
            let id = &ids[eligible[r]];
            let (target, scale) = (p.target, p.mase_scale);
            tasks.push(context_task(
                id,
                f,
                &scaler,
                target,
                p.validation,
                scale,
                naive2,
            ));
        }
        let ctx = if tasks.is_empty() {
            None
        } else {
            Some(Arc::new(ContextPanel::new(tasks, names.clone())?))
        };
        Ok(Self {
            eligible,
            names,
            naive2,
            scaler,
            ctx,
            earlier: window,
            futures: Vec::new(),
            ids,
            digests,
            kept: None,
        })
    }

    /// Per gathered series: its row of `weights` (one row per eligible series, in order),
    /// `None` for a series on the fallback.
    pub fn per_series(&self, weights: Vec<Vec<f64>>) -> Vec<Option<Vec<f64>>> {
        let mut out = vec![None; self.ids.len()];
        for (&i, w) in self.eligible.iter().zip(weights) {
            out[i] = Some(w);
        }
        out
    }

    /// The ids of the series that were not eligible (they get the fallback).
    pub fn fallback_ids(&self) -> Vec<String> {
        (0..self.ids.len())
            .filter(|i| self.eligible.binary_search(i).is_err())
            .map(|i| self.ids[i].clone())
            .collect()
    }
}
