//! OPE on MDPs with hand-computable values.

use super::*;
use metablend_env::{BoxSpace, Discrete, Env, Info, Step};

/// Two steps; each step pays 1 for action 1 and 0 for action 0. Observation: [t].
struct TwoSteps {
    obs_space: BoxSpace,
    act_space: Discrete,
    t: usize,
}

impl TwoSteps {
    fn new() -> Self {
        Self {
            obs_space: BoxSpace::new(vec![0.0], vec![2.0]).unwrap(),
            act_space: Discrete::new(2).unwrap(),
            t: 0,
        }
    }
}

impl Env for TwoSteps {
    type Obs = Vec<f64>;
    type Act = usize;
    type ObsSpace = BoxSpace;
    type ActSpace = Discrete;
    fn observation_space(&self) -> &BoxSpace {
        &self.obs_space
    }
    fn action_space(&self) -> &Discrete {
        &self.act_space
    }
    fn reset(&mut self, _seed: Option<u64>) -> metablend_env::Result<(Vec<f64>, Info)> {
        self.t = 0;
        Ok((vec![0.0], Info::default()))
    }
    fn step(&mut self, action: &usize) -> metablend_env::Result<Step<Vec<f64>>> {
        self.t += 1;
        Ok(Step {
            obs: vec![self.t as f64],
            reward: *action as f64,
            terminated: self.t == 2,
            truncated: false,
            info: Info::default(),
        })
    }
}

/// A deterministic policy as a function pointer.
type Greedy = fn(&Vec<f64>, bool) -> metablend_env::Result<usize>;

fn always_one(_: &Vec<f64>, _: bool) -> metablend_env::Result<usize> {
    Ok(1)
}

const GAMMA: f64 = 0.9;

/// Target: ε = 0.2 around "always 1" → P(1) = 0.9; value 0.9 + 0.9·0.9 = 1.71.
fn target() -> EpsilonGreedy<Greedy> {
    EpsilonGreedy::new(always_one as Greedy, 0.2, 2, 99).unwrap()
}

fn log(episodes: usize, seed: u64) -> Vec<Trajectory> {
    // Behaviour: uniform (ε = 1).
    let mut behaviour = EpsilonGreedy::new(always_one as Greedy, 1.0, 2, seed).unwrap();
    collect(&mut TwoSteps::new(), &mut behaviour, episodes, seed).unwrap()
}

fn estimate(log: &[Trajectory], bootstrap: usize) -> OpeReport {
    let mut t = target();
    let settings = OpeSettings {
        gamma: GAMMA,
        bootstrap,
        ..OpeSettings::default()
    };
    evaluate_off_policy(
        log,
        |obs, a| LogProbPolicy::<TwoSteps>::log_prob(&mut t, &obs.to_vec(), a),
        &settings,
    )
    .unwrap()
}

#[test]
fn importance_sampling_is_unbiased_on_a_hand_computable_mdp() {
    let truth = 0.9 + GAMMA * 0.9;
    let reports: Vec<OpeReport> = (0..300).map(|seed| estimate(&log(20, seed), 0)).collect();
    let stats = |k: usize| {
        let values: Vec<f64> = reports.iter().map(|r| r.estimates[k].value).collect();
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        let var =
            values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (values.len() - 1) as f64;
        (mean, var)
    };
    let (mean, var) = stats(0);
    let se = (var / reports.len() as f64).sqrt();
    assert!(
        (mean - truth).abs() < 3.0 * se,
        "mean IS {mean} vs {truth} (se {se})"
    );
    let (_, wis_var) = stats(1);
    assert!(wis_var < var, "WIS variance {wis_var} vs IS {var}");
}

