//! Checkpoints round-trip, and damaged or mismatched ones fail to load with clear errors.

use metablend_agents::ppo::{Ppo, PpoConfig, PpoLearner};
use metablend_env::envs::CartPole;
use metablend_env::Policy;

fn trained(dir: &std::path::Path) -> Ppo<metablend_env::wrappers::TimeLimit<CartPole>> {
    let cfg = PpoConfig {
        n_envs: 2,
        n_steps: 32,
        batch_size: 32,
        n_epochs: 2,
        ..PpoConfig::cartpole_zoo()
    };
    let mut ppo = Ppo::new(cfg, |_| Ok(CartPole::v1())).unwrap();
    ppo.learn(256, &mut []).unwrap();
    ppo.learner().save(dir).unwrap();
    ppo
}

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("mb-ckpt-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[test]
fn saved_checkpoint_restores_weights_optimizer_and_counters() {
    let dir = tmp("roundtrip");
    let ppo = trained(&dir);
    let loaded = PpoLearner::load(&dir).unwrap();
    assert_eq!(loaded.num_timesteps, ppo.learner().num_timesteps);
    assert_eq!(loaded.iterations, ppo.learner().iterations);
    let obs = [0.01f32, -0.2, 0.03, 0.1, 0.0, 0.5, -0.1, 0.2];
    assert_eq!(
        loaded.forward(&obs, 2).unwrap(),
        ppo.learner().forward(&obs, 2).unwrap()
    );
    let space = metablend_env::Discrete::new(2).unwrap();
    let mut a = metablend_agents::ppo::PpoPolicy::from_learner(&loaded, space).unwrap();
    let mut b = ppo.policy().unwrap();
    let o = vec![0.01, -0.2, 0.03, 0.1];
    type E = metablend_env::wrappers::TimeLimit<CartPole>;
    assert_eq!(
        Policy::<E>::act(&mut a, &o, true).unwrap(),
        Policy::<E>::act(&mut b, &o, true).unwrap()
    );
    // Saving again over the same folder replaces it atomically and leaves no temporary folder.
    ppo.learner().save(&dir).unwrap();
    let siblings = std::fs::read_dir(dir.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .contains(&format!("mb-ckpt-roundtrip-{}.", std::process::id()))
        })
        .count();
    assert_eq!(siblings, 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn damaged_or_mismatched_checkpoints_are_clear_errors() {
    let dir = tmp("damaged");
    trained(&dir);
    // Truncated weights file.
    let weights = dir.join("model.safetensors");
    let bytes = std::fs::read(&weights).unwrap();
    std::fs::write(&weights, &bytes[..bytes.len() / 2]).unwrap();
    let err = PpoLearner::load(&dir).unwrap_err().to_string();
    assert!(
        err.contains("model.safetensors") && err.contains("damaged"),
        "{err}"
    );
    std::fs::write(&weights, &bytes).unwrap();
    // A config that describes another architecture.
    let state_path = dir.join("state.json");
    let state = std::fs::read_to_string(&state_path).unwrap();
    std::fs::write(
        &state_path,
        state.replace(
            "\"net_arch\": [\n      64,\n      64\n    ]",
            "\"net_arch\": [32]",
        ),
    )
    .unwrap();
    let err = PpoLearner::load(&dir).unwrap_err().to_string();
    assert!(err.contains("shape") || err.contains("missing"), "{err}");
    std::fs::write(&state_path, "{ not json").unwrap();
    assert!(PpoLearner::load(&dir)
        .unwrap_err()
        .to_string()
        .contains("state.json"));
    assert!(PpoLearner::load(dir.join("nope"))
        .unwrap_err()
        .to_string()
        .contains("not a checkpoint"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_flipped_bit_that_leaves_the_values_finite_is_detected() {
    let dir = tmp("bitflip");
    trained(&dir);
    let weights = dir.join("model.safetensors");
    let mut bytes = std::fs::read(&weights).unwrap();
    // The lowest mantissa bit of the last float: still finite, still the right shape.
    let last = bytes.len() - 4;
    bytes[last] ^= 1;
    std::fs::write(&weights, &bytes).unwrap();
    let err = PpoLearner::load(&dir).unwrap_err().to_string();
    assert!(
        err.contains("model.safetensors") && err.contains("SHA-256"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_version_1_run_folder_evaluates_exactly_as_the_build_that_wrote_it() {
    let fixture = crate::util::data_path("checkpoints/ppo_v1");
    let out = tmp("v1-eval");
    let _ = std::fs::remove_dir_all(&out);
    let (ok, _, err) = crate::util::metablend(&[
        "evaluate",
        "--run",
        fixture.join("run").to_str().unwrap(),
        "--predictions",
        fixture.join("preds.csv").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let read = |p: std::path::PathBuf| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
    };
    // Every number is identical, but sMAPE, which is now summed as 200/h · Σ|y − f|/(|y| + |f|)
    // where that build averaged 200·|y − f|/(|y| + |f|): the last bits may differ.
    fn same(a: &serde_json::Value, b: &serde_json::Value, key: &str) {
        match (a, b) {
            (serde_json::Value::Object(x), serde_json::Value::Object(y)) => {
                assert_eq!(x.keys().collect::<Vec<_>>(), y.keys().collect::<Vec<_>>());
                for (k, v) in x {
                    same(v, &y[k], k);
                }
            }
            (serde_json::Value::Array(x), serde_json::Value::Array(y)) => {
                assert_eq!(x.len(), y.len());
                x.iter().zip(y).for_each(|(p, q)| same(p, q, key));
            }
            (serde_json::Value::Number(x), serde_json::Value::Number(y)) if key == "smape" => {
                let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
                assert!((x - y).abs() <= 1e-13 * y.abs(), "smape {x} vs {y}");
            }
            _ => assert_eq!(a, b, "{key}"),
        }
    }
    same(
        &read(out.join("report.json")),
        &read(fixture.join("expected_report.json")),
        "",
    );
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn same_seed_gives_identical_training() {
    let run = || {
        let cfg = PpoConfig {
            n_envs: 2,
            n_steps: 64,
            batch_size: 64,
            n_epochs: 3,
            seed: 5,
            ..PpoConfig::cartpole_zoo()
        };
        let mut ppo = Ppo::new(cfg, |_| Ok(CartPole::v1())).unwrap();
        let logs = ppo.learn(1024, &mut []).unwrap();
        logs.iter()
            .map(|l| (l.stats.loss, l.stats.approx_kl, l.ep_rew_mean))
            .collect::<Vec<_>>()
    };
    assert_eq!(run(), run());
}

/// Stops training after a given update, as an interrupt would.
struct StopAt(u64);
impl metablend_agents::ppo::Callback for StopAt {
    fn on_update(
        &mut self,
        _: &PpoLearner,
        log: &metablend_agents::ppo::UpdateLog,
    ) -> metablend_agents::Result<metablend_agents::ppo::Control> {
        Ok(if log.iteration >= self.0 {
            metablend_agents::ppo::Control::Stop
        } else {
            metablend_agents::ppo::Control::Continue
        })
    }
}

#[test]
fn resume_from_checkpoint_equals_the_uninterrupted_run() {
    let cfg = PpoConfig {
        n_envs: 2,
        n_steps: 64,
        batch_size: 64,
        n_epochs: 3,
        seed: 9,
        ..PpoConfig::cartpole_zoo()
    };
    let total = 16 * 128;
    let key = |l: &metablend_agents::ppo::UpdateLog| {
        (
            l.iteration,
            l.total_timesteps,
            l.stats.loss,
            l.stats.approx_kl,
            l.ep_rew_mean,
        )
    };
    let mut full = Ppo::new(cfg.clone(), |_| Ok(CartPole::v1())).unwrap();
    let full_logs: Vec<_> = full
        .learn(total, &mut [])
        .unwrap()
        .iter()
        .map(key)
        .collect();

    let dir = tmp("resume");
    let mut first = Ppo::new(cfg, |_| Ok(CartPole::v1())).unwrap();
    first.learn(total, &mut [&mut StopAt(8)]).unwrap();
    first.save_checkpoint(&dir).unwrap();
    drop(first);
    let mut resumed = Ppo::resume(&dir, |_| Ok(CartPole::v1())).unwrap();
    let rest: Vec<_> = resumed
        .learn(total, &mut [])
        .unwrap()
        .iter()
        .map(key)
        .collect();
    assert_eq!(rest.len(), 8);
    assert_eq!(rest, full_logs[8..].to_vec());
    let probe = [0.02f32, 0.1, -0.03, 0.2];
    assert_eq!(
        resumed.learner().forward(&probe, 1).unwrap(),
        full.learner().forward(&probe, 1).unwrap()
    );
    // A learner-only checkpoint cannot resume training, and says why.
    full.learner().save(&dir).unwrap();
    let err = Ppo::resume(&dir, |_| Ok(CartPole::v1()))
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("trainer.json") && err.contains("PpoLearner::load"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_non_finite_reward_stops_training_with_a_clear_error_and_keeps_the_last_good_checkpoint() {
    use metablend_env::wrappers::{TimeLimit, TransformReward};
    let dir = tmp("nan");
    let cfg = PpoConfig {
        n_envs: 1,
        n_steps: 64,
        batch_size: 64,
        n_epochs: 1,
        ..PpoConfig::cartpole_zoo()
    };
    // Rewards turn NaN after 300 steps of the env's life.
    let make = |_| {
        let n = std::cell::Cell::new(0u32);
        let poison = move |r: f64| {
            n.set(n.get() + 1);
            if n.get() > 300 {
                f64::NAN
            } else {
                r
            }
        };
        Ok(TransformReward::new(
            TimeLimit::new(CartPole::new(), 500)?,
            poison,
        ))
    };
    let mut ppo = Ppo::new(cfg, make).unwrap();
    ppo.autosave(&dir, 1);
    let err = ppo.learn(10_000, &mut []).unwrap_err().to_string();
    assert!(err.contains("reward") && err.contains("NaN"), "{err}");
    let last = PpoLearner::load(&dir).unwrap();
    assert_eq!(
        last.num_timesteps, 256,
        "the checkpoint of the last good update survives"
    );
    let space = metablend_env::Discrete::new(2).unwrap();
    assert!(metablend_agents::ppo::PpoPolicy::load(&dir, space).is_ok());
    let wrong = metablend_env::BoxSpace::uniform(-1.0, 1.0, 2).unwrap();
    let err = metablend_agents::ppo::PpoPolicy::load(&dir, wrong)
        .unwrap_err()
        .to_string();
    assert!(err.contains("does not serve"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn unsupported_spaces_and_heads_are_clear_errors() {
    use metablend_env::envs::Pendulum;
    // A Dirichlet head needs a [0, 1]^K box; Pendulum's torque box is [-2, 2].
    let cfg = PpoConfig {
        dirichlet: true,
        n_envs: 1,
        n_steps: 64,
        ..PpoConfig::pendulum_zoo()
    };
    let err = Ppo::new(cfg, |_| Ok(Pendulum::v1()))
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("Dirichlet") && err.contains("[0, 1]^K"),
        "{err}"
    );
}

#[test]
fn a_callback_can_stop_at_rollout_end_before_the_update() {
    struct StopAtSteps(u64);
    impl metablend_agents::ppo::Callback for StopAtSteps {
        fn on_rollout_end(
            &mut self,
            _: &PpoLearner,
            steps: u64,
        ) -> metablend_agents::Result<metablend_agents::ppo::Control> {
            Ok(if steps >= self.0 {
                metablend_agents::ppo::Control::Stop
            } else {
                metablend_agents::ppo::Control::Continue
            })
        }
    }
    let cfg = PpoConfig {
        n_envs: 2,
        n_steps: 64,
        batch_size: 64,
        n_epochs: 1,
        ..PpoConfig::cartpole_zoo()
    };
    let mut ppo = Ppo::new(cfg, |_| Ok(CartPole::v1())).unwrap();
    let logs = ppo.learn(10_000, &mut [&mut StopAtSteps(512)]).unwrap();
    assert_eq!(logs.len(), 3, "the fourth rollout's update is skipped");
    assert_eq!(ppo.learner().num_timesteps, 512);
    assert_eq!(ppo.learner().iterations, 3);
}

#[test]
fn a_learned_optimizer_saved_in_the_old_layout_steps_exactly_as_before() {
    use metablend_agents::metaopt::{update, MetaTask, OptState, Quadratic, UpdateNet};
    let net = UpdateNet::load(&crate::util::data_path("checkpoints/metaopt_v1")).unwrap();
    let task = Quadratic::random(10, 3).unwrap();
    let mut params = task.init(5).unwrap();
    let mut state = OptState::new(&params).unwrap();
    for _ in 0..3 {
        let vars: Vec<candle_core::Var> = params
            .iter()
            .map(|t| candle_core::Var::from_tensor(t).unwrap())
            .collect();
        let tensors: Vec<_> = vars.iter().map(|v| v.as_tensor().clone()).collect();
        let grads = task.loss(&tensors).unwrap().backward().unwrap();
        let grads: Vec<_> = vars
            .iter()
            .map(|v| grads.get(v.as_tensor()).unwrap().clone())
            .collect();
        params = update(&net, &mut state, &tensors, &grads).unwrap();
    }
    let bits: Vec<u32> = params[0]
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap()
        .iter()
        .map(|v| v.to_bits())
        .collect();
    assert_eq!(
        bits,
        [
            3213761105, 1043999341, 1065899338, 1061476896, 3196904429, 3201664654, 1056980441,
            1051114690, 1064846497, 1053155380
        ]
    );
}
