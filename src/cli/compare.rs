//! `metablend compare`: every base model and classical combiner on a held-out range of a
//! predictions table, with Diebold–Mariano tests against equal weights.

use std::path::PathBuf;

use anyhow::bail;
use metablend::core::fs::{check_output_file, write_text};
use metablend::ensemble::{compare, seasonal_combiners};
use metablend::env::Predictions;

/// Arguments of `metablend compare`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:
  metablend compare --predictions preds.csv --train-frac 0.5 --period 48 \\
      --markdown report.md --json report.json")]
pub struct CompareArgs {
    /// Predictions CSV (`metablend backtest` writes one).
    #[arg(long)]
    predictions: PathBuf,
    /// Rows [0, N) fit the combiners; the rest are evaluated.
    #[arg(long, conflicts_with = "train_frac")]
    train_end: Option<usize>,
    /// The first fraction of the rows fits the combiners (default 0.5).
    #[arg(long)]
    train_frac: Option<f64>,
    /// Seasonal period of the MASE scale.
    #[arg(long, default_value_t = 1)]
    period: usize,
    /// Also write the table as Markdown here.
    #[arg(long)]
    markdown: Option<PathBuf>,
    /// Also write the full report as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
}

/// Runs `metablend compare`.
pub fn run(args: CompareArgs) -> anyhow::Result<()> {
    for out in [&args.markdown, &args.json].into_iter().flatten() {
        check_output_file(out, &[&args.predictions])?;
    }
    let preds = Predictions::read_csv(&args.predictions)?;
    let n = preds.len();
    let train_end = match (args.train_end, args.train_frac) {
        (Some(e), _) => e,
        (None, f) => {
            let f = f.unwrap_or(0.5);
            if !(f > 0.0 && f < 1.0) {
                bail!("--train-frac {f} must be in (0, 1)");
            }
            (n as f64 * f).round() as usize
        }
    };
    if train_end == 0 || train_end >= n {
        bail!("--train-end {train_end} leaves no training or no evaluation rows (table has {n})");
    }
    let (report, _) = compare(
        &preds,
        0..train_end,
        train_end..n,
        args.period,
        seasonal_combiners(args.period),
    )?;
    print!("{}", report.to_table());
    if let Some(path) = &args.markdown {
        write_text(path, &report.to_markdown())?;
    }
    if let Some(path) = &args.json {
        write_text(path, &report.to_json())?;
    }
    Ok(())
}
