//! `metablend m4`: meta-feature combination on M4 Hourly or Weekly.

use std::path::PathBuf;

use metablend::core::fs::check_output_folder;
use metablend::ensemble::meta::M4Frequency;
use metablend::ensemble::meta::Objective;
use metablend::ensemble::ModelSpec;
use metablend::env::ensemble::ActionMapKind;
use metablend::pipelines::forecast::{FitSettings, InputWindow, MetaLearner};
use metablend::pipelines::m4::{
    official_markdown, run as run_m4, run_official, write_official, M4Options, OfficialFrequency,
    OfficialOptions,
};

use crate::plots::Png;
use crate::terminal::Terminal;

/// Arguments of `metablend m4`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  metablend m4 --frequency hourly          # the whole protocol on 414 series
  metablend m4 --frequency weekly --out weekly-report
  metablend m4 --frequency hourly --series 40 --quick   # smoke run
  metablend m4 --official ~/m4 --out m4-report           # fit/forecast on every frequency's official files
  metablend m4 --official ~/m4 --only monthly --meta ppo --level 80 95")]
pub struct M4Args {
    /// hourly (414 series, h = 48) or weekly (359 series, h = 13).
    #[arg(long, default_value = "hourly")]
    frequency: M4Frequency,
    /// Folder with {frequency}_train.csv.gz, {frequency}_test.csv.gz and the published
    /// scores (default: the repository's data/m4).
    #[arg(long)]
    data: Option<PathBuf>,
    /// The report folder (replaced only when the new report is complete, and only if
    /// `metablend m4` wrote it).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace --out even if it holds files metablend did not write.
    #[arg(long)]
    force: bool,
    /// Only the first N series.
    #[arg(long)]
    series: Option<usize>,
    /// The model pool, e.g. "naive snaive:24 naive2:24 theta:24" (must include naive2; with
    /// --official, periods are explicit, so use it with --only).
    #[arg(long)]
    models: Option<String>,
    /// Leave the global MLP out of the pool.
    #[arg(long)]
    no_global: bool,
    /// Meta-learner seeds (default 5; 2 with --quick).
    #[arg(long)]
    seeds: Option<u64>,
    /// Folds of the unseen-series evaluation (0 skips it; default 5, 2 with --quick).
    #[arg(long)]
    folds: Option<usize>,
    /// PPO env steps per training run (default 30,000; 3,000 with --quick).
    #[arg(long)]
    ppo_steps: Option<u64>,
    /// PPO action map: residual (inverse-error prior + correction), softmax, simplex, select.
    #[arg(long, default_value = "residual")]
    action_map: ActionMapKind,
    /// Dirichlet policy head (implies the simplex action map).
    #[arg(long)]
    dirichlet: bool,
    /// Smoke-test sizes: a small pool, a short global MLP and PPO runs, 2 seeds, 2 folds
    /// (explicit --seeds, --folds and --ppo-steps win).
    #[arg(long)]
    quick: bool,
    /// No progress bars.
    #[arg(long)]
    no_progress: bool,
    /// Instead of the meta-learning protocol: `fit` and `forecast` (the generic path, with
    /// M4's horizon and period and the m4-hourly / m4-weekly presets) on M4's official files
    /// in this folder, every frequency whose `<Frequency>-train.csv(.gz)` and
    /// `<Frequency>-test.csv(.gz)` are there (Yearly, Quarterly, Monthly, Weekly, Daily,
    /// Hourly), scored on the test horizon beside the published rows.
    #[arg(long)]
    official: Option<PathBuf>,
    /// With --official: only these frequencies.
    #[arg(long, num_args = 1.., requires = "official")]
    only: Vec<OfficialFrequency>,
    /// With --official: the combination (fforma, ppo, inverse, best, equal).
    #[arg(long, default_value = "fforma", requires = "official")]
    meta: String,
    /// With --official and --meta fforma: the training objective (expected or combined;
    /// default: each frequency's preset's).
    #[arg(long, value_enum, requires = "official")]
    fforma_objective: Option<Objective>,
    /// With --official and --meta fforma: the window whose errors the learner observes
    /// (validation or earlier).
    #[arg(long, value_enum, default_value = "validation", requires = "official")]
    fforma_inputs: InputWindow,
    /// With --official and --meta fforma: shrink the weights toward the panel's best
    /// member (the amount chosen on series held out of the learner's training; default:
    /// each frequency's preset's; `--fforma-shrink false` turns it off).
    #[arg(long, num_args = 0..=1, default_missing_value = "true", requires = "official")]
    fforma_shrink: Option<bool>,
    /// With --official and --meta fforma: networks in the learner's bag (default: each
    /// frequency's preset's).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1000), requires = "official")]
    fforma_bag: Option<u64>,
    /// With --official: the meta-learner's seed.
    #[arg(long, default_value_t = 0, requires = "official")]
    seed: u64,
    /// With --official: interval levels scored (coverage, MSIS).
    #[arg(long, num_args = 1.., default_values_t = [80.0, 95.0], requires = "official")]
    level: Vec<f64>,
}

