//! `metablend m4`: the FFORMA protocol on M4 Hourly or Weekly with the project's pool, a
//! contextual PPO meta-combiner, a supervised FFORMA-style meta-learner and the classical
//! baselines, scored on the M4 test horizon beside the published M4 rows.
//!
//! Stages: (1) the pool forecasts each series' validation window (the last h training
//! values, from the values before them) and its test horizon (from the whole training
//! series); (2) features of every training series; (3) meta-learners trained on the
//! validation windows of all series (FFORMA's setting) and, separately, of 80% of them
//! with the other 20% scored (5 folds: transfer to unseen series); (4) scoring. The test
//! values are read only in stage 4.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use indicatif::ProgressBar;
use rand::seq::SliceRandom;
use rand::SeedableRng;

use metablend::agents::ppo::{
    Callback, Control, PolicySpace, Ppo, PpoConfig, PpoLearner, UpdateLog,
};
use metablend::ensemble::features::extract_all;
use metablend::ensemble::meta::{
    context_panel, forecast_pool, published_rows, score, FeatureScaler, Fforma, FformaConfig,
    M4Frequency, M4Panel,
};
use metablend::ensemble::ModelSpec;
use metablend::env::contextual::{ContextOrder, ContextPanel, ContextualEnv};
use metablend::env::ensemble::{ActionMap, ActionMapKind, Residual, Select, Simplex, Softmax};
use metablend::env::{Env, Policy};

use super::m4_report::{to_markdown, write_folder, M4Report, SeedScore};

/// What `metablend m4` runs.
#[derive(Debug, Clone)]
pub struct M4Options {
    /// Hourly or weekly.
    pub frequency: M4Frequency,
    /// Folder with `{frequency}_{train,test}.csv.gz` and the published scores.
    pub data_dir: PathBuf,
    /// Report folder (replaced atomically).
    pub out: PathBuf,
    /// Only the first n series (quick runs, tests).
    pub series: Option<usize>,
    /// Model pool (None: the frequency's default).
    pub models: Option<Vec<ModelSpec>>,
    /// Add the global MLP to the pool.
    pub global: bool,
    /// Overrides of the global MLP's step count (quick runs).
    pub global_steps: Option<usize>,
    /// Meta-learner seeds (PPO and FFORMA each).
    pub seeds: u64,
    /// Folds of the unseen-series evaluation (0: skip it).
    pub folds: usize,
    /// PPO env steps per training run.
    pub ppo_steps: u64,
    /// The PPO action map.
    pub action_map: ActionMapKind,
    /// Dirichlet head (with the simplex map).
    pub dirichlet: bool,
    /// Show progress bars.
    pub progress: bool,
}

fn bar(len: u64, label: &str, show: bool) -> Option<ProgressBar> {
    show.then(|| super::progress_bar(len, label))
}

