//! Behavioural tests of the ensemble env: hand-computed episodes, no look-ahead, simplex
//! weights, bad input.

use super::*;
use crate::wrappers::{NormalizeObservation, RecordEpisodeStatistics, TimeLimit};
use crate::{check_env, Env, Error, Space};
use proptest::prelude::*;
use std::sync::Arc;

fn names(k: usize) -> Vec<String> {
    (0..k).map(|i| format!("m{i}")).collect()
}

/// A seeded random-walk target with K noisy forecasts of it.
fn synthetic(t: usize, k: usize, seed: u64) -> Predictions {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut y = 100.0;
    let mut target = Vec::with_capacity(t);
    let mut preds = Vec::with_capacity(t);
    for _ in 0..t {
        let prev = y;
        y += rng.random_range(-1.0..1.0);
        target.push(y);
        preds.push(
            (0..k)
                .map(|j| prev + rng.random_range(-1.0..1.0) * (j + 1) as f64)
                .collect(),
        );
    }
    Predictions::new(target, preds, names(k)).unwrap()
}

fn eval_config(window: usize) -> EnsembleEnvConfig {
    EnsembleEnvConfig {
        window,
        start: EpisodeStart::Beginning,
        episode_len: None,
        ..Default::default()
    }
}

#[test]
fn hand_computed_three_step_episode() {
    // W = 2, K = 2; the range is [3, 6): three steps.
    let target = vec![0.0, 1.0, 3.0, 2.0, 4.0, 4.0];
    let preds = vec![
        vec![0.0, 0.0],
        vec![0.0, 2.0],
        vec![2.0, 1.0],
        vec![4.0, 2.0],
        vec![1.0, 4.0],
        vec![5.0, 3.0],
    ];
    let data = Predictions::new(target, preds, names(2)).unwrap();
    let cfg = EnsembleEnvConfig {
        scale_epsilon: 0.0,
        ..eval_config(2)
    };
    let mut env = EnsembleEnv::single(data, cfg).unwrap();
    let (obs, _) = env.reset(Some(0)).unwrap();
    // t = 3: changes target[1..3] - target[0..2] = 1, 2 -> s = sqrt(5/2).
    let s3 = (2.5f64).sqrt() + 1e-12;
    // errors at t = 1, 2: m0: 0-1, 2-3 -> rmse sqrt(1); m1: 2-1, 1-3 -> sqrt(5/2).
    let want = [
        (4.0 - 3.0) / s3,
        (2.0 - 3.0) / s3,
        1.0 / s3,
        (2.5f64).sqrt() / s3,
        (2.0 - 3.0) / s3,
        (1.0 - 3.0) / s3,
        0.5,
        0.5,
    ];
    for (g, w) in obs.iter().zip(&want) {
        assert!((g - w).abs() < 1e-12, "{obs:?} vs {want:?}");
    }
    // Step at t = 3 with logits (0, 0): equal weights, forecast 3, target 2.
    let s = env.step(&vec![0.0, 0.0]).unwrap();
    assert_eq!(s.info.get("forecast"), Some(3.0));
    assert!((s.reward + (1.0 / s3).powi(2)).abs() < 1e-12);
    assert!(!s.done());
    // t = 4: changes 2, -1 -> s = sqrt(5/2); previous weights 0.5 / 0.5 in block D.
    assert_eq!(&s.obs[6..], &[0.5, 0.5]);
    // Logits (ln 3, 0): weights 3/4, 1/4; forecast 0.75 * 1 + 0.25 * 4 = 1.75, target 4.
    let s = env.step(&vec![3f64.ln(), 0.0]).unwrap();
    let w = s.info.get_vec("weights").unwrap();
    assert!((w[0] - 0.75).abs() < 1e-12 && (w[1] - 0.25).abs() < 1e-12);
    assert!((s.info.get("forecast").unwrap() - 1.75).abs() < 1e-12);
    let s4 = (2.5f64).sqrt() + 1e-12;
    assert!((s.reward + ((1.75 - 4.0) / s4).powi(2)).abs() < 1e-12);
    // t = 5, last step of the range: changes -1, 2 -> s = sqrt(5/2); truncated.
    let s = env.step(&vec![0.0, 0.0]).unwrap();
    assert!(s.truncated && !s.terminated);
    assert_eq!(s.info.get("forecast"), Some(4.0));
    assert_eq!(s.info.get("t"), Some(5.0));
    assert_eq!(
        &s.obs[..2],
        &[0.0, 0.0],
        "no predictions past the data: block A is zero"
    );
    assert!(matches!(
        env.step(&vec![0.0, 0.0]),
        Err(Error::StepAfterDone)
    ));
}

