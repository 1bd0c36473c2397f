//! Static combiners: equal weights, the median, one fixed model, and the best single model
//! on the training range.

use std::ops::Range;

use super::{model_sq_errors, Combiner};
use crate::{Error, Result};
use metablend_env::Predictions;

/// 1/K each.
#[derive(Debug, Clone, Copy, Default)]
pub struct EqualWeights;

impl Combiner for EqualWeights {
    fn name(&self) -> &str {
        "equal"
    }
    fn weights(&mut self, preds: &Predictions, _t: usize) -> Result<Vec<f64>> {
        let k = preds.num_models();
        Ok(vec![1.0 / k as f64; k])
    }
}

/// The median of the K forecasts at t (as weights: the middle model, or the middle two at
/// 1/2 each for even K).
#[derive(Debug, Clone, Copy, Default)]
pub struct Median;

impl Combiner for Median {
    fn name(&self) -> &str {
        "median"
    }
    fn weights(&mut self, preds: &Predictions, t: usize) -> Result<Vec<f64>> {
        let row = preds.pred(t);
        let k = row.len();
        let mut order: Vec<usize> = (0..k).collect();
        order.sort_by(|&a, &b| row[a].total_cmp(&row[b]));
        let mut w = vec![0.0; k];
        if k % 2 == 1 {
            w[order[k / 2]] = 1.0;
        } else {
            w[order[k / 2 - 1]] = 0.5;
            w[order[k / 2]] = 0.5;
        }
        Ok(w)
    }
}

/// Always model `index` (how reports show each base model).
#[derive(Debug, Clone)]
pub struct Single {
    index: usize,
    name: String,
}

impl Single {
    /// Model `index` of the table, labelled with its name.
    pub fn new(preds: &Predictions, index: usize) -> Result<Self> {
        let name = preds.model_names().get(index).ok_or_else(|| {
            Error::InvalidInput(format!("model index {index} out of {}", preds.num_models()))
        })?;
        Ok(Self {
            index,
            name: format!("model:{name}"),
        })
    }
}

impl Combiner for Single {
    fn name(&self) -> &str {
        &self.name
    }
    fn weights(&mut self, preds: &Predictions, _t: usize) -> Result<Vec<f64>> {
        let mut w = vec![0.0; preds.num_models()];
        w[self.index] = 1.0;
        Ok(w)
    }
}

/// The model with the lowest MSE on the training range.
#[derive(Debug, Clone, Default)]
pub struct BestSingle {
    chosen: Option<usize>,
}

impl BestSingle {
    /// The chosen model's index, after `fit`.
    pub fn chosen(&self) -> Option<usize> {
        self.chosen
    }
}

impl Combiner for BestSingle {
    fn name(&self) -> &str {
        "best_single"
    }
    fn fit(&mut self, preds: &Predictions, train: Range<usize>) -> Result<()> {
        if train.is_empty() {
            return Err(Error::InvalidInput(
                "best_single needs a non-empty training range".into(),
            ));
        }
        let mut sse = vec![0.0; preds.num_models()];
        for s in train {
            for (acc, e) in sse.iter_mut().zip(model_sq_errors(preds, s)) {
                *acc += e;
            }
        }
        self.chosen = (0..sse.len()).min_by(|&a, &b| sse[a].total_cmp(&sse[b]));
        Ok(())
    }
    fn weights(&mut self, preds: &Predictions, _t: usize) -> Result<Vec<f64>> {
        let k = self
            .chosen
            .ok_or_else(|| Error::InvalidInput("best_single: call fit first".into()))?;
        let mut w = vec![0.0; preds.num_models()];
        w[k] = 1.0;
        Ok(w)
    }
}