/// Runs the protocol and writes the report folder; returns the markdown report.
pub fn run(opts: &M4Options) -> anyhow::Result<String> {
    let f = opts.frequency;
    let (h, m) = (f.horizon(), f.period());
    let mut seconds = Vec::new();
    let mut clock = Instant::now();
    let mut lap = |name: &str, seconds: &mut Vec<(String, f64)>| {
        seconds.push((name.to_string(), clock.elapsed().as_secs_f64()));
        clock = Instant::now();
    };
    let mut panel = M4Panel::load(&opts.data_dir, f).with_context(|| {
        format!(
            "reading the M4 {} data in {}",
            f.name(),
            opts.data_dir.display()
        )
    })?;
    if let Some(n) = opts.series {
        panel = panel.head(n);
    }
    let published_text = std::fs::read_to_string(
        opts.data_dir
            .join("m4_published_point_forecasts_by_frequency.csv"),
    )
    .context("reading the published M4 scores")?;
    let published = published_rows(&published_text, f)?;
    let n = panel.train.len();

    // 1. Pool forecasts (training series only).
    let specs = opts.models.clone().unwrap_or_else(|| f.default_pool());
    let mut global = f.global_config();
    if let Some(steps) = opts.global_steps {
        global.steps = steps;
    }
    let pool_bar = bar(2 * n as u64, "pool", opts.progress);
    let pool = forecast_pool(
        &specs,
        opts.global.then_some(&global),
        &panel.train,
        h,
        pool_bar.as_ref(),
    )?;
    if let Some(b) = pool_bar {
        b.finish();
    }
    lap("pool forecasts", &mut seconds);

    // 2. Features of the training series.
    let refs: Vec<&[f64]> = panel.train.iter().map(|s| s.values.as_slice()).collect();
    let features = extract_all(&refs, m)?;
    lap("features", &mut seconds);

    // 3a. Per-series rules and each model alone.
    let all: Vec<usize> = (0..n).collect();
    let scaler = FeatureScaler::fit(&features, &all);
    let ctx = Arc::new(context_panel(&pool, &features, &scaler, &panel.train, m)?);
    let k = pool.names.len();
    let mut baseline_weights: Vec<(String, Vec<Vec<f64>>)> = (0..k)
        .map(|j| {
            let mut w = vec![0.0; k];
            w[j] = 1.0;
            (pool.names[j].clone(), vec![w; n])
        })
        .collect();
    baseline_weights.push(("equal".into(), vec![vec![1.0 / k as f64; k]; n]));
    baseline_weights.push(("best_on_validation".into(), rule_weights(&ctx, best_one)));
    baseline_weights.push(("inverse_error".into(), rule_weights(&ctx, inverse_error)));

    // 3b. Meta-learners on all series, then on folds.
    let mut ppo_cfg = PpoConfig::ensemble();
    ppo_cfg.dirichlet = opts.dirichlet;
    let runs = opts.seeds * (1 + opts.folds as u64);
    let ppo_bar = bar(runs * opts.ppo_steps, "ppo", opts.progress);
    let mut ppo_all = Vec::new();
    let mut fforma_all = Vec::new();
    let mut ppo_validation_loss = Vec::new();
    let mut ppo_weights_seed0 = None;
    // Every meta-learner's weights per series, written to weights.json.
    let mut all_weights: std::collections::BTreeMap<String, Vec<Vec<f64>>> = Default::default();
    for seed in 0..opts.seeds {
        let w = train_ppo(opts, &ppo_cfg, seed, &ctx, &all, &all, ppo_bar.as_ref())?;
        let val_loss = all
            .iter()
            .map(|&i| ctx.combined_loss(i, &w[i]))
            .sum::<f64>()
            / n as f64;
        ppo_validation_loss.push(val_loss);
        ppo_all.push(SeedScore {
            seed,
            score: score(
                &format!("ppo (seed {seed})"),
                &pool,
                &all,
                &w,
                &panel.train,
                &panel.test,
                m,
            )?,
        });
        all_weights.insert(format!("ppo_seed{seed}"), w.clone());
        if seed == 0 {
            ppo_weights_seed0 = Some(w);
        }
        let ff = fforma_weights(seed, &ctx, &all, &all)?;
        all_weights.insert(format!("fforma_seed{seed}"), ff.clone());
        fforma_all.push(SeedScore {
            seed,
            score: score(
                &format!("fforma (seed {seed})"),
                &pool,
                &all,
                &ff,
                &panel.train,
                &panel.test,
                m,
            )?,
        });
    }
    lap("meta-learners, all series", &mut seconds);
    let (mut ppo_unseen, mut fforma_unseen) = (Vec::new(), Vec::new());
    if opts.folds >= 2 {
        for seed in 0..opts.seeds {
            let mut order = all.clone();
            order.shuffle(&mut rand::rngs::StdRng::seed_from_u64(1000 + seed));
            let mut ppo_w = vec![Vec::new(); n];
            let mut ff_w = vec![Vec::new(); n];
            for fold in 0..opts.folds {
                let held: Vec<usize> = order
                    .iter()
                    .copied()
                    .skip(fold)
                    .step_by(opts.folds)
                    .collect();
                let train_rows: Vec<usize> = order
                    .iter()
                    .copied()
                    .filter(|i| !held.contains(i))
                    .collect();
                // Features scaled with the training folds' statistics only.
                let fold_scaler = FeatureScaler::fit(&features, &train_rows);
                let fold_ctx = Arc::new(context_panel(
                    &pool,
                    &features,
                    &fold_scaler,
                    &panel.train,
                    m,
                )?);
                let w = train_ppo(
                    opts,
                    &ppo_cfg,
                    seed,
                    &fold_ctx,
                    &train_rows,
                    &held,
                    ppo_bar.as_ref(),
                )?;
                for (&i, wi) in held.iter().zip(w) {
                    ppo_w[i] = wi;
                }
                for (&i, wi) in
                    held.iter()
                        .zip(fforma_weights(seed, &fold_ctx, &train_rows, &held)?)
                {
                    ff_w[i] = wi;
                }
            }
            all_weights.insert(format!("ppo_unseen_seed{seed}"), ppo_w.clone());
            all_weights.insert(format!("fforma_unseen_seed{seed}"), ff_w.clone());
            ppo_unseen.push(SeedScore {
                seed,
                score: score(
                    &format!("ppo unseen (seed {seed})"),
                    &pool,
                    &all,
                    &ppo_w,
                    &panel.train,
                    &panel.test,
                    m,
                )?,
            });
            fforma_unseen.push(SeedScore {
                seed,
                score: score(
                    &format!("fforma unseen (seed {seed})"),
                    &pool,
                    &all,
                    &ff_w,
                    &panel.train,
                    &panel.test,
                    m,
                )?,
            });
        }
        lap("meta-learners, unseen series", &mut seconds);
    }
    if let Some(b) = ppo_bar {
        b.finish();
    }

    // 4. Scoring (the only stage that reads the test values).
    let baselines = baseline_weights
        .iter()
        .map(|(name, w)| score(name, &pool, &all, w, &panel.train, &panel.test, m))
        .collect::<metablend::ensemble::Result<Vec<_>>>()?;
    lap("scoring", &mut seconds);

    let report = M4Report {
        frequency: f,
        series: n,
        horizon: h,
        period: m,
        models: pool.names.clone(),
        ppo: ppo_cfg,
        ppo_steps: opts.ppo_steps,
        action_map: opts.action_map,
        dirichlet: opts.dirichlet,
        seeds: opts.seeds,
        folds: opts.folds,
        baselines,
        ppo_all,
        fforma_all,
        ppo_unseen,
        fforma_unseen,
        ppo_validation_loss,
        pool_failures: pool.failures.len(),
        published,
        seconds,
    };
    let markdown = to_markdown(&report, &pool);
    let weights_json = serde_json::json!({
        "series": pool.series,
        "models": pool.names,
        "weights": all_weights,
    });
    write_folder(
        &opts.out,
        &report,
        &markdown,
        &pool,
        ppo_weights_seed0.as_deref(),
        &weights_json,
    )?;
    Ok(markdown)
}

