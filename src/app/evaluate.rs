//! `metablend evaluate`: a trained run's best policy against every base model and classical
//! combiner on a held-out range — a report folder with Markdown, JSON and PNG plots, and a
//! verdict per baseline (Diebold–Mariano test of the policy against it).

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context};
use metablend::agents::ppo::{PolicySpace, PpoPolicy};
use metablend::ensemble::combine::PolicyCombiner;
use metablend::ensemble::report::MethodKind;
use metablend::ensemble::{classical_combiners, compare, diebold_mariano, Combiner, Report};
use metablend::env::ensemble::{ActionMap, ActionMapKind, Residual, Select, Simplex, Softmax};
use metablend::env::{EnsembleEnv, Env, Predictions, PredictionsPanel};
use serde::Serialize;

use super::settings::TrainSettings;
use super::train::{env_configs, DataInfo};
use super::{plots, write_text};

/// The policy against one baseline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// The baseline.
    pub baseline: String,
    /// Policy MSE minus the baseline's (negative: the policy is better).
    pub mse_difference: f64,
    /// DM statistic (HLN, h = 1; positive: the policy is more accurate).
    pub dm_statistic: f64,
    /// Two-sided p-value.
    pub p_value: f64,
    /// In words, at the 5% level.
    pub verdict: String,
}

/// The evaluation's outputs.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    /// Scores of every method.
    pub report: Report,
    /// The policy against each baseline.
    pub verdicts: Vec<Verdict>,
}

/// The name the policy has in reports.
pub const POLICY: &str = "ppo_policy";

fn verdict_text(diff: f64, p: f64) -> String {
    match (diff < 0.0, p < 0.05) {
        (true, true) => "policy better (significant at 5%)".into(),
        (true, false) => "policy better, not significant".into(),
        (false, true) => "policy worse (significant at 5%)".into(),
        (false, false) => "policy worse, not significant".into(),
    }
}

/// Reads a run folder's settings and data record.
pub fn read_run(run_dir: &Path) -> anyhow::Result<(TrainSettings, DataInfo)> {
    let config_path = run_dir.join("config.toml");
    let text = std::fs::read_to_string(&config_path)
        .with_context(|| format!("{} is not a run folder (no config.toml)", run_dir.display()))?;
    let settings = TrainSettings::from_toml(&text, &config_path.display().to_string())?;
    let data_path = run_dir.join("data.json");
    let info: DataInfo = serde_json::from_str(
        &std::fs::read_to_string(&data_path)
            .with_context(|| format!("reading {}", data_path.display()))?,
    )
    .with_context(|| format!("{}: damaged", data_path.display()))?;
    Ok((settings, info))
}

/// Evaluates the run's best policy on `test` rows of `preds` (default: the run's test range)
/// and writes the report folder `out_dir`.
pub fn evaluate(
    run_dir: &Path,
    preds: &Predictions,
    test: Option<Range<usize>>,
    m: usize,
    out_dir: &Path,
) -> anyhow::Result<Evaluation> {
    let (settings, info) = read_run(run_dir)?;
    if info.models != preds.model_names() {
        bail!(
            "the predictions' models {:?} do not match the run's model set {:?}",
            preds.model_names(),
            info.models
        );
    }
    let test = match test {
        Some(r) => r,
        None => settings.ranges(preds.len())?.test,
    };
    if test.start < settings.env.window + 2 || test.end > preds.len() || test.start >= test.end {
        bail!(
            "test range {}..{} is outside the table's {} rows or leaves fewer than {} rows of history",
            test.start,
            test.end,
            preds.len(),
            settings.env.window + 2
        );
    }
    super::train::with_map!(
        settings.env.action_map,
        evaluate_with(preds, &settings, run_dir, test, m, out_dir)
    )
}

