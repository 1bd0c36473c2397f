//! `metablend fit`: a meta-model from a panel of the user's series.

use std::path::PathBuf;

use metablend::core::fs::check_output_folder;
use metablend::ensemble::panel::{read_panel_file, PanelOptions};
use metablend::ensemble::{FillPolicy, ModelSpec};
use metablend::pipelines::forecast::{fit, FitOptions, MetaLearner};

use crate::terminal::Terminal;

/// Arguments of `metablend fit`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  metablend fit --data sales.csv --horizon 14 --out sales-model
  metablend fit --data Hourly-train.csv.gz --horizon 48 --season 24 --meta inverse --out m")]
pub struct FitArgs {
    /// The panel: a long CSV (`unique_id,ds,y` or `series,t,value`) or an M4 wide file,
    /// gzip'd or not.
    #[arg(long)]
    data: PathBuf,
    /// Steps to forecast (also the validation window's length).
    #[arg(long)]
    horizon: usize,
    /// Seasonal period (default: from the stamps' frequency, e.g. 7 for daily data; else 1).
    #[arg(long)]
    season: Option<usize>,
    /// The pool: models separated by spaces or `;` (default: naive, seasonal naive, Naive2,
    /// drift, SES, Holt, damped, Theta, auto ARIMA).
    #[arg(long)]
    pool: Option<String>,
    /// The combination: fforma, inverse, best or equal.
    #[arg(long, default_value = "fforma")]
    meta: String,
    /// The meta-learner's seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Missing values: error, previous (carry forward) or drop.
    #[arg(long, default_value = "error")]
    fill: FillPolicy,
    /// The model folder to write.
    #[arg(long)]
    out: PathBuf,
    /// Replace --out even if another command wrote it.
    #[arg(long)]
    force: bool,
    /// No progress bars.
    #[arg(long)]
    no_progress: bool,
}

/// Runs `metablend fit`.
pub fn run(args: FitArgs) -> anyhow::Result<()> {
    check_output_folder(&args.out, "fit", &[&args.data], args.force)?;
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
    let opts = FitOptions {
        horizon: args.horizon,
        season: Some(season),
        models,
        meta: args.meta.parse::<MetaLearner>()?,
        seed: args.seed,
    };
    let model = fit(&panel, &opts, &Terminal::new(!args.no_progress))?;
    model.save(&args.out)?;
    let card = &model.card;
    println!(
        "fitted {} on {} of {} series (frequency {}, season {}, horizon {}; pool: {})",
        card.meta,
        card.fitted_series,
        card.series,
        card.frequency.map_or("unknown".into(), |f| f.name()),
        card.period,
        card.horizon,
        card.names.join(" ")
    );
    if !card.fallbacks.is_empty() {
        println!(
            "{} series too short or constant for the pool get Naive2: {}",
            card.fallbacks.len(),
            preview(&card.fallbacks)
        );
    }
    println!("model written to {}", args.out.display());
    Ok(())
}

/// The first few ids, and how many more.
pub fn preview(ids: &[impl AsRef<str>]) -> String {
    let shown: Vec<&str> = ids.iter().take(5).map(AsRef::as_ref).collect();
    match ids.len().saturating_sub(5) {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}
