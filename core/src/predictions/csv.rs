//! The predictions CSV format: `[time,]target,<model>,<model>...`, and for panels a leading
//! `series` column with each series' rows contiguous. The time column may be named
//! `timestamp`, `date`, `ds`, `t` or `time`; values print as the shortest text that parses
//! back to the same number, so a round trip is exact.

use std::io::{Read, Write};
use std::path::Path;

use super::{Predictions, PredictionsPanel};
use crate::{Error, Result};

/// Names a time column may have.
const TIME_COLUMNS: [&str; 5] = ["timestamp", "date", "ds", "t", "time"];

impl Predictions {
    /// Reads a CSV file: header `[timestamp|date,]target,<model>,<model>...`.
    pub fn read_csv(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let file = open(path)?;
        Self::from_csv_reader(file, &path.display().to_string())
    }

    /// Parses CSV from any reader; `source_name` is used in error messages.
    pub fn from_csv_reader<R: Read>(reader: R, source_name: &str) -> Result<Self> {
        let (mut panel, _) = PredictionsPanel::parse(reader, source_name, false, false)?;
        Ok(panel.series.remove(0))
    }

    /// Reads a CSV file whose last row may leave its target empty: the models' forecasts of
    /// a value not yet observed (the row to combine next). Returns the table and whether
    /// its last row is such an open row; the open row's target cell holds its first
    /// model's forecast, a placeholder that nothing may read (a combiner's weights for row
    /// t use the targets before t only). An empty target on any other row is an error.
    pub fn read_csv_open_end(path: impl AsRef<Path>) -> Result<(Self, bool)> {
        let path = path.as_ref();
        let (mut panel, open) =
            PredictionsPanel::parse(open(path)?, &path.display().to_string(), false, true)?;
        Ok((panel.series.remove(0), open))
    }

    /// Writes the table as CSV (atomically).
    pub fn write_csv(&self, path: impl AsRef<Path>) -> Result<()> {
        crate::fs::write_file(path.as_ref(), |w| self.write_rows(w, true, None))
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

impl PredictionsPanel {
    /// Reads a panel CSV: header `series,[timestamp,]target,<models>...`, rows of one series
    /// contiguous.
    pub fn read_csv(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        Ok(Self::parse(open(path)?, &path.display().to_string(), true, false)?.0)
    }

    /// Parses a panel CSV from any reader.
    pub fn from_csv_reader<R: Read>(reader: R, source_name: &str) -> Result<Self> {
        Ok(Self::parse(reader, source_name, true, false)?.0)
    }

    /// Writes the panel as CSV (atomically).
    pub fn write_csv(&self, path: impl AsRef<Path>) -> Result<()> {
        crate::fs::write_file(path.as_ref(), |w| {
            for (i, s) in self.series.iter().enumerate() {
                let id = s.id.clone().unwrap_or_else(|| format!("s{i}"));
                s.write_rows(w, i == 0, Some(&id))?;
            }
            Ok(())
        })
    }

    /// Parses a table (`panel`: with a `series` column); with `open_end`, the last row's
    /// target may be empty (see [`Predictions::read_csv_open_end`]), and the flag says
    /// whether it was.
    fn parse<R: Read>(
        reader: R,
        source_name: &str,
        panel: bool,
        open_end: bool,
    ) -> Result<(Self, bool)> {
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
        let has_ts = cols
            .get(idx)
            .is_some_and(|c| TIME_COLUMNS.contains(&c.as_str()));
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
        // The line of a row whose target was empty (allowed on the last row only).
        let mut open_line: Option<u64> = None;
        let finish = |b: Building, names: &[String]| -> Result<Predictions> {
            let mut p = Predictions::from_flat(b.target, b.preds, names.to_vec())
                .map_err(|e| csv_err(b.first_line, "-", format!("series '{}': {e}", b.id)))?;
            if has_ts {
                check_time_order(&b.ts).map_err(|(row, m)| {
                    let m = if panel {
                        format!("series '{}': {m}", b.id)
                    } else {
                        m
                    };
                    csv_err(b.first_line + row as u64, &cols[idx - 1], m)
                })?;
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
            if let Some(open) = open_line {
                return Err(csv_err(
                    open,
                    "target",
                    "empty cell (only the last row may leave its target empty)".into(),
                ));
            }
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
                if c == idx && open_end && field.trim().is_empty() && record.len() > idx + 1 {
                    // Filled with the first model's forecast once that is read.
                    open_line = Some(line);
                    b.target.push(f64::NAN);
                    continue;
                }
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
            Some(mut b) => {
                if open_line.is_some() {
                    let k = model_names.len();
                    let last = b.target.len() - 1;
                    b.target[last] = b.preds[last * k];
                }
                done.push(finish(b, &model_names)?)
            }
            None => return Err(csv_err(1, "-", "no data rows".into())),
        }
        Ok((Self::new(done)?, open_line.is_some()))
    }
}

fn open(path: &Path) -> Result<Box<dyn Read>> {
    crate::fs::open_maybe_gzip(path).map_err(|e| Error::io(path, e))
}

/// Checks that timestamps increase, where their order is known: all numbers, or all ISO 8601
/// dates and times of one length (`2024-01-31`, `2024-01-31 13:00`), which sort as text.
fn check_time_order(stamps: &[String]) -> std::result::Result<(), (usize, String)> {
    let numbers: Option<Vec<f64>> = stamps.iter().map(|s| s.parse().ok()).collect();
    let iso = |s: &String| {
        let b = s.as_bytes();
        b.len() >= 10 && b[4] == b'-' && b[7] == b'-' && b[..4].iter().all(u8::is_ascii_digit)
    };
    let ordered_text = stamps.iter().all(iso) && stamps.iter().all(|s| s.len() == stamps[0].len());
    for i in 1..stamps.len() {
        let increasing = match &numbers {
            Some(n) => n[i] > n[i - 1],
            None if ordered_text => stamps[i] > stamps[i - 1],
            None => return Ok(()),
        };
        if !increasing {
            return Err((
                i,
                format!(
                    "time `{}` does not come after `{}` (rows must be in time order, without \
                     duplicates)",
                    stamps[i],
                    stamps[i - 1]
                ),
            ));
        }
    }
    Ok(())
}