#[test]
fn no_look_ahead_changing_the_future_never_changes_the_observation_at_t() {
    let base = synthetic(120, 3, 1);
    let mut cfg = eval_config(10);
    cfg.log_rmse = true;
    // Block F too: phases, same-phase errors (rows t - 7, t - 14, ...) and disagreement.
    cfg.context = ContextFeatures {
        phase_periods: vec![7, 24],
        same_phase_period: Some(7),
        same_phase_cycles: 4,
        disagreement: true,
    };
    let t_check = 60;
    let observe = |data: Predictions| -> Vec<f64> {
        let mut c = cfg.clone();
        c.range_start = Some(t_check);
        let mut env = EnsembleEnv::single(data, c).unwrap();
        env.reset(Some(0)).unwrap().0
    };
    let reference = observe(base.clone());
    for seed in 0..20u64 {
        let mut target = base.target().to_vec();
        let mut preds: Vec<Vec<f64>> = (0..base.len()).map(|t| base.pred(t).to_vec()).collect();
        for (i, y) in target.iter_mut().enumerate().skip(t_check) {
            *y += (seed as f64 + 1.0) * (i as f64).sin() * 50.0;
        }
        for row in preds.iter_mut().skip(t_check + 1) {
            row[seed as usize % 3] -= 77.0 * seed as f64 + 1.0;
        }
        let changed = Predictions::new(target, preds, names(3)).unwrap();
        assert_eq!(
            observe(changed),
            reference,
            "future data changed the observation"
        );
    }
    // ...while changing pred[t] itself must change it (the test can fail).
    let mut preds: Vec<Vec<f64>> = (0..base.len()).map(|t| base.pred(t).to_vec()).collect();
    preds[t_check][0] += 1.0;
    let changed = Predictions::new(base.target().to_vec(), preds, names(3)).unwrap();
    assert_ne!(observe(changed), reference);
}

#[test]
fn identical_models_give_their_common_forecast_whatever_the_action() {
    let base = synthetic(80, 2, 3);
    let preds = (0..80).map(|t| vec![base.pred(t)[0]; 4]).collect();
    let data = Predictions::new(base.target().to_vec(), preds, names(4)).unwrap();
    let mut env = EnsembleEnv::single(data.clone(), eval_config(5)).unwrap();
    use rand::SeedableRng;
    let mut rng = rand::rngs::StdRng::seed_from_u64(9);
    env.reset(Some(0)).unwrap();
    loop {
        let t = env.current_t();
        let a: Vec<f64> = env
            .action_space()
            .sample(&mut rng)
            .iter()
            .map(|x| x * 30.0)
            .collect();
        let s = env.step(&a).unwrap();
        assert!((s.info.get("forecast").unwrap() - data.pred(t)[0]).abs() < 1e-9);
        if s.done() {
            break;
        }
    }
}

