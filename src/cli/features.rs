//! `metablend features`: FFORMA's features of every series of a panel, as a CSV table.

use std::path::PathBuf;

use metablend::core::fs::check_output_file;
use metablend::ensemble::panel::{read_panel_file, PanelOptions};
use metablend::ensemble::FillPolicy;
use metablend::pipelines::forecast::panel_features;

use crate::terminal::Terminal;

/// Arguments of `metablend features`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  metablend features --data sales.csv --out sales-features.csv
  metablend features --data Weekly-train.csv.gz --season 52 --out weekly-features.csv")]
pub struct FeaturesArgs {
    /// The panel (same formats as `fit`).
    #[arg(long)]
    data: PathBuf,
    /// Seasonal period of the seasonal features (default: from the stamps, else 1).
    #[arg(long)]
    season: Option<usize>,
    /// Missing values: error, previous (carry forward) or drop.
    #[arg(long, default_value = "error")]
    fill: FillPolicy,
    /// The CSV to write: unique_id and the 42 features (tsfeatures' names); empty cells
    /// where a series is too short or a feature does not apply.
    #[arg(long)]
    out: PathBuf,
    /// No progress bars.
    #[arg(long)]
    no_progress: bool,
}

/// Runs `metablend features`.
pub fn run(args: FeaturesArgs) -> anyhow::Result<()> {
    check_output_file(&args.out, &[&args.data])?;
    let panel = read_panel_file(&args.data, &PanelOptions { fill: args.fill })?;
    let table = panel_features(&panel, args.season, &Terminal::new(!args.no_progress))?;
    table.write_csv(&args.out)?;
    let short = table.rows.iter().filter(|(_, v)| v.is_none()).count();
    println!(
        "features of {} series (season {}) written to {}{}",
        table.rows.len(),
        table.season,
        args.out.display(),
        if short > 0 {
            format!("; {short} too short for them (empty rows)")
        } else {
            String::new()
        }
    );
    Ok(())
}
