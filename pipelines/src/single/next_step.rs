//! Online use of a trained run: the policy's weights and combined forecast for the latest
//! row of a predictions table — typically a row whose target is not observed yet, the
//! models' forecasts of the next value.

use std::path::Path;

use metablend_agents::action_maps::{with_action_map, ActionMapJob};
use metablend_agents::ope::Perturbable;
use metablend_core::Predictions;
use metablend_ensemble::combine::run_combiner;
use metablend_env::ensemble::ActionMap;
use serde::Serialize;

use super::evaluate::{check_models, policy_combiner, read_run};
use super::settings::TrainSettings;
use crate::{Error, Result};

/// The combination of one row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NextStep {
    /// The row's index in the table.
    pub row: usize,
    /// Its time stamp, when the table has them.
    pub timestamp: Option<String>,
    /// The combined forecast: the weights applied to the row's model forecasts.
    pub forecast: f64,
    /// Each model's name, forecast and weight.
    pub models: Vec<ModelWeight>,
}

/// One model's part in a [`NextStep`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelWeight {
    /// The model.
    pub model: String,
    /// Its forecast for the row.
    pub forecast: f64,
    /// Its weight.
    pub weight: f64,
}

/// The run's best policy's weights for the last row of `preds` (same models as the run).
/// The policy steps through the rows from the run's recorded test start (or the first row
/// its observation window allows) to the last, as in evaluation; the last row's target is
/// never read, so it may be a placeholder (see `Predictions::read_csv_open_end`).
pub fn next_step(run_dir: &Path, preds: &Predictions) -> Result<NextStep> {
    let (settings, info) = read_run(run_dir)?;
    check_models(preds, &info)?;
    let last = preds.len() - 1;
    let first_possible = settings.env.window + 2;
    if last < first_possible {
        return Err(Error::Settings(format!(
            "the table has {} rows; the policy's observation window needs at least {}",
            preds.len(),
            first_possible + 1
        )));
    }
    let start = info.ranges.test.start.clamp(first_possible, last);
    let weights = with_action_map(
        settings.env.action_map,
        Job {
            preds,
            settings: &settings,
            run_dir,
            start,
        },
    )?;
    let models = preds
        .model_names()
        .iter()
        .zip(preds.pred(last))
        .zip(&weights)
        .map(|((model, &forecast), &weight)| ModelWeight {
            model: model.clone(),
            forecast,
            weight,
        })
        .collect::<Vec<_>>();
    Ok(NextStep {
        row: last,
        timestamp: preds.timestamps().map(|t| t[last].clone()),
        forecast: models.iter().map(|m| m.weight * m.forecast).sum(),
        models,
    })
}

struct Job<'a> {
    preds: &'a Predictions,
    settings: &'a TrainSettings,
    run_dir: &'a Path,
    start: usize,
}

impl ActionMapJob for Job<'_> {
    type Output = Result<Vec<f64>>;
    fn run<M>(self, map: M) -> Result<Vec<f64>>
    where
        M: ActionMap,
        M::Space: Perturbable,
    {
        let preds = self.preds;
        let mut combiner = policy_combiner(preds, self.settings, self.run_dir, map)?;
        let run = run_combiner(&mut combiner, preds, 0..self.start, self.start..preds.len())?;
        Ok(run
            .weights
            .last()
            .cloned()
            .expect("at least one row combined"))
    }
}
