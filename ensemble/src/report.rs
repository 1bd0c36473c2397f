//! The comparison report: every base model and combiner on the same evaluation range,
//! scored with the M4 definitions, with Diebold–Mariano tests against equal weights — as a
//! terminal table, Markdown and JSON.

use std::fmt::Write as _;
use std::ops::Range;

use serde::Serialize;

use crate::combine::{check_ranges, run_combiner, Combined, Combiner, EqualWeights, Single};
use crate::{diebold_mariano, Error, Result};
use metablend_core::metrics;
use metablend_env::{Predictions, PredictionsPanel};

/// What a row of the report is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MethodKind {
    /// A base model on its own.
    Model,
    /// A combination method.
    Combiner,
    /// An upper reference that sees the evaluation targets.
    Oracle,
}

/// A Diebold–Mariano test against equal weights (HLN-corrected, h = 1, squared loss); a
/// positive statistic means the method is more accurate than equal weights.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DmVsEqual {
    /// The HLN-corrected statistic.
    pub statistic: f64,
    /// Two-sided p-value.
    pub p_value: f64,
}

/// One method's scores on the evaluation range.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MethodScores {
    /// The method's name.
    pub name: String,
    /// Model, combiner or oracle.
    pub kind: MethodKind,
    /// Mean squared error.
    pub mse: f64,
    /// Root mean squared error.
    pub rmse: f64,
    /// Mean absolute error.
    pub mae: f64,
    /// MAPE (none when an actual is zero).
    pub mape: Option<f64>,
    /// sMAPE (M4).
    pub smape: f64,
    /// MASE with the in-sample seasonal-naive scale (none when the history is too short).
    pub mase: Option<f64>,
    /// Share of steps whose direction of change was forecast correctly.
    pub directional_accuracy: f64,
    /// Against equal weights (none for equal weights itself).
    pub dm_vs_equal: Option<DmVsEqual>,
}

/// The comparison of one table's methods.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The table's id (series name), if any.
    pub series: Option<String>,
    /// Rows used for fitting the combiners.
    pub train: (usize, usize),
    /// Rows evaluated.
    pub eval: (usize, usize),
    /// Seasonal period of the MASE scale.
    pub m: usize,
    /// Base models first, then combiners, oracles last.
    pub methods: Vec<MethodScores>,
}

fn score(
    preds: &Predictions,
    eval: &Range<usize>,
    m: usize,
    forecasts: &[f64],
    equal: &[f64],
    name: &str,
    kind: MethodKind,
) -> Result<MethodScores> {
    let actual = &preds.target()[eval.clone()];
    let insample = &preds.target()[..eval.start];
    let mse = metrics::mse(actual, forecasts)?;
    let previous = &preds.target()[eval.start.saturating_sub(1)..eval.end - 1];
    let directional_accuracy = if eval.start > 0 {
        metrics::directional_accuracy(previous, actual, forecasts)?
    } else {
        f64::NAN
    };
    let dm_vs_equal = if name == "equal" || actual.len() < 3 {
        None
    } else {
        diebold_mariano(actual, equal, forecasts, 1)
            .ok()
            .map(|dm| DmVsEqual {
                statistic: dm.statistic,
                p_value: dm.p_value,
            })
    };
    Ok(MethodScores {
        name: name.to_string(),
        kind,
        mse,
        rmse: mse.sqrt(),
        mae: metrics::mae(actual, forecasts)?,
        mape: metrics::mape(actual, forecasts)?,
        smape: metrics::smape(actual, forecasts)?,
        mase: metrics::mase(actual, forecasts, insample, m).ok(),
        directional_accuracy,
        dm_vs_equal,
    })
}

