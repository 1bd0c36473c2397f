//! Prints single-env step throughput (wall time, steps/s) for CartPole-v1 and the ensemble
//! env; a quick complement to `cargo bench --bench bench_main -- env_step`.

use metablend_env::envs::CartPole;
use metablend_env::{EnsembleEnv, EnsembleEnvConfig, Env, Predictions};
use std::time::Instant;

// The same allocator as the `metablend` binary and the benches.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    // `bench_env_step [cartpole_steps] [ensemble_steps]`
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    let n = args.first().copied().unwrap_or(20_000_000);
    let mut env = CartPole::v1();
    env.reset(Some(0))?;
    let start = Instant::now();
    let mut total = 0.0;
    for i in 0..n {
        let s = env.step(&((i >> 2) & 1))?;
        total += s.reward;
        if s.done() {
            env.reset(None)?;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "CartPole-v1: {n} steps in {secs:.3} s = {:.2} M steps/s ({total})",
        n as f64 / secs / 1e6
    );

    let t = 5000;
    let target: Vec<f64> = (0..t).map(|i| (i as f64 * 0.05).sin() * 10.0).collect();
    let preds = (0..t)
        .map(|i| {
            (0..4)
                .map(|j| target[i] + ((i * (j + 3)) as f64).cos())
                .collect()
        })
        .collect();
    let data = Predictions::new(target, preds, (0..4).map(|j| format!("m{j}")).collect())?;
    let mut env = EnsembleEnv::single(
        data,
        EnsembleEnvConfig {
            episode_len: Some(256),
            ..Default::default()
        },
    )?;
    env.reset(Some(0))?;
    let n = args.get(1).copied().unwrap_or(5_000_000);
    let action = vec![0.1, -0.3, 0.2, 0.0];
    let start = Instant::now();
    for _ in 0..n {
        let s = env.step(&action)?;
        total += s.reward;
        if s.done() {
            env.reset(None)?;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "ensemble K=4 W=20: {n} steps in {secs:.3} s = {:.2} M steps/s ({total})",
        n as f64 / secs / 1e6
    );
    Ok(())
}
