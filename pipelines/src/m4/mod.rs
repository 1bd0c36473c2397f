//! The M4 meta-learning protocol: FFORMA's protocol on M4 Hourly or Weekly with the project's pool, a
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

use metablend_agents::ppo::PpoConfig;
use metablend_core::Progress;
use metablend_ensemble::features::{extract_all, Features};
use metablend_ensemble::meta::{
    context_panel, forecast_pool, published_rows, score, FeatureScaler, Fforma, FformaConfig,
    M4Frequency, M4Panel, PoolForecasts,
};
use metablend_ensemble::ModelSpec;
use metablend_env::contextual::ContextPanel;
use metablend_env::ensemble::ActionMapKind;
use rand::seq::SliceRandom;
use rand::SeedableRng;

use crate::meta_ppo;
use crate::rules::{best_one, inverse_error, rule_weights};
use crate::threads::on_all_cores;
use crate::{Error, Result};

mod official;
mod report;

pub use official::{
    official_markdown, run_official, write_official, OfficialFrequency, OfficialOptions,
    OfficialResult,
};
pub use report::{M4Outcome, M4Report, SeedScore};

/// What the M4 protocol runs.
#[derive(Debug, Clone)]
pub struct M4Options {
    /// Hourly or weekly.
    pub frequency: M4Frequency,
    /// Folder with `{frequency}_{train,test}.csv.gz` and the published scores.
    pub data_dir: PathBuf,
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
}

impl M4Options {
    /// Checks the settings before any work.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: &str| Err(Error::Settings(m.into()));
        if self.seeds == 0 {
            return bad("seeds: at least one meta-learner seed is needed");
        }
        if self.folds == 1 {
            return bad("folds: 0 skips the unseen-series evaluation; otherwise at least 2");
        }
        if self.ppo_steps == 0 {
            return bad("ppo steps: at least one env step per training run");
        }
        if self.series == Some(0) {
            return bad("series: at least one series");
        }
        if self.dirichlet && self.action_map != ActionMapKind::Simplex {
            return bad("the Dirichlet head needs the simplex action map");
        }
        Ok(())
    }
}

/// Stage timer.
struct Clock(Instant, Vec<(String, f64)>);

impl Clock {
    fn lap(&mut self, name: &str) {
        self.1
            .push((name.to_string(), self.0.elapsed().as_secs_f64()));
        self.0 = Instant::now();
    }
}

fn check_stop(progress: &dyn Progress, stage: &str) -> Result<()> {
    if progress.stop_requested() {
        return Err(Error::Interrupted(format!("during {stage}")));
    }
    Ok(())
}

