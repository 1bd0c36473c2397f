//! Gaussian logits + softmax vs a Dirichlet head on the simplex, per seed, on the synthetic
//! regime-switching task (`metablend_env::ensemble::synthetic::RegimeTask`): the fraction of
//! the test-range squared-error gap between equal weights and the regime oracle that each
//! closes, after a given number of training steps; and the stricter fraction of the gap
//! between the best fixed combination (chosen with hindsight on the test rows) and the oracle.
//!
//! `cargo run --release --example bench_simplex_heads -- [seeds] [steps...]`

use metablend_agents::ppo::{PolicySpace, Ppo, PpoConfig};
use metablend_env::ensemble::synthetic::RegimeTask;
use metablend_env::ensemble::{EpisodeStart, Simplex, Softmax};
use metablend_env::{ActionMap, EnsembleEnv, EnsembleEnvConfig, PredictionsPanel};
use std::sync::Arc;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn gap_closed<M: ActionMap>(
    task: &RegimeTask,
    map: M,
    dirichlet: bool,
    seed: u64,
    steps: u64,
) -> anyhow::Result<(f64, f64)>
where
    M::Space: PolicySpace,
{
    let panel = Arc::new(PredictionsPanel::new(vec![task.data.clone()])?);
    let train = EnsembleEnvConfig {
        window: 20,
        range_end: Some(3000),
        episode_len: Some(128),
        ..Default::default()
    };
    let make = |cfg: EnsembleEnvConfig| {
        EnsembleEnv::new(panel.clone(), cfg, map.clone())
            .and_then(|e| e.with_features(task.feature()))
    };
    let cfg = PpoConfig {
        n_envs: 4,
        n_steps: 128,
        batch_size: 64,
        n_epochs: 10,
        gamma: 0.5,
        seed,
        dirichlet,
        ..Default::default()
    };
    let mut ppo = Ppo::new(cfg, |_| make(train.clone()))?;
    ppo.learn(steps, &mut [])?;
    let test = EnsembleEnvConfig {
        start: EpisodeStart::Beginning,
        episode_len: None,
        range_start: Some(3000),
        range_end: None,
        ..train
    };
    let mut policy = ppo.policy()?;
    let forecasts = make(test)?.forecast_episode(&mut policy, true, Some(0))?;
    let pairs: Vec<(usize, f64)> = forecasts.into_iter().map(|(t, f, _)| (t, f)).collect();
    Ok((
        task.gap_closed(pairs.iter().copied()),
        task.gap_closed_from_best_fixed(pairs),
    ))
}

fn main() -> anyhow::Result<()> {
    metablend_agents::set_candle_threads(1);
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    let seeds = args.first().copied().unwrap_or(5);
    let budgets = if args.len() > 1 {
        args[1..].to_vec()
    } else {
        vec![10_000, 20_000, 40_000]
    };
    let task = RegimeTask::generate(4000, 7);
    println!("Fraction of the gap closed: from equal weights (from the best fixed combination)");
    println!("| steps | seed | Gaussian + softmax | Dirichlet on simplex | better |");
    println!("|---|---|---|---|---|");
    for &steps in &budgets {
        for seed in 0..seeds {
            let (g, g_fixed) = gap_closed(&task, Softmax, false, seed, steps)?;
            let (d, d_fixed) = gap_closed(&task, Simplex, true, seed, steps)?;
            let better = if (g - d).abs() < 0.005 {
                "tie"
            } else if g > d {
                "Gaussian"
            } else {
                "Dirichlet"
            };
            println!(
                "| {steps} | {seed} | {g:.3} ({g_fixed:.3}) | {d:.3} ({d_fixed:.3}) | {better} |"
            );
        }
    }
    Ok(())
}