fn best_one(losses: &[f64]) -> Vec<f64> {
    let best = (0..losses.len())
        .min_by(|&a, &b| losses[a].total_cmp(&losses[b]))
        .unwrap_or(0);
    let mut w = vec![0.0; losses.len()];
    w[best] = 1.0;
    w
}

fn inverse_error(losses: &[f64]) -> Vec<f64> {
    let inv: Vec<f64> = losses.iter().map(|l| 1.0 / l.max(1e-8)).collect();
    let sum: f64 = inv.iter().sum();
    inv.iter().map(|v| v / sum).collect()
}

fn rule_weights(ctx: &ContextPanel, rule: fn(&[f64]) -> Vec<f64>) -> Vec<Vec<f64>> {
    ctx.losses().iter().map(|l| rule(l)).collect()
}

fn fforma_weights(
    seed: u64,
    ctx: &ContextPanel,
    train_rows: &[usize],
    eval_rows: &[usize],
) -> anyhow::Result<Vec<Vec<f64>>> {
    let config = FformaConfig {
        seed,
        ..FformaConfig::default()
    };
    Ok(Fforma::fit(&config, ctx, train_rows)?.weights(ctx, eval_rows)?)
}

/// Advances a progress bar by each update's env steps.
struct StepBar<'a>(Option<&'a ProgressBar>, u64);