#[test]
fn every_estimator_is_close_on_a_large_log_and_intervals_cover() {
    let truth = 0.9 + GAMMA * 0.9;
    let report = estimate(&log(4000, 7), 300);
    for e in &report.estimates {
        assert!(
            (e.value - truth).abs() < 0.08,
            "{:?}: {} vs {truth}",
            e.estimator,
            e.value
        );
        assert!(e.ci_low <= e.value && e.value <= e.ci_high);
        assert!(e.ci_low < truth + 0.05 && truth - 0.05 < e.ci_high, "{e:?}");
    }
    // Weighted and doubly robust estimates vary less than plain IS here.
    let width = |k: usize| report.estimates[k].ci_high - report.estimates[k].ci_low;
    assert!(width(4) < width(0), "DR {} vs IS {}", width(4), width(0));
    assert!(report.effective_sample_size > 100.0 && report.effective_sample_size < 4000.0);
    assert_eq!(report.largest_weights.len(), 5);
    assert!(report.to_markdown().contains("| DR |"));
}

#[test]
fn on_policy_logs_give_the_average_return_and_full_sample_size() {
    let mut behaviour = target();
    let traj = collect(&mut TwoSteps::new(), &mut behaviour, 200, 3).unwrap();
    let report = estimate(&traj, 50);
    for e in &report.estimates {
        assert!((e.value - report.behavior_value).abs() < 1e-9, "{e:?}");
    }
    assert!((report.effective_sample_size - 200.0).abs() < 1e-6);
}

/// Continuous actions use the exact density ratio: behaviour N(0, 1), target N(0.5, 0.5²),
/// reward −(a − 0.5)², so the target's value is −0.25.
#[test]
fn gaussian_policies_use_the_exact_density_ratio() {
    struct OneShot(BoxSpace, BoxSpace);
    impl Env for OneShot {
        type Obs = Vec<f64>;
        type Act = Vec<f64>;
        type ObsSpace = BoxSpace;
        type ActSpace = BoxSpace;
        fn observation_space(&self) -> &BoxSpace {
            &self.0
        }
        fn action_space(&self) -> &BoxSpace {
            &self.1
        }
        fn reset(&mut self, _: Option<u64>) -> metablend_env::Result<(Vec<f64>, Info)> {
            Ok((vec![0.0], Info::default()))
        }
        fn step(&mut self, a: &Vec<f64>) -> metablend_env::Result<Step<Vec<f64>>> {
            Ok(Step {
                obs: vec![0.0],
                reward: -(a[0] - 0.5).powi(2),
                terminated: true,
                truncated: false,
                info: Info::default(),
            })
        }
    }
    let space = || BoxSpace::new(vec![-1e9], vec![1e9]).unwrap();
    let mut env = OneShot(BoxSpace::new(vec![0.0], vec![0.0]).unwrap(), space());
    let zero = |_: &Vec<f64>, _: bool| -> metablend_env::Result<Vec<f64>> { Ok(vec![0.0]) };
    let half = |_: &Vec<f64>, _: bool| -> metablend_env::Result<Vec<f64>> { Ok(vec![0.5]) };
    let mut behaviour = GaussianNoise::new(zero, 1.0, space(), 5).unwrap();
    let traj = collect(&mut env, &mut behaviour, 20_000, 0).unwrap();
    let mut target = GaussianNoise::new(half, 0.5, space(), 6).unwrap();
    let settings = OpeSettings {
        gamma: 1.0,
        bootstrap: 200,
        ..OpeSettings::default()
    };
    let report = evaluate_off_policy(
        &traj,
        |o, a| LogProbPolicy::<OneShot>::log_prob(&mut target, &o.to_vec(), a),
        &settings,
    )
    .unwrap();
    for e in &report.estimates[..2] {
        assert!((e.value + 0.25).abs() < 0.03, "{e:?}");
    }
    assert!(
        (report.behavior_value + 1.25).abs() < 0.05,
        "behaviour value {}",
        report.behavior_value
    );
}

