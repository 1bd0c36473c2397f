//! Offline evaluation of a saved policy: backtest base models on held-out data, load a PPO
//! checkpoint from disk (here one trained a moment ago), run it deterministically over rows
//! it never saw, and compare it with every classical combiner (metrics and Diebold–Mariano
//! tests against equal weights).
//!
//! `cargo run --release --example offline_eval -- [steps]` (default 20,000 PPO steps).

use std::sync::Arc;

use metablend::agents::ppo::{Ppo, PpoConfig, PpoPolicy};
use metablend::ensemble::combine::PolicyCombiner;
use metablend::ensemble::{
    classical_combiners, compare, read_series, Combiner, ModelSpec, SeriesCsvOptions, WalkForward,
    Window,
};
use metablend::env::ensemble::Residual;
use metablend::env::{EnsembleEnv, EnsembleEnvConfig, Env, PredictionsPanel};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn run(steps: u64) -> anyhow::Result<()> {
    metablend::agents::set_candle_threads(1);
    // 1. Honest one-step forecasts of the last 900 half-hours of electricity demand.
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/taylor_halfhourly.csv");
    let series = read_series(path, &SeriesCsvOptions::default())?;
    let backtest = WalkForward {
        models: ModelSpec::parse_list("naive snaive:48 snaive:336 theta:48 damped", 48)?,
        start: series.values.len() - 900,
        end: None,
        refit_every: 300,
        window: Window::Rolling(2016),
    };
    let preds = backtest.run(&series, &metablend::core::Silent)?.predictions;

    // 2. Train on the first 600 rows and save the policy (any run folder's best_model works).
    let panel = Arc::new(PredictionsPanel::new(vec![preds.clone()])?);
    let env_cfg = EnsembleEnvConfig {
        window: 20,
        log_rmse: true,
        range_end: Some(600),
        episode_len: Some(128),
        ..EnsembleEnvConfig::default()
    };
    let ppo_cfg = PpoConfig::ensemble();
    let mut ppo = Ppo::new(ppo_cfg, |_| {
        EnsembleEnv::new(panel.clone(), env_cfg.clone(), Residual)
    })?;
    ppo.learn(steps, &mut [])?;
    let dir = std::env::temp_dir().join(format!("metablend-offline-eval-{}", std::process::id()));
    ppo.learner().save(&dir)?;

    // 3. Load it back and evaluate offline on rows 600..900.
    let space = EnsembleEnv::new(panel, env_cfg.clone(), Residual)?
        .action_space()
        .clone();
    let policy = PpoPolicy::load(&dir, space)?;
    let mut combiners: Vec<Box<dyn Combiner>> = classical_combiners();
    combiners.push(Box::new(PolicyCombiner::new(
        "ppo_policy",
        env_cfg,
        Residual,
        policy,
    )));
    let (report, _) = compare(&preds, 0..600, 600..900, 48, combiners)?;
    print!("{}", report.to_table());
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let steps = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(20_000);
    run(steps)
}

#[test]
fn example_runs() {
    run(1024).unwrap();
}
