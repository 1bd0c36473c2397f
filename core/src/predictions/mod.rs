//! `Predictions`: a target series and K models' one-step forecasts of it, and panels of them.

mod csv;
mod panel;

pub use panel::PredictionsPanel;

use crate::{Error, Result};

/// `target[t]` and `pred[t][k]` for `t in 0..T`, `k in 0..K`, with model names and optional
/// timestamps and series id.
///
/// Invariant the producer must keep (the ensemble crate's walk-forward backtest does):
/// `pred[t][k]` was made by model `k` from `target[..t]` only. Construction checks shapes,
/// `K >= 2`, and that every value is finite.
#[derive(Debug, Clone, PartialEq)]
pub struct Predictions {
    id: Option<String>,
    model_names: Vec<String>,
    timestamps: Option<Vec<String>>,
    target: Vec<f64>,
    /// Row-major `T x K`.
    preds: Vec<f64>,
}

impl Predictions {
    /// Builds a table from `preds[t][k]`.
    pub fn new(target: Vec<f64>, preds: Vec<Vec<f64>>, model_names: Vec<String>) -> Result<Self> {
        let k = model_names.len();
        if preds.len() != target.len() {
            return Err(Error::InvalidData(format!(
                "target has {} rows but preds has {}",
                target.len(),
                preds.len()
            )));
        }
        if let Some(t) = preds.iter().position(|row| row.len() != k) {
            return Err(Error::InvalidData(format!(
                "preds row {t} has {} values, expected {k} (one per model)",
                preds[t].len()
            )));
        }
        Self::from_flat(target, preds.concat(), model_names)
    }

    /// Builds a table from a row-major `T x K` buffer.
    pub fn from_flat(target: Vec<f64>, preds: Vec<f64>, model_names: Vec<String>) -> Result<Self> {
        let k = model_names.len();
        if k < 2 {
            return Err(Error::InvalidData(format!(
                "need at least 2 models to combine, got {k}"
            )));
        }
        if target.is_empty() {
            return Err(Error::InvalidData("the target series is empty".into()));
        }
        if preds.len() != target.len() * k {
            return Err(Error::InvalidData(format!(
                "preds has {} values, expected {} rows x {k} models",
                preds.len(),
                target.len()
            )));
        }
        let mut seen = std::collections::HashSet::new();
        for name in &model_names {
            if name.is_empty() || !seen.insert(name.as_str()) {
                return Err(Error::InvalidData(format!(
                    "model names must be non-empty and unique, got {model_names:?}"
                )));
            }
        }
        if let Some(t) = target.iter().position(|v| !v.is_finite()) {
            return Err(Error::InvalidData(format!("target[{t}] is {}", target[t])));
        }
        if let Some(i) = preds.iter().position(|v| !v.is_finite()) {
            return Err(Error::InvalidData(format!(
                "pred[{}][{}] (model '{}') is {}",
                i / k,
                i % k,
                model_names[i % k],
                preds[i]
            )));
        }
        Ok(Self {
            id: None,
            model_names,
            timestamps: None,
            target,
            preds,
        })
    }

    /// Attaches one timestamp (any text, e.g. an ISO date) per row.
    pub fn with_timestamps(mut self, timestamps: Vec<String>) -> Result<Self> {
        if timestamps.len() != self.target.len() {
            return Err(Error::InvalidData(format!(
                "{} timestamps for {} rows",
                timestamps.len(),
                self.target.len()
            )));
        }
        self.timestamps = Some(timestamps);
        Ok(self)
    }

    /// Attaches a series id (used in panels and messages).
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// The series id, if any.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// Number of rows `T`.
    pub fn len(&self) -> usize {
        self.target.len()
    }

    /// Always false: construction rejects empty tables.
    pub fn is_empty(&self) -> bool {
        self.target.is_empty()
    }

    /// Number of models `K`.
    pub fn num_models(&self) -> usize {
        self.model_names.len()
    }

    /// Model names.
    pub fn model_names(&self) -> &[String] {
        &self.model_names
    }

    /// The target series.
    pub fn target(&self) -> &[f64] {
        &self.target
    }

    /// The K predictions for row `t`. Panics if `t >= len()` (a programmer error).
    pub fn pred(&self, t: usize) -> &[f64] {
        let k = self.model_names.len();
        &self.preds[t * k..(t + 1) * k]
    }

