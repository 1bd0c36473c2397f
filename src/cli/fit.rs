//! `metablend fit`: a meta-model from a panel of the user's series.

use std::path::PathBuf;

use metablend::core::fs::check_output_folder;
use metablend::pipelines::forecast::fit;

use super::panel_args::PanelFitArgs;
use crate::terminal::Terminal;

/// Arguments of `metablend fit`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  metablend fit --data sales.csv --horizon 14 --out sales-model
  metablend fit --data Hourly-train.csv.gz --horizon 48 --season 24 --meta inverse --out m")]
pub struct FitArgs {
    #[command(flatten)]
    panel: PanelFitArgs,
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
    check_output_folder(&args.out, "fit", &[&args.panel.data], args.force)?;
    let (panel, opts) = args.panel.read()?;
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
    if let Some(s) = &card.fforma_shrinkage {
        println!(
            "shrunk toward {} by {:.1} (held-out OWA {:.3} unshrunk, {:.3} shrunk)",
            s.member_name,
            s.lambda,
            s.held_out_owa[0],
            s.held_out_owa.iter().copied().fold(f64::INFINITY, f64::min)
        );
    }
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
