//! `metablend cv`: rolling-origin evaluation of the meta-model, the rules and every pool
//! model on a panel of the user's series.

use std::path::PathBuf;

use metablend::core::fs::{check_output_folder, write_output_folder};
use metablend::ensemble::panel::{read_panel_file, PanelOptions};
use metablend::ensemble::{FillPolicy, ModelSpec};
use metablend::pipelines::forecast::{cross_validation, CvOptions, FitOptions, MetaLearner};

use crate::terminal::Terminal;

/// Arguments of `metablend cv`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:
  metablend cv --data sales.csv --horizon 14 --windows 3 --level 80 95 --out sales-cv")]
pub struct CvArgs {
    /// The panel (same formats as `fit`).
    #[arg(long)]
    data: PathBuf,
    /// Steps per window (the forecast horizon).
    #[arg(long)]
    horizon: usize,
    /// Windows: the last N windows of --horizon steps, each forecast from the data before it.
    #[arg(long, default_value_t = 3)]
    windows: usize,
    /// Seasonal period (default: from the stamps' frequency; else 1).
    #[arg(long)]
    season: Option<usize>,
    /// The pool (default as in `fit`).
    #[arg(long)]
    pool: Option<String>,
    /// The meta-learner: fforma, inverse, best or equal (the other rules are scored too).
    #[arg(long, default_value = "fforma")]
    meta: String,
    /// The meta-learner's seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Interval levels to score (coverage and MSIS).
    #[arg(long, num_args = 1.., default_values_t = [80.0, 95.0])]
    level: Vec<f64>,
    /// Missing values: error, previous (carry forward) or drop.
    #[arg(long, default_value = "error")]
    fill: FillPolicy,
    /// The report folder (report.md, report.json).
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
    check_output_folder(&args.out, "cv", &[&args.data], args.force)?;
    let panel = read_panel_file(&args.data, &PanelOptions { fill: args.fill })?;
    let season = args
        .season
        .or_else(|| panel.seasons().first().copied())
        .unwrap_or(1);
    let models = args
        .pool
        .as_deref()
        .map(|p| ModelSpec::parse_list(p, season))
        .transpose()?;
    let opts = CvOptions {
        fit: FitOptions {
            horizon: args.horizon,
            season: Some(season),
            models,
            meta: args.meta.parse::<MetaLearner>()?,
            seed: args.seed,
        },
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
        Ok(())
    })?;
    print!("{markdown}");
    println!("\nreport written to {}", args.out.display());
    Ok(())
}
