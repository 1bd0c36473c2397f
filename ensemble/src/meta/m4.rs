//! The M4 data: frequencies, loading the vendored panels, the published scores.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::forecast::{GlobalMlpConfig, ModelSpec};
use crate::{read_panel, Error, Result, Series};

/// The M4 frequencies metablend runs the protocol on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum M4Frequency {
    /// 414 series, h = 48, m = 24.
    Hourly,
    /// 359 series, h = 13, m = 1 (as M4's own benchmarks treat weekly data).
    Weekly,
}

impl M4Frequency {
    /// Parses `hourly` / `weekly`.
    pub fn parse(text: &str) -> Result<Self> {
        match text.to_ascii_lowercase().as_str() {
            "hourly" => Ok(Self::Hourly),
            "weekly" => Ok(Self::Weekly),
            other => Err(Error::Config(format!(
                "unknown M4 frequency `{other}` (known: hourly, weekly)"
            ))),
        }
    }

    /// Lower-case name (file prefix and column suffix of the published scores).
    pub fn name(self) -> &'static str {
        match self {
            Self::Hourly => "hourly",
            Self::Weekly => "weekly",
        }
    }

    /// Forecast horizon.
    pub fn horizon(self) -> usize {
        match self {
            Self::Hourly => 48,
            Self::Weekly => 13,
        }
    }

    /// Seasonal period for MASE, Naive2 and the features (M4's: 24 and 1).
    pub fn period(self) -> usize {
        match self {
            Self::Hourly => 24,
            Self::Weekly => 1,
        }
    }

    /// The per-series pool: naive (Naive2 is naive for weekly), seasonal naive (24 and the weekly cycle 168 for hourly;
    /// the yearly cycle 52 for weekly), Naive2, drift, SES / Holt / damped (on the M4-style
    /// seasonally adjusted series for hourly), Theta, auto-ARIMA (adjusted for hourly) and
    /// the per-series MLP. The per-series LSTM is left out by default: at ~1.4 s per fit it
    /// would dominate the run (pass it with `--models` to include it).
    pub fn default_pool(self) -> Vec<ModelSpec> {
        let text = match self {
            Self::Hourly => {
                "naive snaive:24 snaive:168 naive2:24 drift ses:24 holt:24 damped:24 theta:24 \
                 auto_arima:24 mlp"
            }
            Self::Weekly => "snaive:52 naive2:1 drift ses holt damped theta:1 auto_arima mlp",
        };
        ModelSpec::parse_list(text, self.period()).expect("the default pools parse")
    }

    /// The global MLP's settings: one week of hourly input, one year of weekly input.
    pub fn global_config(self) -> GlobalMlpConfig {
        match self {
            Self::Hourly => GlobalMlpConfig {
                input: 168,
                hidden: 256,
                steps: 2500,
                ..GlobalMlpConfig::default()
            },
            Self::Weekly => GlobalMlpConfig {
                input: 52,
                hidden: 128,
                steps: 2500,
                ..GlobalMlpConfig::default()
            },
        }
    }
}

/// Training and test series, paired by name and position.
#[derive(Debug, Clone)]
pub struct M4Panel {
    /// Training series.
    pub train: Vec<Series>,
    /// Test horizons (h values each).
    pub test: Vec<Series>,
}

impl M4Panel {
    /// Reads `{dir}/{frequency}_train.csv.gz` and `_test.csv.gz`; checks the pairing and
    /// the test length.
    pub fn load(dir: &Path, frequency: M4Frequency) -> Result<Self> {
        let name = frequency.name();
        let train = read_panel(dir.join(format!("{name}_train.csv.gz")))?;
        let test = read_panel(dir.join(format!("{name}_test.csv.gz")))?;
        let panel = Self { train, test };
        panel.check(frequency.horizon())?;
        Ok(panel)
    }

    /// Errors unless the series pair up by name, every test series has `h` values and every
    /// training series has more than `2h`.
    pub fn check(&self, h: usize) -> Result<()> {
        if self.train.len() != self.test.len() {
            return Err(Error::InvalidInput(format!(
                "{} training series but {} test series",
                self.train.len(),
                self.test.len()
            )));
        }
        for (i, (tr, te)) in self.train.iter().zip(&self.test).enumerate() {
            if tr.name != te.name {
                return Err(Error::InvalidInput(format!(
                    "series {i}: training {} is paired with test {}",
                    tr.name, te.name
                )));
            }
            if te.values.len() != h {
                return Err(Error::InvalidInput(format!(
                    "series {}: {} test values, expected {h}",
                    te.name,
                    te.values.len()
                )));
            }
            if tr.values.len() <= 2 * h {
                return Err(Error::TooShort {
                    model: format!("M4 protocol (series {})", tr.name),
                    needed: 2 * h + 1,
                    got: tr.values.len(),
                });
            }
        }
        Ok(())
    }

    /// The first `n` series (for quick runs and tests).
    pub fn head(&self, n: usize) -> Self {
        Self {
            train: self.train.iter().take(n).cloned().collect(),
            test: self.test.iter().take(n).cloned().collect(),
        }
    }
}

/// One method's published M4 scores at a frequency.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublishedRow {
    /// Method id in the organisers' table.
    pub id: String,
    /// Method label.
    pub label: String,
    /// Benchmark or submission.
    pub kind: String,
    /// sMAPE.
    pub smape: f64,
    /// MASE.
    pub mase: f64,
    /// OWA.
    pub owa: f64,
}

/// The published rows for a frequency from the organisers' table (CSV with columns
/// `method_id,method_label,type,…,smape_{freq},…,mase_{freq},…,owa_{freq}`), sorted by OWA.
pub fn published_rows(text: &str, frequency: M4Frequency) -> Result<Vec<PublishedRow>> {
    published_rows_named(text, frequency.name())
}

/// [`published_rows`] for the frequency whose columns end in `_{name}` (`yearly`,
/// `quarterly`, `monthly`, `weekly`, `daily`, `hourly`), best OWA first.
pub fn published_rows_named(text: &str, name: &str) -> Result<Vec<PublishedRow>> {
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| Error::InvalidInput(format!("published scores: {e}")))?
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| Error::InvalidInput(format!("published scores: no column `{name}`")))
    };
    let f = name;
    let (id, label, kind) = (col("method_id")?, col("method_label")?, col("type")?);
    let (s, m, o) = (
        col(&format!("smape_{f}"))?,
        col(&format!("mase_{f}"))?,
        col(&format!("owa_{f}"))?,
    );
    let mut rows = Vec::new();
    for (line, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| Error::InvalidInput(format!("published scores: {e}")))?;
        let num = |i: usize| -> Result<f64> {
            rec[i].parse().map_err(|_| {
                Error::InvalidInput(format!(
                    "published scores, line {}: `{}` is not a number",
                    line + 2,
                    &rec[i]
                ))
            })
        };
        rows.push(PublishedRow {
            id: rec[id].to_string(),
            label: rec[label].to_string(),
            kind: rec[kind].to_string(),
            smape: num(s)?,
            mase: num(m)?,
            owa: num(o)?,
        });
    }
    rows.sort_by(|a, b| a.owa.total_cmp(&b.owa));
    Ok(rows)
}
