//! PPO learns: the zoo presets on the reference envs reach the SB3 bars, and on a synthetic
//! ensemble task with an observable regime it closes most of the gap to the oracle.

use metablend_agents::ppo::{Ppo, PpoConfig};
use metablend_env::ensemble::synthetic::RegimeTask;
use metablend_env::ensemble::{EpisodeStart, Simplex, Softmax};
use metablend_env::envs::{CartPole, Pendulum};
use metablend_env::{evaluate_policy, ActionMap, EnsembleEnv, EnsembleEnvConfig, PredictionsPanel};
use std::sync::Arc;

#[test]
fn cartpole_zoo_preset_reaches_475_on_three_seeds() {
    for seed in 0..3 {
        let cfg = PpoConfig {
            seed,
            ..PpoConfig::cartpole_zoo()
        };
        let mut ppo = Ppo::new(cfg, |_| Ok(CartPole::v1())).unwrap();
        ppo.learn(100_000, &mut []).unwrap();
        let mut policy = ppo.policy().unwrap();
        let eval =
            evaluate_policy(&mut CartPole::v1(), &mut policy, 10, true, Some(100 + seed)).unwrap();
        assert!(
            eval.mean_return() >= 475.0,
            "seed {seed}: {}",
            eval.mean_return()
        );
    }
}

#[test]
fn pendulum_zoo_preset_mean_over_three_seeds_is_at_least_minus_250() {
    let mut means = Vec::new();
    for seed in 0..3 {
        let cfg = PpoConfig {
            seed,
            ..PpoConfig::pendulum_zoo()
        };
        let mut ppo = Ppo::new(cfg, |_| Ok(Pendulum::v1())).unwrap();
        ppo.learn(100_000, &mut []).unwrap();
        let mut policy = ppo.policy().unwrap();
        let eval =
            evaluate_policy(&mut Pendulum::v1(), &mut policy, 10, true, Some(100 + seed)).unwrap();
        means.push(eval.mean_return());
    }
    let mean = means.iter().sum::<f64>() / 3.0;
    assert!(mean >= -250.0, "per seed {means:?}");
}

/// Trains PPO on the regime task's training range with the given action map and head, then
/// returns the fraction of the gap between equal weights and the regime oracle that the
/// deterministic policy closes on the test range.
pub fn regime_gap_closed<M: ActionMap>(map: M, dirichlet: bool, seed: u64, steps: u64) -> f64
where
    M::Space: metablend_agents::ppo::PolicySpace,
{
    let task = RegimeTask::generate(4000, 7);
    let panel = Arc::new(PredictionsPanel::new(vec![task.data.clone()]).unwrap());
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
    let mut ppo = Ppo::new(cfg, |_| make(train.clone())).unwrap();
    ppo.learn(steps, &mut []).unwrap();

    let test = EnsembleEnvConfig {
        start: EpisodeStart::Beginning,
        episode_len: None,
        range_start: Some(3000),
        range_end: None,
        ..train
    };
    let mut env = make(test).unwrap();
    let mut policy = ppo.policy().unwrap();
    let forecasts = env.forecast_episode(&mut policy, true, Some(0)).unwrap();
    task.gap_closed(forecasts.into_iter().map(|(t, f, _)| (t, f)))
}

#[test]
fn ppo_closes_80_percent_of_the_gap_to_the_regime_oracle() {
    let closed = regime_gap_closed(Softmax, false, 3, 40_000);
    assert!(
        closed >= 0.8,
        "Gaussian logits + softmax closed {closed:.3} of the gap"
    );
}

#[test]
fn dirichlet_head_learns_simplex_weights_on_the_regime_task() {
    let closed = regime_gap_closed(Simplex, true, 3, 40_000);
    assert!(
        closed >= 0.8,
        "Dirichlet on the simplex closed {closed:.3} of the gap"
    );
}
