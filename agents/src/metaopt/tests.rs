use std::sync::Arc;

use candle_core::Tensor;
use candle_nn::Optimizer;

use super::*;

fn quadratics(seeds: std::ops::Range<u64>) -> Vec<Box<dyn MetaTask>> {
    seeds
        .map(|s| Box::new(Quadratic::random(8, s).unwrap()) as Box<dyn MetaTask>)
        .collect()
}

/// Meta-trains from scratch, collecting every iteration's record.
fn train_logged(
    config: &MetaTrainConfig,
    tasks: &[Box<dyn MetaTask>],
) -> (UpdateNet, Vec<MetaTrainLog>) {
    let mut logs = Vec::new();
    let net = meta_train(config, tasks, None, |_, _, log| {
        logs.push(log.clone());
        Ok(true)
    })
    .unwrap();
    (net, logs)
}

/// φ's values.
fn phi(net: &UpdateNet) -> Vec<Vec<f32>> {
    metablend_nn::read_vars(&net.vars()).unwrap()
}

fn small_config() -> MetaTrainConfig {
    MetaTrainConfig {
        iterations: 400,
        truncation: 10,
        horizon_start: 30,
        horizon_end: 30,
        meta_lr: 1e-2,
        finetune: None,
        ..MetaTrainConfig::default()
    }
}

#[test]
fn meta_training_beats_tuned_plain_sgd_and_its_own_start_on_held_out_quadratics() {
    for form in [UpdateForm::Free, UpdateForm::AdamScaled] {
        let config = MetaTrainConfig {
            net: MetaOptConfig {
                form,
                ..MetaOptConfig::default()
            },
            ..small_config()
        };
        let train = quadratics(0..20);
        let net = meta_train(&config, &train, None, |_, _, log| {
            assert!(log.skipped.is_none(), "{log:?}");
            Ok(true)
        })
        .unwrap();
        let held = quadratics(100..130);
        let tune: Vec<&dyn MetaTask> = train.iter().map(|t| t.as_ref()).collect();
        let (lr, _) = tune_learning_rate(|lr| Baseline::Sgd { lr }, &tune, 30).unwrap();
        let runs = |f: &dyn Fn(&dyn MetaTask, u64) -> Curve| -> Vec<Curve> {
            held.iter()
                .enumerate()
                .map(|(i, t)| f(t.as_ref(), 1000 + i as u64))
                .collect()
        };
        let learned = runs(&|t, seed| run_learned(&net, t, seed, 30).unwrap());
        let sgd = runs(&|t, seed| run_baseline(Baseline::Sgd { lr }, t, seed, 30).unwrap());
        let c = compare(&learned, &sgd).unwrap();
        eprintln!("{form:?} vs tuned SGD: {c:?}");
        assert!(c.win_rate > 0.5 && c.ci95.1 < 0.0, "{form:?}: {c:?}");
        // The untrained network (for the Adam-scaled form: Adam at the base learning rate)
        // is clearly worse, so what the comparison measures is meta-training.
        let fresh = UpdateNet::new(config.net.clone(), 0).unwrap();
        let untrained = runs(&|t, seed| run_learned(&fresh, t, seed, 30).unwrap());
        let gain = compare(&learned, &untrained).unwrap();
        eprintln!("{form:?} vs its untrained start: {gain:?}");
        assert!(
            gain.win_rate > 0.5 && gain.ci95.1 < 0.0,
            "{form:?}: {gain:?}"
        );
    }
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

/// A single task whose loss turns NaN after its first few evaluations.
fn poisoned() -> Vec<Box<dyn MetaTask>> {
    vec![Box::new(Poisoned {
        inner: Quadratic::random(4, 0).unwrap(),
        calls: Default::default(),
    })]
}

#[test]
fn a_nan_loss_stops_that_task_and_leaves_phi_unchanged() {
    let tasks = poisoned();
    let config = MetaTrainConfig {
        iterations: 1,
        ..small_config()
    };
    let phi0 = phi(&UpdateNet::new(config.net.clone(), config.seed).unwrap());
    let (net, logs) = train_logged(&config, &tasks);
    let skipped = logs[0].skipped.as_deref().unwrap();
    assert!(
        skipped.contains("poisoned") && skipped.contains("NaN"),
        "{skipped}"
    );
    assert_eq!(phi(&net), phi0);
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
    // A checkpoint from before the update form, the step decay and the width scaling
    // existed is the free form it was trained as, without a decay or width scaling.
    let text = std::fs::read_to_string(dir.join("metaopt.json")).unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let fields = json.as_object_mut().unwrap();
    for field in ["form", "decay", "base_fan_in"] {
        assert!(fields.remove(field).is_some(), "{field}");
    }
    std::fs::write(dir.join("metaopt.json"), json.to_string()).unwrap();
    let legacy = UpdateNet::load(&dir).unwrap();
    assert_eq!(legacy.config().form, UpdateForm::Free);
    assert_eq!(legacy.config().decay, None);
    assert_eq!(legacy.config().step_factor(1000), 1.0);
    assert_eq!(legacy.config().base_fan_in, None);
    assert_eq!(legacy.config().fan_in_factor(Some(1000)), 1.0);
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
        Err(crate::Error::InvalidMetaOptConfig(_))
    ));
}

