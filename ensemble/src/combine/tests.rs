//! Properties every combiner must have.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;
use metablend_env::ensemble::Softmax;
use metablend_env::EnsembleEnvConfig;

/// Four models of different quality whose best model changes half-way.
fn table(n: usize, seed: u64) -> Predictions {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let target: Vec<f64> = (0..n)
        .map(|t| (t as f64 * 0.2).sin() * 10.0 + t as f64 * 0.05)
        .collect();
    let preds = target
        .iter()
        .enumerate()
        .map(|(t, y)| {
            let noise = |s: f64, rng: &mut ChaCha8Rng| rng.random_range(-s..s);
            let (a, b) = if t < n / 2 { (0.3, 3.0) } else { (3.0, 0.3) };
            vec![
                y + noise(a, &mut rng),
                y + noise(b, &mut rng),
                y + 1.0 + noise(1.0, &mut rng),
                y - 2.0,
            ]
        })
        .collect();
    Predictions::new(
        target,
        preds,
        ["a", "b", "c", "d"].map(String::from).to_vec(),
    )
    .unwrap()
}

fn all() -> Vec<Box<dyn Combiner>> {
    let mut v = seasonal_combiners(7);
    v.push(Box::new(Hedge::new(0.5)));
    v.push(Box::new(ExpGradient::new(0.1)));
    v.push(Box::new(FixedShare::new(1.0)));
    v
}

#[test]
fn weights_never_depend_on_later_targets() {
    let p = table(300, 1);
    let (train, eval) = (0..150, 150..300);
    for mut c in all().into_iter().filter(|c| !c.is_oracle()) {
        let base = run_combiner(c.as_mut(), &p, train.clone(), eval.clone()).unwrap();
        for k in [150, 190, 260] {
            let mut target = p.target().to_vec();
            target[k..].iter_mut().for_each(|v| *v += 100.0);
            let rows: Vec<Vec<f64>> = (0..p.len()).map(|t| p.pred(t).to_vec()).collect();
            let q = Predictions::new(target, rows, p.model_names().to_vec()).unwrap();
            let mut fresh = all().into_iter().find(|f| f.name() == c.name()).unwrap();
            let other = run_combiner(fresh.as_mut(), &q, train.clone(), eval.clone()).unwrap();
            for t in 150..=k {
                assert_eq!(
                    base.weights[t - 150],
                    other.weights[t - 150],
                    "{} at t = {t} (perturbed from {k})",
                    c.name()
                );
            }
        }
    }
}

#[test]
fn the_oracle_is_never_beaten_by_a_fixed_combination() {
    let p = table(200, 2);
    let eval = 100..200;
    let sse = |w: &[f64]| -> f64 {
        eval.clone()
            .map(|t| {
                (w.iter().zip(p.pred(t)).map(|(w, x)| w * x).sum::<f64>() - p.target()[t]).powi(2)
            })
            .sum()
    };
    let oracle = run_combiner(&mut OracleConvex::default(), &p, 0..100, eval.clone()).unwrap();
    assert!(oracle.oracle);
    let best = sse(&oracle.weights[0]);
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for _ in 0..2000 {
        let raw: Vec<f64> = (0..4).map(|_| -rng.random::<f64>().ln()).collect();
        let total: f64 = raw.iter().sum();
        let w: Vec<f64> = raw.iter().map(|v| v / total).collect();
        assert!(sse(&w) >= best * (1.0 - 1e-12), "{w:?} beats the oracle");
    }
    for k in 0..4 {
        let mut w = vec![0.0; 4];
        w[k] = 1.0;
        assert!(sse(&w) >= best * (1.0 - 1e-12));
    }
}

/// Hedge's mixture loss stays within sqrt(T ln K / 2) of the best model's (losses in [0, 1],
/// η = sqrt(8 ln K / T)); the combined forecast's loss is lower still (convexity).
#[test]
fn hedge_stays_within_its_regret_bound() {
    let (n, k) = (2000usize, 5usize);
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let rows: Vec<Vec<f64>> = (0..n)
        .map(|t| {
            (0..k)
                .map(|j| rng.random_range(-1.0..1.0) * if j == t % 3 { 0.3 } else { 1.0 })
                .collect()
        })
        .collect();
    let p = Predictions::new(
        vec![0.0; n],
        rows,
        (0..k).map(|j| format!("m{j}")).collect(),
    )
    .unwrap();
    let eta = (8.0 * (k as f64).ln() / n as f64).sqrt();
    let out = run_combiner(&mut Hedge::new(eta), &p, 0..0, 0..n).unwrap();
    let mut mixture = 0.0;
    let mut per_model = vec![0.0; k];
    let mut combined = 0.0;
    for t in 0..n {
        let losses: Vec<f64> = p.pred(t).iter().map(|x| x * x).collect();
        mixture += out.weights[t]
            .iter()
            .zip(&losses)
            .map(|(w, l)| w * l)
            .sum::<f64>();
        per_model.iter_mut().zip(&losses).for_each(|(a, l)| *a += l);
        combined += out.forecasts[t].powi(2);
    }
    let best = per_model.iter().fold(f64::INFINITY, |a, &b| a.min(b));
    let bound = (n as f64 * (k as f64).ln() / 2.0).sqrt();
    assert!(
        mixture - best <= bound,
        "regret {} > {bound}",
        mixture - best
    );
    assert!(combined <= mixture + 1e-9);
}

