use super::*;
use crate::features::extract_all;
use crate::forecast::{GlobalMlpConfig, ModelSpec};
use crate::Series;
use metablend_env::contextual::ContextPanel;

/// Hourly-like series with different seasonal shapes and trends.
fn panel(n_series: usize) -> M4Panel {
    let (n, h) = (240, 24);
    let mk = |i: usize| -> Vec<f64> {
        (0..n + h)
            .map(|t| {
                let phase = (t % 24) as f64 / 24.0 * std::f64::consts::TAU;
                let amp = if i.is_multiple_of(2) { 0.4 } else { 0.05 };
                (50.0 + i as f64 + 0.02 * (i as f64) * t as f64)
                    * (1.0 + amp * (phase + i as f64).sin())
                    + ((t * 7 + i * 13) % 5) as f64 * 0.3
            })
            .collect()
    };
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for i in 0..n_series {
        let y = mk(i);
        train.push(Series {
            name: format!("H{i}"),
            values: y[..n].to_vec(),
            timestamps: None,
        });
        test.push(Series {
            name: format!("H{i}"),
            values: y[n..].to_vec(),
            timestamps: None,
        });
    }
    M4Panel { train, test }
}

fn pool_for(p: &M4Panel) -> PoolForecasts {
    let specs = ModelSpec::parse_list("naive snaive:24 naive2:24 drift ses:24", 24).unwrap();
    let global = GlobalMlpConfig {
        input: 48,
        hidden: 16,
        steps: 50,
        batch_size: 16,
        ..GlobalMlpConfig::default()
    };
    forecast_pool(&specs, Some(&global), &p.train, 24, &metablend_core::Silent).unwrap()
}

#[test]
fn the_pipeline_before_scoring_never_reads_the_test_values() {
    let p = panel(6);
    let pool = pool_for(&p);
    assert_eq!(pool.names.last().unwrap(), "global_mlp");
    assert_eq!(pool.names.len(), 6);
    let refs: Vec<&[f64]> = p.train.iter().map(|s| s.values.as_slice()).collect();
    let features = extract_all(&refs, 24).unwrap();
    let rows: Vec<usize> = (0..6).collect();
    let scaler = FeatureScaler::fit(&features, &rows);
    let ctx = context_panel(&pool, &features, &scaler, &p.train, 24).unwrap();
    let fforma = Fforma::fit(&FformaConfig::default(), &ctx, &rows).unwrap();
    let weights = fforma.weights(&ctx, &rows).unwrap();
    for w in &weights {
        assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-5);
    }
    let base = score("fforma", &pool, &rows, &weights, &p.train, &p.test, 24).unwrap();

    // Perturb every test value: nothing before scoring changes, the score does.
    let mut q = p.clone();
    q.test
        .iter_mut()
        .for_each(|s| s.values.iter_mut().for_each(|v| *v *= 1.5));
    let pool_q = pool_for(&q);
    assert_eq!(pool, pool_q);
    let ctx_q = context_panel(&pool_q, &features, &scaler, &q.train, 24).unwrap();
    assert_eq!(ctx, ctx_q);
    let weights_q = Fforma::fit(&FformaConfig::default(), &ctx_q, &rows)
        .unwrap()
        .weights(&ctx_q, &rows)
        .unwrap();
    assert_eq!(weights, weights_q);
    let other = score("fforma", &pool, &rows, &weights, &q.train, &q.test, 24).unwrap();
    assert_ne!(base.smape, other.smape);
}

/// The pool, the meta-learning tasks and their rows for `n` series of [`panel`].
fn tasks_of(n: usize) -> (PoolForecasts, ContextPanel, Vec<usize>) {
    let p = panel(n);
    let pool = pool_for(&p);
    let refs: Vec<&[f64]> = p.train.iter().map(|s| s.values.as_slice()).collect();
    let features = extract_all(&refs, 24).unwrap();
    let rows: Vec<usize> = (0..n).collect();
    let scaler = FeatureScaler::fit(&features, &rows);
    let ctx = context_panel(&pool, &features, &scaler, &p.train, 24).unwrap();
    (pool, ctx, rows)
}

#[test]
fn fforma_learns_to_prefer_the_better_model_per_series() {
    let (pool, ctx, rows) = tasks_of(8);
    let weights = Fforma::fit(&FformaConfig::default(), &ctx, &rows)
        .unwrap()
        .weights(&ctx, &rows)
        .unwrap();
    // Its expected validation loss beats equal weights' expected loss.
    let k = pool.names.len();
    let expected = |w: &[f64], i: usize| -> f64 {
        w.iter()
            .zip(&ctx.losses()[i])
            .map(|(a, l)| a * l.min(10.0))
            .sum()
    };
    let learned: f64 = rows.iter().map(|&i| expected(&weights[i], i)).sum();
    let equal: f64 = rows
        .iter()
        .map(|&i| expected(&vec![1.0 / k as f64; k], i))
        .sum();
    assert!(learned < 0.8 * equal, "{learned} vs {equal}");
}