/// Fine-tuning only, from the untrained network (Adam at 0.01, too timid for 30 steps on
/// these quadratics); one pair in eight runs 300 steps.
fn finetune_only() -> MetaTrainConfig {
    MetaTrainConfig {
        iterations: 0,
        finetune: Some(EsFinetune {
            iterations: 30,
            pairs: 8,
            long_pairs: 1,
            sigma: 0.1,
            meta_lr: 0.05,
            tail: 5,
        }),
        ..small_config()
    }
}

#[test]
fn es_fine_tuning_moves_only_the_step_size_head_and_lowers_held_out_final_losses() {
    let config = finetune_only();
    let train = quadratics(0..20);
    let (net, logs) = train_logged(&config, &train);
    assert_eq!(logs.len(), 30);
    assert!(logs
        .iter()
        .all(|l| l.fine_tuning && l.meta_loss.is_finite()));
    let start = UpdateNet::new(config.net.clone(), config.seed).unwrap();
    let (before, after) = (phi(&start), phi(&net));
    let mask = start.magnitude_head_mask();
    let mut moved = 0;
    for ((b, a), m) in before.iter().zip(&after).zip(&mask) {
        for ((x, y), on) in b.iter().zip(a).zip(m) {
            if *on {
                moved += usize::from(x != y);
            } else {
                assert_eq!(x, y, "a parameter outside the step-size head moved");
            }
        }
    }
    assert_eq!(moved, config.net.hidden + 1);
    // Deterministic: the parallel runs are reduced in a fixed order.
    assert_eq!(phi(&train_logged(&config, &train).0), after);
    let held = quadratics(100..130);
    let finals = |n: &UpdateNet| -> Vec<Curve> {
        held.iter()
            .enumerate()
            .map(|(i, t)| run_learned(n, t.as_ref(), 1000 + i as u64, 30).unwrap())
            .collect()
    };
    let gain = compare(&finals(&net), &finals(&start)).unwrap();
    eprintln!("fine-tuned vs its start: {gain:?}");
    assert!(gain.win_rate > 0.5 && gain.ci95.1 < 0.0, "{gain:?}");
}

#[test]
fn a_nan_run_in_fine_tuning_counts_as_the_cap_and_never_reaches_phi() {
    let tasks = poisoned();
    let config = MetaTrainConfig {
        finetune: Some(EsFinetune {
            iterations: 2,
            ..finetune_only().finetune.unwrap()
        }),
        ..finetune_only()
    };
    let start = UpdateNet::new(config.net.clone(), config.seed).unwrap();
    let (net, logs) = train_logged(&config, &tasks);
    for log in &logs {
        assert!(
            (log.meta_loss - config.loss_clip.ln()).abs() < 1e-12,
            "{log:?}"
        );
    }
    assert_eq!(phi(&net), phi(&start));
    let bad = MetaTrainConfig {
        finetune: Some(EsFinetune {
            sigma: f64::NAN,
            ..EsFinetune::default()
        }),
        ..finetune_only()
    };
    assert!(matches!(
        meta_train(&bad, &tasks, None, |_, _, _| Ok(true)),
        Err(crate::Error::InvalidMetaOptConfig(_))
    ));
}

/// The largest absolute difference between two tensors.
fn max_abs_diff(a: &Tensor, b: &Tensor) -> f32 {
    let d = (a - b).unwrap().abs().unwrap().max_all().unwrap();
    d.to_scalar::<f32>().unwrap()
}

#[test]
fn steps_decay_as_a_power_law_after_the_training_horizon() {
    let decay = StepDecay {
        after: 100,
        power: 1.0,
    };
    for t in [0, 50, 100] {
        assert_eq!(decay.factor(t), 1.0);
    }
    assert!((decay.factor(200) - 0.5).abs() < 1e-12);
    assert!((decay.factor(400) - 0.25).abs() < 1e-12);
    // The factor scales every coordinate's step: after 200 updates, the decayed step from
    // the same state is half the undecayed one.
    let task = Quadratic::random(4, 0).unwrap();
    let params = task.init(0).unwrap();
    let (grads, _) = super::unroll::inner_grad(&task, &params, 0).unwrap();
    let step = |decay: Option<StepDecay>| -> Tensor {
        let config = MetaOptConfig {
            decay,
            ..MetaOptConfig::default()
        };
        let net = UpdateNet::new(config, 0).unwrap();
        let mut state = OptState::new(&params).unwrap();
        state.steps = 200;
        let next = update(&net, &mut state, &params, &grads).unwrap();
        (&next[0] - &params[0]).unwrap()
    };
    let (plain, decayed) = (step(None), step(Some(decay)));
    assert!(max_abs_diff(&plain.affine(0.5, 0.0).unwrap(), &decayed) < 1e-7);
    assert!(max_abs_diff(&plain, &plain.zeros_like().unwrap()) > 1e-4);
    // A decay from step 0 or with a negative or NaN power is refused.
    for (after, power) in [(0, 1.0), (100, -1.0), (100, f64::NAN)] {
        let config = MetaOptConfig {
            decay: Some(StepDecay { after, power }),
            ..MetaOptConfig::default()
        };
        assert!(matches!(
            UpdateNet::new(config, 0),
            Err(crate::Error::InvalidMetaOptConfig(_))
        ));
    }
}

