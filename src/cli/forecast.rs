//! `metablend forecast`: a fitted meta-model's forecasts of a panel's future.

use std::path::{Path, PathBuf};

use metablend::core::fs::{check_output_file, write_text};
use metablend::core::Predictions;
use metablend::ensemble::panel::{read_panel_file, PanelOptions};
use metablend::ensemble::FillPolicy;
use metablend::pipelines::forecast::{forecast_with, CalibrateOn, ForecastOptions, MetaModel};
use metablend::pipelines::single::next_step;

use crate::terminal::Terminal;

/// Arguments of `metablend forecast`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  metablend forecast --model sales-model --data sales.csv --out forecasts.csv
  metablend forecast --run runs/demand --predictions latest.csv   # the next combined value")]
pub struct ForecastArgs {
    /// A model folder written by `metablend fit`.
    #[arg(long, required_unless_present = "run", requires_all = ["data", "out"])]
    model: Option<PathBuf>,
    /// The panel to forecast (the fitted one or others; same formats as `fit`).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Online use of a run folder written by `metablend train`: the policy's weights and
    /// combined forecast for the last row of --predictions.
    #[arg(long, conflicts_with = "model", requires = "predictions")]
    run: Option<PathBuf>,
    /// With --run: a predictions table with the run's models whose last row may leave
    /// `target` empty (the models' forecasts of the value to come).
    #[arg(long)]
    predictions: Option<PathBuf>,
    /// Prediction intervals at these levels (percentages), e.g. `--level 80 95`.
    #[arg(long, num_args = 1..)]
    level: Vec<f64>,
    /// Whose errors calibrate the intervals: `panel` (the forecast panel's own series),
    /// `model` (the series the model was fitted on, from the work it kept: intervals for a
    /// panel of a few series, and a third less pool work on new series) or `auto` (the
    /// panel's where enough of its series have the window before validation, else the
    /// model's).
    #[arg(long, value_enum, default_value_t = CalibrateOn::Auto, requires = "level")]
    calibration: CalibrateOn,
    /// Missing values: error, previous (carry forward) or drop.
    #[arg(long, default_value = "error")]
    fill: FillPolicy,
    /// The forecasts CSV to write: unique_id, ds, metablend (the combined forecast), each
    /// model's forecast, each weight (w_<model>) and the fallback used, if any. With --run:
    /// a JSON file with the row, the forecast and the weights (optional).
    #[arg(long)]
    out: Option<PathBuf>,
    /// No progress bars.
    #[arg(long)]
    no_progress: bool,
}

/// Runs `metablend forecast`.
pub fn run(args: ForecastArgs) -> anyhow::Result<()> {
    match (
        &args.model,
        &args.data,
        &args.out,
        &args.run,
        &args.predictions,
    ) {
        (Some(model), Some(data), Some(out), None, _) => run_panel(&args, model, data, out),
        (None, _, out, Some(run), Some(preds)) => run_online(run, preds, out.as_deref()),
        _ => anyhow::bail!("give --model, --data and --out, or --run and --predictions"),
    }
}

/// The next combined value of a trained ensemble-env policy.
fn run_online(run: &Path, preds: &Path, out: Option<&Path>) -> anyhow::Result<()> {
    if let Some(out) = out {
        check_output_file(out, &[run, preds])?;
    }
    let (table, open) = Predictions::read_csv_open_end(preds)?;
    let step = next_step(run, &table)?;
    let when = step
        .timestamp
        .as_deref()
        .map_or(String::new(), |t| format!(" ({t})"));
    let status = if open {
        "target not yet observed"
    } else {
        "target known"
    };
    println!(
        "row {}{when}, {status}: combined forecast {}",
        step.row, step.forecast
    );
    println!("| model | forecast | weight |\n|---|---|---|");
    for m in &step.models {
        println!("| {} | {} | {:.4} |", m.model, m.forecast, m.weight);
    }
    if let Some(out) = out {
        write_text(out, &serde_json::to_string_pretty(&step)?)?;
        println!("written to {}", out.display());
    }
    Ok(())
}

/// A meta-model's forecasts of a panel.
fn run_panel(args: &ForecastArgs, model: &Path, data: &Path, out: &Path) -> anyhow::Result<()> {
    check_output_file(out, &[data, model])?;
    let model = MetaModel::load(model)?;
    let panel = read_panel_file(data, &PanelOptions { fill: args.fill })?;
    let opts = ForecastOptions {
        levels: args.level.clone(),
        calibrate_on: args.calibration,
    };
    let forecasts = forecast_with(&model, &panel, &opts, &Terminal::new(!args.no_progress))?;
    forecasts.write_csv(out)?;
    println!(
        "{} series × {} steps written to {}",
        panel.series.len(),
        forecasts.horizon,
        out.display()
    );
    if let Some(c) = &forecasts.calibration {
        let whose = match c.on {
            CalibrateOn::Model => "the model's fitted",
            _ => "the panel's",
        };
        println!(
            "intervals calibrated on the {} window of {} of {whose} series",
            c.window, c.series
        );
    }
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
