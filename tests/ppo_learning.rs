//! PPO learns: the zoo presets on the reference envs reach the SB3 bars, and on a synthetic
//! ensemble task with an observable regime it closes most of the gap to the oracle.

use metablend_agents::ppo::{Ppo, PpoConfig};
use metablend_env::ensemble::{EpisodeStart, FeatureContext, FeatureFn, Softmax};
use metablend_env::envs::{CartPole, Pendulum};
use metablend_env::{
    evaluate_policy, EnsembleEnv, EnsembleEnvConfig, Env, Policy, Predictions, PredictionsPanel,
};
use rand::{Rng, SeedableRng};
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

/// Two models; in regime A model 0 is accurate and model 1 noisy, in regime B the reverse.
/// The regime is a persistent Markov chain, observable through a user feature.
fn regime_data(t: usize, seed: u64) -> (Predictions, Vec<bool>) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let (mut y, mut regime) = (0.0f64, true);
    let (mut target, mut preds, mut regimes) = (vec![], vec![], vec![]);
    for _ in 0..t {
        if rng.random::<f64>() < 0.03 {
            regime = !regime;
        }
        let prev = y;
        y += rng.random_range(-1.0..1.0);
        let good = y + 0.1 * rng.random_range(-1.0..1.0);
        let bad = y + 3.0 * rng.random_range(-1.0..1.0);
        let _ = prev;
        preds.push(if regime {
            vec![good, bad]
        } else {
            vec![bad, good]
        });
        target.push(y);
        regimes.push(regime);
    }
    let data = Predictions::new(target, preds, vec!["a".into(), "b".into()]).unwrap();
    (data, regimes)
}

struct RegimeFeature(Arc<Vec<bool>>);
impl FeatureFn for RegimeFeature {
    fn dim(&self) -> usize {
        1
    }
    fn features(&self, ctx: &FeatureContext<'_>, out: &mut [f64]) {
        // At the final observation of the data (t = T, used only to bootstrap) the regime
        // of t is unknown; the last known one stands in.
        out[0] = if self.0[ctx.t.min(self.0.len() - 1)] {
            1.0
        } else {
            -1.0
        };
    }
}

#[test]
fn ppo_closes_80_percent_of_the_gap_to_the_regime_oracle() {
    let (data, regimes) = regime_data(4000, 7);
    let regimes = Arc::new(regimes);
    let panel = Arc::new(PredictionsPanel::new(vec![data.clone()]).unwrap());
    let train = EnsembleEnvConfig {
        window: 20,
        range_end: Some(3000),
        episode_len: Some(128),
        ..Default::default()
    };
    let make = |cfg: EnsembleEnvConfig| {
        EnsembleEnv::new(panel.clone(), cfg, Softmax)
            .and_then(|e| e.with_features(RegimeFeature(regimes.clone())))
    };
    let cfg = PpoConfig {
        n_envs: 4,
        n_steps: 128,
        batch_size: 64,
        n_epochs: 10,
        gamma: 0.5,
        seed: 3,
        ..Default::default()
    };
    let mut ppo = Ppo::new(cfg, |_| make(train.clone())).unwrap();
    ppo.learn(40_000, &mut []).unwrap();

    let test = EnsembleEnvConfig {
        start: EpisodeStart::Beginning,
        episode_len: None,
        range_start: Some(3000),
        range_end: None,
        ..train
    };
    let mut env = make(test).unwrap();
    let mut policy = ppo.policy().unwrap();
    let (mut obs, _) = env.reset(Some(0)).unwrap();
    let (mut se_ppo, mut se_eq, mut se_oracle) = (0.0, 0.0, 0.0);
    loop {
        let t = env.current_t();
        let action = Policy::<EnsembleEnv<Softmax>>::act(&mut policy, &obs, true).unwrap();
        let step = env.step(&action).unwrap();
        let y = data.target()[t];
        let p = data.pred(t);
        se_ppo += (step.info.get("forecast").unwrap() - y).powi(2);
        se_eq += ((p[0] + p[1]) / 2.0 - y).powi(2);
        se_oracle += (if regimes[t] { p[0] } else { p[1] } - y).powi(2);
        let done = step.done();
        obs = step.obs;
        if done {
            break;
        }
    }
    let closed = (se_eq - se_ppo) / (se_eq - se_oracle);
    eprintln!("regime task: SSE ppo {se_ppo:.1}, equal {se_eq:.1}, oracle {se_oracle:.1}; closed {closed:.3}");
    assert!(closed >= 0.8, "closed {closed:.3} of the gap (SSE ppo {se_ppo:.1}, equal {se_eq:.1}, oracle {se_oracle:.1})");
}
