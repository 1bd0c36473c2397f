//! M4's official files through the generic forecasting path: for each frequency whose
//! `<Frequency>-train.csv[.gz]` and `<Frequency>-test.csv[.gz]` are in a folder, the
//! meta-model is fitted on the training series with M4's settings for that frequency
//! (horizon, seasonal period; the `m4-hourly` / `m4-weekly` presets' pools), forecasts the
//! test horizon with intervals, and is scored as M4 scored its entries (sMAPE, MASE, OWA
//! against Naive2, MSIS) beside every rule, every pool model and the published rows. The
//! test values are read only to score ([`holdout`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use metablend_core::fs::{write_output_folder, write_text};
use metablend_core::Progress;
use metablend_ensemble::meta::{published_rows_named, PublishedRow};
use metablend_ensemble::panel::{read_panel_file, Panel, PanelOptions};
use serde::Serialize;

use crate::forecast::{holdout, CvOptions, CvReport, FitSettings, Preset};
use crate::{Error, Result};

/// The organisers' published scores, bundled (used when the folder has no copy).
const PUBLISHED: &str =
    include_str!("../../../data/m4/m4_published_point_forecasts_by_frequency.csv");
/// The published scores' file name.
const PUBLISHED_FILE: &str = "m4_published_point_forecasts_by_frequency.csv";

/// The six M4 frequencies, with M4's horizons and seasonal periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum OfficialFrequency {
    /// h = 6, m = 1.
    Yearly,
    /// h = 8, m = 4.
    Quarterly,
    /// h = 18, m = 12.
    Monthly,
    /// h = 13, m = 1 (M4's rule for weekly data).
    Weekly,
    /// h = 14, m = 1.
    Daily,
    /// h = 48, m = 24.
    Hourly,
}

impl OfficialFrequency {
    /// Every frequency, in M4's order.
    pub const ALL: [Self; 6] = [
        Self::Yearly,
        Self::Quarterly,
        Self::Monthly,
        Self::Weekly,
        Self::Daily,
        Self::Hourly,
    ];

    /// The official files' prefix (`Hourly` in `Hourly-train.csv`).
    pub fn stem(self) -> &'static str {
        match self {
            Self::Yearly => "Yearly",
            Self::Quarterly => "Quarterly",
            Self::Monthly => "Monthly",
            Self::Weekly => "Weekly",
            Self::Daily => "Daily",
            Self::Hourly => "Hourly",
        }
    }

    /// M4's forecast horizon.
    pub fn horizon(self) -> usize {
        match self {
            Self::Yearly => 6,
            Self::Quarterly => 8,
            Self::Monthly => 18,
            Self::Weekly => 13,
            Self::Daily => 14,
            Self::Hourly => 48,
        }
    }

    /// M4's seasonal period (of Naive2, MASE and the seasonality test).
    pub fn period(self) -> usize {
        match self {
            Self::Quarterly => 4,
            Self::Monthly => 12,
            Self::Hourly => 24,
            Self::Yearly | Self::Weekly | Self::Daily => 1,
        }
    }

    /// A small pool at this frequency's period, for smoke runs: naive, seasonal naive,
    /// Naive2, SES and Theta.
    pub fn small_pool(self) -> String {
        let m = self.period();
        format!("naive snaive:{m} naive2:{m} ses theta:{m}")
    }

    /// The fit settings for this frequency: the preset where there is one, else M4's
    /// horizon and period with the default pool; `base` gives the meta-learner, its seed
    /// and any explicit pool.
    pub fn settings(self, base: &FitSettings) -> FitSettings {
        let preset = match self {
            Self::Hourly => Some(Preset::M4Hourly),
            Self::Weekly => Some(Preset::M4Weekly),
            _ => None,
        };
        FitSettings {
            horizon: Some(self.horizon()),
            season: preset.is_none().then_some(self.period()),
            preset,
            ..base.clone()
        }
    }
}

/// What [`run_official`] runs.
#[derive(Debug, Clone)]
pub struct OfficialOptions {
    /// The folder with the official files.
    pub dir: PathBuf,
    /// Only these frequencies (default: every one whose files are in `dir`).
    pub frequencies: Option<Vec<OfficialFrequency>>,
    /// The meta-learner, its seed and any changes to the frequencies' settings.
    pub settings: FitSettings,
    /// Interval levels scored.
    pub levels: Vec<f64>,
    /// Only the first n series of each frequency (quick runs).
    pub series: Option<usize>,
    /// Each frequency's [`OfficialFrequency::small_pool`] (smoke runs).
    pub small_pool: bool,
}

/// One frequency's evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct OfficialResult {
    /// The frequency.
    pub frequency: OfficialFrequency,
    /// Series evaluated.
    pub series: usize,
    /// The fit settings used.
    pub settings: FitSettings,
    /// Every method on the test horizon (one window), best OWA first.
    pub report: CvReport,
    /// The organisers' rows for this frequency, best OWA first.
    pub published: Vec<PublishedRow>,
    /// Wall time of fit, forecasts and scoring.
    pub seconds: f64,
}

/// The official train or test file of `f` in `dir`, gzipped or not.
fn official_file(dir: &Path, f: OfficialFrequency, part: &str) -> Option<PathBuf> {
    [".csv.gz", ".csv"]
        .iter()
        .map(|ext| dir.join(format!("{}-{part}{ext}", f.stem())))
        .find(|p| p.is_file())
}

