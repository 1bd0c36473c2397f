//! `metablend gym`: PPO on the classic-control reference envs.

use anyhow::Context;
use metablend::agents::ppo::{
    CheckpointEvery, Control, JsonlLogger, OnUpdate, PolicySpace, Ppo, PpoConfig,
};
use metablend::core::Progress;

use crate::terminal::Terminal;
use metablend::env::envs::{CartPole, Pendulum};
use metablend::env::{evaluate_policy, BoxSpace, Env};
use std::path::PathBuf;
use std::time::Instant;

/// Arguments of `metablend gym`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  metablend gym --env cartpole\n  metablend gym --env pendulum --seeds 3 --out runs/pendulum"
)]
pub struct GymArgs {
    /// Which env.
    #[arg(long)]
    env: GymEnv,
    /// Environment steps per seed.
    #[arg(long, default_value_t = 100_000)]
    steps: u64,
    /// Seeds 0..N to train, one after the other.
    #[arg(long, default_value_t = 1)]
    seeds: u64,
    /// A PPO config (TOML) replacing the zoo preset.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Folder for per-seed logs (JSONL) and final checkpoints.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Deterministic evaluation episodes after training.
    #[arg(long, default_value_t = 10)]
    eval_episodes: usize,
}

/// The reference envs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum GymEnv {
    /// CartPole-v1.
    Cartpole,
    /// Pendulum-v1.
    Pendulum,
}

/// Runs `metablend gym`.
pub fn run(args: GymArgs) -> anyhow::Result<()> {
    let base = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading config {}", path.display()))?;
            PpoConfig::from_toml(&text).with_context(|| format!("in {}", path.display()))?
        }
        None if args.env == GymEnv::Cartpole => PpoConfig::cartpole_zoo(),
        None => PpoConfig::pendulum_zoo(),
    };
    println!("| env | seed | steps | wall s | steps/s | eval mean | eval std |");
    println!("|---|---|---|---|---|---|---|");
    for seed in 0..args.seeds {
        let cfg = PpoConfig {
            seed,
            ..base.clone()
        };
        match args.env {
            GymEnv::Cartpole => train("CartPole-v1", cfg, &args, seed, CartPole::v1)?,
            GymEnv::Pendulum => train("Pendulum-v1", cfg, &args, seed, Pendulum::v1)?,
        }
    }
    Ok(())
}

fn train<E>(
    name: &str,
    cfg: PpoConfig,
    args: &GymArgs,
    seed: u64,
    make: fn() -> E,
) -> anyhow::Result<()>
where
    E: Env<Obs = Vec<f64>, ObsSpace = BoxSpace>,
    E::ActSpace: PolicySpace + Clone,
{
    let start = Instant::now();
    let mut ppo = Ppo::new(cfg, |_| Ok(make()))?;
    let terminal = Terminal::new(true);
    terminal.start(name, args.steps);
    let mut done = 0;
    let mut bar = OnUpdate(|log: &metablend::agents::ppo::UpdateLog| {
        terminal.advance(log.total_timesteps - done);
        done = log.total_timesteps;
        if terminal.stop_requested() {
            Control::Stop
        } else {
            Control::Continue
        }
    });
    match &args.out {
        Some(out) => {
            let dir = out.join(format!("seed_{seed}"));
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            let mut log = JsonlLogger::create(dir.join("progress.jsonl"))?;
            let mut ckpt = CheckpointEvery {
                dir: dir.join("checkpoints"),
                every: 0,
            };
            ppo.learn(args.steps, &mut [&mut log, &mut ckpt, &mut bar])?;
        }
        None => {
            ppo.learn(args.steps, &mut [&mut bar])?;
        }
    }
    drop(terminal);
    let secs = start.elapsed().as_secs_f64();
    let steps = ppo.learner().num_timesteps;
    let mut policy = ppo.policy()?;
    let eval = evaluate_policy(
        &mut make(),
        &mut policy,
        args.eval_episodes.max(1),
        true,
        Some(10_000 + seed),
    )?;
    println!(
        "| {name} | {seed} | {steps} | {secs:.2} | {:.0} | {:.1} | {:.1} |",
        steps as f64 / secs,
        eval.mean_return(),
        eval.std_return()
    );
    Ok(())
}
