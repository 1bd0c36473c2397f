//! `metablend run`: the main job on the vendored data.

use std::path::PathBuf;

use metablend::core::fs::{check_output_folder, write_output_folder};
use metablend::pipelines::main_job::{run as run_job, JobIo, MainJob};
use metablend::pipelines::single::verdicts_markdown;

use crate::plots::Png;
use crate::terminal::Terminal;

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
    /// The report folder (replaced only when the new report is complete, and only if
    /// `metablend run` wrote it).
    #[arg(long, default_value = "metablend-report")]
    out: PathBuf,
    /// Replace --out even if it holds files metablend did not write.
    #[arg(long)]
    force: bool,
    /// PPO seeds (the policy is chosen among them on validation).
    #[arg(long, value_delimiter = ',')]
    seeds: Option<Vec<u64>>,
    /// No progress bars.
    #[arg(long)]
    no_progress: bool,
}

/// Runs `metablend run`.
pub fn run(args: RunArgs) -> anyhow::Result<()> {
    check_output_folder(&args.out, "run", &[], args.force)?;
    let seeds = args
        .seeds
        .unwrap_or_else(|| if args.quick { vec![0] } else { vec![0, 1, 2] });
    let job = MainJob {
        quick: args.quick,
        seeds,
    };
    let terminal = Terminal::new(!args.no_progress);
    let io = JobIo {
        progress: &terminal,
        charts: &Png,
    };
    let mut results = Vec::new();
    write_output_folder(
        &args.out,
        "run",
        |dir| -> metablend::pipelines::Result<()> {
            results = run_job(&job, dir, &io)?;
            Ok(())
        },
    )?;
    drop(terminal);
    for r in &results {
        println!("\n{}", r.title);
        print!("{}", r.evaluation.report.to_table());
        print!("{}", verdicts_markdown(&r.evaluation.verdicts));
    }
    println!("\nreport: {}", args.out.join("report.md").display());
    Ok(())
}
