//! `metablend metaopt`: the learned optimizer.

use std::path::PathBuf;

use metablend::agents::metaopt::{
    EsConfig, EsFinetune, MetaOptConfig, MetaTrainConfig, NetKind, StepDecay, UpdateForm,
    DEFAULT_BASE_FAN_IN, DEFAULT_DECAY_POWER,
};
use metablend::core::fs::{check_output_folder, check_output_path};
use metablend::pipelines::metaopt::{eval, train, EvalOptions, TrainOptions};
use metablend::pipelines::Error;

use crate::plots::Png;
use crate::terminal::Terminal;

/// Arguments of `metablend metaopt`.
#[derive(Debug, clap::Args)]
pub struct MetaoptArgs {
    #[command(subcommand)]
    command: MetaoptCommand,
}

#[derive(Debug, clap::Subcommand)]
enum MetaoptCommand {
    /// Meta-train on MLP forecasting tasks from M4 series plus quadratics.
    #[command(after_help = "Examples:
  metablend metaopt train --out metaopt-run
  metablend metaopt train --out metaopt-run --resume --iterations 600")]
    Train(TrainArgs),
    /// Evaluate a trained optimizer on held-out series against tuned Adam and SGD.
    #[command(after_help = "Example:
  metablend metaopt eval --run metaopt-run --out metaopt-report")]
    Eval(EvalArgs),
}

#[derive(Debug, clap::Args)]
struct TrainArgs {
    /// Run folder (checkpoint/, log.jsonl, meta_loss.png).
    #[arg(long)]
    out: PathBuf,
    /// Update network (the coordinatewise LSTM has no measured result; kept to reproduce
    /// older runs, off the main surface).
    #[arg(long, default_value = "mlp", hide = true)]
    net: NetKind,
    /// Update form (`free`, the 2016 paper's form, was rejected on the held-out tasks; kept
    /// to reproduce older runs, off the main surface).
    #[arg(long, default_value = "adam", hide = true)]
    update: UpdateForm,
    /// Meta-iterations (truncated unrolls).
    #[arg(long, default_value_t = 1000)]
    iterations: usize,
    /// ES fine-tuning updates of the step-size head on whole runs after them (0: none).
    #[arg(long, default_value_t = EsFinetune::default().iterations)]
    finetune_iterations: usize,
    /// Of each fine-tuning update's 16 pairs of runs, how many last 10 × K steps.
    #[arg(long, default_value_t = EsFinetune::default().long_pairs)]
    finetune_long_pairs: usize,
    /// Steps shrink as (K/t)^P after the training horizon K (0: no decay).
    #[arg(long, default_value_t = DEFAULT_DECAY_POWER)]
    decay_power: f64,
    /// Weight matrices with a fan-in n above N take steps × N/n, so the optimizer carries
    /// over to wider networks (μP's rule; 0: no width scaling).
    #[arg(long, default_value_t = DEFAULT_BASE_FAN_IN)]
    base_fan_in: usize,
    /// Training horizon K (run length at the end of the curriculum).
    #[arg(long, default_value_t = 100)]
    horizon: usize,
    /// Steps per truncated unroll.
    #[arg(long, default_value_t = 20)]
    truncation: usize,
    /// An antithetic ES gradient (this many pairs) instead of back-propagation (no measured
    /// result; off the main surface).
    #[arg(long, hide = true)]
    es_pairs: Option<usize>,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Continue from the run folder's checkpoint.
    #[arg(long)]
    resume: bool,
    /// M4 data folder (default: the repository's data/m4).
    #[arg(long)]
    data: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    no_progress: bool,
}

#[derive(Debug, clap::Args)]
struct EvalArgs {
    /// A run folder from `metaopt train`.
    #[arg(long)]
    run: PathBuf,
    /// Report folder (replaced only when complete, and only if `metaopt eval` wrote it).
    #[arg(long)]
    out: PathBuf,
    /// Replace --out even if it holds files metablend did not write.
    #[arg(long)]
    force: bool,
    /// Held-out tasks per family (at most 214).
    #[arg(long, default_value_t = 214)]
    tasks: usize,
    /// Training horizon K (long runs are 10 K).
    #[arg(long, default_value_t = 100)]
    horizon: usize,
    /// Held-out series for the downstream forecaster comparison (0 skips it).
    #[arg(long, default_value_t = 40)]
    forecast_series: usize,
    /// M4 data folder (default: the repository's data/m4).
    #[arg(long)]
    data: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    no_progress: bool,
}

/// The vendored M4 folder: `data/m4` under the current folder when it holds the
/// frequency's files, else the repository's.
pub fn default_m4_data(frequency: &str) -> PathBuf {
    let local = PathBuf::from("data/m4");
    if local.join(format!("{frequency}_train.csv.gz")).exists() {
        local
    } else {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/m4")
    }
}

fn data_dir(arg: Option<PathBuf>) -> PathBuf {
    arg.unwrap_or_else(|| default_m4_data("hourly"))
}

/// Runs `metablend metaopt`.
pub fn run(args: MetaoptArgs) -> anyhow::Result<()> {
    match args.command {
        MetaoptCommand::Train(a) => train_command(a),
        MetaoptCommand::Eval(a) => eval_command(a),
    }
}

fn train_command(a: TrainArgs) -> anyhow::Result<()> {
    let config = MetaTrainConfig {
        net: MetaOptConfig {
            kind: a.net,
            hidden: if a.net == NetKind::Lstm { 20 } else { 32 },
            form: a.update,
            decay: (a.decay_power != 0.0).then_some(StepDecay {
                after: a.horizon as u64,
                power: a.decay_power,
            }),
            base_fan_in: (a.base_fan_in != 0).then_some(a.base_fan_in),
            ..MetaOptConfig::default()
        },
        iterations: a.iterations,
        truncation: a.truncation,
        horizon_start: a.truncation.min(a.horizon),
        horizon_end: a.horizon,
        es: a.es_pairs.map(|pairs| EsConfig { sigma: 0.02, pairs }),
        finetune: (a.finetune_iterations > 0).then(|| EsFinetune {
            iterations: a.finetune_iterations,
            long_pairs: a.finetune_long_pairs,
            ..EsFinetune::default()
        }),
        seed: a.seed,
        ..MetaTrainConfig::default()
    };
    let data = data_dir(a.data);
    check_output_path(&a.out, &[&data])?;
    let opts = TrainOptions {
        data,
        out: a.out.clone(),
        config,
        resume: a.resume,
    };
    let summary = train(&opts, &Terminal::new(!a.no_progress), &Png)?;
    if summary.interrupted {
        return Err(Error::Interrupted("checkpoint saved; continue with --resume".into()).into());
    }
    println!(
        "trained: {} ({} iterations skipped for NaN losses)",
        a.out.join("checkpoint").display(),
        summary.skipped
    );
    Ok(())
}

fn eval_command(a: EvalArgs) -> anyhow::Result<()> {
    let data = data_dir(a.data);
    check_output_folder(&a.out, "metaopt eval", &[&data, &a.run], a.force)?;
    let opts = EvalOptions {
        data,
        checkpoint: a.run.join("checkpoint"),
        out: a.out.clone(),
        tasks: a.tasks,
        horizon: a.horizon,
        forecast_series: a.forecast_series,
    };
    let md = eval(&opts, &Terminal::new(!a.no_progress), &Png)?;
    println!("{md}\nreport: {}", a.out.join("report.md").display());
    Ok(())
}
