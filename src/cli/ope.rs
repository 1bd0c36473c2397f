//! `metablend collect` and `metablend ope`: off-policy evaluation on the ensemble env.

use std::path::PathBuf;

use metablend::agents::ope::{read_log, write_log, OpeSettings, PolicyChoice};
use metablend::core::fs::{check_output_file, write_text};
use metablend::env::Predictions;
use metablend::pipelines::single::ope::{collect_log, estimate, OpeEnv};

/// The run and the env its policy acts in (shared by `collect` and `ope`).
#[derive(Debug, clap::Args)]
pub struct RunEnvArgs {
    /// A run folder (its best policy and env settings are used).
    #[arg(long)]
    run: PathBuf,
    /// The predictions CSV the env is built from.
    #[arg(long)]
    predictions: PathBuf,
    /// Rows the env's episodes start in: train, validation or test.
    #[arg(long, default_value = "validation")]
    range: String,
    /// Episode length (default: the run's; shorter episodes keep importance weights usable;
    /// for `ope --replay`, use the log's).
    #[arg(long)]
    episode_len: Option<usize>,
}

impl RunEnvArgs {
    fn run<T>(
        &self,
        f: impl FnOnce(&OpeEnv<'_>) -> metablend::pipelines::Result<T>,
    ) -> anyhow::Result<T> {
        let preds = Predictions::read_csv(&self.predictions)?;
        Ok(f(&OpeEnv {
            run: &self.run,
            preds: &preds,
            range: &self.range,
            episode_len: self.episode_len,
        })?)
    }

    fn inputs(&self) -> [&std::path::Path; 2] {
        [self.run.as_path(), self.predictions.as_path()]
    }
}

/// Arguments of `metablend collect`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  metablend collect --run runs/taylor --predictions taylor.csv --policy noise:0.5 --episodes 500 --out log.jsonl
  metablend collect --run runs/taylor --predictions taylor.csv --policy ppo --range test --out log.jsonl")]
pub struct CollectArgs {
    #[command(flatten)]
    env: RunEnvArgs,
    /// Behaviour policy: ppo (its stochastic policy), noise:SIGMA (deterministic action +
    /// Gaussian noise; continuous maps) or epsilon:EPS (ε-greedy; the select map).
    #[arg(long, default_value = "ppo")]
    policy: PolicyChoice,
    /// Episodes to log.
    #[arg(long, default_value_t = 500)]
    episodes: usize,
    /// Seed of the episodes and the policy's sampling.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// The log (JSONL, written atomically).
    #[arg(long)]
    out: PathBuf,
}

/// Runs `metablend collect`.
pub fn run_collect(args: CollectArgs) -> anyhow::Result<()> {
    check_output_file(&args.out, &args.env.inputs())?;
    let log = args
        .env
        .run(|env| collect_log(env, args.policy, args.episodes, args.seed))?;
    write_log(&args.out, &log)?;
    let steps: usize = log.iter().map(|t| t.steps.len()).sum();
    println!(
        "{} episodes, {steps} steps -> {}",
        log.len(),
        args.out.display()
    );
    Ok(())
}

/// Arguments of `metablend ope`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:
  metablend ope --run runs/taylor --predictions taylor.csv --log log.jsonl --policy ppo \\
      --replay 2000 --markdown ope.md --json ope.json")]
pub struct OpeArgs {
    #[command(flatten)]
    env: RunEnvArgs,
    /// A log written by `metablend collect` (or any tool writing the same format).
    #[arg(long)]
    log: PathBuf,
    /// Target policy: ppo, noise:SIGMA or epsilon:EPS.
    #[arg(long, default_value = "ppo")]
    policy: PolicyChoice,
    /// Discount factor of the value estimated (1: the episode's total reward).
    #[arg(long, default_value_t = 1.0)]
    gamma: f64,
    /// Bootstrap resamples for the intervals.
    #[arg(long, default_value_t = 1000)]
    bootstrap: usize,
    /// Also replay the target policy on the env for this many episodes (its simulated value).
    #[arg(long, default_value_t = 0)]
    replay: usize,
    /// Seed of the bootstrap and the replay.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Also write the table as Markdown here.
    #[arg(long)]
    markdown: Option<PathBuf>,
    /// Also write the report as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
}

/// Runs `metablend ope`.
pub fn run_ope(args: OpeArgs) -> anyhow::Result<()> {
    let [run, predictions] = args.env.inputs();
    for out in [&args.markdown, &args.json].into_iter().flatten() {
        check_output_file(out, &[run, predictions, &args.log])?;
    }
    let log = read_log(&args.log)?;
    let settings = OpeSettings {
        gamma: args.gamma,
        bootstrap: args.bootstrap,
        seed: args.seed,
        ..OpeSettings::default()
    };
    let outcome = args
        .env
        .run(|env| estimate(env, args.policy, &log, &settings, args.replay))?;
    let md = outcome.to_markdown();
    print!("{md}");
    if let Some(path) = &args.markdown {
        write_text(path, &md)?;
    }
    if let Some(path) = &args.json {
        write_text(path, &serde_json::to_string_pretty(&outcome)?)?;
    }
    Ok(())
}
