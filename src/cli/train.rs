//! `metablend train`: PPO on an ensemble env built from a predictions CSV → a run folder.

use std::path::PathBuf;

use anyhow::Context;
use metablend::env::Predictions;

use crate::app::settings::TrainSettings;
use crate::app::train::train;

/// Arguments of `metablend train`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  metablend train --predictions preds.csv --out runs/sp500
  metablend train --predictions preds.csv --config train.toml --out runs/sp500
  metablend train --predictions preds.csv --config train.toml --out runs/sp500 --resume

The config format (every key optional) is documented in the README; `metablend train
--print-config` prints the defaults. Ctrl-C saves a checkpoint; --resume continues it.")]
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
    let preds = Predictions::read_csv(&predictions)?;
    crate::app::interrupt_flag();
    let outcome = train(
        &preds,
        &predictions.display().to_string(),
        &settings,
        &out,
        args.resume,
        true,
    )?;
    let best = outcome
        .curve
        .iter()
        .map(|c| c.1)
        .fold(f64::INFINITY, f64::min);
    println!(
        "{} env steps in {:.1} s; best validation MSE {best:.6e}; best policy in {}",
        outcome.timesteps,
        outcome.seconds,
        outcome.best_dir.display()
    );
    if outcome.interrupted {
        println!("interrupted: checkpoint saved; continue with --resume");
    }
    Ok(())
}
