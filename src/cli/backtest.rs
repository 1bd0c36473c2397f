//! `metablend backtest`: base models' honest out-of-sample forecasts → a predictions CSV.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context};

use metablend::core::metrics;
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
    #[arg(long, default_value = "error", value_parser = ["error", "previous", "drop"])]
    fill: String,
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
    let models = ModelSpec::parse_list(&args.models, args.period)?;
    if models.len() < 2 {
        bail!("--models: give at least two models to combine");
    }
    let started = Instant::now();
    if let Some(panel) = &args.panel {
        let test_path = args
            .test_panel
            .as_ref()
            .expect("clap requires --test-panel");
        let mut train = read_panel(panel)?;
        let mut test = read_panel(test_path)?;
        if args.log {
            train = train
                .into_iter()
                .map(log_transform)
                .collect::<anyhow::Result<_>>()?;
            test = test
                .into_iter()
                .map(log_transform)
                .collect::<anyhow::Result<_>>()?;
        }
        let progress = crate::app::progress_bar(train.len() as u64, "series");
        let out = holdout_panel(&models, &train, &test, Some(&progress))?;
        progress.finish_and_clear();
        out.write_csv(&args.out)
            .with_context(|| format!("writing {}", args.out.display()))?;
        println!(
            "{} series x {} models -> {} in {:.1} s",
            out.len(),
            out.model_names().len(),
            args.out.display(),
            started.elapsed().as_secs_f64()
        );
        return Ok(());
    }
    let Some(path) = &args.series else {
        bail!("give --series FILE (one series) or --panel/--test-panel (a panel)");
    };
    let fill = match args.fill.as_str() {
        "previous" => FillPolicy::Previous,
        "drop" => FillPolicy::Drop,
        _ => FillPolicy::Error,
    };
    let options = SeriesCsvOptions {
        column: args.column.clone(),
        fill,
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
    let progress =
        crate::app::progress_bar(((n - start.min(n)) * wf.models.len()) as u64, "forecasts");
    let out = wf.run(&series, Some(&progress))?;
    progress.finish_and_clear();
    out.predictions
        .write_csv(&args.out)
        .with_context(|| format!("writing {}", args.out.display()))?;
    let p = &out.predictions;
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
        println!(
            "| {name} | {:.6} | {:.6} |",
            metrics::rmse(p.target(), &col)?,
            metrics::mae(p.target(), &col)?
        );
    }
    for f in &out.refit_failures {
        eprintln!(
            "warning: {} refit at t = {} failed (kept the previous fit): {}",
            f.model, f.t, f.message
        );
    }
    Ok(())
}
