//! Combiner throughput: each combiner over 10,000 evaluation steps with K = 5 models
//! (`run_combiner`, which also checks every weight vector). Methods that learn from a
//! training range are fitted on the 1,000 rows before the evaluation range, inside the
//! timed loop.

use criterion::{black_box, criterion_group, BenchmarkId, Criterion, Throughput};
use metablend_ensemble::combine::{
    run_combiner, BestSingle, Combiner, EqualWeights, ExpGradient, FixedShare, Hedge, InverseMse,
    Median, OracleConvex, Stacking,
};
use metablend_env::Predictions;

/// Builds a fresh combiner.
type MakeCombiner = fn() -> Box<dyn Combiner>;

const TRAIN: usize = 1_000;
const STEPS: usize = 10_000;
const K: usize = 5;

fn table() -> Predictions {
    let n = TRAIN + STEPS;
    let target: Vec<f64> = (0..n).map(|t| (t as f64 * 0.05).sin() * 10.0).collect();
    let rows = (0..n)
        .map(|t| {
            (0..K)
                .map(|k| target[t] + ((t * (k + 3)) as f64).cos() * (k + 1) as f64)
                .collect()
        })
        .collect();
    Predictions::new(target, rows, (0..K).map(|k| format!("m{k}")).collect()).expect("valid table")
}

fn combiners(c: &mut Criterion) {
    let preds = table();
    let mut g = c.benchmark_group("combiner_10k_steps_k5");
    g.throughput(Throughput::Elements(STEPS as u64));
    let makers: Vec<(&str, MakeCombiner)> = vec![
        ("equal", || Box::new(EqualWeights)),
        ("median", || Box::new(Median)),
        ("best_single", || Box::new(BestSingle::default())),
        ("inverse_mse50", || Box::new(InverseMse::new(50))),
        ("stacking", || Box::new(Stacking::default())),
        ("hedge_fixed_eta", || Box::new(Hedge::new(1.0))),
        ("exp_gradient_fixed_eta", || Box::new(ExpGradient::new(1.0))),
        ("fixed_share_fixed_eta", || Box::new(FixedShare::new(1.0))),
        ("hedge_tuned", || Box::new(Hedge::tuned())),
        ("fixed_share_tuned", || Box::new(FixedShare::tuned())),
        ("oracle_convex", || Box::new(OracleConvex::default())),
    ];
    for (name, make) in makers {
        g.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| {
                let mut c = make();
                black_box(
                    run_combiner(c.as_mut(), &preds, 0..TRAIN, TRAIN..TRAIN + STEPS).expect("runs"),
                )
            })
        });
    }
    g.finish();
}

criterion_group!(benches, combiners);