#[test]
fn stacking_recovers_a_convex_mixture_and_best_single_picks_the_best() {
    let n = 120;
    let p1: Vec<f64> = (0..n).map(|t| (t as f64 * 0.3).sin()).collect();
    let p2: Vec<f64> = (0..n).map(|t| (t as f64 * 0.7).cos()).collect();
    let target: Vec<f64> = p1.iter().zip(&p2).map(|(a, b)| 0.3 * a + 0.7 * b).collect();
    let rows = (0..n).map(|t| vec![p1[t], p2[t], p1[t] + 1.0]).collect();
    let p = Predictions::new(target, rows, vec!["x".into(), "y".into(), "z".into()]).unwrap();
    let out = run_combiner(&mut Stacking::default(), &p, 0..100, 100..120).unwrap();
    let w = &out.weights[0];
    assert!(
        (w[0] - 0.3).abs() < 1e-6 && (w[1] - 0.7).abs() < 1e-6 && w[2] < 1e-9,
        "{w:?}"
    );
    let mut best = BestSingle::default();
    run_combiner(&mut best, &p, 0..100, 100..120).unwrap();
    assert_eq!(best.chosen(), Some(1));
    let g = vec![1.0, 0.0, 0.0, 1.0];
    assert_eq!(simplex_least_squares(&g, 2).unwrap(), vec![0.5, 0.5]);
}

#[test]
fn median_inverse_mse_and_online_methods_behave() {
    let p = table(300, 5);
    let med = run_combiner(&mut Median, &p, 0..0, 10..20).unwrap();
    for (i, w) in med.weights.iter().enumerate() {
        let mut row = p.pred(10 + i).to_vec();
        row.sort_by(f64::total_cmp);
        assert!(
            (med.forecasts[i] - 0.5 * (row[1] + row[2])).abs() < 1e-12,
            "{w:?}"
        );
    }
    // After the switch at t = 150, adaptive methods move weight from model a to model b.
    for mut c in [
        Box::new(InverseMse::new(20)) as Box<dyn Combiner>,
        Box::new(FixedShare::tuned()),
    ] {
        let out = run_combiner(c.as_mut(), &p, 0..100, 100..300).unwrap();
        let (early, late) = (&out.weights[40], &out.weights[199]);
        assert!(
            early[0] > early[1] && late[1] > late[0],
            "{}: {early:?} -> {late:?}",
            c.name()
        );
    }
    let mut hedge = Hedge::tuned();
    run_combiner(&mut hedge, &p, 0..100, 100..300).unwrap();
    assert!(hedge.eta() > 0.0);
}

#[test]
fn same_phase_inverse_mse_weights_by_the_errors_one_period_apart() {
    // Model a is exact at even rows, model b at odd rows: with period 2, the same phase
    // tells them apart where a trailing window cannot.
    let target: Vec<f64> = (0..40).map(|t| t as f64).collect();
    let rows: Vec<Vec<f64>> = (0..40)
        .map(|t| {
            let y = t as f64;
            if t % 2 == 0 {
                vec![y, y + 3.0]
            } else {
                vec![y + 3.0, y]
            }
        })
        .collect();
    let p = Predictions::new(target, rows, vec!["a".into(), "b".into()]).unwrap();
    let mut c = SamePhaseInverseMse::new(2, 3);
    assert_eq!(c.name(), "inverse_mse_phase2x3");
    assert_eq!(
        c.weights(&p, 1).unwrap(),
        vec![0.5, 0.5],
        "no earlier cycle"
    );
    let even = c.weights(&p, 20).unwrap();
    let odd = c.weights(&p, 21).unwrap();
    assert!(even[0] > 0.999 && odd[1] > 0.999, "{even:?} {odd:?}");
    let names: Vec<String> = seasonal_combiners(48)
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    assert_eq!(names[names.len() - 2], "inverse_mse_phase48x7");
    assert_eq!(seasonal_combiners(1).len(), classical_combiners().len());
}

#[test]
fn a_policy_applies_through_the_env() {
    let p = table(120, 6);
    let config = EnsembleEnvConfig {
        window: 10,
        ..EnsembleEnvConfig::default()
    };
    let zero_logits =
        |_: &Vec<f64>, _: bool| -> metablend_env::Result<Vec<f64>> { Ok(vec![0.0; 4]) };
    let mut c = PolicyCombiner::new("policy", config, Softmax, zero_logits);
    let out = run_combiner(&mut c, &p, 0..50, 50..120).unwrap();
    let equal = run_combiner(&mut EqualWeights, &p, 0..50, 50..120).unwrap();
    for (a, b) in out.forecasts.iter().zip(&equal.forecasts) {
        assert!((a - b).abs() < 1e-12);
    }
    let mut bad = PolicyCombiner::new("policy", EnsembleEnvConfig::default(), Softmax, zero_logits);
    assert!(
        run_combiner(&mut bad, &p, 0..5, 5..120).is_err(),
        "too little history for W = 20"
    );
}

#[test]
fn bad_ranges_and_order_are_errors() {
    let p = table(50, 7);
    assert!(run_combiner(&mut EqualWeights, &p, 0..10, 20..20).is_err());
    assert!(run_combiner(&mut EqualWeights, &p, 0..30, 20..40).is_err());
    assert!(run_combiner(&mut EqualWeights, &p, 0..10, 40..60).is_err());
    assert!(run_combiner(&mut Hedge::tuned(), &p, 0..0, 10..20).is_err());
    assert!(run_combiner(&mut Stacking::default(), &p, 5..5, 10..20).is_err());
    let mut inv = InverseMse::new(5);
    inv.weights(&p, 30).unwrap();
    assert!(inv.weights(&p, 20).is_err());
}
