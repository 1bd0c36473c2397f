//! `metablend metaopt`: the learned optimizer.

use std::path::PathBuf;

use metablend::agents::metaopt::{
    EsConfig, EsFinetune, MetaOptConfig, MetaTrainConfig, StepDecay, UpdateForm,
    DEFAULT_BASE_FAN_IN, DEFAULT_DECAY_POWER,
};

use crate::app::metaopt::{eval, net_kind, train, EvalOptions, TrainOptions};

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
  metablend metaopt train --out metaopt-lstm --net lstm --iterations 200
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
    /// Update network: mlp (per-parameter MLP) or lstm (coordinatewise LSTM).
    #[arg(long, default_value = "mlp")]
    net: String,
    /// Update form: adam (Adam's direction, the network sets each coordinate's learning rate)
    /// or free (the network alone chooses direction and size, as in the 2016 paper).
    #[arg(long, default_value = "adam", value_parser = ["adam", "free"])]
    update: String,
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
    /// Use an antithetic ES gradient (this many pairs) instead of back-propagation.
    #[arg(long)]
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
    /// Report folder.
    #[arg(long)]
    out: PathBuf,
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

fn data_dir(arg: Option<PathBuf>) -> PathBuf {
    arg.unwrap_or_else(|| {
        let local = PathBuf::from("data/m4");
        if local.join("hourly_train.csv.gz").exists() {
            local
        } else {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/m4")
        }
    })
}

/// Runs `metablend metaopt`.
pub fn run(args: MetaoptArgs) -> anyhow::Result<()> {
    match args.command {
        MetaoptCommand::Train(a) => {
            let kind = net_kind(&a.net)?;
            let config = MetaTrainConfig {
                net: MetaOptConfig {
                    kind,
                    hidden: if a.net == "lstm" { 20 } else { 32 },
                    form: if a.update == "free" {
                        UpdateForm::Free
                    } else {
                        UpdateForm::AdamScaled
                    },
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
            let skipped = train(&TrainOptions {
                data: data_dir(a.data),
                out: a.out.clone(),
                config,
                resume: a.resume,
                progress: !a.no_progress,
            })?;
            println!(
                "trained: {} ({skipped} iterations skipped for NaN losses)",
                a.out.join("checkpoint").display()
            );
        }
        MetaoptCommand::Eval(a) => {
            let md = eval(&EvalOptions {
                data: data_dir(a.data),
                checkpoint: a.run.join("checkpoint"),
                out: a.out.clone(),
                tasks: a.tasks,
                horizon: a.horizon,
                forecast_series: a.forecast_series,
                progress: !a.no_progress,
            })?;
            println!("{md}\nreport: {}", a.out.join("report.md").display());
        }
    }
    Ok(())
}
