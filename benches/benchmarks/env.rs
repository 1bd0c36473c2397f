//! Env step throughput: CartPole-v1, Pendulum-v1, the ensemble env (K = 4, W = 20), and
//! `SyncVectorEnv` over `n_envs`.

use criterion::{black_box, criterion_group, BenchmarkId, Criterion, Throughput};
use metablend_env::envs::{CartPole, Pendulum};
use metablend_env::{EnsembleEnv, EnsembleEnvConfig, Env, Predictions, SyncVectorEnv};

const STEPS: usize = 10_000;

/// Steps `env` `STEPS` times with actions from `act`, resetting at episode ends.
fn run<E: Env>(env: &mut E, act: impl Fn(usize) -> E::Act) -> f64 {
    let mut total = 0.0;
    for i in 0..STEPS {
        let step = env.step(&act(i)).expect("valid action");
        total += step.reward;
        if step.done() {
            env.reset(None).expect("reset");
        }
    }
    total
}

fn ensemble_data(t: usize, k: usize) -> Predictions {
    let target: Vec<f64> = (0..t)
        .map(|i| (i as f64 * 0.05).sin() * 10.0 + i as f64 * 0.01)
        .collect();
    let preds = (0..t)
        .map(|i| {
            (0..k)
                .map(|j| target[i] + ((i * (j + 3)) as f64).cos())
                .collect()
        })
        .collect();
    Predictions::new(target, preds, (0..k).map(|j| format!("m{j}")).collect()).expect("valid")
}

fn single_env(c: &mut Criterion) {
    let mut g = c.benchmark_group("env_step");
    g.throughput(Throughput::Elements(STEPS as u64));
    g.bench_function("CartPole-v1", |b| {
        let mut env = CartPole::v1();
        env.reset(Some(0)).unwrap();
        b.iter(|| black_box(run(&mut env, |i| (i >> 2) & 1)));
    });
    g.bench_function("Pendulum-v1", |b| {
        let mut env = Pendulum::v1();
        env.reset(Some(0)).unwrap();
        let actions = [vec![-1.0], vec![0.5], vec![2.5]];
        b.iter(|| black_box(run(&mut env, |i| actions[i % 3].clone())));
    });
    g.bench_function("ensemble K=4 W=20", |b| {
        let cfg = EnsembleEnvConfig {
            window: 20,
            episode_len: Some(256),
            ..Default::default()
        };
        let mut env = EnsembleEnv::single(ensemble_data(5000, 4), cfg).unwrap();
        env.reset(Some(0)).unwrap();
        let actions = [vec![0.1, -0.3, 0.2, 0.0], vec![1.0, 0.0, -1.0, 0.5]];
        b.iter(|| black_box(run(&mut env, |i| actions[i & 1].clone())));
    });
    g.finish();
}

fn vector_env(c: &mut Criterion) {
    let mut g = c.benchmark_group("vec_env_step");
    for n in [1usize, 8, 32] {
        g.throughput(Throughput::Elements((STEPS * n) as u64));
        g.bench_with_input(BenchmarkId::new("CartPole-v1", n), &n, |b, &n| {
            let mut venv = SyncVectorEnv::from_fn(n, |_| Ok(CartPole::v1())).unwrap();
            venv.reset(Some(0)).unwrap();
            let actions: Vec<usize> = (0..n).map(|i| i & 1).collect();
            b.iter(|| {
                for _ in 0..STEPS {
                    black_box(venv.step(&actions).unwrap());
                }
            });
        });
    }
    g.finish();
}

criterion_group!(benches, single_env, vector_env);
