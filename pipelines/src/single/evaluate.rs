//! A trained run's best policy against every base model and classical combiner on a
//! held-out range, with a verdict per baseline (Diebold–Mariano test of the policy against
//! it), and the report folder (Markdown, JSON, charts).

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use metablend_agents::action_maps::{with_action_map, ActionMapJob};
use metablend_agents::ope::Perturbable;
use metablend_agents::ppo::PpoPolicy;
use metablend_core::fs::{write_output_folder, write_text};
use metablend_core::Predictions;
use metablend_ensemble::combine::PolicyCombiner;
use metablend_ensemble::report::MethodKind;
use metablend_ensemble::{
    compare, diebold_mariano, seasonal_combiners, Combined, Combiner, Report,
};
use metablend_env::ensemble::ActionMap;
use metablend_env::{EnsembleEnv, Env, PredictionsPanel};
use serde::Serialize;

use super::settings::TrainSettings;
use super::train::{env_configs, fingerprint, DataInfo};
use crate::charts::{cumulative_loss, weights, Charts};
use crate::{Error, Result};

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
    /// What the reader should know (e.g. test rows the policy was trained or selected on).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Every combiner's forecasts and weights on the test rows (for charts).
    #[serde(skip)]
    pub runs: Vec<Combined>,
    /// The test rows.
    #[serde(skip)]
    pub test: Range<usize>,
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
pub fn read_run(run_dir: &Path) -> Result<(TrainSettings, DataInfo)> {
    let config_path = run_dir.join("config.toml");
    let text = std::fs::read_to_string(&config_path)
        .map_err(|_| Error::folder(run_dir, "is not a run folder (no config.toml)"))?;
    let settings = TrainSettings::from_toml(&text, &config_path.display().to_string())?;
    let data_path = run_dir.join("data.json");
    let text = std::fs::read_to_string(&data_path)
        .map_err(|e| Error::folder(&data_path, format!("cannot read it: {e}")))?;
    let info: DataInfo = serde_json::from_str(&text)
        .map_err(|e| Error::folder(&data_path, format!("damaged: {e}")))?;
    Ok((settings, info))
}

/// Checks that `preds` has the run's models.
pub(crate) fn check_models(preds: &Predictions, info: &DataInfo) -> Result<()> {
    if info.models != preds.model_names() {
        return Err(Error::Settings(format!(
            "the predictions' models {:?} do not match the run's model set {:?}",
            preds.model_names(),
            info.models
        )));
    }
    Ok(())
}

/// Evaluates the run's best policy on `test` rows of `preds` (default: the run's test range).
pub fn evaluate(
    run_dir: &Path,
    preds: &Predictions,
    test: Option<Range<usize>>,
    m: usize,
) -> Result<Evaluation> {
    let (settings, info) = read_run(run_dir)?;
    check_models(preds, &info)?;
    let test = match test {
        Some(r) => r,
        None => settings.ranges(preds.len())?.test,
    };
    if test.start < settings.env.window + 2 || test.end > preds.len() || test.start >= test.end {
        return Err(Error::Settings(format!(
            "test range {}..{} is outside the table's {} rows or leaves fewer than {} rows of \
             history",
            test.start,
            test.end,
            preds.len(),
            settings.env.window + 2
        )));
    }
    let mut warnings = Vec::new();
    let same_data = info.fingerprint.as_deref() == Some(fingerprint(preds).as_str());
    if same_data && test.start < info.ranges.test.start {
        warnings.push(format!(
            "test rows {}..{} include rows the policy was trained or selected on (its \
             training and validation rows are {}..{}); the scores are optimistic",
            test.start, test.end, info.ranges.train.start, info.ranges.test.start
        ));
    }
    let mut evaluation = with_action_map(
        settings.env.action_map,
        Job {
            preds,
            settings: &settings,
            run_dir,
            test,
            m,
        },
    )?;
    evaluation.warnings = warnings;
    Ok(evaluation)
}

struct Job<'a> {
    preds: &'a Predictions,
    settings: &'a TrainSettings,
    run_dir: &'a Path,
    test: Range<usize>,
    m: usize,
}

impl ActionMapJob for Job<'_> {
    type Output = Result<Evaluation>;
    fn run<M>(self, map: M) -> Result<Evaluation>
    where
        M: ActionMap,
        M::Space: Perturbable,
    {
        let Job {
            preds,
            settings,
            run_dir,
            test,
            m,
        } = self;
        let mut combiners: Vec<Box<dyn Combiner>> = seasonal_combiners(m);
        combiners.push(Box::new(policy_combiner(preds, settings, run_dir, map)?));
        let (report, runs) = compare(preds, 0..test.start, test.clone(), m, combiners)?;
        let verdicts = verdicts(preds, &test, &report, &runs)?;
        Ok(Evaluation {
            report,
            verdicts,
            warnings: Vec::new(),
            runs,
            test,
        })
    }
}

