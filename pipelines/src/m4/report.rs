//! The M4 protocol's report: Markdown tables (every method, each seed, the unseen-series
//! folds, the published rows and where the meta-combiner stands against them), JSON, and the
//! charts, written into a folder that replaces the old one only when complete.

use std::collections::BTreeMap;
use std::path::Path;

use metablend_agents::ppo::PpoConfig;
use metablend_core::fs::{write_output_folder, write_text};
use metablend_ensemble::meta::{M4Frequency, MethodScore, PoolForecasts, PublishedRow};
use metablend_env::ensemble::ActionMapKind;
use serde::Serialize;

use crate::charts::Charts;
use crate::Result;

/// What the protocol produced: the report, every meta-learner's weights per series (keyed
/// `ppo_seed0`, `fforma_unseen_seed1`, ...), and the pool's forecasts.
pub struct M4Outcome {
    /// Scores and settings.
    pub report: M4Report,
    /// Weights per method and seed, one row of K per series.
    pub weights: BTreeMap<String, Vec<Vec<f64>>>,
    /// The pool's forecasts (and failed fits).
    pub pool: PoolForecasts,
}

/// One meta-learner run's score.
#[derive(Debug, Clone, Serialize)]
pub struct SeedScore {
    /// The seed.
    pub seed: u64,
    /// Its score on the M4 test horizon.
    pub score: MethodScore,
}

/// Everything the report shows.
#[derive(Debug, Clone, Serialize)]
pub struct M4Report {
    /// The frequency.
    pub frequency: M4Frequency,
    /// Series scored.
    pub series: usize,
    /// Forecast horizon h.
    pub horizon: usize,
    /// Seasonal period m.
    pub period: usize,
    /// The pool's models.
    pub models: Vec<String>,
    /// The PPO settings.
    pub ppo: PpoConfig,
    /// Env steps per PPO run.
    pub ppo_steps: u64,
    /// The PPO action map.
    pub action_map: ActionMapKind,
    /// Whether PPO used the Dirichlet head.
    pub dirichlet: bool,
    /// Meta-learner seeds.
    pub seeds: u64,
    /// Folds of the unseen-series evaluation.
    pub folds: usize,
    /// Each model alone and the per-series rules (no training across series).
    pub baselines: Vec<MethodScore>,
    /// Meta-learners trained on every series' validation window.
    pub ppo_all: Vec<SeedScore>,
    /// The supervised learner, likewise.
    pub fforma_all: Vec<SeedScore>,
    /// Meta-learners scored only on series outside their training folds.
    pub ppo_unseen: Vec<SeedScore>,
    /// The supervised learner, likewise.
    pub fforma_unseen: Vec<SeedScore>,
    /// Validation-window loss (mean per-series M4 loss) of the PPO policies on their
    /// training series, for over-fitting checks.
    pub ppo_validation_loss: Vec<f64>,
    /// Pool fits that failed (Naive2 used instead).
    pub pool_failures: usize,
    /// The published M4 rows of this frequency.
    pub published: Vec<PublishedRow>,
    /// Wall time per stage.
    pub seconds: Vec<(String, f64)>,
}

/// Lower OWA is better.
fn verdict(ours: f64, theirs: f64) -> &'static str {
    if ours < theirs {
        "below (better)"
    } else {
        "above (worse)"
    }
}