/// Runs the protocol (the test values are read only by the final scoring stage).
pub fn run(opts: &M4Options, progress: &dyn Progress) -> Result<M4Outcome> {
    opts.validate()?;
    let f = opts.frequency;
    let m = f.period();
    let mut clock = Clock(Instant::now(), Vec::new());
    let mut panel = M4Panel::load(&opts.data_dir, f).map_err(|e| {
        Error::folder(
            &opts.data_dir,
            format!("reading the M4 {} data: {e}", f.name()),
        )
    })?;
    if let Some(n) = opts.series {
        panel = panel.head(n);
    }
    let published_path = opts
        .data_dir
        .join("m4_published_point_forecasts_by_frequency.csv");
    let published_text = std::fs::read_to_string(&published_path).map_err(|e| {
        Error::folder(
            &published_path,
            format!("reading the published M4 scores: {e}"),
        )
    })?;
    let published = published_rows(&published_text, f)?;
    let pool = pool_stage(opts, &panel, progress)?;
    clock.lap("pool forecasts");
    let refs: Vec<&[f64]> = panel.train.iter().map(|s| s.values.as_slice()).collect();
    let features = on_all_cores(|| extract_all(&refs, m))??;
    clock.lap("features");
    let n = panel.train.len();
    let all: Vec<usize> = (0..n).collect();
    let scaler = FeatureScaler::fit(&features, &all);
    let ctx = Arc::new(context_panel(&pool, &features, &scaler, &panel.train, m)?);
    let mut ppo_cfg = PpoConfig::ensemble();
    ppo_cfg.dirichlet = opts.dirichlet;
    let runs = opts.seeds * (1 + opts.folds as u64);
    progress.start("ppo", runs * opts.ppo_steps);
    let learners = Learners {
        opts,
        ppo: &ppo_cfg,
        progress,
    };
    let all_series = learners.all_series(&ctx, &panel)?;
    clock.lap("meta-learners, all series");
    let unseen = if opts.folds >= 2 {
        let u = learners.unseen_series(&features, &pool, &panel)?;
        clock.lap("meta-learners, unseen series");
        u
    } else {
        Unseen::default()
    };
    // Scoring: the only stage that reads the test values.
    let baselines = baseline_weights(&ctx, &pool.names)
        .iter()
        .map(|(name, w)| score(name, &pool, &all, w, &panel.train, &panel.test, m))
        .collect::<metablend_ensemble::Result<Vec<_>>>()?;
    let score_all = |label: &str, runs: &[(u64, Vec<Vec<f64>>)]| -> Result<Vec<SeedScore>> {
        runs.iter()
            .map(|(seed, w)| {
                let name = format!("{label} (seed {seed})");
                let score = score(&name, &pool, &all, w, &panel.train, &panel.test, m)?;
                Ok(SeedScore { seed: *seed, score })
            })
            .collect()
    };
    let report = M4Report {
        frequency: f,
        series: n,
        horizon: f.horizon(),
        period: m,
        models: pool.names.clone(),
        ppo: ppo_cfg.clone(),
        ppo_steps: opts.ppo_steps,
        action_map: opts.action_map,
        dirichlet: opts.dirichlet,
        seeds: opts.seeds,
        folds: opts.folds,
        baselines,
        ppo_all: score_all("ppo", &all_series.ppo)?,
        fforma_all: score_all("fforma", &all_series.fforma)?,
        ppo_unseen: score_all("ppo unseen", &unseen.ppo)?,
        fforma_unseen: score_all("fforma unseen", &unseen.fforma)?,
        ppo_validation_loss: all_series.validation_loss,
        pool_failures: pool.failures.len(),
        published,
        seconds: Vec::new(),
    };
    let mut weights: std::collections::BTreeMap<String, Vec<Vec<f64>>> = Default::default();
    for (label, runs) in [
        ("ppo_seed", &all_series.ppo),
        ("fforma_seed", &all_series.fforma),
        ("ppo_unseen_seed", &unseen.ppo),
        ("fforma_unseen_seed", &unseen.fforma),
    ] {
        for (seed, w) in runs {
            weights.insert(format!("{label}{seed}"), w.clone());
        }
    }
    clock.lap("scoring");
    Ok(M4Outcome {
        report: M4Report {
            seconds: clock.1,
            ..report
        },
        weights,
        pool,
    })
}

/// Stage 1: the pool's forecasts of every training series' validation window and test
/// horizon.
fn pool_stage(opts: &M4Options, panel: &M4Panel, progress: &dyn Progress) -> Result<PoolForecasts> {
    let f = opts.frequency;
    let specs = opts.models.clone().unwrap_or_else(|| f.default_pool());
    let mut global = f.global_config();
    if let Some(steps) = opts.global_steps {
        global.steps = steps;
    }
    progress.start("pool", 2 * panel.train.len() as u64);
    // Series are independent: every core, whatever the binary's global pool is.
    let pool = on_all_cores(|| {
        forecast_pool(
            &specs,
            opts.global.then_some(&global),
            &panel.train,
            f.horizon(),
            progress,
        )
    })??;
    check_stop(progress, "the pool forecasts")?;
    Ok(pool)
}

/// Each model alone and the per-series rules, as weights per series.
fn baseline_weights(ctx: &ContextPanel, names: &[String]) -> Vec<(String, Vec<Vec<f64>>)> {
    let (k, n) = (names.len(), ctx.losses().len());
    let mut out: Vec<(String, Vec<Vec<f64>>)> = (0..k)
        .map(|j| {
            let mut w = vec![0.0; k];
            w[j] = 1.0;
            (names[j].clone(), vec![w; n])
        })
        .collect();
    out.push(("equal".into(), vec![vec![1.0 / k as f64; k]; n]));
    out.push(("best_on_validation".into(), rule_weights(ctx, best_one)));
    out.push(("inverse_error".into(), rule_weights(ctx, inverse_error)));
    out
}