/// The run's best policy as a combiner of `preds`, stepping the env as it was trained.
pub(crate) fn policy_combiner<M>(
    preds: &Predictions,
    settings: &TrainSettings,
    run_dir: &Path,
    map: M,
) -> Result<PolicyCombiner<M, PpoPolicy<M::Space>>>
where
    M: ActionMap,
    M::Space: Perturbable,
{
    let panel = Arc::new(PredictionsPanel::new(vec![preds.clone()])?);
    let ranges = settings.ranges(preds.len())?;
    let (train_cfg, _) = env_configs(settings, &ranges);
    let space = EnsembleEnv::new(panel, train_cfg.clone(), map.clone())?
        .action_space()
        .clone();
    let policy = PpoPolicy::load(run_dir.join("best_model"), space)?;
    Ok(PolicyCombiner::new(POLICY, train_cfg, map, policy))
}

/// The policy against each non-oracle method, by a Diebold–Mariano test.
fn verdicts(
    preds: &Predictions,
    test: &Range<usize>,
    report: &Report,
    runs: &[Combined],
) -> Result<Vec<Verdict>> {
    let actual = &preds.target()[test.clone()];
    let forecasts_of = |name: &str| -> Option<Vec<f64>> {
        if let Some(k) = preds.model_names().iter().position(|n| n == name) {
            return Some(preds.model_column(k)[test.clone()].to_vec());
        }
        runs.iter()
            .find(|r| r.name == name)
            .map(|r| r.forecasts.clone())
    };
    let policy = forecasts_of(POLICY).expect("the policy ran");
    let policy_mse = report
        .methods
        .iter()
        .find(|s| s.name == POLICY)
        .expect("the policy is scored")
        .mse;
    report
        .methods
        .iter()
        .filter(|s| s.name != POLICY && s.kind != MethodKind::Oracle)
        .map(|s| {
            let other = forecasts_of(&s.name).expect("every scored method has forecasts");
            let dm = diebold_mariano(actual, &other, &policy, 1)?;
            let diff = policy_mse - s.mse;
            Ok(Verdict {
                baseline: s.name.clone(),
                mse_difference: diff,
                dm_statistic: dm.statistic,
                p_value: dm.p_value,
                verdict: verdict_text(diff, dm.p_value),
            })
        })
        .collect()
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

impl Evaluation {
    /// The report as Markdown.
    pub fn to_markdown(&self) -> String {
        let mut md = format!(
            "# metablend evaluation\n\n{}\n## The PPO policy against each baseline\n\n{}\nDM: Diebold–Mariano test with the HLN correction, squared loss, h = 1; a positive statistic means the policy is more accurate. The oracle sees the test targets and is an upper reference only.\n\nPlots: `cumulative_loss.png`, `weights.png`.\n",
            self.report.to_markdown(),
            verdicts_markdown(&self.verdicts)
        );
        for w in &self.warnings {
            md += &format!("\n**Warning:** {w}\n");
        }
        md
    }

    /// Writes the report files (Markdown, JSON, charts) into the existing folder `dir`.
    pub fn write_into(&self, dir: &Path, preds: &Predictions, charts: &dyn Charts) -> Result<()> {
        write_text(&dir.join("report.md"), &self.to_markdown())?;
        write_text(
            &dir.join("report.json"),
            &serde_json::to_string_pretty(self).expect("serialisable"),
        )?;
        let rows: Vec<usize> = self.test.clone().collect();
        let target = &preds.target()[self.test.clone()];
        let run = |name: &str| self.runs.iter().find(|r| r.name == name);
        let equal = run("equal").expect("equal weights ran");
        let shown: Vec<(String, Vec<f64>)> = self
            .runs
            .iter()
            .filter(|r| {
                matches!(
                    r.name.as_str(),
                    POLICY | "inverse_mse50" | "hedge" | "stacking" | "fixed_share"
                )
            })
            .map(|r| (r.name.clone(), r.forecasts.clone()))
            .collect();
        let path = dir.join("cumulative_loss.png");
        cumulative_loss(charts, &path, &rows, &shown, &equal.forecasts, target)?;
        let policy = run(POLICY).expect("the policy ran");
        let path = dir.join("weights.png");
        weights(charts, &path, &rows, &policy.weights, preds.model_names())
    }

    /// Writes the report folder `out` atomically (replacing an evaluation report there).
    pub fn write_folder(&self, out: &Path, preds: &Predictions, charts: &dyn Charts) -> Result<()> {
        write_output_folder(out, "evaluate", |tmp| self.write_into(tmp, preds, charts))
    }
}