/// Runs every combiner (fitted on `train`) and every base model over `eval` and scores them;
/// returns the report and the combiners' forecasts and weights (for plots).
pub fn compare(
    preds: &Predictions,
    train: Range<usize>,
    eval: Range<usize>,
    m: usize,
    mut combiners: Vec<Box<dyn Combiner>>,
) -> Result<(Report, Vec<Combined>)> {
    check_ranges(preds, &train, &eval)?;
    if m == 0 {
        return Err(Error::InvalidInput(
            "the seasonal period m must be at least 1".into(),
        ));
    }
    let equal = run_combiner(&mut EqualWeights, preds, train.clone(), eval.clone())?;
    let mut methods = Vec::new();
    for k in 0..preds.num_models() {
        let mut single = Single::new(preds, k)?;
        let out = run_combiner(&mut single, preds, train.clone(), eval.clone())?;
        let name = preds.model_names()[k].clone();
        methods.push(score(
            preds,
            &eval,
            m,
            &out.forecasts,
            &equal.forecasts,
            &name,
            MethodKind::Model,
        )?);
    }
    let mut runs = Vec::new();
    for c in combiners.iter_mut() {
        runs.push(run_combiner(
            c.as_mut(),
            preds,
            train.clone(),
            eval.clone(),
        )?);
    }
    runs.sort_by_key(|r| r.oracle);
    for run in &runs {
        let kind = if run.oracle {
            MethodKind::Oracle
        } else {
            MethodKind::Combiner
        };
        methods.push(score(
            preds,
            &eval,
            m,
            &run.forecasts,
            &equal.forecasts,
            &run.name,
            kind,
        )?);
    }
    let report = Report {
        series: preds.id().map(str::to_string),
        train: (train.start, train.end),
        eval: (eval.start, eval.end),
        m,
        methods,
    };
    Ok((report, runs))
}

fn fmt_opt(v: Option<f64>, digits: usize) -> String {
    v.map_or("–".into(), |v| format!("{v:.digits$}"))
}

impl Report {
    fn rows(&self) -> Vec<[String; 9]> {
        self.methods
            .iter()
            .map(|s| {
                let label = match s.kind {
                    MethodKind::Model => format!("{} (model)", s.name),
                    MethodKind::Combiner => s.name.clone(),
                    MethodKind::Oracle => format!("{} (ORACLE)", s.name),
                };
                [
                    label,
                    format!("{:.6}", s.rmse),
                    format!("{:.6}", s.mae),
                    format!("{:.4}", s.smape),
                    fmt_opt(s.mase, 4),
                    fmt_opt(s.mape, 4),
                    format!("{:.3}", s.directional_accuracy),
                    fmt_opt(s.dm_vs_equal.map(|d| d.statistic), 3),
                    fmt_opt(s.dm_vs_equal.map(|d| d.p_value), 4),
                ]
            })
            .collect()
    }

    const HEADER: [&'static str; 9] = [
        "method",
        "RMSE",
        "MAE",
        "sMAPE",
        "MASE",
        "MAPE",
        "dir. acc.",
        "DM vs equal",
        "p",
    ];

    fn title(&self) -> String {
        format!(
            "{}: train rows {}..{}, evaluation rows {}..{} ({} steps), MASE period {}",
            self.series.as_deref().unwrap_or("series"),
            self.train.0,
            self.train.1,
            self.eval.0,
            self.eval.1,
            self.eval.1 - self.eval.0,
            self.m
        )
    }

    /// A Markdown table (with a title line).
    pub fn to_markdown(&self) -> String {
        let mut out = format!(
            "**{}**\n\n| {} |\n|",
            self.title(),
            Self::HEADER.join(" | ")
        );
        out += &"---|".repeat(Self::HEADER.len());
        out.push('\n');
        for row in self.rows() {
            let _ = writeln!(out, "| {} |", row.join(" | "));
        }
        out
    }

