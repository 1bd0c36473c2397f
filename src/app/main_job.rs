//! `metablend run`, the main job: on the vendored S&P 500 closes and Taylor's electricity
//! demand it backtests the base models, trains PPO (several seeds) on the training range,
//! selects the seed on validation, evaluates on the test range against every combiner and
//! writes one report folder.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use metablend::ensemble::{read_series_from, ModelSpec, SeriesCsvOptions, WalkForward, Window};
use serde::Serialize;

use super::evaluate::{evaluate, verdicts_markdown, Evaluation, POLICY};
use super::settings::TrainSettings;
use super::train::train;
use super::write_text;

/// One data set of the main job and how it is backtested.
struct Dataset {
    name: &'static str,
    title: &'static str,
    csv: &'static str,
    column: Option<&'static str>,
    log: bool,
    period: usize,
    models: &'static str,
    origins: usize,
    refit_every: usize,
    rolling: usize,
}

const SP500: &str = include_str!("../../data/sp500_close.csv");
const TAYLOR: &str = include_str!("../../data/taylor_halfhourly.csv");

fn datasets(quick: bool) -> Vec<Dataset> {
    if quick {
        return vec![
            Dataset {
                name: "sp500",
                title: "S&P 500 daily log closes (quick)",
                csv: SP500,
                column: Some("close"),
                log: true,
                period: 1,
                models: "naive drift damped theta arima:1,1,1",
                origins: 300,
                refit_every: 50,
                rolling: 500,
            },
            Dataset {
                name: "taylor",
                title: "Taylor's half-hourly electricity demand (quick)",
                csv: TAYLOR,
                column: None,
                log: false,
                period: 48,
                models: "naive snaive:48 snaive:336 theta:48 damped",
                origins: 600,
                refit_every: 336,
                rolling: 2016,
            },
        ];
    }
    vec![
        Dataset {
            name: "sp500",
            title: "S&P 500 daily log closes",
            csv: SP500,
            column: Some("close"),
            log: true,
            period: 1,
            models: "naive drift arima:1,1,1 auto_arima damped theta mlp lstm",
            origins: 1000,
            refit_every: 50,
            rolling: 1000,
        },
        Dataset {
            name: "taylor",
            title: "Taylor's half-hourly electricity demand",
            csv: TAYLOR,
            column: None,
            log: false,
            period: 48,
            models: "naive snaive:48 snaive:336 theta:48 damped auto_arima mlp lstm",
            origins: 2016,
            refit_every: 336,
            rolling: 2016,
        },
    ]
}

/// One data set's outcome.
#[derive(Debug, Serialize)]
pub struct DatasetResult {
    /// Short name (the report subfolder).
    pub name: String,
    /// Description.
    pub title: String,
    /// Validation MSE of each seed's best policy, and its test MSE.
    pub seeds: Vec<SeedResult>,
    /// The seed chosen on validation.
    pub chosen_seed: u64,
    /// The chosen policy's evaluation.
    pub evaluation: Evaluation,
    /// Seconds spent backtesting and training.
    pub backtest_seconds: f64,
    /// Seconds spent training all seeds.
    pub train_seconds: f64,
}

/// One PPO seed.
#[derive(Debug, Serialize)]
pub struct SeedResult {
    /// The seed.
    pub seed: u64,
    /// Its best validation MSE.
    pub validation_mse: f64,
    /// Its test MSE.
    pub test_mse: f64,
}

/// Settings of the main job.
pub struct MainJob {
    /// The report folder (replaced if it exists).
    pub out: PathBuf,
    /// Smoke-test sizes (CI).
    pub quick: bool,
    /// PPO seeds.
    pub seeds: Vec<u64>,
}

fn settings(quick: bool, seed: u64) -> TrainSettings {
    let mut s = TrainSettings::default();
    s.ppo.seed = seed;
    if quick {
        s.total_timesteps = 2048;
        s.eval_every = 1;
    } else {
        s.total_timesteps = 60_000;
    }
    s
}