#[test]
fn every_env_variant_passes_check_env() {
    let data =
        Arc::new(PredictionsPanel::new(vec![synthetic(300, 4, 5), synthetic(200, 4, 6)]).unwrap());
    let cfg = EnsembleEnvConfig {
        episode_len: Some(50),
        ..Default::default()
    };
    let log_cfg = EnsembleEnvConfig {
        log_rmse: true,
        ..cfg.clone()
    };
    check_env(
        &mut EnsembleEnv::new(data.clone(), cfg.clone(), Softmax).unwrap(),
        0,
        100,
    )
    .unwrap();
    check_env(
        &mut EnsembleEnv::new(data.clone(), log_cfg.clone(), Residual).unwrap(),
        1,
        100,
    )
    .unwrap();
    check_env(
        &mut EnsembleEnv::new(data.clone(), cfg.clone(), Simplex).unwrap(),
        2,
        100,
    )
    .unwrap();
    check_env(
        &mut EnsembleEnv::new(data.clone(), cfg.clone(), Select).unwrap(),
        3,
        100,
    )
    .unwrap();
    let context_cfg = EnsembleEnvConfig {
        context: ContextFeatures {
            phase_periods: vec![12],
            same_phase_period: Some(12),
            same_phase_cycles: 2,
            disagreement: true,
        },
        ..log_cfg.clone()
    };
    let mut context_env = EnsembleEnv::new(data.clone(), context_cfg, Residual).unwrap();
    assert_eq!(context_env.observation_space().dim(), 4 * 4 + 2 + 2 * 4 + 1);
    check_env(&mut context_env, 5, 100).unwrap();
    let env = EnsembleEnv::new(data.clone(), eval_config(20), Softmax).unwrap();
    let mut norm = NormalizeObservation::new(TimeLimit::new(env, 40).unwrap(), 10.0).unwrap();
    // Learning statistics make a replay differ by design; frozen, the env is deterministic.
    norm.set_training(false);
    check_env(&mut RecordEpisodeStatistics::new(norm), 4, 100).unwrap();
}

#[test]
fn random_starts_cover_the_range_and_eval_visits_series_in_order() {
    let data =
        Arc::new(PredictionsPanel::new(vec![synthetic(100, 2, 7), synthetic(150, 2, 8)]).unwrap());
    let cfg = EnsembleEnvConfig {
        episode_len: Some(30),
        window: 5,
        ..Default::default()
    };
    let mut env = EnsembleEnv::new(data.clone(), cfg, Softmax).unwrap();
    let mut starts = std::collections::BTreeSet::new();
    let mut series = std::collections::BTreeSet::new();
    env.reset(Some(0)).unwrap();
    for _ in 0..300 {
        let (_, info) = env.reset(None).unwrap();
        let t = info.get("t").unwrap() as usize;
        let s = info.get("series").unwrap() as usize;
        assert!(t >= 6 && t + 30 <= data.series()[s].len());
        starts.insert(t);
        series.insert(s);
    }
    assert!(starts.len() > 50 && series.len() == 2);
    let mut eval = EnsembleEnv::new(data, eval_config(5), Softmax).unwrap();
    let order: Vec<f64> = (0..4)
        .map(|i| {
            eval.reset(if i == 0 { Some(0) } else { None })
                .unwrap()
                .1
                .get("series")
                .unwrap()
        })
        .collect();
    assert_eq!(order, vec![0.0, 1.0, 0.0, 1.0]);
}

