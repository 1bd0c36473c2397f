//! `metablend backtest`: base models' honest out-of-sample forecasts → a predictions CSV.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::bail;

use crate::terminal::Terminal;

use metablend::core::fs::check_output_file;
use metablend::core::{metrics, Progress};
use metablend::ensemble::{
    holdout_panel, read_panel, read_series, FillPolicy, ModelSpec, Series, SeriesCsvOptions,
    WalkForward, Window,
};

/// Arguments of `metablend backtest`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  metablend backtest --series sp500.csv --column close --log --test-size 250 \\
      --models \"naive drift arima:1,1,1 auto_arima mlp lstm\" --refit-every 25 --out preds.csv
  metablend backtest --series demand.csv --period 48 --models default --test-size 1000 --out preds.csv
  metablend backtest --panel hourly_train.csv.gz --test-panel hourly_test.csv.gz \\
      --period 24 --models \"naive snaive:24 theta:24\" --out m4_panel.csv")]
pub struct BacktestArgs {
    /// One series: CSV with `date,value`, `t,value` or a named column (see --column).
    #[arg(long, conflicts_with = "panel")]
    series: Option<PathBuf>,
    /// The value column of --series (default: `value`, or the only non-time column).
    #[arg(long)]
    column: Option<String>,
    /// Empty cells in --series: error, previous (carry forward) or drop.
    #[arg(long, default_value = "error")]
    fill: FillPolicy,
    /// Model on the natural log of the series (prices); forecasts stay in log units.
    #[arg(long)]
    log: bool,
    /// A long panel `series,t,value` (gzip'd or not) of training series: h-step forecasts
    /// from each series' end (the M4 protocol); needs --test-panel.
    #[arg(long, requires = "test_panel")]
    panel: Option<PathBuf>,
    /// The panel's test values (same series, the h steps after each training end).
    #[arg(long)]
    test_panel: Option<PathBuf>,
    /// Models separated by spaces or `;`, or `default` (the default pool for --period).
    #[arg(long, default_value = "default")]
    models: String,
    /// Seasonal period used by `default`, seasonal naive and Theta (1: none).
    #[arg(long, default_value_t = 1)]
    period: usize,
    /// First forecast origin (row index); default: the length minus --test-size.
    #[arg(long, conflicts_with = "test_size")]
    start: Option<usize>,
    /// Forecast the last N points (one step ahead each).
    #[arg(long)]
    test_size: Option<usize>,
    /// Re-estimate every R origins; in between, models only absorb new observations.
    #[arg(long, default_value_t = 25)]
    refit_every: usize,
    /// Rolling estimation window of N points (default: expanding).
    #[arg(long)]
    rolling: Option<usize>,
    /// Output predictions CSV (written atomically).
    #[arg(long)]
    out: PathBuf,
}

fn log_transform(mut s: Series) -> anyhow::Result<Series> {
    if let Some(i) = s.values.iter().position(|&v| v <= 0.0) {
        bail!("--log: value {} at row {i} is not positive", s.values[i]);
    }
    s.values.iter_mut().for_each(|v| *v = v.ln());
    Ok(s)
}

/// Runs `metablend backtest`.
pub fn run(args: BacktestArgs) -> anyhow::Result<()> {
    let inputs: Vec<&std::path::Path> = [&args.series, &args.panel, &args.test_panel]
        .into_iter()
        .flatten()
        .map(PathBuf::as_path)
        .collect();
    check_output_file(&args.out, &inputs)?;
    let models = ModelSpec::parse_list(&args.models, args.period)?;
    if models.len() < 2 {
        bail!("--models: give at least two models to combine");
    }
    match (&args.panel, &args.test_panel, &args.series) {
        (Some(train), Some(test), _) => run_panel(&args, models, train, test),
        (None, _, Some(series)) => run_series(&args, models, series),
        _ => bail!("give --series FILE (one series) or --panel/--test-panel (a panel)"),
    }
}

fn read_log_panel(path: &std::path::Path, log: bool) -> anyhow::Result<Vec<Series>> {
    let panel = read_panel(path)?;
    if !log {
        return Ok(panel);
    }
    panel.into_iter().map(log_transform).collect()
}

fn run_panel(
    args: &BacktestArgs,
    models: Vec<ModelSpec>,
    train: &std::path::Path,
    test: &std::path::Path,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let train = read_log_panel(train, args.log)?;
    let test = read_log_panel(test, args.log)?;
    let terminal = Terminal::new(true);
    terminal.start("series", train.len() as u64);
    let out = holdout_panel(&models, &train, &test, &terminal)?;
    drop(terminal);
    out.write_csv(&args.out)?;
    println!(
        "{} series x {} models -> {} in {:.1} s",
        out.len(),
        out.model_names().len(),
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn run_series(
    args: &BacktestArgs,
    models: Vec<ModelSpec>,
    path: &std::path::Path,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let options = SeriesCsvOptions {
        column: args.column.clone(),
        fill: args.fill,
    };
    let mut series = read_series(path, &options)?;
    if args.log {
        series = log_transform(series)?;
    }
    let n = series.values.len();
    let start = match (args.start, args.test_size) {
        (Some(s), _) => s,
        (None, Some(h)) if h < n => n - h,
        (None, Some(h)) => bail!("--test-size {h} is not smaller than the series length {n}"),
        (None, None) => bail!("give --start or --test-size"),
    };
    let wf = WalkForward {
        models,
        start,
        end: None,
        refit_every: args.refit_every,
        window: args.rolling.map_or(Window::Expanding, Window::Rolling),
    };
    let terminal = Terminal::new(true);
    terminal.start("forecasts", ((n - start.min(n)) * wf.models.len()) as u64);
    let out = wf.run(&series, &terminal)?;
    drop(terminal);
    let p = &out.predictions;
    p.write_csv(&args.out)?;
    println!(
        "{} origins x {} models in {:.1} s -> {}",
        p.len(),
        p.num_models(),
        started.elapsed().as_secs_f64(),
        args.out.display()
    );
    println!("| model | RMSE | MAE |\n|---|---|---|");
    for (k, name) in p.model_names().iter().enumerate() {
        let col = p.model_column(k);
        let (rmse, mae) = (
            metrics::rmse(p.target(), &col)?,
            metrics::mae(p.target(), &col)?,
        );
        println!("| {name} | {rmse:.6} | {mae:.6} |");
    }
    for f in &out.refit_failures {
        eprintln!(
            "warning: {} refit at t = {} failed (kept the previous fit): {}",
            f.model, f.t, f.message
        );
    }
    Ok(())
}
