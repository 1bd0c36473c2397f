//! Panels of many series from a user's files: statsforecast's long format
//! (`unique_id,ds,y`, `ds` an integer, date or date-time), the project's `series,t,value`,
//! and the official M4 wide files (`V1` id column, then the values). The frequency and the
//! seasonal periods are inferred from the stamps, and every series can be continued into
//! the future in its own stamps. Bad rows are errors naming the series and the line, unless
//! a fill policy says what to do with missing values.

mod read;
mod time;

pub use read::{read_m4_wide, read_panel_file, read_panel_from, read_panel_with_values};
pub use time::{infer_frequency, Frequency, Stamp, StampFormat};

use crate::{Error, FillPolicy, Result, Series};

/// One series of a panel.
#[derive(Debug, Clone, PartialEq)]
pub struct PanelSeries {
    /// The series' id (`unique_id`, `series` or M4's `V1`).
    pub id: String,
    /// The observations, in time order.
    pub values: Vec<f64>,
    /// One stamp per observation, strictly increasing at the panel's frequency.
    pub stamps: Vec<Stamp>,
}

/// A panel of series sharing one stamp format and frequency.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    /// The series, in the order of their first row in the file.
    pub series: Vec<PanelSeries>,
    /// How the stamps are written (future stamps are written the same way).
    pub format: StampFormat,
    /// The step between observations; `None` when no series has two observations.
    pub frequency: Option<Frequency>,
}

/// How to read a panel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PanelOptions {
    /// What to do with a missing value (an empty cell, `NA` or `NaN`); the default is an
    /// error naming the series and the line.
    pub fill: FillPolicy,
}

impl Panel {
    /// The seasonal periods the frequency implies (see [`Frequency::seasons`]).
    pub fn seasons(&self) -> Vec<usize> {
        self.frequency.map_or_else(Vec::new, |f| f.seasons())
    }

    /// The `h` stamps after the last observation of series `index`, written as the input's.
    pub fn future_stamps(&self, index: usize, h: usize) -> Result<Vec<String>> {
        let s = self.series.get(index).ok_or_else(|| {
            Error::InvalidInput(format!(
                "series index {index} out of range ({} series)",
                self.series.len()
            ))
        })?;
        let freq = self.frequency.ok_or_else(|| {
            Error::InvalidInput(
                "the panel's frequency is unknown (no series has two observations)".into(),
            )
        })?;
        let last = *s
            .stamps
            .last()
            .ok_or_else(|| Error::InvalidInput(format!("series {} has no observations", s.id)))?;
        (1..=h as i64)
            .map(|k| {
                freq.advance(last, k)
                    .map(|stamp| stamp.format(self.format))
                    .ok_or_else(|| {
                        Error::InvalidInput(format!(
                            "series {}: step {k} after {} is outside the calendar",
                            s.id,
                            last.format(self.format)
                        ))
                    })
            })
            .collect()
    }

    /// The panel as [`Series`] (stamps as text), for the forecasters and features.
    pub fn to_series(&self) -> Vec<Series> {
        self.series
            .iter()
            .map(|s| Series {
                name: s.id.clone(),
                values: s.values.clone(),
                timestamps: Some(s.stamps.iter().map(|t| t.format(self.format)).collect()),
            })
            .collect()
    }
}
