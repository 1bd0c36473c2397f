//! The main job: on the vendored S&P 500 closes and Taylor's electricity demand it
//! backtests the base models, trains PPO (several seeds) on the training range, selects the
//! seed on validation, evaluates on the test range against every combiner, and fills one
//! report folder.

use std::path::Path;
use std::time::Instant;

use metablend_core::fs::write_text;
use metablend_core::Progress;
use metablend_ensemble::{read_series_from, ModelSpec, SeriesCsvOptions, WalkForward, Window};
use metablend_env::ensemble::ContextFeatures;
use serde::Serialize;

use crate::charts::Charts;
use crate::single::{
    evaluate, train, verdicts_markdown, Evaluation, TrainRun, TrainSettings, POLICY,
};
use crate::threads::on_all_cores;
use crate::{Error, Result};

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
    /// The policy's context features (none for series without a cycle).
    context: ContextFeatures,
}

/// Taylor's policy sees each model's errors at the same half-hour of the previous five days.
/// Chosen on the validation rows among phase features (48 and 336 rows), same-phase errors
/// (periods 48 and 336; 3, 5, 7 and 14 cycles), the models' disagreement and PPO settings
/// (see docs/results.md); the test rows played no part.
fn taylor_context() -> ContextFeatures {
    ContextFeatures {
        same_phase_period: Some(48),
        same_phase_cycles: 5,
        ..ContextFeatures::default()
    }
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
                context: ContextFeatures::default(),
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
                context: taylor_context(),
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
            context: ContextFeatures::default(),
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
            context: taylor_context(),
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
#[derive(Debug, Clone)]
pub struct MainJob {
    /// Smoke-test sizes (CI).
    pub quick: bool,
    /// PPO seeds.
    pub seeds: Vec<u64>,
}

fn settings(d: &Dataset, quick: bool, seed: u64) -> TrainSettings {
    let mut s = TrainSettings::default();
    s.ppo.seed = seed;
    s.env.context = d.context.clone();
    if quick {
        s.total_timesteps = 2048;
        s.eval_every = 1;
    } else {
        s.total_timesteps = 60_000;
    }
    s
}

/// Where the main job reports and draws.
pub struct JobIo<'a> {
    /// Progress and interruption.
    pub progress: &'a dyn Progress,
    /// The charts' renderer.
    pub charts: &'a dyn Charts,
}

fn run_dataset(d: &Dataset, job: &MainJob, dir: &Path, io: &JobIo<'_>) -> Result<DatasetResult> {
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
    io.progress.start(
        &format!("{}: backtest", d.name),
        (wf.models.len() * d.origins) as u64,
    );
    // The models run in parallel on every core (candle itself stays single-threaded).
    let output = on_all_cores(|| wf.run(&series, io.progress))??;
    if io.progress.stop_requested() {
        return Err(Error::Interrupted(format!(
            "{}: during the backtest",
            d.name
        )));
    }
    let preds = output.predictions;
    let preds_path = dir.join("predictions.csv");
    preds.write_csv(&preds_path)?;
    let backtest_seconds = started.elapsed().as_secs_f64();
    let mut seeds = Vec::new();
    let mut train_seconds = 0.0;
    let mut best: Option<(f64, u64, Evaluation)> = None;
    for &seed in &job.seeds {
        let run_dir = dir.join(format!("run_seed{seed}"));
        let source = preds_path.display().to_string();
        let run = TrainRun {
            preds: &preds,
            source: &source,
            settings: &settings(d, job.quick, seed),
            run_dir: &run_dir,
            resume: false,
        };
        let outcome = train(&run, io.progress, io.charts)?;
        if outcome.interrupted {
            return Err(Error::Interrupted(format!(
                "{}: while training seed {seed}",
                d.name
            )));
        }
        train_seconds += outcome.seconds;
        let val = outcome.best_mse();
        let eval = evaluate(&run_dir, &preds, None, d.period)?;
        eval.write_folder(&run_dir.join("report"), &preds, io.charts)?;
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
    let (_, chosen_seed, evaluation) =
        best.ok_or_else(|| Error::Settings("the main job needs at least one seed".into()))?;
    // The chosen seed's report becomes the data set's.
    evaluation.write_into(dir, &preds, io.charts)?;
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

/// The job's summary as Markdown.
pub fn summary_markdown(results: &[DatasetResult], job: &MainJob, seconds: f64) -> String {
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

/// Runs the main job into the (empty) folder `dir`: per data set its predictions, each
/// seed's run folder and report, and the chosen seed's report; then `report.md` and
/// `summary.json`. Call it inside [`metablend_core::fs::write_output_folder`] so that the
/// report folder is replaced only by a complete one.
pub fn run(job: &MainJob, dir: &Path, io: &JobIo<'_>) -> Result<Vec<DatasetResult>> {
    let started = Instant::now();
    if job.seeds.is_empty() {
        return Err(Error::Settings(
            "the main job needs at least one seed".into(),
        ));
    }
    let mut results = Vec::new();
    for d in datasets(job.quick) {
        let sub = dir.join(d.name);
        std::fs::create_dir_all(&sub).map_err(|e| metablend_core::Error::io(&sub, e))?;
        results.push(run_dataset(&d, job, &sub, io)?);
    }
    let seconds = started.elapsed().as_secs_f64();
    write_text(
        &dir.join("report.md"),
        &summary_markdown(&results, job, seconds),
    )?;
    write_text(
        &dir.join("summary.json"),
        &serde_json::to_string_pretty(&results).expect("serialisable"),
    )?;
    Ok(results)
}