/// The first step from `params` with gradients `grads` and the given fan-ins.
fn first_step(
    net: &UpdateNet,
    params: &[Tensor],
    grads: &[Tensor],
    fan_ins: &[Option<usize>],
) -> Vec<Tensor> {
    let mut state = OptState::with_fan_ins(params, fan_ins).unwrap();
    let next = update(net, &mut state, params, grads).unwrap();
    next.iter()
        .zip(params)
        .map(|(n, p)| (n - p).unwrap())
        .collect()
}

#[test]
fn weight_matrices_wider_than_the_base_fan_in_take_proportionally_smaller_steps() {
    let config = MetaOptConfig {
        base_fan_in: Some(24),
        ..MetaOptConfig::default()
    };
    assert_eq!(config.fan_in_factor(None), 1.0);
    assert_eq!(config.fan_in_factor(Some(16)), 1.0);
    assert_eq!(config.fan_in_factor(Some(24)), 1.0);
    assert!((config.fan_in_factor(Some(96)) - 0.25).abs() < 1e-12);
    let net = UpdateNet::new(config, 0).unwrap();
    // The real task layout: the MLP regression's input weights have fan-in `lags`, its
    // output weights fan-in `hidden`, and its biases none.
    let series: Vec<f64> = (0..200)
        .map(|t| (t as f64 * 0.3).sin() + 0.01 * t as f64)
        .collect();
    let task = MlpRegression::from_series("s", &series, 24, 96, Activation::Tanh, 64).unwrap();
    let fan_ins: Vec<Option<usize>> = (0..4).map(|i| task.fan_in(i)).collect();
    assert_eq!(fan_ins, [Some(24), None, Some(96), None]);
    let params = task.init(0).unwrap();
    let (grads, _) = super::unroll::inner_grad(&task, &params, 0).unwrap();
    let scaled = first_step(&net, &params, &grads, &fan_ins);
    let unscaled = first_step(&net, &params, &grads, &[None; 4]);
    // Only the output weights (fan-in 96 > 24) move less: exactly a quarter as far.
    for i in [0, 1, 3] {
        assert!(max_abs_diff(&scaled[i], &unscaled[i]) < 1e-9, "tensor {i}");
    }
    let quarter = unscaled[2].affine(0.25, 0.0).unwrap();
    assert!(max_abs_diff(&scaled[2], &quarter) < 1e-8);
    assert!(max_abs_diff(&scaled[2], &unscaled[2]) > 1e-5);
    // Meta-training and evaluation runs use the task's fan-ins.
    let mut state = super::unroll::task_state(&task, &params).unwrap();
    let next = update(&net, &mut state, &params, &grads).unwrap();
    assert!(max_abs_diff(&(&next[2] - &params[2]).unwrap(), &scaled[2]) < 1e-9);
    // As a candle optimiser, a 2-D variable is a weight `[out, in]` (the tasks' layout too):
    // fan-in `in`. The output weights take the same scaled step.
    let out_weights = candle_core::Var::from_tensor(&params[2]).unwrap();
    let mut opt = LearnedOptimizer::new(vec![out_weights.clone()], Arc::new(net)).unwrap();
    let before = out_weights.as_tensor().copy().unwrap();
    // A loss whose gradient is the task's gradient for these weights.
    let linear = out_weights.as_tensor().mul(&grads[2]).unwrap();
    opt.backward_step(&linear.sum_all().unwrap()).unwrap();
    let moved = (out_weights.as_tensor() - &before).unwrap();
    assert!(max_abs_diff(&moved, &scaled[2]) < 1e-8);
    // Mismatched fan-ins and a zero base are clear errors.
    assert!(matches!(
        OptState::with_fan_ins(&params, &[None; 3]),
        Err(crate::Error::InvalidInput(_))
    ));
    let zero = MetaOptConfig {
        base_fan_in: Some(0),
        ..MetaOptConfig::default()
    };
    assert!(matches!(
        UpdateNet::new(zero, 0),
        Err(crate::Error::InvalidMetaOptConfig(_))
    ));
}
