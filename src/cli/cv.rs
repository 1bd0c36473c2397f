//! `metablend cv`: rolling-origin evaluation of the meta-model, the rules and every pool
//! model on a panel of the user's series.

use std::path::PathBuf;

use metablend::core::fs::{check_output_folder, write_output_folder};
use metablend::pipelines::charts;
use metablend::pipelines::forecast::{cross_validation, CvOptions};

use super::panel_args::PanelFitArgs;
use crate::plots::Png;
use crate::terminal::Terminal;

/// Arguments of `metablend cv`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:
  metablend cv --data sales.csv --horizon 14 --windows 3 --level 80 95 --out sales-cv")]
pub struct CvArgs {
    #[command(flatten)]
    panel: PanelFitArgs,
    /// Windows: the last N windows of --horizon steps, each forecast from the data before
    /// it (the rules other than --meta are scored too).
    #[arg(long, default_value_t = 3)]
    windows: usize,
    /// Interval levels to score (coverage and MSIS).
    #[arg(long, num_args = 1.., default_values_t = [80.0, 95.0])]
    level: Vec<f64>,
    /// The report folder (report.md, report.json, owa.png, owa_by_window.png).
    #[arg(long)]
    out: PathBuf,
    /// Replace --out even if another command wrote it.
    #[arg(long)]
    force: bool,
    /// No progress bars.
    #[arg(long)]
    no_progress: bool,
}

/// Runs `metablend cv`.
pub fn run(args: CvArgs) -> anyhow::Result<()> {
    check_output_folder(&args.out, "cv", &[&args.panel.data], args.force)?;
    let (panel, fit) = args.panel.read()?;
    let opts = CvOptions {
        fit,
        windows: args.windows,
        levels: args.level.clone(),
    };
    let report = cross_validation(&panel, &opts, &Terminal::new(!args.no_progress))?;
    let markdown = report.to_markdown();
    write_output_folder(&args.out, "cv", |dir| -> anyhow::Result<()> {
        std::fs::write(dir.join("report.md"), &markdown)?;
        std::fs::write(
            dir.join("report.json"),
            serde_json::to_string_pretty(&report)?,
        )?;
        charts::cross_validation(&Png, dir, &report)?;
        Ok(())
    })?;
    print!("{markdown}");
    println!("\nreport written to {}", args.out.display());
    Ok(())
}