#[test]
fn the_log_round_trips_and_bad_lines_are_named() {
    let traj = log(3, 1);
    let path = std::env::temp_dir().join(format!("mb-ope-{}.jsonl", std::process::id()));
    write_log(&path, &traj).unwrap();
    assert_eq!(read_log(&path).unwrap(), traj);
    let good = r#"{"episode":0,"t":0,"obs":[0.0],"action":1,"reward":1.0,"terminated":false,"truncated":false,"behavior_log_prob":-0.69}"#;
    let cases = [
        (
            good.replace("\"reward\":1.0,", ""),
            "missing field `reward`",
        ),
        (good.replace("-0.69", "0.5"), "> 0"),
        (good.replace("\"t\":0", "\"t\":3"), "must start at 0"),
        (
            format!("{good}\n{}", good.replace("\"t\":0", "\"t\":2")),
            "out of order",
        ),
        (good.replace("[0.0]", "[1e999]"), "line 1"),
        (String::new(), "no steps"),
    ];
    for (text, needle) in cases {
        let err = log::read_log_from(text.as_bytes(), "log.jsonl")
            .unwrap_err()
            .to_string();
        assert!(err.contains("log.jsonl") && err.contains(needle), "{err}");
    }
    assert!(evaluate_off_policy(&[], |_, _| Ok(0.0), &OpeSettings::default()).is_err());
}

/// On the ensemble env: logs of a noisy behaviour policy estimate a nearby target policy;
/// the 95% PDIS/WPDIS/DR intervals contain the target's value replayed on the env (20,000
/// episodes) in at least 17 of 20 seeded repetitions (measured: 18, 18 and 19; trajectory-
/// wise IS and WIS, whose weights are heavier-tailed, 13 and 14).
#[test]
fn ensemble_env_estimates_cover_the_replayed_value() {
    use metablend_env::ensemble::synthetic::RegimeTask;
    use metablend_env::ensemble::Softmax;
    use metablend_env::{EnsembleEnv, EnsembleEnvConfig, PredictionsPanel};
    use std::sync::Arc;

    let task = RegimeTask::generate(600, 3);
    let panel = Arc::new(PredictionsPanel::new(vec![task.data.clone()]).unwrap());
    let cfg = EnsembleEnvConfig {
        window: 10,
        episode_len: Some(8),
        ..EnsembleEnvConfig::default()
    };
    let make = || EnsembleEnv::new(panel.clone(), cfg.clone(), Softmax).unwrap();
    let k = make().action_space().dim();
    let space = make().action_space().clone();
    let flat = |_: &Vec<f64>, _: bool| -> metablend_env::Result<Vec<f64>> { Ok(vec![0.0; 2]) };
    let tilted = |_: &Vec<f64>, _: bool| -> metablend_env::Result<Vec<f64>> { Ok(vec![0.4, -0.4]) };
    assert_eq!(k, 2);
    let gamma = 0.9;
    // The target's true value by replay.
    let mut target = GaussianNoise::new(tilted, 0.5, space.clone(), 11).unwrap();
    let replay = collect(&mut make(), &mut target, 20_000, 1_000_000).unwrap();
    let truth = replay
        .iter()
        .map(|t| t.discounted_return(gamma))
        .sum::<f64>()
        / replay.len() as f64;
    let mut covered = [0usize; 5];
    for seed in 0..20u64 {
        let mut behaviour = GaussianNoise::new(flat, 0.6, space.clone(), seed).unwrap();
        let log = collect(&mut make(), &mut behaviour, 400, seed * 1000).unwrap();
        let mut target = GaussianNoise::new(tilted, 0.5, space.clone(), 0).unwrap();
        let settings = OpeSettings {
            gamma,
            bootstrap: 400,
            seed,
            ..OpeSettings::default()
        };
        let report = evaluate_off_policy(
            &log,
            |o, a| LogProbPolicy::<EnsembleEnv<Softmax>>::log_prob(&mut target, &o.to_vec(), a),
            &settings,
        )
        .unwrap();
        for (i, e) in report.estimates.iter().enumerate() {
            if e.ci_low <= truth && truth <= e.ci_high {
                covered[i] += 1;
            }
        }
    }
    for (i, c) in covered.iter().enumerate() {
        if matches!(
            Estimator::ALL[i],
            Estimator::Pdis | Estimator::Wpdis | Estimator::Dr
        ) {
            assert!(
                *c >= 17,
                "{:?} covered the truth {truth} in {c}/20",
                Estimator::ALL[i]
            );
        }
    }
}
