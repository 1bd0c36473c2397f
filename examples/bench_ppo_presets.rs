//! Trains PPO with the rl-baselines3-zoo presets on CartPole-v1 and Pendulum-v1 and prints
//! wall time, steps/s and the deterministic 10-episode evaluation, per seed:
//!
//! `cargo run --release --example bench_ppo_presets -- [cartpole|pendulum|both] [seeds] [steps]`

use metablend_agents::ppo::{Ppo, PpoConfig};
use metablend_env::envs::{CartPole, Pendulum};
use metablend_env::{evaluate_policy, Env};
use std::time::Instant;

// Tensor buffers are allocated and freed thousands of times per second; glibc's malloc
// returns them to the OS and page-faults them back, mimalloc keeps them.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    metablend_agents::set_candle_threads(1);
    let args: Vec<String> = std::env::args().collect();
    let which = args.get(1).map(String::as_str).unwrap_or("both");
    let seeds: u64 = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(3);
    let steps: u64 = args
        .get(3)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(100_000);
    if which != "pendulum" {
        for seed in 0..seeds {
            let cfg = PpoConfig {
                seed,
                ..PpoConfig::cartpole_zoo()
            };
            run("CartPole-v1", cfg, steps, CartPole::v1)?;
        }
    }
    if which != "cartpole" {
        for seed in 0..seeds {
            let cfg = PpoConfig {
                seed,
                ..PpoConfig::pendulum_zoo()
            };
            run("Pendulum-v1", cfg, steps, Pendulum::v1)?;
        }
    }
    Ok(())
}

fn run<E>(name: &str, cfg: PpoConfig, steps: u64, make: fn() -> E) -> anyhow::Result<()>
where
    E: Env<Obs = Vec<f64>, ObsSpace = metablend_env::BoxSpace>,
    E::ActSpace: metablend_agents::ppo::PolicySpace + Clone,
{
    let seed = cfg.seed;
    let start = Instant::now();
    let mut ppo = Ppo::new(cfg, |_| Ok(make()))?;
    let logs = ppo.learn(steps, &mut [])?;
    let secs = start.elapsed().as_secs_f64();
    let done = ppo.learner().num_timesteps;
    let mut policy = ppo.policy()?;
    let mut env = make();
    let eval = evaluate_policy(&mut env, &mut policy, 10, true, Some(1000 + seed))?;
    println!(
        "{name} seed {seed}: {done} steps in {secs:.2} s ({:.0} steps/s), train ep_rew_mean {:.1}, eval mean {:.1} +/- {:.1}",
        done as f64 / secs,
        logs.last().and_then(|l| l.ep_rew_mean).unwrap_or(f64::NAN),
        eval.mean_return(),
        eval.std_return()
    );
    Ok(())
}