fn run_dataset(d: &Dataset, job: &MainJob, dir: &Path) -> anyhow::Result<DatasetResult> {
    let started = Instant::now();
    let options = SeriesCsvOptions {
        column: d.column.map(str::to_string),
        ..SeriesCsvOptions::default()
    };
    let mut series = read_series_from(d.csv.as_bytes(), d.name, &options)?;
    if d.log {
        series.values.iter_mut().for_each(|v| *v = v.ln());
    }
    series.name = d.name.to_string();
    let n = series.values.len();
    let wf = WalkForward {
        models: ModelSpec::parse_list(d.models, d.period)?,
        start: n - d.origins,
        end: None,
        refit_every: d.refit_every,
        window: Window::Rolling(d.rolling),
    };
    eprintln!(
        "[{}] backtesting {} models over {} origins",
        d.name,
        wf.models.len(),
        d.origins
    );
    // The models run in parallel on every core (candle itself stays single-threaded).
    let output = super::on_all_cores(|| wf.run(&series, None))??;
    let preds = output.predictions;
    let preds_path = dir.join("predictions.csv");
    preds.write_csv(&preds_path)?;
    let backtest_seconds = started.elapsed().as_secs_f64();
    let mut seeds = Vec::new();
    let mut train_seconds = 0.0;
    let mut best: Option<(f64, u64, Evaluation)> = None;
    for &seed in &job.seeds {
        let run_dir = dir.join(format!("run_seed{seed}"));
        eprintln!("[{}] training PPO, seed {seed}", d.name);
        let outcome = train(
            &preds,
            &preds_path.display().to_string(),
            &settings(job.quick, seed),
            &run_dir,
            false,
            false,
        )?;
        train_seconds += outcome.seconds;
        let val = outcome
            .curve
            .iter()
            .map(|c| c.1)
            .fold(f64::INFINITY, f64::min);
        let eval = evaluate(&run_dir, &preds, None, d.period, &run_dir.join("report"))?;
        let test_mse = eval
            .report
            .methods
            .iter()
            .find(|m| m.name == POLICY)
            .map_or(f64::NAN, |m| m.mse);
        seeds.push(SeedResult {
            seed,
            validation_mse: val,
            test_mse,
        });
        if best.as_ref().is_none_or(|(b, _, _)| val < *b) {
            best = Some((val, seed, eval));
        }
    }
    let (_, chosen_seed, evaluation) = best.context("at least one seed")?;
    // The chosen seed's report, already written by its evaluation, becomes the data set's.
    let chosen_report = dir.join(format!("run_seed{chosen_seed}")).join("report");
    for file in [
        "report.md",
        "report.json",
        "cumulative_loss.png",
        "weights.png",
    ] {
        std::fs::copy(chosen_report.join(file), dir.join(file))
            .with_context(|| format!("copying {file} of seed {chosen_seed}"))?;
    }
    Ok(DatasetResult {
        name: d.name.into(),
        title: d.title.into(),
        seeds,
        chosen_seed,
        evaluation,
        backtest_seconds,
        train_seconds,
    })
}

fn summary_markdown(results: &[DatasetResult], job: &MainJob, seconds: f64) -> String {
    let mut out = format!(
        "# metablend main job{}\n\nBase models backtested walk-forward (one-step forecasts, no look-ahead), PPO trained on the first half of each predictions table with {} seed(s), the seed chosen on the next quarter (validation), everything evaluated on the last quarter (test). Total wall time {seconds:.0} s.\n\n",
        if job.quick { " (quick smoke run)" } else { "" },
        job.seeds.len()
    );
    for r in results {
        out += &format!("## {}\n\n", r.title);
        out += &format!(
            "Backtest {:.0} s, training {:.0} s. Seeds (validation MSE → test MSE): {}; chosen seed {}.\n\n",
            r.backtest_seconds,
            r.train_seconds,
            r.seeds
                .iter()
                .map(|s| format!("{}: {:.4e} → {:.4e}", s.seed, s.validation_mse, s.test_mse))
                .collect::<Vec<_>>()
                .join(", "),
            r.chosen_seed
        );
        out += &r.evaluation.report.to_markdown();
        out += "\n";
        out += &verdicts_markdown(&r.evaluation.verdicts);
        out += &format!(
            "\nPlots: `{0}/cumulative_loss.png`, `{0}/weights.png`, `{0}/run_seed{1}/training_curve.png`.\n\n",
            r.name, r.chosen_seed
        );
    }
    out
}

/// Runs the main job; returns the results (also written to `job.out`).
pub fn run(job: &MainJob) -> anyhow::Result<Vec<DatasetResult>> {
    let started = Instant::now();
    let tmp = job
        .out
        .with_extension(format!("tmp-{}", std::process::id()));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp)?;
    }
    let mut results = Vec::new();
    for d in datasets(job.quick) {
        let dir = tmp.join(d.name);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        results.push(run_dataset(&d, job, &dir)?);
    }
    let seconds = started.elapsed().as_secs_f64();
    write_text(
        &tmp.join("report.md"),
        &summary_markdown(&results, job, seconds),
    )?;
    write_text(
        &tmp.join("summary.json"),
        &serde_json::to_string_pretty(&results)?,
    )?;
    // Replace the previous report only once the new one is complete.
    if job.out.exists() {
        std::fs::remove_dir_all(&job.out)
            .with_context(|| format!("replacing {}", job.out.display()))?;
    }
    std::fs::rename(&tmp, &job.out).with_context(|| format!("writing {}", job.out.display()))?;
    Ok(results)
}