/// Runs every frequency whose files are present (or those asked for, which must be).
pub fn run_official(
    opts: &OfficialOptions,
    progress: &dyn Progress,
) -> Result<Vec<OfficialResult>> {
    let chosen: Vec<OfficialFrequency> = match &opts.frequencies {
        Some(list) => list.clone(),
        None => OfficialFrequency::ALL
            .into_iter()
            .filter(|&f| official_file(&opts.dir, f, "train").is_some())
            .collect(),
    };
    if chosen.is_empty() {
        return Err(Error::folder(
            &opts.dir,
            "no official M4 files (e.g. Hourly-train.csv.gz and Hourly-test.csv.gz)",
        ));
    }
    let published_text = match std::fs::read_to_string(opts.dir.join(PUBLISHED_FILE)) {
        Ok(text) => text,
        Err(_) => PUBLISHED.to_string(),
    };
    chosen
        .into_iter()
        .map(|f| run_frequency(opts, f, &published_text, progress))
        .collect()
}

fn run_frequency(
    opts: &OfficialOptions,
    f: OfficialFrequency,
    published_text: &str,
    progress: &dyn Progress,
) -> Result<OfficialResult> {
    let started = Instant::now();
    let file = |part: &str| {
        official_file(&opts.dir, f, part).ok_or_else(|| {
            Error::folder(
                &opts.dir,
                format!("no {}-{part}.csv(.gz) for {}", f.stem(), f.stem()),
            )
        })
    };
    let (train_path, test_path) = (file("train")?, file("test")?);
    let mut train = read_panel_file(&train_path, &PanelOptions::default())?;
    if let Some(n) = opts.series {
        train.series.truncate(n);
    }
    let test = read_panel_file(&test_path, &PanelOptions::default())?;
    let actual = held_out(&train, &test, &test_path, f.horizon())?;
    let mut settings = f.settings(&opts.settings);
    if opts.small_pool {
        settings.pool = Some(f.small_pool());
    }
    let cv = CvOptions {
        fit: settings.resolve(&train)?,
        windows: 1,
        levels: opts.levels.clone(),
    };
    let report = holdout(&train, &actual, &cv, progress)?;
    Ok(OfficialResult {
        frequency: f,
        series: train.series.len(),
        settings,
        report,
        published: published_rows_named(published_text, &f.stem().to_ascii_lowercase())?,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Each training series' test values, matched by id; every test series must have the
/// horizon's length.
fn held_out(train: &Panel, test: &Panel, test_path: &Path, h: usize) -> Result<Vec<Vec<f64>>> {
    let by_id: HashMap<&str, &[f64]> = test
        .series
        .iter()
        .map(|s| (s.id.as_str(), s.values.as_slice()))
        .collect();
    train
        .series
        .iter()
        .map(|s| {
            let values = by_id.get(s.id.as_str()).ok_or_else(|| {
                Error::folder(test_path, format!("no test values for series '{}'", s.id))
            })?;
            if values.len() != h {
                return Err(Error::folder(
                    test_path,
                    format!(
                        "series '{}' has {} test values; M4's horizon is {h}",
                        s.id,
                        values.len()
                    ),
                ));
            }
            Ok(values.to_vec())
        })
        .collect()
}

/// The report: per frequency, every method on the test horizon and the published rows.
pub fn official_markdown(results: &[OfficialResult]) -> String {
    let mut md = String::from(
        "# M4 through `fit` / `forecast`\n\nEach frequency's meta-model is fitted on the \
         official training series with M4's horizon and period and scored on the test \
         horizon (read only to score); OWA against Naive2.\n",
    );
    for r in results {
        md += &format!(
            "\n## {} ({} series, h = {}, m = {}; {:.0} s)\n\n",
            r.frequency.stem(),
            r.series,
            r.frequency.horizon(),
            r.frequency.period(),
            r.seconds
        );
        let table = r.report.to_markdown();
        // The table without the rolling-origin header.
        md += table
            .find("| method")
            .map_or(table.as_str(), |i| &table[i..]);
        md += "\nPublished (M4 organisers), best OWA first:\n\n| method | sMAPE | MASE | OWA |\n|---|---|---|---|\n";
        let benchmarks = ["Naive2", "Comb (SES/Holt/Damped)", "Theta"];
        for p in r
            .published
            .iter()
            .enumerate()
            .filter(|(i, p)| *i < 3 || benchmarks.contains(&p.label.as_str()))
            .map(|(_, p)| p)
        {
            md += &format!(
                "| {} | {:.3} | {:.3} | {:.3} |\n",
                p.label, p.smape, p.mase, p.owa
            );
        }
    }
    md
}

/// Writes `report.md` and `report.json` into `out` (replaced only when complete).
pub fn write_official(out: &Path, results: &[OfficialResult]) -> Result<()> {
    write_output_folder(out, "m4", |tmp| -> Result<()> {
        write_text(&tmp.join("report.md"), &official_markdown(results))?;
        write_text(
            &tmp.join("report.json"),
            &serde_json::to_string_pretty(results).expect("serialisable"),
        )?;
        Ok(())
    })
}
