//! The learned optimizer's protocols: meta-train the learned optimizer on forecasting tasks
//! built from the vendored M4 data (MLPs fitting lag windows of real series) plus
//! quadratics, and evaluate it on held-out series against Adam and SGD with momentum tuned
//! per task family on a 13-point learning-rate grid.
//!
//! Series split: M4 Hourly H1–H150 and Weekly W1–W100 (training parts) are meta-training
//! tasks; H151–H200 tune the baselines' learning rates; H201–H414 (214 series never used
//! before) are the held-out evaluation tasks.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use metablend_agents::metaopt::{
    compare, meta_train, run_baseline, run_learned, tune_learning_rate, Activation, Baseline,
    Comparison, Curve, LearnedOptimizer, MetaCheckpoint, MetaTask, MetaTrainConfig, MetaTrainLog,
    MlpRegression, Quadratic, UpdateNet,
};
use metablend_core::fs::{write_output_folder, write_text};
use metablend_core::{metrics, Progress};
use metablend_ensemble::forecast::{MlpConfig, MlpForecaster, StepOptimizer};
use metablend_ensemble::{read_panel, Forecaster, Series};
use rayon::prelude::*;
use serde::Serialize;

use crate::charts::Charts;
use crate::threads::on_all_cores;
use crate::{Error, Result};

/// Lags of the hourly forecasting tasks (one day).
const HOURLY_LAGS: usize = 24;
/// Lags of the weekly tasks.
const WEEKLY_LAGS: usize = 12;
/// Windows per task (the most recent ones).
const ROWS: usize = 256;

fn load(data: &Path, name: &str) -> Result<Vec<Series>> {
    let path = data.join(name);
    read_panel(&path).map_err(|e| Error::folder(&path, e.to_string()))
}

/// The architectures of the meta-training MLPs, cycled over the series: both activations
/// and widths 8 to 32, so the optimizer does not specialise to one network. The evaluation's
/// ReLU-16 and tanh-64 families stay unseen combinations (and 64 an unseen width).
const TRAINING_NETS: [(usize, Activation); 4] = [
    (16, Activation::Tanh),
    (8, Activation::Relu),
    (32, Activation::Tanh),
    (32, Activation::Relu),
];

/// The meta-training tasks: MLPs on M4 Hourly H1–H150 and Weekly W1–W100, and quadratics.
fn training_tasks(data: &Path) -> Result<Vec<Box<dyn MetaTask>>> {
    let hourly = load(data, "hourly_train.csv.gz")?;
    let weekly = load(data, "weekly_train.csv.gz")?;
    let series = hourly
        .iter()
        .take(150)
        .map(|s| (s, HOURLY_LAGS))
        .chain(weekly.iter().take(100).map(|s| (s, WEEKLY_LAGS)));
    let mut tasks: Vec<Box<dyn MetaTask>> = Vec::new();
    for (i, (s, lags)) in series.enumerate() {
        let (hidden, activation) = TRAINING_NETS[i % TRAINING_NETS.len()];
        tasks.push(Box::new(MlpRegression::from_series(
            &s.name, &s.values, lags, hidden, activation, ROWS,
        )?));
    }
    for seed in 0..50 {
        tasks.push(Box::new(Quadratic::random(10, seed)?));
    }
    Ok(tasks)
}

/// What meta-training runs.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// The M4 data folder.
    pub data: PathBuf,
    /// Run folder (`checkpoint/`, `log.jsonl`, `meta_loss.png`).
    pub out: PathBuf,
    /// Meta-training settings.
    pub config: MetaTrainConfig,
    /// Continue from the run folder's checkpoint.
    pub resume: bool,
}

/// What meta-training did.
#[derive(Debug, Clone, Serialize)]
pub struct TrainSummary {
    /// Iterations run by this invocation.
    pub iterations: usize,
    /// Of them, skipped for NaN losses (φ untouched).
    pub skipped: usize,
    /// Whether the caller asked to stop (the checkpoint holds the last iteration).
    pub interrupted: bool,
    /// Wall time.
    pub seconds: f64,
}