#[test]
fn bad_configs_and_actions_are_clear_errors() {
    let data = synthetic(30, 3, 2);
    let err = |cfg: EnsembleEnvConfig| {
        EnsembleEnv::single(data.clone(), cfg)
            .unwrap_err()
            .to_string()
    };
    assert!(err(EnsembleEnvConfig {
        window: 0,
        ..Default::default()
    })
    .contains("window"));
    assert!(err(EnsembleEnvConfig {
        window: 40,
        ..Default::default()
    })
    .contains("range"));
    assert!(err(EnsembleEnvConfig {
        range_start: Some(3),
        ..Default::default()
    })
    .contains("window + 1"));
    assert!(err(EnsembleEnvConfig {
        range_end: Some(31),
        ..Default::default()
    })
    .contains("exceeds"));
    assert!(err(EnsembleEnvConfig {
        series: Some(vec![1]),
        ..Default::default()
    })
    .contains("out of range"));
    let mut env = EnsembleEnv::single(
        data,
        EnsembleEnvConfig {
            window: 5,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(matches!(env.step(&vec![0.0; 3]), Err(Error::NotReset)));
    env.reset(Some(0)).unwrap();
    assert!(env
        .step(&vec![0.0; 2])
        .unwrap_err()
        .to_string()
        .contains("expected 3 values"));
    assert!(env
        .step(&vec![0.0, f64::NAN, 0.0])
        .unwrap_err()
        .to_string()
        .contains("index 1"));
    let nan_reward = |_: &RewardContext<'_>| f64::NAN;
    let mut env = env.with_reward(nan_reward);
    env.reset(Some(0)).unwrap();
    assert!(env
        .step(&vec![0.0; 3])
        .unwrap_err()
        .to_string()
        .contains("reward function"));
}

struct Momentum;
impl FeatureFn for Momentum {
    fn dim(&self) -> usize {
        2
    }
    fn features(&self, ctx: &FeatureContext<'_>, out: &mut [f64]) {
        let h = ctx.history;
        out[0] = (h[h.len() - 1] - h[h.len() - 2]) / ctx.scale;
        out[1] = ctx.preds.len() as f64 / ctx.num_models as f64; // rows visible: t + 1
    }
}

#[test]
fn user_features_extend_the_observation_with_past_data_only() {
    let data = synthetic(60, 2, 4);
    let mut env = EnsembleEnv::single(data, eval_config(5))
        .unwrap()
        .with_features(Momentum)
        .unwrap();
    assert_eq!(env.observation_space().dim(), 10);
    let (obs, _) = env.reset(Some(0)).unwrap();
    assert_eq!(obs[9], 7.0, "at t = 6 the feature sees rows 0..=6");
    check_env(&mut env, 0, 30).unwrap();
}

#[test]
fn context_features_sit_between_the_previous_weights_and_the_user_features() {
    let data = synthetic(60, 2, 4);
    let mut cfg = eval_config(5);
    cfg.context.phase_periods = vec![4];
    let mut env = EnsembleEnv::single(data, cfg)
        .unwrap()
        .with_features(Momentum)
        .unwrap();
    assert_eq!(env.observation_space().dim(), 8 + 2 + 2);
    let (obs, _) = env.reset(Some(0)).unwrap();
    // t = 6: phase 6 mod 4 = 2, half a cycle.
    let angle = std::f64::consts::PI;
    assert_eq!(&obs[8..10], &[angle.sin(), angle.cos()]);
    assert_eq!(obs[11], 7.0, "the user features follow block F");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Random shapes, NaNs and out-of-range values: construction and stepping return errors,
    /// never panic, and every weight vector lies on the simplex.
    #[test]
    fn random_input_never_panics(
        t in 0usize..40,
        k in 0usize..5,
        window in 0usize..12,
        poison in proptest::option::of((0usize..200, prop_oneof![Just(f64::NAN), Just(f64::INFINITY), -1e300f64..1e300])),
        actions in proptest::collection::vec(proptest::collection::vec(prop_oneof![Just(f64::NAN), -1e9f64..1e9], 0..6), 1..30),
    ) {
        let mut flat: Vec<f64> = (0..t * k).map(|i| (i as f64 * 0.37).sin()).collect();
        let mut target: Vec<f64> = (0..t).map(|i| (i as f64 * 0.11).cos()).collect();
        if let Some((i, v)) = poison {
            if i < flat.len() { flat[i] = v } else if i - flat.len() < target.len() { target[i - flat.len()] = v }
        }
        let Ok(data) = Predictions::from_flat(target, flat, names(k)) else { return Ok(()); };
        let cfg = EnsembleEnvConfig { window, episode_len: Some(10), ..Default::default() };
        let Ok(mut env) = EnsembleEnv::single(data, cfg) else { return Ok(()); };
        env.reset(Some(1)).unwrap();
        for a in &actions {
            match env.step(a) {
                Ok(s) => {
                    let w = s.info.get_vec("weights").unwrap();
                    prop_assert!(w.iter().all(|x| (0.0..=1.0).contains(x)));
                    prop_assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-9);
                    if s.done() { env.reset(None).unwrap(); }
                }
                Err(Error::InvalidAction(_)) => prop_assert!(a.len() != k || a.iter().any(|x| x.is_nan())),
                // Finite but huge data (±1e300) can overflow a squared error: a clear error.
                Err(Error::InvalidData(m)) if m.contains("reward function returned") => {
                    prop_assert!(poison.is_some_and(|(_, v)| v.abs() > 1e100));
                    break;
                }
                Err(e) => prop_assert!(false, "unexpected error {e}"),
            }
        }
    }
}
