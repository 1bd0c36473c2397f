//! Panels: many series predicted by the same K models.

use super::Predictions;
use crate::{Error, Result};

/// Many series predicted by the same K models (e.g. the 414 M4 Hourly series).
#[derive(Debug, Clone, PartialEq)]
pub struct PredictionsPanel {
    pub(super) series: Vec<Predictions>,
}

impl PredictionsPanel {
    /// Builds a panel; every table must have the same model names, in the same order.
    pub fn new(series: Vec<Predictions>) -> Result<Self> {
        let first = series
            .first()
            .ok_or_else(|| Error::InvalidData("a panel needs at least one series".into()))?;
        for (i, s) in series.iter().enumerate() {
            if s.model_names != first.model_names {
                return Err(Error::InvalidData(format!(
                    "series {i} ({}) has models {:?}, series 0 has {:?}",
                    s.id().unwrap_or("unnamed"),
                    s.model_names,
                    first.model_names
                )));
            }
        }
        Ok(Self { series })
    }

    /// The series.
    pub fn series(&self) -> &[Predictions] {
        &self.series
    }

    /// Number of series.
    pub fn len(&self) -> usize {
        self.series.len()
    }

    /// Always false: construction rejects empty panels.
    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }

    /// Shared model names.
    pub fn model_names(&self) -> &[String] {
        self.series[0].model_names()
    }
}