    /// An aligned plain-text table for the terminal.
    pub fn to_table(&self) -> String {
        let rows = self.rows();
        let widths: Vec<usize> = (0..Self::HEADER.len())
            .map(|i| {
                rows.iter()
                    .map(|r| r[i].chars().count())
                    .chain([Self::HEADER[i].len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |cells: Vec<&str>| -> String {
            cells
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(i, (c, w))| {
                    if i == 0 {
                        format!("{c:<w$}")
                    } else {
                        format!("{c:>w$}")
                    }
                })
                .collect::<Vec<_>>()
                .join("  ")
        };
        let mut out = self.title() + "\n";
        out += &line(Self::HEADER.to_vec());
        out.push('\n');
        for row in &rows {
            out += &line(row.iter().map(String::as_str).collect());
            out.push('\n');
        }
        out
    }

    /// Pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("the report serialises")
    }
}

/// M4-style totals of one method over a panel.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PanelScores {
    /// The method's name.
    pub name: String,
    /// Model, combiner or oracle.
    pub kind: MethodKind,
    /// Mean sMAPE over series.
    pub smape: f64,
    /// Mean MASE over series.
    pub mase: f64,
    /// OWA from the totals, relative to the Naive2 model column (when the panel has one).
    pub owa: Option<f64>,
}

/// Scores every base model and combiner on a panel of h-step forecasts (the M4 protocol):
/// for each series, combiners are fitted on the validation table (forecasts of the last h
/// training points from an earlier origin) and the weights they reach at the origin apply
/// to every test row. `insample[i]` is series i's training history (for the MASE scale);
/// `make` builds fresh combiners. OWA uses the model named `naive2_{m}` if present.
pub fn compare_panel(
    validation: &PredictionsPanel,
    test: &PredictionsPanel,
    insample: &[Vec<f64>],
    m: usize,
    make: &dyn Fn() -> Vec<Box<dyn Combiner>>,
) -> Result<Vec<PanelScores>> {
    if validation.len() != test.len() || insample.len() != test.len() {
        return Err(Error::InvalidInput(format!(
            "panel sizes differ: {} validation, {} test, {} in-sample series",
            validation.len(),
            test.len(),
            insample.len()
        )));
    }
    if validation.model_names() != test.model_names() {
        return Err(Error::InvalidInput(
            "validation and test panels have different models".into(),
        ));
    }
    let k = test.model_names().len();
    let mut names: Vec<(String, MethodKind)> = test
        .model_names()
        .iter()
        .map(|n| (n.clone(), MethodKind::Model))
        .collect();
    let mut sums: Vec<(f64, f64)> = vec![(0.0, 0.0); k];
    for ((val, te), history) in validation.series().iter().zip(test.series()).zip(insample) {
        let h_val = val.len();
        let mut forecasts: Vec<Vec<f64>> = (0..k).map(|j| te.model_column(j)).collect();
        let mut combiner_forecasts: Vec<Vec<f64>> = Vec::new();
        let mut labels = Vec::new();
        for row in 0..te.len() {
            // Validation rows followed by this test row: weights at the origin, with the
            // test row's own forecasts visible (as they are when it is made).
            let mut target = val.target().to_vec();
            target.push(te.target()[row]);
            let mut rows: Vec<Vec<f64>> = (0..h_val).map(|t| val.pred(t).to_vec()).collect();
            rows.push(te.pred(row).to_vec());
            let table = Predictions::new(target, rows, val.model_names().to_vec())?;
            for (c_idx, mut c) in make().into_iter().enumerate() {
                let out = run_combiner(c.as_mut(), &table, 0..h_val, h_val..h_val + 1)?;
                if row == 0 {
                    labels.push((
                        out.name.clone(),
                        if out.oracle {
                            MethodKind::Oracle
                        } else {
                            MethodKind::Combiner
                        },
                    ));
                    combiner_forecasts.push(Vec::with_capacity(te.len()));
                }
                combiner_forecasts[c_idx].push(out.forecasts[0]);
            }
        }
        if names.len() == k {
            names.extend(labels);
            sums.resize(names.len(), (0.0, 0.0));
        }
        forecasts.extend(combiner_forecasts);
        for (j, f) in forecasts.iter().enumerate() {
            sums[j].0 += metrics::smape(te.target(), f)?;
            sums[j].1 += metrics::mase(te.target(), f, history, m)?;
        }
    }
    let n = test.len() as f64;
    let naive2 = names
        .iter()
        .position(|(name, _)| *name == format!("naive2_{m}"));
    let naive2_totals = naive2.map(|j| (sums[j].0 / n, sums[j].1 / n));
    names
        .into_iter()
        .zip(sums)
        .map(|((name, kind), (s, q))| {
            let (smape, mase) = (s / n, q / n);
            let owa = match naive2_totals {
                Some((ns, nm)) => Some(metrics::owa(smape, mase, ns, nm)?),
                None => None,
            };
            Ok(PanelScores {
                name,
                kind,
                smape,
                mase,
                owa,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::combine::classical_combiners;

    fn table() -> Predictions {
        let n = 200;
        let target: Vec<f64> = (0..n)
            .map(|t| (t as f64 * 0.25).sin() * 4.0 + 10.0)
            .collect();
        let rows = (0..n)
            .map(|t| {
                let y = target[t];
                vec![
                    y + 0.5 * (t as f64 * 1.3).cos(),
                    y + 1.0,
                    target[t.saturating_sub(1)],
                ]
            })
            .collect();
        Predictions::new(
            target,
            rows,
            vec!["good".into(), "biased".into(), "naive".into()],
        )
        .unwrap()
        .with_id("demo")
    }

    #[test]
    fn report_scores_models_and_combiners_in_three_formats() {
        let p = table();
        let (report, runs) = compare(&p, 20..120, 120..200, 1, classical_combiners()).unwrap();
        assert_eq!(report.methods.len(), 3 + classical_combiners().len());
        assert_eq!(runs.len(), classical_combiners().len());
        let get = |n: &str| report.methods.iter().find(|m| m.name == n).unwrap();
        assert!(get("equal").dm_vs_equal.is_none());
        assert_eq!(report.methods.last().unwrap().kind, MethodKind::Oracle);
        // The oracle is at least as good as every fixed combination, models included.
        let oracle = get("oracle_convex").mse;
        for m in &report.methods {
            if matches!(
                m.name.as_str(),
                "good" | "biased" | "naive" | "equal" | "stacking" | "best_single"
            ) {
                assert!(
                    oracle <= m.mse * (1.0 + 1e-12),
                    "{} beats the oracle",
                    m.name
                );
            }
        }
        // Best single picks the good model, and beats equal weights significantly.
        assert_eq!(get("best_single").mse, get("good").mse);
        let dm = get("best_single").dm_vs_equal.unwrap();
        assert!(dm.statistic > 0.0 && dm.p_value < 0.05, "{dm:?}");
        let md = report.to_markdown();
        assert!(
            md.contains("| oracle_convex (ORACLE) |") && md.contains("| good (model) |"),
            "{md}"
        );
        assert!(report.to_table().contains("DM vs equal"));
        let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        assert_eq!(json["methods"][0]["name"], "good");
        assert_eq!(json["series"], "demo");
    }

    #[test]
    fn panel_report_uses_validation_weights_and_owa() {
        let mk = |shift: f64, len: usize| {
            let target: Vec<f64> = (0..len).map(|t| 10.0 + t as f64 + shift).collect();
            let rows = target
                .iter()
                .map(|y| vec![y + 1.0, y - 3.0, y * 1.01])
                .collect();
            Predictions::new(
                target,
                rows,
                vec!["a".into(), "b".into(), "naive2_1".into()],
            )
            .unwrap()
        };
        let val = PredictionsPanel::new(vec![mk(0.0, 6), mk(5.0, 6)]).unwrap();
        let test = PredictionsPanel::new(vec![mk(6.0, 4), mk(11.0, 4)]).unwrap();
        let insample: Vec<Vec<f64>> = vec![(0..20).map(f64::from).collect(); 2];
        let scores = compare_panel(&val, &test, &insample, 1, &classical_combiners).unwrap();
        let get = |n: &str| scores.iter().find(|s| s.name == n).unwrap();
        assert_eq!(get("naive2_1").owa, Some(1.0));
        assert!(get("best_single").smape <= get("b").smape);
        assert!(compare_panel(&val, &test, &insample[..1], 1, &classical_combiners).is_err());
    }
}
