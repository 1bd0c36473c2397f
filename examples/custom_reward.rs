//! A custom reward in a few lines: a closure over the env's `RewardContext` replaces the
//! built-in one, PPO trains on it, and the policy is compared with every classical combiner
//! on held-out rows.
//!
//! `cargo run --release --example custom_reward -- [steps]` (default 30,000 env steps).

use std::sync::Arc;

use metablend::agents::ppo::{Ppo, PpoConfig};
use metablend::ensemble::combine::PolicyCombiner;
use metablend::ensemble::{classical_combiners, compare, Combiner};
use metablend::env::ensemble::synthetic::RegimeTask;
use metablend::env::ensemble::{RewardContext, Softmax};
use metablend::env::{EnsembleEnv, EnsembleEnvConfig, PredictionsPanel};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Negative scaled squared error, minus a small charge for moving the weights.
fn calm_accuracy(ctx: &RewardContext<'_>) -> f64 {
    let error = (ctx.forecast - ctx.target) / ctx.scale;
    let turnover: f64 = ctx
        .weights
        .iter()
        .zip(ctx.prev_weights)
        .map(|(a, b)| (a - b).abs())
        .sum();
    -error * error - 0.05 * turnover
}

fn run(steps: u64) -> anyhow::Result<()> {
    metablend::agents::set_candle_threads(1);
    // Synthetic predictions whose best model switches with an observable regime.
    let task = RegimeTask::generate(3000, 1);
    let panel = Arc::new(PredictionsPanel::new(vec![task.data.clone()])?);
    let train = EnsembleEnvConfig {
        window: 20,
        range_end: Some(2000),
        episode_len: Some(128),
        ..EnsembleEnvConfig::default()
    };
    let feature = task.feature();
    let make = |cfg: EnsembleEnvConfig| {
        EnsembleEnv::new(panel.clone(), cfg, Softmax)?
            .with_features(feature.clone())
            .map(|env| env.with_reward(calm_accuracy))
    };
    let ppo_cfg = PpoConfig::ensemble();
    let mut ppo = Ppo::new(ppo_cfg, |_| make(train.clone()))?;
    ppo.learn(steps, &mut [])?;

    let feature = task.feature();
    let policy = PolicyCombiner::new("ppo_calm", train, Softmax, ppo.policy()?)
        .with_env_setup(move |env| env.with_features(feature.clone()));
    let mut combiners: Vec<Box<dyn Combiner>> = classical_combiners();
    combiners.push(Box::new(policy));
    let (report, _) = compare(&task.data, 0..2000, 2000..3000, 1, combiners)?;
    print!("{}", report.to_table());
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let steps = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(30_000);
    run(steps)
}

#[test]
fn example_runs() {
    run(1024).unwrap();
}