fn mean_sd(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let sd = if values.len() > 1 {
        (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    (mean, sd)
}

fn seed_rows(label: &str, runs: &[SeedScore], out: &mut String) {
    if runs.is_empty() {
        return;
    }
    let owa: Vec<f64> = runs.iter().map(|r| r.score.owa).collect();
    let smape: Vec<f64> = runs.iter().map(|r| r.score.smape).collect();
    let mase: Vec<f64> = runs.iter().map(|r| r.score.mase).collect();
    let ((o, os), (s, ss), (q, qs)) = (mean_sd(&owa), mean_sd(&smape), mean_sd(&mase));
    out.push_str(&format!(
        "| **{label}, mean ± sd of {} seeds** | {s:.3} ± {ss:.3} | {q:.3} ± {qs:.3} | **{o:.3} ± {os:.3}** |\n",
        runs.len()
    ));
    for r in runs {
        out.push_str(&format!(
            "| {label}, seed {} | {:.3} | {:.3} | {:.3} |\n",
            r.seed, r.score.smape, r.score.mase, r.score.owa
        ));
    }
}

impl M4Report {
    /// The report as Markdown (`pool` lists the failed fits).
    pub fn to_markdown(&self, pool: &PoolForecasts) -> String {
        let r = self;
        let mut s = format!(
            "# metablend m4 — M4 {} ({} series, h = {}, m = {})\n\n",
            r.frequency.name(),
            r.series,
            r.horizon,
            r.period
        );
        s.push_str(&format!(
        "Pool ({} models): {}. Meta-learners: PPO on the contextual env ({:?} action map{}, {} env steps per run, `ensemble` preset) and the supervised FFORMA-style softmax network; {} seeds each. Every number is on the M4 test horizon; OWA relative to Naive2 on the same series. {} pool fits failed and used Naive2's forecast instead.\n\n",
        r.models.len(),
        r.models.join(", "),
        r.action_map,
        if r.dirichlet { ", Dirichlet head" } else { "" },
        r.ppo_steps,
        r.seeds,
        r.pool_failures,
    ));
        s.push_str("## Trained on every series' validation window (FFORMA's setting)\n\n| method | sMAPE | MASE | OWA |\n| --- | --- | --- | --- |\n");
        seed_rows("PPO meta-combiner", &r.ppo_all, &mut s);
        seed_rows("FFORMA-style (supervised)", &r.fforma_all, &mut s);
        let mut base = r.baselines.clone();
        base.sort_by(|a, b| a.owa.total_cmp(&b.owa));
        for b in &base {
            s.push_str(&format!(
                "| {} | {:.3} | {:.3} | {:.3} |\n",
                b.name, b.smape, b.mase, b.owa
            ));
        }
        if !r.ppo_unseen.is_empty() {
            s.push_str(&format!(
            "\n## Unseen series ({} folds: trained on {:.0}% of the series, scored on the rest)\n\n| method | sMAPE | MASE | OWA |\n| --- | --- | --- | --- |\n",
            r.folds,
            100.0 * (r.folds as f64 - 1.0) / r.folds as f64
        ));
            seed_rows("PPO meta-combiner", &r.ppo_unseen, &mut s);
            seed_rows("FFORMA-style (supervised)", &r.fforma_unseen, &mut s);
        }
        if !r.ppo_validation_loss.is_empty() {
            s.push_str(&format!(
                "\nPPO's mean per-series loss on the validation windows it trained on: {}.\n",
                r.ppo_validation_loss
                    .iter()
                    .map(|v| format!("{v:.3}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let ours = mean_sd(&r.ppo_all.iter().map(|x| x.score.owa).collect::<Vec<_>>()).0;
        s.push_str("\n## Where it stands against the published M4 rows\n\n");
        if r.series < 50 {
            s.push_str("(A subset of the series: the published rows are totals over the whole frequency and not comparable.)\n\n");
        }
        for (id, what) in [
            ("118", "ES-RNN, the M4 winner"),
            ("245", "FFORMA"),
            ("Theta", "Theta"),
            ("sNaive", "seasonal naive"),
        ] {
            if let Some(p) = r.published.iter().find(|p| p.id == id) {
                s.push_str(&format!(
                    "- {what} ({}): OWA {:.3}; the PPO meta-combiner's mean {ours:.3} is {}.\n",
                    p.label,
                    p.owa,
                    verdict(ours, p.owa)
                ));
            }
        }
        if let Some(best) = r.published.first() {
            s.push_str(&format!(
            "- Best published entry ({}): OWA {:.3}; the PPO meta-combiner's mean {ours:.3} is {}.\n",
            best.label,
            best.owa,
            verdict(ours, best.owa)
        ));
        }
        if let Some(b) = r
            .baselines
            .iter()
            .filter(|b| r.models.contains(&b.name))
            .min_by(|a, b| a.owa.total_cmp(&b.owa))
        {
            let verdict = if ours < b.owa { "better" } else { "worse" };
            s.push_str(&format!(
            "- Best single model of the pool ({}): OWA {:.3}; the PPO meta-combiner is {verdict}.\n",
            b.name, b.owa
        ));
        }
        s.push_str(
        "\n| published M4 method | type | sMAPE | MASE | OWA |\n| --- | --- | --- | --- | --- |\n",
    );
        for p in &r.published {
            s.push_str(&format!(
                "| {} | {} | {:.3} | {:.3} | {:.3} |\n",
                p.label, p.kind, p.smape, p.mase, p.owa
            ));
        }
        if !pool.failures.is_empty() {
            s.push_str("\n## Pool fits that failed (Naive2 used instead)\n\n");
            for fail in pool.failures.iter().take(50) {
                s.push_str(&format!(
                    "- {} on {} ({}): {}\n",
                    fail.model, fail.series, fail.stage, fail.error
                ));
            }
        }
        s.push_str("\n## Time\n\n");
        for (stage, secs) in &r.seconds {
            s.push_str(&format!("- {stage}: {secs:.1} s\n"));
        }
        s
    }
}

impl M4Outcome {
    /// Writes the report folder `out` atomically: `report.md`, `report.json`,
    /// `weights.json`, and the OWA and mean-weight charts.
    pub fn write_folder(&self, out: &Path, charts: &dyn Charts) -> Result<()> {
        write_output_folder(out, "m4", |tmp| self.write_into(tmp, charts))
    }

    fn write_into(&self, tmp: &Path, charts: &dyn Charts) -> Result<()> {
        let (report, pool) = (&self.report, &self.pool);
        write_text(&tmp.join("report.md"), &report.to_markdown(pool))?;
        write_text(
            &tmp.join("report.json"),
            &serde_json::to_string_pretty(report).expect("serialisable"),
        )?;
        let weights_json = serde_json::json!({
            "series": pool.series,
            "models": pool.names,
            "weights": self.weights,
        });
        write_text(&tmp.join("weights.json"), &weights_json.to_string())?;
        let mut bars: Vec<(String, f64)> = report
            .baselines
            .iter()
            .map(|b| (b.name.clone(), b.owa))
            .collect();
        let mean =
            |runs: &[SeedScore]| mean_sd(&runs.iter().map(|r| r.score.owa).collect::<Vec<_>>()).0;
        if !report.ppo_all.is_empty() {
            bars.push(("PPO (mean)".into(), mean(&report.ppo_all)));
            bars.push(("FFORMA-style (mean)".into(), mean(&report.fforma_all)));
        }
        for id in ["118", "245"] {
            if let Some(p) = report.published.iter().find(|p| p.id == id) {
                bars.push((format!("M4: {}", p.label), p.owa));
            }
        }
        bars.sort_by(|a, b| a.1.total_cmp(&b.1));
        let title = "OWA on the M4 test horizon (lower is better)";
        charts.bars(&tmp.join("owa.png"), title, &bars)?;
        if let Some(w) = self.weights.get("ppo_seed0") {
            let k = pool.names.len();
            let mean_w: Vec<(String, f64)> = (0..k)
                .map(|j| {
                    let mean = w.iter().map(|r| r[j]).sum::<f64>() / w.len() as f64;
                    (pool.names[j].clone(), mean)
                })
                .collect();
            let title = "PPO (seed 0): mean weight per model";
            charts.bars(&tmp.join("ppo_weights.png"), title, &mean_w)?;
        }
        Ok(())
    }
}
