//! `metablend evaluate`: a run's best policy against every base model and combiner.

use std::path::PathBuf;

use anyhow::bail;
use metablend::env::Predictions;

use crate::app::evaluate::{evaluate, verdicts_markdown};

/// Arguments of `metablend evaluate`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:
  metablend evaluate --run runs/sp500 --predictions preds.csv --out reports/sp500")]
pub struct EvaluateArgs {
    /// A run folder written by `metablend train`.
    #[arg(long)]
    run: PathBuf,
    /// The predictions CSV (same models as the run's).
    #[arg(long)]
    predictions: PathBuf,
    /// First test row (default: the run's test range).
    #[arg(long, requires = "test_end")]
    test_start: Option<usize>,
    /// One past the last test row.
    #[arg(long, requires = "test_start")]
    test_end: Option<usize>,
    /// Seasonal period of the MASE scale.
    #[arg(long, default_value_t = 1)]
    period: usize,
    /// The report folder (Markdown, JSON, PNG plots).
    #[arg(long)]
    out: PathBuf,
}

/// Runs `metablend evaluate`.
pub fn run(args: EvaluateArgs) -> anyhow::Result<()> {
    let preds = Predictions::read_csv(&args.predictions)?;
    let test = match (args.test_start, args.test_end) {
        (Some(s), Some(e)) => Some(s..e),
        (None, None) => None,
        _ => bail!("give both --test-start and --test-end"),
    };
    let evaluation = evaluate(&args.run, &preds, test, args.period, &args.out)?;
    print!("{}", evaluation.report.to_table());
    println!();
    print!("{}", verdicts_markdown(&evaluation.verdicts));
    println!("report: {}", args.out.join("report.md").display());
    Ok(())
}