/// Meta-trains into the run folder: a checkpoint every 25 iterations, on interruption and at
/// the end; the log (one line per iteration, cut back to the checkpoint on resume) and the
/// meta-loss chart. A folder that already holds a run needs `resume`.
pub fn train(
    opts: &TrainOptions,
    progress: &dyn Progress,
    charts: &dyn Charts,
) -> Result<TrainSummary> {
    opts.config.validate()?;
    if opts.config.total_iterations() == 0 {
        return Err(Error::Settings(
            "--iterations 0 with --finetune-iterations 0 trains nothing".into(),
        ));
    }
    // ES fine-tuning's runs go to every core (the result does not depend on how many).
    on_all_cores(|| train_on_pool(opts, progress, charts))?
}

fn train_on_pool(
    opts: &TrainOptions,
    progress: &dyn Progress,
    charts: &dyn Charts,
) -> Result<TrainSummary> {
    let checkpoint = opts.out.join("checkpoint");
    let _lock = metablend_core::fs::FolderLock::acquire(&opts.out)?;
    let start = if opts.resume {
        let ck = MetaCheckpoint::load(&checkpoint)?;
        ck.check_resume(&opts.config)?;
        Some((ck.net, ck.adam, ck.iteration))
    } else {
        if checkpoint.exists() || opts.out.join("log.jsonl").exists() {
            return Err(Error::folder(
                &opts.out,
                "already holds a meta-training run; use --resume to continue it or choose another folder",
            ));
        }
        None
    };
    let tasks = training_tasks(&opts.data)?;
    let first = start.as_ref().map_or(0, |s| s.2);
    let log_path = opts.out.join("log.jsonl");
    let mut log = MetaLog::open(&log_path, first)?;
    progress.start("meta-train", opts.config.total_iterations() as u64);
    progress.advance(first as u64);
    let (mut skipped, mut interrupted) = (0, false);
    let started = Instant::now();
    meta_train(
        &opts.config,
        &tasks,
        start,
        |net, adam, record: &MetaTrainLog| {
            log.push(record)
                .map_err(|e| metablend_agents::Error::Callback(e.to_string()))?;
            skipped += usize::from(record.skipped.is_some());
            progress.advance(1);
            interrupted = progress.stop_requested();
            let last = record.iteration + 1 == opts.config.total_iterations();
            if interrupted || last || (record.iteration + 1).is_multiple_of(25) {
                MetaCheckpoint::save(&checkpoint, net, adam, record.iteration + 1, &opts.config)?;
            }
            Ok(!interrupted)
        },
    )?;
    meta_loss_chart(charts, &opts.out.join("meta_loss.png"), &log.records)?;
    let iterations = log.records.len() - log.kept;
    tracing::info!(
        "meta-training: {iterations} iterations in {:.1} s, {skipped} skipped",
        started.elapsed().as_secs_f64()
    );
    Ok(TrainSummary {
        iterations,
        skipped,
        interrupted,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The meta-training log: one JSON line per iteration, each appended durably.
struct MetaLog {
    path: PathBuf,
    records: Vec<MetaTrainLog>,
    /// Records from before this invocation.
    kept: usize,
}

impl MetaLog {
    /// Opens the log of a run that continues after `first` iterations: later lines (written
    /// before an interruption and about to be repeated) are dropped.
    fn open(path: &Path, first: usize) -> Result<Self> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(metablend_core::Error::io(path, e).into()),
        };
        let mut records = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let r: MetaTrainLog = serde_json::from_str(line).map_err(|e| {
                Error::folder(
                    path,
                    format!("line {}: not a meta-training record: {e}", i + 1),
                )
            })?;
            if r.iteration < first {
                records.push(r);
            }
        }
        let log = Self {
            path: path.to_path_buf(),
            kept: records.len(),
            records,
        };
        log.rewrite()?;
        Ok(log)
    }

    fn rewrite(&self) -> Result<()> {
        let mut text = String::new();
        for r in &self.records {
            text += &serde_json::to_string(r).expect("records serialise");
            text.push('\n');
        }
        Ok(write_text(&self.path, &text)?)
    }

    fn push(&mut self, record: &MetaTrainLog) -> Result<()> {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&self.path)
            .map_err(|e| metablend_core::Error::io(&self.path, e))?;
        let line = serde_json::to_string(record).expect("records serialise");
        writeln!(file, "{line}").map_err(|e| metablend_core::Error::io(&self.path, e))?;
        self.records.push(record.clone());
        Ok(())
    }
}

