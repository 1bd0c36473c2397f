//! `metablend train`: PPO on an ensemble env built from a predictions CSV → a run folder.

use std::path::PathBuf;

use anyhow::Context;
use metablend::core::fs::check_output_path;
use metablend::env::Predictions;
use metablend::pipelines::single::{train, TrainRun, TrainSettings};
use metablend::pipelines::Error;

use crate::plots::Png;
use crate::terminal::Terminal;

/// Arguments of `metablend train`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  metablend train --predictions preds.csv --out runs/sp500
  metablend train --predictions preds.csv --config train.toml --out runs/sp500
  metablend train --predictions preds.csv --config train.toml --out runs/sp500 --resume

The config format (every key optional) is documented in docs/guide-ppo.md; `metablend train
--print-config` prints the defaults. Ctrl-C saves a checkpoint and exits with status 130;
--resume continues it.")]
pub struct TrainArgs {
    /// Predictions CSV (`metablend backtest` writes one).
    #[arg(long, required_unless_present = "print_config")]
    predictions: Option<PathBuf>,
    /// Training config (TOML); default settings if omitted.
    #[arg(long)]
    config: Option<PathBuf>,
    /// The run folder to create (or to continue with --resume).
    #[arg(long, required_unless_present = "print_config")]
    out: Option<PathBuf>,
    /// Continue the run in --out from its checkpoint.
    #[arg(long)]
    resume: bool,
    /// Print the default config and exit.
    #[arg(long)]
    print_config: bool,
}

/// Runs `metablend train`.
pub fn run(args: TrainArgs) -> anyhow::Result<()> {
    if args.print_config {
        print!("{}", toml::to_string(&TrainSettings::default())?);
        return Ok(());
    }
    let (Some(predictions), Some(out)) = (args.predictions, args.out) else {
        anyhow::bail!("give --predictions and --out");
    };
    let settings = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            TrainSettings::from_toml(&text, &path.display().to_string())?
        }
        None => TrainSettings::default(),
    };
    let inputs: Vec<&std::path::Path> = [Some(predictions.as_path()), args.config.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    check_output_path(&out, &inputs)?;
    let preds = Predictions::read_csv(&predictions)?;
    let source = predictions.display().to_string();
    let run = TrainRun {
        preds: &preds,
        source: &source,
        settings: &settings,
        run_dir: &out,
        resume: args.resume,
    };
    let outcome = train(&run, &Terminal::new(true), &Png)?;
    println!(
        "{} env steps in {:.1} s; best validation MSE {:.6e}; best policy in {}",
        outcome.timesteps,
        outcome.seconds,
        outcome.best_mse(),
        outcome.best_dir.display()
    );
    if outcome.interrupted {
        return Err(Error::Interrupted("checkpoint saved; continue with --resume".into()).into());
    }
    Ok(())
}
