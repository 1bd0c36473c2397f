//! `Predictions`: a target series and K models' one-step forecasts of it, and panels of them.

use crate::{Error, Result};
use std::io::{Read, Write};
use std::path::Path;

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

    /// Reads a CSV file: header `[timestamp|date,]target,<model>,<model>...`.
    pub fn read_csv(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let file = open(path)?;
        Self::from_csv_reader(file, &path.display().to_string())
    }

    /// Parses CSV from any reader; `source_name` is used in error messages.
    pub fn from_csv_reader<R: Read>(reader: R, source_name: &str) -> Result<Self> {
        let mut panel = PredictionsPanel::parse(reader, source_name, false)?;
        Ok(panel.series.remove(0))
    }

    /// Writes the table as CSV (atomically).
    pub fn write_csv(&self, path: impl AsRef<Path>) -> Result<()> {
        crate::io::atomic_write(path.as_ref(), |w| self.write_rows(w, true, None))
    }

    /// Writes the table as CSV to a writer.
    pub fn to_csv_writer<W: Write>(&self, mut w: W) -> std::io::Result<()> {
        self.write_rows(&mut w, true, None)
    }

    fn write_rows(
        &self,
        w: &mut dyn Write,
        header: bool,
        series: Option<&str>,
    ) -> std::io::Result<()> {
        if header {
            if series.is_some() {
                write!(w, "series,")?;
            }
            if self.timestamps.is_some() {
                write!(w, "timestamp,")?;
            }
            let names: Vec<_> = self.model_names.iter().map(|n| csv_field(n)).collect();
            writeln!(w, "target,{}", names.join(","))?;
        }
        let series = series.map(csv_field);
        for t in 0..self.len() {
            if let Some(s) = &series {
                write!(w, "{s},")?;
            }
            if let Some(ts) = &self.timestamps {
                write!(w, "{},", csv_field(&ts[t]))?;
            }
            // `{}` on f64 prints the shortest text that parses back to the same value.
            write!(w, "{}", self.target[t])?;
            for p in self.pred(t) {
                write!(w, ",{p}")?;
            }
            writeln!(w)?;
        }
        Ok(())
    }
}

/// Quotes a text field when CSV needs it (a comma, a quote or a line break inside, as in a
/// model named `arima(1,1,1)`), doubling inner quotes (RFC 4180).
fn csv_field(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\"")).into()
    } else {
        text.into()
    }
}

/// Many series predicted by the same K models (e.g. the 414 M4 Hourly series).
#[derive(Debug, Clone, PartialEq)]
pub struct PredictionsPanel {
    series: Vec<Predictions>,
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

    /// Reads a panel CSV: header `series,[timestamp,]target,<models>...`, rows of one series
    /// contiguous.
    pub fn read_csv(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        Self::parse(open(path)?, &path.display().to_string(), true)
    }

    /// Parses a panel CSV from any reader.
    pub fn from_csv_reader<R: Read>(reader: R, source_name: &str) -> Result<Self> {
        Self::parse(reader, source_name, true)
    }

    /// Writes the panel as CSV (atomically).
    pub fn write_csv(&self, path: impl AsRef<Path>) -> Result<()> {
        crate::io::atomic_write(path.as_ref(), |w| {
            for (i, s) in self.series.iter().enumerate() {
                let id = s.id.clone().unwrap_or_else(|| format!("s{i}"));
                s.write_rows(w, i == 0, Some(&id))?;
            }
            Ok(())
        })
    }

    fn parse<R: Read>(reader: R, source_name: &str, panel: bool) -> Result<Self> {
        let csv_err = |line: u64, column: &str, message: String| Error::Csv {
            source_name: source_name.to_string(),
            line,
            column: column.to_string(),
            message,
        };
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(reader);
        let headers = rdr
            .headers()
            .map_err(|e| csv_err(1, "-", e.to_string()))?
            .clone();
        let cols: Vec<String> = headers.iter().map(|h| h.trim().to_string()).collect();
        let mut idx = 0;
        if panel {
            if cols.first().map(String::as_str) != Some("series") {
                return Err(csv_err(
                    1,
                    "series",
                    "a panel file must start with a 'series' column".into(),
                ));
            }
            idx += 1;
        }
        let has_ts = matches!(
            cols.get(idx).map(String::as_str),
            Some("timestamp" | "date")
        );
        if has_ts {
            idx += 1;
        }
        if cols.get(idx).map(String::as_str) != Some("target") {
            return Err(csv_err(
                1,
                "target",
                format!(
                    "expected a 'target' column at position {}, header is {cols:?}",
                    idx + 1
                ),
            ));
        }
        let first_model = idx + 1;
        let model_names: Vec<String> = cols[first_model..].to_vec();

        struct Building {
            id: String,
            ts: Vec<String>,
            target: Vec<f64>,
            preds: Vec<f64>,
            first_line: u64,
        }
        let mut done: Vec<Predictions> = Vec::new();
        let mut seen_ids = std::collections::HashSet::new();
        let mut cur: Option<Building> = None;
        let finish = |b: Building, names: &[String]| -> Result<Predictions> {
            let mut p = Predictions::from_flat(b.target, b.preds, names.to_vec())
                .map_err(|e| csv_err(b.first_line, "-", format!("series '{}': {e}", b.id)))?;
            if has_ts {
                p = p.with_timestamps(b.ts)?;
            }
            if panel {
                p = p.with_id(b.id);
            }
            Ok(p)
        };
        for record in rdr.records() {
            let record = record.map_err(|e| {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                csv_err(line, "-", e.to_string())
            })?;
            let line = record.position().map(|p| p.line()).unwrap_or(0);
            if record.len() != cols.len() {
                return Err(csv_err(
                    line,
                    "-",
                    format!("expected {} fields, found {}", cols.len(), record.len()),
                ));
            }
            let id = if panel {
                record[0].trim().to_string()
            } else {
                String::new()
            };
            let starts_new = cur.as_ref().is_none_or(|b| b.id != id);
            if starts_new {
                if !seen_ids.insert(id.clone()) {
                    return Err(csv_err(
                        line,
                        "series",
                        format!("rows of series '{id}' are not contiguous"),
                    ));
                }
                if let Some(b) = cur.take() {
                    done.push(finish(b, &model_names)?);
                }
                cur = Some(Building {
                    id,
                    ts: Vec::new(),
                    target: Vec::new(),
                    preds: Vec::new(),
                    first_line: line,
                });
            }
            let b = cur.as_mut().expect("set above");
            if has_ts {
                b.ts.push(record[idx - 1].trim().to_string());
            }
            for (c, field) in record.iter().enumerate().skip(idx) {
                let v: f64 = field.trim().parse().map_err(|_| {
                    let msg = if field.trim().is_empty() {
                        "empty cell".to_string()
                    } else {
                        format!("'{field}' is not a number")
                    };
                    csv_err(line, &cols[c], msg)
                })?;
                if !v.is_finite() {
                    return Err(csv_err(line, &cols[c], format!("{v} is not finite")));
                }
                if c == idx {
                    b.target.push(v);
                } else {
                    b.preds.push(v);
                }
            }
        }
        match cur {
            Some(b) => done.push(finish(b, &model_names)?),
            None => return Err(csv_err(1, "-", "no data rows".into())),
        }
        Self::new(done)
    }
}

fn open(path: &Path) -> Result<std::fs::File> {
    std::fs::File::open(path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
