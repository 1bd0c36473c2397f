//! The per-series work `fit` keeps with the meta-model, and how `forecast` (locally, and
//! on a cluster engine's workers) finds the series that can reuse it instead of running the
//! pool on their validation and earlier windows again.

use std::collections::HashMap;

use metablend_core::Progress;
use metablend_ensemble::panel::Panel;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::work::{map_series, map_series_reusing, series_digest, Plan, SeriesFit, SeriesWork};
use crate::Result;

/// The per-series work `fit` did on its panel, kept with the meta-model: `forecast` takes a
/// series' features and validation and earlier windows from here instead of running the pool
/// on them again, and runs it only on the whole history. The result is the same bit for bit:
/// a series' work is a pure function of its id, its values and the plan. A global MLP's
/// columns are not (its networks learn across the panel), so with one in the pool only the
/// fitted panel itself reuses its work.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeptWork {
    /// Whether the earlier window was planned (where a series is long enough, its work has it).
    pub earlier: bool,
    /// Every series' work, in panel order (the global MLP's columns included).
    pub fits: Vec<SeriesFit>,
}

impl KeptWork {
    /// Whether `panel` is the panel this work was done on: the same ids and values, in order.
    pub fn matches(&self, panel: &Panel) -> bool {
        self.fits.len() == panel.series.len()
            && self
                .fits
                .par_iter()
                .zip(&panel.series)
                .all(|(f, s)| f.id == s.id && f.digest == series_digest(&s.id, &s.values))
    }

    /// The kept work of each series of `panel` (in its order) that can stand in for its own:
    /// with `whole_panel` (a global MLP in the pool) every series' when `panel` is the fitted
    /// panel, else that of each series whose id and values are unchanged. `None` when no
    /// series has any.
    pub(crate) fn for_panel(
        &self,
        panel: &Panel,
        whole_panel: bool,
    ) -> Option<Vec<Option<Known<'_>>>> {
        if whole_panel {
            return self
                .matches(panel)
                .then(|| self.fits.iter().map(|f| Some(Known::Work(f))).collect());
        }
        let by_id: HashMap<&str, &SeriesFit> =
            self.fits.iter().map(|f| (f.id.as_str(), f)).collect();
        let found: Vec<Option<Known<'_>>> = panel
            .series
            .par_iter()
            .map(|s| {
                let fit = by_id.get(s.id.as_str()).copied();
                fit.filter(|f| f.digest == series_digest(&s.id, &s.values))
                    .map(Known::Work)
            })
            .collect();
        found.iter().any(Option::is_some).then_some(found)
    }

    /// The index workers check their series against (see [`map_series_kept`]).
    pub fn index(&self) -> KeptIndex {
        KeptIndex {
            earlier: self.earlier,
            series: self
                .fits
                .iter()
                .map(|f| (f.id.clone(), (f.digest.clone(), f.pool.is_some())))
                .collect(),
        }
    }
}

/// What a worker needs to know of a meta-model's [`KeptWork`] to skip it: per kept series
/// (by id), its digest and whether the pool ran on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeptIndex {
    /// Whether the kept work has the earlier window.
    pub earlier: bool,
    /// Id → (digest, eligible).
    pub series: HashMap<String, (String, bool)>,
}

/// What is known of a series' work before it is done.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Known<'a> {
    /// Its kept work.
    Work(&'a SeriesFit),
    /// That the driver holds its kept work, whether the pool ran on the series, and the
    /// series' digest (checked against its values already).
    Elsewhere { eligible: bool, digest: &'a str },
}

/// [`map_series`] on a partition of a panel whose meta-model kept its work (`index`): a
/// series whose id and values are in `index` computes only its future, and is marked
/// [`SeriesWork::reused`]; the driver completes it with
/// [`MetaModel::complete_work`](super::MetaModel::complete_work).
pub fn map_series_kept(
    panel: &Panel,
    plan: &Plan,
    index: &KeptIndex,
    progress: &dyn Progress,
) -> Result<Vec<SeriesWork>> {
    if plan.earlier && !index.earlier {
        return map_series(panel, plan, progress);
    }
    let known: Vec<Option<Known<'_>>> = panel
        .series
        .par_iter()
        .map(|s| {
            let entry = index.series.get(&s.id);
            entry
                .filter(|(digest, _)| *digest == series_digest(&s.id, &s.values))
                .map(|(digest, eligible)| Known::Elsewhere {
                    eligible: *eligible,
                    digest,
                })
        })
        .collect();
    map_series_reusing(panel, plan, Some(&known), progress)
}