/// Smoothed meta-loss curves (means of 10 iterations) of both phases.
fn meta_loss_chart(charts: &dyn Charts, path: &Path, records: &[MetaTrainLog]) -> Result<()> {
    let phase = |fine: bool| -> Vec<(f64, f64)> {
        let points: Vec<(f64, f64)> = records
            .iter()
            .filter(|r| r.skipped.is_none() && r.fine_tuning == fine)
            .map(|r| (r.iteration as f64, r.meta_loss))
            .collect();
        points
            .chunks(10)
            .map(|c| {
                let x = c.iter().map(|p| p.0).sum::<f64>() / c.len() as f64;
                let y = c.iter().map(|p| p.1).sum::<f64>() / c.len() as f64;
                (x, y)
            })
            .collect()
    };
    let lines: Vec<(String, Vec<(f64, f64)>)> = [
        ("truncated unrolls (mean along the run)", phase(false)),
        ("ES fine-tuning (last steps of whole runs)", phase(true)),
    ]
    .into_iter()
    .filter(|(_, points)| !points.is_empty())
    .map(|(name, points)| (name.to_string(), points))
    .collect();
    if lines.is_empty() {
        return Ok(());
    }
    charts.lines(
        path,
        "Meta-loss ln(L(θ_t)/L(θ_0)) (mean of 10 iterations)",
        "meta-iteration",
        "meta-loss",
        &lines,
    )
}

/// What `metaopt eval` runs.
#[derive(Debug, Clone)]
pub struct EvalOptions {
    /// The M4 data folder.
    pub data: PathBuf,
    /// The trained optimizer (a run folder's `checkpoint/`).
    pub checkpoint: PathBuf,
    /// Report folder.
    pub out: PathBuf,
    /// Held-out tasks per family (at most 214).
    pub tasks: usize,
    /// Training horizon K (the long runs are 10 K).
    pub horizon: usize,
    /// Held-out series for the downstream forecast comparison.
    pub forecast_series: usize,
}

#[derive(Debug, Clone, Serialize)]
struct FamilyResult {
    family: String,
    horizon: usize,
    adam_lr: f64,
    sgd_lr: f64,
    vs_adam: Comparison,
    vs_sgd: Comparison,
    sgd_divergence: f64,
}

#[derive(Debug, Clone, Serialize)]
struct ForecastResult {
    series: usize,
    mase_learned: f64,
    mase_adam: f64,
    learned_better: usize,
}

#[derive(Debug, Clone, Serialize)]
struct EvalReport {
    held_out: usize,
    results: Vec<FamilyResult>,
    forecasts: Option<ForecastResult>,
    seconds: f64,
}

struct Family {
    name: &'static str,
    hidden: usize,
    activation: Activation,
}

const FAMILIES: [Family; 3] = [
    Family {
        name: "MLP tanh, 16 hidden (as trained)",
        hidden: 16,
        activation: Activation::Tanh,
    },
    Family {
        name: "MLP ReLU, 16 hidden",
        hidden: 16,
        activation: Activation::Relu,
    },
    Family {
        name: "MLP tanh, 64 hidden (wider)",
        hidden: 64,
        activation: Activation::Tanh,
    },
];

fn family_tasks(series: &[Series], f: &Family) -> Result<Vec<Box<dyn MetaTask>>> {
    series
        .iter()
        .map(|s| {
            Ok(Box::new(MlpRegression::from_series(
                &s.name,
                &s.values,
                HOURLY_LAGS,
                f.hidden,
                f.activation,
                ROWS,
            )?) as Box<dyn MetaTask>)
        })
        .collect()
}

/// Evaluates a trained optimizer and writes the report folder (`report.md`, `report.json`,
/// `loss_curves.png`) atomically; returns the Markdown.
pub fn eval(opts: &EvalOptions, progress: &dyn Progress, charts: &dyn Charts) -> Result<String> {
    // The held-out tasks run in parallel on every core.
    on_all_cores(|| eval_on_pool(opts, progress, charts))?
}

