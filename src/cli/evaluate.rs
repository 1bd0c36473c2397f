//! `metablend evaluate`: a run's best policy against every base model and combiner.

use std::path::PathBuf;

use anyhow::bail;
use metablend::core::fs::check_output_folder;
use metablend::env::Predictions;
use metablend::pipelines::single::{evaluate, verdicts_markdown};

use crate::plots::Png;

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
    /// The report folder (Markdown, JSON, PNG plots); replaced only when complete.
    #[arg(long)]
    out: PathBuf,
    /// Replace --out even if it holds files metablend did not write.
    #[arg(long)]
    force: bool,
}

/// Runs `metablend evaluate`.
pub fn run(args: EvaluateArgs) -> anyhow::Result<()> {
    let inputs = [args.run.as_path(), args.predictions.as_path()];
    check_output_folder(&args.out, "evaluate", &inputs, args.force)?;
    let preds = Predictions::read_csv(&args.predictions)?;
    let test = match (args.test_start, args.test_end) {
        (Some(s), Some(e)) => Some(s..e),
        (None, None) => None,
        _ => bail!("give both --test-start and --test-end"),
    };
    let evaluation = evaluate(&args.run, &preds, test, args.period)?;
    evaluation.write_folder(&args.out, &preds, &Png)?;
    print!("{}", evaluation.report.to_table());
    println!();
    print!("{}", verdicts_markdown(&evaluation.verdicts));
    for w in &evaluation.warnings {
        eprintln!("warning: {w}");
    }
    println!("report: {}", args.out.join("report.md").display());
    Ok(())
}