impl Callback for StepBar<'_> {
    fn on_update(&mut self, _: &PpoLearner, log: &UpdateLog) -> metablend::agents::Result<Control> {
        if let Some(b) = self.0 {
            b.inc(log.total_timesteps - self.1);
        }
        self.1 = log.total_timesteps;
        Ok(
            if super::interrupt_flag().load(std::sync::atomic::Ordering::SeqCst) {
                Control::Stop
            } else {
                Control::Continue
            },
        )
    }
}

fn train_ppo(
    opts: &M4Options,
    cfg: &PpoConfig,
    seed: u64,
    ctx: &Arc<ContextPanel>,
    train_rows: &[usize],
    eval_rows: &[usize],
    progress: Option<&ProgressBar>,
) -> anyhow::Result<Vec<Vec<f64>>> {
    let mut cfg = cfg.clone();
    cfg.seed = seed;
    match opts.action_map {
        ActionMapKind::Softmax => ppo_weights(
            ctx,
            train_rows,
            eval_rows,
            Softmax,
            cfg,
            opts.ppo_steps,
            progress,
        ),
        ActionMapKind::Residual => ppo_weights(
            ctx,
            train_rows,
            eval_rows,
            Residual,
            cfg,
            opts.ppo_steps,
            progress,
        ),
        ActionMapKind::Simplex => ppo_weights(
            ctx,
            train_rows,
            eval_rows,
            Simplex,
            cfg,
            opts.ppo_steps,
            progress,
        ),
        ActionMapKind::Select => ppo_weights(
            ctx,
            train_rows,
            eval_rows,
            Select,
            cfg,
            opts.ppo_steps,
            progress,
        ),
    }
}

/// Trains PPO on the contextual env over `train_rows`; returns the deterministic policy's
/// weights for each of `eval_rows`.
fn ppo_weights<M>(
    ctx: &Arc<ContextPanel>,
    train_rows: &[usize],
    eval_rows: &[usize],
    map: M,
    cfg: PpoConfig,
    steps: u64,
    progress: Option<&ProgressBar>,
) -> anyhow::Result<Vec<Vec<f64>>>
where
    M: ActionMap,
    M::Space: PolicySpace + Clone,
{
    let make_env = |_: usize| {
        ContextualEnv::new(ctx.clone(), map.clone(), ContextOrder::Random)?
            .with_selection(train_rows.to_vec())
    };
    let mut ppo = Ppo::new(cfg, make_env)?;
    let mut step_bar = StepBar(progress, 0);
    let mut callbacks: Vec<&mut dyn Callback> = vec![&mut step_bar];
    ppo.learn(steps, &mut callbacks)?;
    let mut policy = ppo.policy()?;
    let mut env = ContextualEnv::new(ctx.clone(), map, ContextOrder::Sequential)?
        .with_selection(eval_rows.to_vec())?;
    let mut out = Vec::with_capacity(eval_rows.len());
    for j in 0..eval_rows.len() {
        let (obs, _) = env.reset(if j == 0 { Some(0) } else { None })?;
        let action = Policy::<ContextualEnv<M>>::act(&mut policy, &obs, true)?;
        env.step(&action)?;
        out.push(env.weights().to_vec());
    }
    Ok(out)
}
