//! `metablend check-env`: the env checker on an ensemble env from a predictions file.

use anyhow::Context;
use metablend::env::ensemble::{Residual, Select, Simplex, Softmax};
use metablend::env::{
    check_env, ActionMap, EnsembleEnv, EnsembleEnvConfig, Predictions, PredictionsPanel,
};
use std::path::PathBuf;
use std::sync::Arc;

/// Arguments of `metablend check-env`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  metablend check-env --predictions preds.csv --window 20 --action-map residual"
)]
pub struct CheckEnvArgs {
    /// Predictions CSV: `[timestamp,]target,<model>...`, or a panel with a leading `series` column.
    #[arg(long)]
    predictions: PathBuf,
    /// Window W for the scale and the recent errors.
    #[arg(long, default_value_t = 20)]
    window: usize,
    /// Action map.
    #[arg(long, default_value = "softmax", value_parser = ["softmax", "residual", "simplex", "select"])]
    action_map: String,
    /// Use ln(RMSE) in block B.
    #[arg(long)]
    log_rmse: bool,
    /// Random steps to check.
    #[arg(long, default_value_t = 500)]
    steps: usize,
}

/// Runs `metablend check-env`.
pub fn run(args: CheckEnvArgs) -> anyhow::Result<()> {
    let panel = read_panel(&args.predictions)?;
    let cfg = EnsembleEnvConfig {
        window: args.window,
        log_rmse: args.log_rmse,
        ..Default::default()
    };
    let data = Arc::new(panel);
    match args.action_map.as_str() {
        "softmax" => check(data, cfg, Softmax, args.steps),
        "residual" => check(data, cfg, Residual, args.steps),
        "simplex" => check(data, cfg, Simplex, args.steps),
        _ => check(data, cfg, Select, args.steps),
    }
}

fn read_panel(path: &PathBuf) -> anyhow::Result<PredictionsPanel> {
    let header = std::fs::read_to_string(path)
        .with_context(|| format!("reading {}", path.display()))?
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    Ok(if header.starts_with("series") {
        PredictionsPanel::read_csv(path)?
    } else {
        PredictionsPanel::new(vec![Predictions::read_csv(path)?])?
    })
}

fn check<M: ActionMap>(
    data: Arc<PredictionsPanel>,
    cfg: EnsembleEnvConfig,
    map: M,
    steps: usize,
) -> anyhow::Result<()> {
    let series = data.len();
    let models = data.model_names().join(", ");
    let mut env = EnsembleEnv::new(data, cfg, map)?;
    check_env(&mut env, 0, steps)?;
    println!(
        "ok: {series} series, models [{models}], action map {:?}: env contract holds",
        env.action_map().kind()
    );
    Ok(())
}