#[test]
fn the_combined_objective_is_the_m4_loss_of_the_combination_and_lowers_it() {
    let (pool, ctx, rows) = tasks_of(8);
    let config = FformaConfig {
        objective: Objective::CombinedLoss,
        ..FformaConfig::default()
    };
    let weights = Fforma::fit(&config, &ctx, &rows)
        .unwrap()
        .weights(&ctx, &rows)
        .unwrap();
    let k = pool.names.len();
    let mean_loss = |w: &dyn Fn(usize) -> Vec<f64>| -> f64 {
        rows.iter()
            .map(|&i| ctx.combined_loss(i, &w(i)))
            .sum::<f64>()
            / rows.len() as f64
    };
    // The tensor objective equals the M4 loss the env and the scoring compute (f32),
    // each window's capped at 10.
    let capped = rows
        .iter()
        .map(|&i| ctx.combined_loss(i, &vec![1.0 / k as f64; k]).min(10.0))
        .sum::<f64>()
        / rows.len() as f64;
    let w = candle_core::Tensor::full(1f32 / k as f32, (rows.len(), k), &candle_core::Device::Cpu)
        .unwrap();
    let tensor = super::fforma::combined_objective(&ctx, &rows, &w).unwrap();
    assert!(
        (tensor - capped).abs() < 1e-4 * capped,
        "{tensor} vs {capped}"
    );
    // Training lowers it below equal weights'.
    let equal = mean_loss(&|_| vec![1.0 / k as f64; k]);
    let learned = mean_loss(&|i| weights[i].clone());
    assert!(learned < equal, "{learned} vs {equal}");
}

#[test]
fn bad_pools_and_panels_are_errors() {
    let p = panel(2);
    let no_naive2 = ModelSpec::parse_list("naive drift", 24).unwrap();
    assert!(forecast_pool(&no_naive2, None, &p.train, 24, &metablend_core::Silent).is_err());
    let twice = ModelSpec::parse_list("naive2:24 naive naive", 24).unwrap();
    assert!(
        forecast_pool(&twice, None, &p.train, 24, &metablend_core::Silent)
            .unwrap_err()
            .to_string()
            .contains("twice")
    );
    let mut short = p.clone();
    short.train[1].values.truncate(30);
    assert!(short.check(24).is_err());
    let mut renamed = p.clone();
    renamed.test[0].name = "X".into();
    assert!(renamed
        .check(24)
        .unwrap_err()
        .to_string()
        .contains("paired"));
    assert!(M4Frequency::parse("daily").is_err());
    let rows = published_rows(
        "method_id,method_label,type,smape_hourly,mase_hourly,owa_hourly\nA,a,Benchmark,1,2,0.5\nB,b,Submission,1,2,0.4\n",
        M4Frequency::Hourly,
    )
    .unwrap();
    assert_eq!(rows[0].id, "B");
    assert!(published_rows("method_id\nA\n", M4Frequency::Hourly).is_err());
}

#[test]
fn a_bag_averages_networks_from_consecutive_seeds_and_saves_them_all() {
    let (_, ctx, rows) = tasks_of(6);
    let config = |seed: u64, bag: usize| FformaConfig {
        seed,
        bag,
        steps: 50,
        ..FformaConfig::default()
    };
    let bagged = Fforma::fit(&config(3, 3), &ctx, &rows).unwrap();
    assert_eq!(bagged.bag(), 3);
    let got = bagged.weights(&ctx, &rows).unwrap();
    let singles: Vec<Vec<Vec<f64>>> = (3..6)
        .map(|seed| {
            let one = Fforma::fit(&config(seed, 1), &ctx, &rows).unwrap();
            one.weights(&ctx, &rows).unwrap()
        })
        .collect();
    assert_ne!(singles[0], singles[1], "the seeds give different networks");
    for (i, w) in got.iter().enumerate() {
        for (k, v) in w.iter().enumerate() {
            let mean = singles.iter().map(|s| s[i][k]).sum::<f64>() / 3.0;
            assert!(
                (v - mean).abs() < 1e-12,
                "series {i} model {k}: {v} vs {mean}"
            );
        }
    }
    // One network is its own weights exactly.
    let one = Fforma::fit(&config(3, 1), &ctx, &rows).unwrap();
    assert_eq!(one.weights(&ctx, &rows).unwrap(), singles[0]);

    let dir = std::env::temp_dir().join(format!("metablend-bag-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("fforma.safetensors");
    bagged.save(&path).unwrap();
    let loaded = Fforma::load(&path, &bagged.sizes(), 3).unwrap();
    assert_eq!(loaded.weights(&ctx, &rows).unwrap(), got);
    // A file with fewer networks than the card says is an error naming the missing one.
    one.save(&path).unwrap();
    let err = Fforma::load(&path, &one.sizes(), 2)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("fforma_bag1") && err.contains("missing"),
        "{err}"
    );
    assert!(Fforma::fit(&config(0, 0), &ctx, &rows).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}