/// `metablend m4 --official DIR`: the generic path on M4's official files.
fn run_official_files(args: &M4Args, dir: PathBuf) -> anyhow::Result<()> {
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("metablend-m4-official"));
    check_output_folder(&out, "m4", &[&dir], args.force)?;
    let mut settings = FitSettings {
        meta: args.meta.parse::<MetaLearner>()?,
        fforma_objective: args.fforma_objective,
        fforma_inputs: args.fforma_inputs,
        fforma_shrink: args.fforma_shrink,
        fforma_bag: args.fforma_bag.map(|b| b as usize),
        seed: args.seed,
        ..FitSettings::default()
    };
    if args.quick {
        settings.global_steps = Some(150);
    }
    if let Some(text) = &args.models {
        settings.pool = Some(text.clone());
    }
    let opts = OfficialOptions {
        dir,
        frequencies: (!args.only.is_empty()).then(|| args.only.clone()),
        settings,
        levels: args.level.clone(),
        series: args.series,
        small_pool: args.quick && args.models.is_none(),
    };
    let results = run_official(&opts, &Terminal::new(!args.no_progress))?;
    write_official(&out, &results)?;
    println!("{}", official_markdown(&results));
    println!("report: {}", out.join("report.md").display());
    Ok(())
}

/// Runs `metablend m4`.
pub fn run(args: M4Args) -> anyhow::Result<()> {
    if let Some(dir) = args.official.clone() {
        return run_official_files(&args, dir);
    }
    let frequency = args.frequency;
    let action_map = if args.dirichlet {
        ActionMapKind::Simplex
    } else {
        args.action_map
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
    let data_dir = args
        .data
        .unwrap_or_else(|| super::metaopt::default_m4_data(frequency.name()));
    let out = args
        .out
        .unwrap_or_else(|| PathBuf::from(format!("metablend-m4-{}", frequency.name())));
    check_output_folder(&out, "m4", &[&data_dir], args.force)?;
    let opts = M4Options {
        frequency,
        data_dir,
        series: args.series,
        models,
        global: !args.no_global,
        global_steps: args.quick.then_some(150),
        seeds: args.seeds.unwrap_or(if args.quick { 2 } else { 5 }),
        folds: args.folds.unwrap_or(if args.quick { 2 } else { 5 }),
        ppo_steps: args
            .ppo_steps
            .unwrap_or(if args.quick { 3_000 } else { 30_000 }),
        action_map,
        dirichlet: args.dirichlet,
    };
    let outcome = run_m4(&opts, &Terminal::new(!args.no_progress))?;
    outcome.write_folder(&out, &Png)?;
    println!("{}", outcome.report.to_markdown(&outcome.pool));
    println!("report: {}", out.join("report.md").display());
    Ok(())
}
