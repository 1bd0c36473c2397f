//! `metablend m4`: meta-feature combination on M4 Hourly or Weekly.

use std::path::PathBuf;

use metablend::ensemble::meta::M4Frequency;
use metablend::ensemble::ModelSpec;
use metablend::env::ensemble::ActionMapKind;

use crate::app::m4::{run as run_m4, M4Options};

/// Arguments of `metablend m4`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  metablend m4 --frequency hourly          # the whole protocol on 414 series
  metablend m4 --frequency weekly --out weekly-report
  metablend m4 --frequency hourly --series 40 --quick   # smoke run")]
pub struct M4Args {
    /// hourly (414 series, h = 48) or weekly (359 series, h = 13).
    #[arg(long, default_value = "hourly")]
    frequency: String,
    /// Folder with {frequency}_train.csv.gz, {frequency}_test.csv.gz and the published
    /// scores (default: the repository's data/m4).
    #[arg(long)]
    data: Option<PathBuf>,
    /// The report folder (replaced when the new report is complete).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Only the first N series.
    #[arg(long)]
    series: Option<usize>,
    /// The model pool, e.g. "naive snaive:24 naive2:24 theta:24" (must include naive2).
    #[arg(long)]
    models: Option<String>,
    /// Leave the global MLP out of the pool.
    #[arg(long)]
    no_global: bool,
    /// Meta-learner seeds.
    #[arg(long, default_value_t = 5)]
    seeds: u64,
    /// Folds of the unseen-series evaluation (0 skips it).
    #[arg(long, default_value_t = 5)]
    folds: usize,
    /// PPO env steps per training run.
    #[arg(long, default_value_t = 30_000)]
    ppo_steps: u64,
    /// PPO action map: residual (inverse-error prior + correction), softmax, simplex, select.
    #[arg(long, default_value = "residual")]
    action_map: String,
    /// Dirichlet policy head (implies the simplex action map).
    #[arg(long)]
    dirichlet: bool,
    /// Smoke-test sizes: a small pool, a short global MLP and PPO runs, 2 seeds, 2 folds.
    #[arg(long)]
    quick: bool,
    /// No progress bars.
    #[arg(long)]
    no_progress: bool,
}

/// Runs `metablend m4`.
pub fn run(args: M4Args) -> anyhow::Result<()> {
    let frequency = M4Frequency::parse(&args.frequency)?;
    let action_map: ActionMapKind = if args.dirichlet {
        ActionMapKind::Simplex
    } else {
        serde_json::from_value(serde_json::Value::String(args.action_map.clone())).map_err(
            |_| {
                anyhow::anyhow!(
                    "unknown action map `{}` (known: residual, softmax, simplex, select)",
                    args.action_map
                )
            },
        )?
    };
    let models = match (&args.models, args.quick) {
        (Some(text), _) => Some(ModelSpec::parse_list(text, frequency.period())?),
        (None, true) => Some(ModelSpec::parse_list(
            match frequency {
                M4Frequency::Hourly => "naive snaive:24 naive2:24 drift ses:24 theta:24",
                M4Frequency::Weekly => "snaive:52 naive2:1 drift ses theta:1",
            },
            frequency.period(),
        )?),
        (None, false) => None,
    };
    let data_dir = args.data.unwrap_or_else(|| {
        let local = PathBuf::from("data/m4");
        if local
            .join(format!("{}_train.csv.gz", frequency.name()))
            .exists()
        {
            local
        } else {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/m4")
        }
    });
    let out = args
        .out
        .unwrap_or_else(|| PathBuf::from(format!("metablend-m4-{}", frequency.name())));
    let opts = M4Options {
        frequency,
        data_dir,
        out: out.clone(),
        series: args.series,
        models,
        global: !args.no_global,
        global_steps: args.quick.then_some(150),
        seeds: if args.quick {
            args.seeds.min(2)
        } else {
            args.seeds
        },
        folds: if args.quick {
            args.folds.min(2)
        } else {
            args.folds
        },
        ppo_steps: if args.quick {
            args.ppo_steps.min(3_000)
        } else {
            args.ppo_steps
        },
        action_map,
        dirichlet: args.dirichlet,
        progress: !args.no_progress,
    };
    let markdown = run_m4(&opts)?;
    println!("{markdown}");
    println!("report: {}", out.join("report.md").display());
    Ok(())
}