    /// All predictions, row-major `T x K`.
    pub fn preds_flat(&self) -> &[f64] {
        &self.preds
    }

    /// Model `k`'s predictions over all rows.
    pub fn model_column(&self, k: usize) -> Vec<f64> {
        self.preds
            .chunks_exact(self.model_names.len())
            .map(|row| row[k])
            .collect()
    }

    /// Timestamps, if attached.
    pub fn timestamps(&self) -> Option<&[String]> {
        self.timestamps.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PredictionsPanel;

    fn table() -> Predictions {
        Predictions::new(
            vec![1.0, 2.5, 3.0],
            vec![vec![1.0, 0.1], vec![2.0, 1e-300], vec![3.25, -7.0]],
            vec!["a".into(), "b".into()],
        )
        .unwrap()
    }

    #[test]
    fn csv_round_trip_is_exact() {
        let p = table()
            .with_timestamps(vec!["d1".into(), "d2".into(), "d3".into()])
            .unwrap();
        let mut buf = Vec::new();
        p.to_csv_writer(&mut buf).unwrap();
        let back = Predictions::from_csv_reader(&buf[..], "mem").unwrap();
        assert_eq!(back, p);
        // Names and stamps with commas or quotes (`arima(1,1,1)`) are quoted and come back.
        let tricky = Predictions::new(
            vec![1.0, 2.0],
            vec![vec![1.0, 2.0], vec![3.0, 4.0]],
            vec!["arima(1,1,1)".into(), "say \"hi\"".into()],
        )
        .unwrap()
        .with_timestamps(vec!["2020-01-01, mon".into(), "d2".into()])
        .unwrap();
        let mut buf = Vec::new();
        tricky.to_csv_writer(&mut buf).unwrap();
        assert_eq!(
            Predictions::from_csv_reader(&buf[..], "mem").unwrap(),
            tricky
        );
    }

    #[test]
    fn panel_round_trip_and_contiguity() {
        let panel =
            PredictionsPanel::new(vec![table().with_id("x"), table().with_id("y")]).unwrap();
        let dir = std::env::temp_dir().join(format!("mb-panel-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("p.csv");
        panel.write_csv(&path).unwrap();
        assert_eq!(PredictionsPanel::read_csv(&path).unwrap(), panel);
        let bad = "series,target,a,b\nx,1,1,1\ny,1,1,1\nx,2,2,2\n";
        let err = PredictionsPanel::from_csv_reader(bad.as_bytes(), "bad.csv").unwrap_err();
        assert!(err.to_string().contains("line 4"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn csv_errors_name_line_and_column() {
        let cases = [
            ("target,a,b\n1,2,3\n4,x,6\n", "line 3, column 'a'"),
            ("target,a,b\n1,2,3\n4,,6\n", "empty cell"),
            ("target,a,b\n1,2,3\n4,5\n", "line 3"),
            ("target,a,b\n1,NaN,3\n", "not finite"),
            ("value,a,b\n1,2,3\n", "'target'"),
            ("target,a\n1,2\n", "at least 2 models"),
            ("target,a,b\n", "no data rows"),
        ];
        for (text, want) in cases {
            let err = Predictions::from_csv_reader(text.as_bytes(), "f.csv").unwrap_err();
            let msg = err.to_string();
            assert!(
                msg.contains(want) && msg.contains("f.csv"),
                "{msg} should contain {want}"
            );
        }
    }

    #[test]
    fn construction_rejects_bad_shapes_and_values() {
        let names = || vec!["a".to_string(), "b".to_string()];
        assert!(Predictions::new(vec![1.0], vec![vec![1.0]], names()).is_err());
        assert!(Predictions::new(vec![1.0, 2.0], vec![vec![1.0, 2.0]], names()).is_err());
        let e = Predictions::new(vec![1.0], vec![vec![1.0, f64::NAN]], names()).unwrap_err();
        assert!(e.to_string().contains("pred[0][1]"), "{e}");
        assert!(Predictions::new(vec![f64::INFINITY], vec![vec![1.0, 1.0]], names()).is_err());
        assert!(Predictions::new(
            vec![1.0],
            vec![vec![1.0, 1.0]],
            vec!["a".into(), "a".into()]
        )
        .is_err());
    }
}