fn eval_on_pool(
    opts: &EvalOptions,
    progress: &dyn Progress,
    charts: &dyn Charts,
) -> Result<String> {
    let started = Instant::now();
    let net = Arc::new(UpdateNet::load(&opts.checkpoint)?);
    let hourly = load(&opts.data, "hourly_train.csv.gz")?;
    if hourly.len() < 201 {
        return Err(Error::Settings(format!(
            "the hourly data has {} series; the split needs 414",
            hourly.len()
        )));
    }
    let tuning_series = &hourly[150..200];
    let held = &hourly[200..(200 + opts.tasks).min(hourly.len())];
    let long = 10 * opts.horizon;
    let total = (FAMILIES.len() * held.len() * 2) as u64;
    progress.start("evaluate", total);
    let mut results = Vec::new();
    let mut curves_for_plot: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    for family in &FAMILIES {
        let tuning = family_tasks(&tuning_series[..10], family)?;
        let tuning_refs: Vec<&dyn MetaTask> = tuning.iter().map(|t| t.as_ref()).collect();
        let tasks = family_tasks(held, family)?;
        for horizon in [opts.horizon, long] {
            // Tuned per family at each horizon, on 10 tuning series (never held out).
            let tune_on: &[&dyn MetaTask] = if horizon == long {
                &tuning_refs[..5]
            } else {
                &tuning_refs
            };
            let (adam_lr, _) = tune_learning_rate(|lr| Baseline::Adam { lr }, tune_on, horizon)?;
            let (sgd_lr, _) =
                tune_learning_rate(|lr| Baseline::SgdMomentum { lr }, tune_on, horizon)?;
            let runs: Vec<(Curve, Curve, Curve)> = tasks
                .par_iter()
                .enumerate()
                .map(|(i, t)| {
                    let seed = 10_000 + i as u64;
                    let out = (
                        run_learned(&net, t.as_ref(), seed, horizon)?,
                        run_baseline(Baseline::Adam { lr: adam_lr }, t.as_ref(), seed, horizon)?,
                        run_baseline(
                            Baseline::SgdMomentum { lr: sgd_lr },
                            t.as_ref(),
                            seed,
                            horizon,
                        )?,
                    );
                    progress.advance(1);
                    Ok(out)
                })
                .collect::<metablend_agents::Result<_>>()?;
            let learned: Vec<Curve> = runs.iter().map(|r| r.0.clone()).collect();
            let adam: Vec<Curve> = runs.iter().map(|r| r.1.clone()).collect();
            let sgd: Vec<Curve> = runs.iter().map(|r| r.2.clone()).collect();
            if family.hidden == 16 && family.activation == Activation::Tanh && horizon == long {
                for (name, c) in [
                    ("learned", &learned),
                    ("Adam (tuned)", &adam),
                    ("SGD momentum (tuned)", &sgd),
                ] {
                    curves_for_plot.push((name.to_string(), mean_log_curve(c)));
                }
            }
            results.push(FamilyResult {
                family: family.name.to_string(),
                horizon,
                adam_lr,
                sgd_lr,
                vs_adam: compare(&learned, &adam)?,
                vs_sgd: compare(&learned, &sgd)?,
                sgd_divergence: sgd.iter().filter(|c| c.diverged).count() as f64 / sgd.len() as f64,
            });
        }
    }
    if progress.stop_requested() {
        return Err(Error::Interrupted("during the evaluation".into()));
    }
    let forecasts = if opts.forecast_series > 0 {
        let tanh = results
            .iter()
            .find(|r| r.horizon == opts.horizon && r.family == FAMILIES[0].name)
            .map(|r| r.adam_lr)
            .unwrap_or(1e-3);
        Some(forecast_comparison(
            &net,
            &held[..opts.forecast_series.min(held.len())],
            tanh,
        )?)
    } else {
        None
    };
    let report = EvalReport {
        held_out: held.len(),
        results,
        forecasts,
        seconds: started.elapsed().as_secs_f64(),
    };
    let md = markdown(&report);
    write_output_folder(&opts.out, "metaopt eval", |tmp| -> Result<()> {
        write_text(&tmp.join("report.md"), &md)?;
        let json = serde_json::to_string_pretty(&report).expect("serialisable");
        write_text(&tmp.join("report.json"), &json)?;
        if !curves_for_plot.is_empty() {
            charts.lines(
                &tmp.join("loss_curves.png"),
                &format!("Held-out MLP tanh tasks: mean ln(L_t/L_0) over {long} steps"),
                "step",
                "mean ln(loss / initial loss)",
                &curves_for_plot,
            )?;
        }
        Ok(())
    })?;
    Ok(md)
}

fn mean_log_curve(curves: &[Curve]) -> Vec<(f64, f64)> {
    let len = curves.iter().map(|c| c.losses.len()).max().unwrap_or(0);
    (0..len)
        .step_by((len / 200).max(1))
        .map(|t| {
            let v: f64 = curves
                .iter()
                .map(|c| {
                    let l = c.losses.get(t).copied().unwrap_or(f64::NAN);
                    let l = if l.is_finite() {
                        l.min(10.0 * c.losses[0])
                    } else {
                        10.0 * c.losses[0]
                    };
                    (l / c.losses[0]).ln()
                })
                .sum::<f64>()
                / curves.len() as f64;
            (t as f64, v)
        })
        .collect()
}