fn evaluate_with<M>(
    map: M,
    preds: &Predictions,
    settings: &TrainSettings,
    run_dir: &Path,
    test: Range<usize>,
    m: usize,
    out_dir: &Path,
) -> anyhow::Result<Evaluation>
where
    M: ActionMap,
    M::Space: PolicySpace + Clone,
{
    let panel = Arc::new(PredictionsPanel::new(vec![preds.clone()])?);
    let ranges = settings.ranges(preds.len())?;
    let (train_cfg, _) = env_configs(settings, &ranges);
    let space = EnsembleEnv::new(panel, train_cfg.clone(), map.clone())?
        .action_space()
        .clone();
    let best = run_dir.join("best_model");
    let policy =
        PpoPolicy::load(&best, space).with_context(|| format!("loading {}", best.display()))?;
    let mut combiners: Vec<Box<dyn Combiner>> = classical_combiners();
    combiners.push(Box::new(PolicyCombiner::new(
        POLICY, train_cfg, map, policy,
    )));
    let fit_rows = 0..test.start;
    let (report, runs) = compare(preds, fit_rows, test.clone(), m, combiners)?;
    let actual = &preds.target()[test.clone()];
    let forecasts_of = |name: &str| -> Option<Vec<f64>> {
        if let Some(k) = preds.model_names().iter().position(|n| n == name) {
            return Some(preds.model_column(k)[test.clone()].to_vec());
        }
        runs.iter()
            .find(|r| r.name == name)
            .map(|r| r.forecasts.clone())
    };
    let policy_run = runs
        .iter()
        .find(|r| r.name == POLICY)
        .context("the policy ran")?;
    let policy_mse = report
        .methods
        .iter()
        .find(|s| s.name == POLICY)
        .context("scored")?
        .mse;
    let mut verdicts = Vec::new();
    for s in report
        .methods
        .iter()
        .filter(|s| s.name != POLICY && s.kind != MethodKind::Oracle)
    {
        let other = forecasts_of(&s.name).context("forecasts of a scored method")?;
        let dm = diebold_mariano(actual, &other, &policy_run.forecasts, 1)?;
        let diff = policy_mse - s.mse;
        verdicts.push(Verdict {
            baseline: s.name.clone(),
            mse_difference: diff,
            dm_statistic: dm.statistic,
            p_value: dm.p_value,
            verdict: verdict_text(diff, dm.p_value),
        });
    }
    let evaluation = Evaluation { report, verdicts };
    write_report(&evaluation, preds, &test, &runs, out_dir)?;
    Ok(evaluation)
}

/// The verdicts as a Markdown table.
pub fn verdicts_markdown(verdicts: &[Verdict]) -> String {
    let mut out = String::from("| baseline | policy MSE − baseline MSE | DM (policy vs baseline) | p | verdict |\n|---|---|---|---|---|\n");
    for v in verdicts {
        out += &format!(
            "| {} | {:.4e} | {:.3} | {:.4} | {} |\n",
            v.baseline, v.mse_difference, v.dm_statistic, v.p_value, v.verdict
        );
    }
    out
}

fn write_report(
    evaluation: &Evaluation,
    preds: &Predictions,
    test: &Range<usize>,
    runs: &[metablend::ensemble::Combined],
    out_dir: &Path,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let md = format!(
        "# metablend evaluation\n\n{}\n## The PPO policy against each baseline\n\n{}\nDM: Diebold–Mariano test with the HLN correction, squared loss, h = 1; a positive statistic means the policy is more accurate. The oracle sees the test targets and is an upper reference only.\n\nPlots: `cumulative_loss.png`, `weights.png`.\n",
        evaluation.report.to_markdown(),
        verdicts_markdown(&evaluation.verdicts)
    );
    write_text(&out_dir.join("report.md"), &md)?;
    write_text(
        &out_dir.join("report.json"),
        &serde_json::to_string_pretty(evaluation)?,
    )?;
    let rows: Vec<usize> = test.clone().collect();
    let target = &preds.target()[test.clone()];
    let equal = runs
        .iter()
        .find(|r| r.name == "equal")
        .context("equal weights ran")?;
    let shown: Vec<(String, Vec<f64>)> = runs
        .iter()
        .filter(|r| {
            matches!(
                r.name.as_str(),
                POLICY | "inverse_mse50" | "hedge" | "stacking" | "fixed_share"
            )
        })
        .map(|r| (r.name.clone(), r.forecasts.clone()))
        .collect();
    plots::cumulative_loss(
        &out_dir.join("cumulative_loss.png"),
        &rows,
        &shown,
        &equal.forecasts,
        target,
    )?;
    let policy = runs
        .iter()
        .find(|r| r.name == POLICY)
        .context("the policy ran")?;
    plots::weights(
        &out_dir.join("weights.png"),
        &rows,
        &policy.weights,
        preds.model_names(),
    )?;
    Ok(())
}
