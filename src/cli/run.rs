//! `metablend run`: the main job on the vendored data.

use std::path::PathBuf;

use crate::app::evaluate::verdicts_markdown;
use crate::app::main_job::{run as run_job, MainJob};

/// Arguments of `metablend run`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  metablend run                 # full main job (a few minutes on 2 cores)
  metablend run --quick         # smoke run (under a minute)
  metablend run --out my-report --seeds 0,1,2")]
pub struct RunArgs {
    /// Smoke-test sizes: fewer origins and models, a short PPO run, one seed.
    #[arg(long)]
    quick: bool,
    /// The report folder (replaced when the new report is complete).
    #[arg(long, default_value = "metablend-report")]
    out: PathBuf,
    /// PPO seeds (the policy is chosen among them on validation).
    #[arg(long, value_delimiter = ',')]
    seeds: Option<Vec<u64>>,
}

/// Runs `metablend run`.
pub fn run(args: RunArgs) -> anyhow::Result<()> {
    let seeds = args
        .seeds
        .unwrap_or_else(|| if args.quick { vec![0] } else { vec![0, 1, 2] });
    let job = MainJob {
        out: args.out.clone(),
        quick: args.quick,
        seeds,
    };
    let results = run_job(&job)?;
    for r in &results {
        println!("\n{}", r.title);
        print!("{}", r.evaluation.report.to_table());
        print!("{}", verdicts_markdown(&r.evaluation.verdicts));
    }
    println!("\nreport: {}", args.out.join("report.md").display());
    Ok(())
}
