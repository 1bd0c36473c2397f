//! The FFORMA learner's shrinkage toward the panel's best member, cross-fitted over series:
//! the series with an earlier window are split into [`FOLDS`] folds; for each, a learner
//! with the same settings is trained on the other series, and gives the held-out series
//! weights from their *earlier* window's errors, scored on their validation window — one
//! window's errors predicting the next window, as the fitted learner is used on the future.
//! The amount that scores best on those held-out weights is kept (see
//! `metablend_ensemble::meta::Shrinkage`).

use metablend_ensemble::meta::{choose_shrinkage, Fforma, FformaConfig, Shrinkage};
use metablend_env::contextual::{ContextPanel, ContextTask};

use super::earlier::EarlierWindow;
use super::InputWindow;
use crate::{Error, Result};

/// Folds of the cross-fitting (series `r` of the earlier window's rows is in fold `r mod
/// FOLDS`).
pub(crate) const FOLDS: usize = 5;

/// The shrinkage of a learner trained with `config` on `inputs`' window, chosen on weights
/// for series held out of training.
pub(crate) fn cross_fitted(
    config: &FformaConfig,
    inputs: InputWindow,
    ctx: &ContextPanel,
    earlier: &EarlierWindow,
    naive2: usize,
) -> Result<Shrinkage> {
    let n_rows = earlier.rows.len();
    if n_rows < 2 {
        return Err(Error::Settings(format!(
            "shrinking the FFORMA learner needs at least 2 series long enough for the earlier \
             window (h more values than the pool needs; the amount is chosen on series held \
             out of training), {n_rows} here; turn it off with --fforma-shrink false \
             (Python: fforma_shrink=False)"
        )));
    }
    let observations = earlier.observations(ctx, naive2)?;
    let folds = FOLDS.min(n_rows);
    let mut held_out = vec![Vec::new(); n_rows];
    for fold in 0..folds {
        let test: Vec<usize> = (fold..n_rows).step_by(folds).collect();
        let learner = match inputs {
            InputWindow::Validation => {
                // Every other eligible series trains, with or without an earlier window.
                let held: Vec<usize> = test.iter().map(|&r| earlier.rows[r]).collect();
                let train: Vec<usize> = (0..ctx.tasks().len())
                    .filter(|i| !held.contains(i))
                    .collect();
                if train.is_empty() {
                    continue;
                }
                Fforma::fit(config, ctx, &train)?
            }
            InputWindow::Earlier => {
                let train: Vec<usize> = (0..n_rows).filter(|r| r % folds != fold).collect();
                if train.is_empty() {
                    continue;
                }
                let x: Vec<Vec<f64>> = train.iter().map(|&r| observations[r].clone()).collect();
                let tasks: Vec<usize> = train.iter().map(|&r| earlier.rows[r]).collect();
                Fforma::fit_on_inputs(config, &x, ctx, &tasks)?
            }
        };
        let x: Vec<Vec<f64>> = test.iter().map(|&r| observations[r].clone()).collect();
        for (&r, w) in test.iter().zip(learner.weights_on_inputs(&x)?) {
            held_out[r] = w;
        }
    }
    // A fold whose training side is empty (only with inputs from the validation window,
    // when every series is held out) leaves its rows out of the choice.
    let (rows, weights): (Vec<usize>, Vec<Vec<f64>>) = (0..n_rows)
        .filter(|&r| !held_out[r].is_empty())
        .map(|r| (r, held_out[r].clone()))
        .unzip();
    let tasks: Vec<&ContextTask> = rows
        .iter()
        .map(|&r| &ctx.tasks()[earlier.rows[r]])
        .collect();
    Ok(choose_shrinkage(&tasks, &weights, ctx.model_names())?)
}
