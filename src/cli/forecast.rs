//! `metablend forecast`: a fitted meta-model's forecasts of a panel's future.

use std::path::PathBuf;

use metablend::core::fs::check_output_file;
use metablend::ensemble::panel::{read_panel_file, PanelOptions};
use metablend::ensemble::FillPolicy;
use metablend::pipelines::forecast::{forecast, MetaModel};

use crate::terminal::Terminal;

/// Arguments of `metablend forecast`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:
  metablend forecast --model sales-model --data sales.csv --out forecasts.csv")]
pub struct ForecastArgs {
    /// A model folder written by `metablend fit`.
    #[arg(long)]
    model: PathBuf,
    /// The panel to forecast (the fitted one or others; same formats as `fit`).
    #[arg(long)]
    data: PathBuf,
    /// Prediction intervals at these levels (percentages), e.g. `--level 80 95`.
    #[arg(long, num_args = 1..)]
    level: Vec<f64>,
    /// Missing values: error, previous (carry forward) or drop.
    #[arg(long, default_value = "error")]
    fill: FillPolicy,
    /// The forecasts CSV to write: unique_id, ds, metablend (the combined forecast), each
    /// model's forecast, each weight (w_<model>) and the fallback used, if any.
    #[arg(long)]
    out: PathBuf,
    /// No progress bars.
    #[arg(long)]
    no_progress: bool,
}

/// Runs `metablend forecast`.
pub fn run(args: ForecastArgs) -> anyhow::Result<()> {
    check_output_file(&args.out, &[&args.data, &args.model])?;
    let model = MetaModel::load(&args.model)?;
    let panel = read_panel_file(&args.data, &PanelOptions { fill: args.fill })?;
    let forecasts = forecast(
        &model,
        &panel,
        &args.level,
        &Terminal::new(!args.no_progress),
    )?;
    forecasts.write_csv(&args.out)?;
    println!(
        "{} series × {} steps written to {}",
        panel.series.len(),
        forecasts.horizon,
        args.out.display()
    );
    let fallbacks = forecasts.fallbacks();
    if !fallbacks.is_empty() {
        println!(
            "{} series too short or constant for the pool got a fallback: {}",
            fallbacks.len(),
            super::fit::preview(&fallbacks)
        );
    }
    Ok(())
}