/// Trains the ensemble crate's MLP forecaster on each series' history before its last 48
/// values with Adam (the forecaster's default settings, learning rate tuned above) and with
/// the learned optimizer, and scores the 48-step forecasts by MASE (m = 24).
fn forecast_comparison(
    net: &Arc<UpdateNet>,
    series: &[Series],
    adam_lr: f64,
) -> Result<ForecastResult> {
    let h = 48;
    let rows: Vec<(f64, f64)> = series
        .par_iter()
        .map(|s| -> Result<(f64, f64)> {
            let n = s.values.len();
            let (history, actual) = (&s.values[..n - h], &s.values[n - h..]);
            let mut config = MlpConfig::default();
            config.train.learning_rate = adam_lr;
            let mut adam = MlpForecaster::new(config.clone())?;
            adam.fit(history)?;
            let shared = net.clone();
            let factory = Arc::new(
                move |vars: Vec<candle_core::Var>| -> candle_core::Result<Box<dyn StepOptimizer>> {
                    use candle_nn::Optimizer;
                    Ok(Box::new(LearnedOptimizer::new(vars, shared.clone())?))
                },
            );
            let mut learned = MlpForecaster::new(config)?.with_optimizer(factory);
            learned.fit(history)?;
            Ok((
                metrics::mase(actual, &learned.forecast(h)?, history, 24)?,
                metrics::mase(actual, &adam.forecast(h)?, history, 24)?,
            ))
        })
        .collect::<Result<_>>()?;
    let n = rows.len() as f64;
    Ok(ForecastResult {
        series: rows.len(),
        mase_learned: rows.iter().map(|r| r.0).sum::<f64>() / n,
        mase_adam: rows.iter().map(|r| r.1).sum::<f64>() / n,
        learned_better: rows.iter().filter(|r| r.0 < r.1).count(),
    })
}

fn markdown(r: &EvalReport) -> String {
    let mut s = format!(
        "# Learned optimizer on {} held-out M4 Hourly series\n\nEach task: an MLP forecasting the next value from 24 lags of a standardised series never used in meta-training (the last 256 windows, full-batch MSE). Baselines' learning rates tuned per family and horizon on a 13-point grid 1e-4…1 (tuning series H151–H160). Win = lower final training loss than the baseline; log-ratio = ln(final learned / final baseline), finals capped at 10× the initial loss; divergence = a NaN or a final loss above 10× the initial.\n\n| family | steps | Adam lr | win rate vs Adam | mean log-ratio vs Adam [95% CI] | typical ratio | win rate vs SGD-m (lr) | log-ratio vs SGD-m | divergence learned / Adam / SGD-m |\n|---|---|---|---|---|---|---|---|---|\n",
        r.held_out
    );
    for x in &r.results {
        s.push_str(&format!(
            "| {} | {} | {:.2e} | {:.1}% | {:.3} [{:.3}, {:.3}] | {:.3} | {:.1}% ({:.2e}) | {:.3} | {:.1}% / {:.1}% / {:.1}% |\n",
            x.family,
            x.horizon,
            x.adam_lr,
            100.0 * x.vs_adam.win_rate,
            x.vs_adam.mean_log_ratio,
            x.vs_adam.ci95.0,
            x.vs_adam.ci95.1,
            x.vs_adam.typical_ratio,
            100.0 * x.vs_sgd.win_rate,
            x.sgd_lr,
            x.vs_sgd.mean_log_ratio,
            100.0 * x.vs_adam.learned_divergence,
            100.0 * x.vs_adam.baseline_divergence,
            100.0 * x.sgd_divergence,
        ));
    }
    if let Some(f) = &r.forecasts {
        s.push_str(&format!(
            "\nDownstream: the ensemble crate's MLP forecaster (default settings, early stopping) trained with each optimiser on {} held-out series, 48-step forecasts: mean MASE learned {:.3} vs Adam {:.3}; the learned optimizer is better on {} of {}.\n",
            f.series, f.mase_learned, f.mase_adam, f.learned_better, f.series
        ));
    }
    s.push_str(&format!("\nEvaluation time: {:.0} s.\n", r.seconds));
    s
}
