use std::sync::Arc;

use candle_core::Tensor;
use candle_nn::Optimizer;

use super::*;

fn quadratics(seeds: std::ops::Range<u64>) -> Vec<Box<dyn MetaTask>> {
    seeds
        .map(|s| Box::new(Quadratic::random(8, s).unwrap()) as Box<dyn MetaTask>)
        .collect()
}

fn small_config() -> MetaTrainConfig {
    MetaTrainConfig {
        iterations: 300,
        truncation: 10,
        horizon_start: 30,
        horizon_end: 30,
        meta_lr: 1e-2,
        ..MetaTrainConfig::default()
    }
}

#[test]
fn meta_training_beats_tuned_plain_sgd_on_held_out_quadratics() {
    let train = quadratics(0..20);
    let net = meta_train(&small_config(), &train, None, |_, _, log| {
        assert!(log.skipped.is_none(), "{log:?}");
        Ok(true)
    })
    .unwrap();
    let held = quadratics(100..130);
    let tune: Vec<&dyn MetaTask> = train.iter().map(|t| t.as_ref()).collect();
    let (lr, _) = tune_learning_rate(|lr| Baseline::Sgd { lr }, &tune, 30).unwrap();
    let learned: Vec<Curve> = held
        .iter()
        .enumerate()
        .map(|(i, t)| run_learned(&net, t.as_ref(), 1000 + i as u64, 30).unwrap())
        .collect();
    let sgd: Vec<Curve> = held
        .iter()
        .enumerate()
        .map(|(i, t)| run_baseline(Baseline::Sgd { lr }, t.as_ref(), 1000 + i as u64, 30).unwrap())
        .collect();
    let c = compare(&learned, &sgd).unwrap();
    eprintln!("vs tuned SGD: {c:?}");
    assert!(c.win_rate > 0.5 && c.ci95.1 < 0.0, "{c:?}");
    // And an untrained network does not: the comparison can fail.
    let fresh = UpdateNet::new(MetaOptConfig::default(), 0).unwrap();
    let untrained: Vec<Curve> = held
        .iter()
        .enumerate()
        .map(|(i, t)| run_learned(&fresh, t.as_ref(), 1000 + i as u64, 30).unwrap())
        .collect();
    assert!(compare(&untrained, &sgd).unwrap().mean_log_ratio > c.mean_log_ratio);
}

/// A quadratic whose loss turns NaN after a few evaluations.
struct Poisoned {
    inner: Quadratic,
    calls: std::sync::atomic::AtomicUsize,
}

impl MetaTask for Poisoned {
    fn name(&self) -> String {
        "poisoned".into()
    }
    fn init(&self, seed: u64) -> crate::Result<Vec<Tensor>> {
        self.inner.init(seed)
    }
    fn loss(&self, p: &[Tensor]) -> crate::Result<Tensor> {
        let n = self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let l = self.inner.loss(p)?;
        Ok(if n > 6 { (l * f64::NAN)? } else { l })
    }
}

#[test]
fn a_nan_loss_stops_that_task_and_leaves_phi_unchanged() {
    let tasks: Vec<Box<dyn MetaTask>> = vec![Box::new(Poisoned {
        inner: Quadratic::random(4, 0).unwrap(),
        calls: Default::default(),
    })];
    let config = MetaTrainConfig {
        iterations: 1,
        ..small_config()
    };
    let before = UpdateNet::new(config.net.clone(), config.seed).unwrap();
    let phi0: Vec<Vec<f32>> = crate::ppo::read_vars(&before.vars()).unwrap();
    let mut logs = Vec::new();
    let net = meta_train(&config, &tasks, None, |_, _, log| {
        logs.push(log.clone());
        Ok(true)
    })
    .unwrap();
    let skipped = logs[0].skipped.as_deref().unwrap();
    assert!(
        skipped.contains("poisoned") && skipped.contains("NaN"),
        "{skipped}"
    );
    assert_eq!(crate::ppo::read_vars(&net.vars()).unwrap(), phi0);
}

#[test]
fn checkpoints_round_trip_and_damage_is_a_clear_error() {
    let dir = std::env::temp_dir().join(format!("metaopt-ckpt-{}", std::process::id()));
    for kind in [NetKind::Mlp, NetKind::Lstm] {
        let config = MetaOptConfig {
            kind,
            hidden: 8,
            ..MetaOptConfig::default()
        };
        let net = UpdateNet::new(config, 3).unwrap();
        net.save(&dir, &[("note.txt", "x".into())]).unwrap();
        let back = UpdateNet::load(&dir).unwrap();
        let task = Quadratic::random(5, 1).unwrap();
        assert_eq!(
            run_learned(&net, &task, 0, 5).unwrap(),
            run_learned(&back, &task, 0, 5).unwrap()
        );
    }
    std::fs::write(dir.join("phi.safetensors"), b"garbage").unwrap();
    let err = UpdateNet::load(&dir).err().unwrap().to_string();
    assert!(
        err.contains("phi.safetensors") && err.contains("damaged"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_optimizer_interface_trains_candle_variables() {
    let net = Arc::new(
        meta_train(&small_config(), &quadratics(0..10), None, |_, _, _| {
            Ok(true)
        })
        .unwrap(),
    );
    let task = Quadratic::random(6, 42).unwrap();
    let var = candle_core::Var::from_tensor(&task.init(7).unwrap()[0]).unwrap();
    let mut opt = LearnedOptimizer::new(vec![var.clone()], net).unwrap();
    let first = task
        .loss(&[var.as_tensor().clone()])
        .unwrap()
        .to_scalar::<f32>()
        .unwrap();
    for _ in 0..30 {
        let loss = task.loss(&[var.as_tensor().clone()]).unwrap();
        opt.backward_step(&loss).unwrap();
    }
    let last = task
        .loss(&[var.as_tensor().clone()])
        .unwrap()
        .to_scalar::<f32>()
        .unwrap();
    assert!(last < 0.5 * first, "{first} -> {last}");
}

#[test]
fn es_gradient_and_lstm_variant_run() {
    let config = MetaTrainConfig {
        iterations: 3,
        net: MetaOptConfig {
            kind: NetKind::Lstm,
            hidden: 8,
            ..MetaOptConfig::default()
        },
        es: Some(EsConfig {
            sigma: 0.05,
            pairs: 2,
        }),
        ..small_config()
    };
    let mut n = 0;
    meta_train(&config, &quadratics(0..3), None, |_, _, log| {
        assert!(log.meta_loss.is_finite(), "{log:?}");
        n += 1;
        Ok(true)
    })
    .unwrap();
    assert_eq!(n, 3);
    let bad = MetaTrainConfig {
        truncation: 0,
        ..MetaTrainConfig::default()
    };
    assert!(matches!(
        meta_train(&bad, &quadratics(0..1), None, |_, _, _| Ok(true)),
        Err(crate::Error::InvalidConfig(_))
    ));
}
