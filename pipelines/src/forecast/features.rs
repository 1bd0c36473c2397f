//! FFORMA's features of every series of a panel, as a table: what the meta-learner reads,
//! for users who want to look at their series (or feed their own models) with it.

use std::path::Path;

use metablend_core::Progress;
use metablend_ensemble::features::{extract, min_length, FEATURE_NAMES};
use metablend_ensemble::panel::Panel;
use rayon::prelude::*;
use serde::Serialize;

use crate::threads::on_all_cores;
use crate::{Error, Result};

/// One row per series: its id and the features (`None`: too short for them, or they could
/// not be computed).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureTable {
    /// The seasonal period the seasonal features used.
    pub season: usize,
    /// The feature names (tsfeatures' names, FFORMA's order).
    pub names: Vec<&'static str>,
    /// `(series id, features)` in panel order.
    pub rows: Vec<(String, Option<Vec<f64>>)>,
}

/// The features of every series of `panel` with seasonal period `season` (default: the
/// first the stamps imply, else 1), computed on every core.
pub fn panel_features(
    panel: &Panel,
    season: Option<usize>,
    progress: &dyn Progress,
) -> Result<FeatureTable> {
    let m = season
        .or_else(|| panel.seasons().first().copied())
        .unwrap_or(1);
    if m == 0 {
        return Err(Error::Settings("season: at least 1".into()));
    }
    progress.start("features", panel.series.len() as u64);
    let rows = on_all_cores(|| {
        panel
            .series
            .par_iter()
            .with_max_len(1)
            .map(|s| {
                if progress.stop_requested() {
                    return Err(Error::Interrupted("during the features".into()));
                }
                let values = (s.values.len() >= min_length(m))
                    .then(|| extract(&s.values, m).ok().map(|f| f.values))
                    .flatten();
                progress.advance(1);
                Ok((s.id.clone(), values))
            })
            .collect::<Result<Vec<_>>>()
    })??;
    Ok(FeatureTable {
        season: m,
        names: FEATURE_NAMES.to_vec(),
        rows,
    })
}

impl FeatureTable {
    /// Writes `unique_id,<feature>...` atomically; a series without features has empty
    /// cells, and so has a feature that does not apply (NaN).
    pub fn write_csv(&self, path: &Path) -> Result<()> {
        metablend_core::fs::write_file(path, |w| {
            let mut out = csv::Writer::from_writer(w);
            let mut header = vec!["unique_id"];
            header.extend(&self.names);
            out.write_record(&header)?;
            for (id, values) in &self.rows {
                let mut record = vec![id.clone()];
                match values {
                    Some(v) => record.extend(v.iter().map(|x| {
                        if x.is_finite() {
                            x.to_string()
                        } else {
                            String::new()
                        }
                    })),
                    None => record.extend(std::iter::repeat_n(String::new(), self.names.len())),
                }
                out.write_record(&record)?;
            }
            out.flush()
        })?;
        Ok(())
    }
}
