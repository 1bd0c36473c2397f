//! The `metablend m4` report: Markdown tables (every method, each seed, the unseen-series
//! folds, the published rows and where the meta-combiner stands against them), JSON, and the
//! plots, written into a folder that replaces the old one only when complete.

use std::path::Path;

use anyhow::Context;
use serde::Serialize;

use metablend::agents::ppo::PpoConfig;
use metablend::ensemble::meta::{M4Frequency, MethodScore, PoolForecasts, PublishedRow};
use metablend::env::ensemble::ActionMapKind;

use super::{plots, write_text};

/// One meta-learner run's score.
#[derive(Debug, Clone, Serialize)]
pub(super) struct SeedScore {
    pub(super) seed: u64,
    pub(super) score: MethodScore,
}

/// Everything the report shows.
#[derive(Debug, Clone, Serialize)]
pub(super) struct M4Report {
    pub(super) frequency: M4Frequency,
    pub(super) series: usize,
    pub(super) horizon: usize,
    pub(super) period: usize,
    pub(super) models: Vec<String>,
    pub(super) ppo: PpoConfig,
    pub(super) ppo_steps: u64,
    pub(super) action_map: ActionMapKind,
    pub(super) dirichlet: bool,
    pub(super) seeds: u64,
    pub(super) folds: usize,
    /// Each model alone and the per-series rules (no training across series).
    pub(super) baselines: Vec<MethodScore>,
    /// Meta-learners trained on every series' validation window.
    pub(super) ppo_all: Vec<SeedScore>,
    pub(super) fforma_all: Vec<SeedScore>,
    /// Meta-learners scored only on series outside their training folds.
    pub(super) ppo_unseen: Vec<SeedScore>,
    pub(super) fforma_unseen: Vec<SeedScore>,
    /// Validation-window loss (mean per-series M4 loss) of the PPO policies on their
    /// training series, for over-fitting checks.
    pub(super) ppo_validation_loss: Vec<f64>,
    pub(super) pool_failures: usize,
    pub(super) published: Vec<PublishedRow>,
    pub(super) seconds: Vec<(String, f64)>,
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

pub(super) fn to_markdown(r: &M4Report, pool: &PoolForecasts) -> String {
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

pub(super) fn write_folder(
    out: &Path,
    report: &M4Report,
    markdown: &str,
    pool: &PoolForecasts,
    ppo_weights: Option<&[Vec<f64>]>,
    weights_json: &serde_json::Value,
) -> anyhow::Result<()> {
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)?;
    let name = out
        .file_name()
        .context("--out needs a folder name")?
        .to_string_lossy()
        .to_string();
    let tmp = parent.join(format!(".{name}.tmp"));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp)?;
    }
    std::fs::create_dir_all(&tmp)?;
    write_text(&tmp.join("report.md"), markdown)?;
    write_text(
        &tmp.join("report.json"),
        &serde_json::to_string_pretty(report)?,
    )?;
    write_text(
        &tmp.join("weights.json"),
        &serde_json::to_string(weights_json)?,
    )?;
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
    plots::bars(
        &tmp.join("owa.png"),
        "OWA on the M4 test horizon (lower is better)",
        &bars,
    )?;
    if let Some(w) = ppo_weights {
        let k = pool.names.len();
        let mean_w: Vec<(String, f64)> = (0..k)
            .map(|j| {
                (
                    pool.names[j].clone(),
                    w.iter().map(|r| r[j]).sum::<f64>() / w.len() as f64,
                )
            })
            .collect();
        plots::bars(
            &tmp.join("ppo_weights.png"),
            "PPO (seed 0): mean weight per model",
            &mean_w,
        )?;
    }
    if out.exists() {
        std::fs::remove_dir_all(out).with_context(|| format!("replacing {}", out.display()))?;
    }
    std::fs::rename(&tmp, out).with_context(|| format!("writing {}", out.display()))?;
    Ok(())
}