/// Each seed's weights per series, from the meta-learners trained on every series.
#[derive(Default)]
struct AllSeries {
    ppo: Vec<(u64, Vec<Vec<f64>>)>,
    fforma: Vec<(u64, Vec<Vec<f64>>)>,
    validation_loss: Vec<f64>,
}

/// Each seed's weights per series, each from the meta-learners not trained on it.
#[derive(Default)]
struct Unseen {
    ppo: Vec<(u64, Vec<Vec<f64>>)>,
    fforma: Vec<(u64, Vec<Vec<f64>>)>,
}

/// Stage 3: the meta-learners.
struct Learners<'a> {
    opts: &'a M4Options,
    ppo: &'a PpoConfig,
    progress: &'a dyn Progress,
}

impl Learners<'_> {
    /// FFORMA's setting: trained and applied on every series' validation window.
    fn all_series(&self, ctx: &Arc<ContextPanel>, panel: &M4Panel) -> Result<AllSeries> {
        let n = panel.train.len();
        let all: Vec<usize> = (0..n).collect();
        let mut out = AllSeries::default();
        for seed in 0..self.opts.seeds {
            let w = self.ppo_weights(seed, ctx, &all, &all)?;
            let val_loss = all
                .iter()
                .map(|&i| ctx.combined_loss(i, &w[i]))
                .sum::<f64>()
                / n as f64;
            out.validation_loss.push(val_loss);
            out.ppo.push((seed, w));
            out.fforma
                .push((seed, fforma_weights(seed, ctx, &all, &all)?));
        }
        Ok(out)
    }

    /// Transfer to unseen series: k folds, features scaled with the training folds only.
    fn unseen_series(
        &self,
        features: &[Features],
        pool: &PoolForecasts,
        panel: &M4Panel,
    ) -> Result<Unseen> {
        let n = panel.train.len();
        let folds = self.opts.folds;
        let mut out = Unseen::default();
        for seed in 0..self.opts.seeds {
            let mut order: Vec<usize> = (0..n).collect();
            order.shuffle(&mut rand::rngs::StdRng::seed_from_u64(1000 + seed));
            let mut ppo_w = vec![Vec::new(); n];
            let mut ff_w = vec![Vec::new(); n];
            for fold in 0..folds {
                let held: Vec<usize> = order.iter().copied().skip(fold).step_by(folds).collect();
                let train_rows: Vec<usize> = order
                    .iter()
                    .copied()
                    .filter(|i| !held.contains(i))
                    .collect();
                let scaler = FeatureScaler::fit(features, &train_rows);
                let m = self.opts.frequency.period();
                let ctx = Arc::new(context_panel(pool, features, &scaler, &panel.train, m)?);
                for (&i, wi) in held
                    .iter()
                    .zip(self.ppo_weights(seed, &ctx, &train_rows, &held)?)
                {
                    ppo_w[i] = wi;
                }
                for (&i, wi) in held
                    .iter()
                    .zip(fforma_weights(seed, &ctx, &train_rows, &held)?)
                {
                    ff_w[i] = wi;
                }
            }
            out.ppo.push((seed, ppo_w));
            out.fforma.push((seed, ff_w));
        }
        Ok(out)
    }

    /// Trains PPO on the contextual env over `train_rows`; the deterministic policy's weights
    /// for each of `eval_rows`.
    fn ppo_weights(
        &self,
        seed: u64,
        ctx: &Arc<ContextPanel>,
        train_rows: &[usize],
        eval_rows: &[usize],
    ) -> Result<Vec<Vec<f64>>> {
        let mut cfg = self.ppo.clone();
        cfg.seed = seed;
        let kind = self.opts.action_map;
        let learner = meta_ppo::train(
            ctx,
            kind,
            cfg,
            self.opts.ppo_steps,
            train_rows,
            self.progress,
        )?;
        meta_ppo::weights(&learner, kind, ctx, eval_rows)
    }
}

fn fforma_weights(
    seed: u64,
    ctx: &ContextPanel,
    train_rows: &[usize],
    eval_rows: &[usize],
) -> Result<Vec<Vec<f64>>> {
    let config = FformaConfig {
        seed,
        ..FformaConfig::default()
    };
    Ok(Fforma::fit(&config, ctx, train_rows)?.weights(ctx, eval_rows)?)
}
