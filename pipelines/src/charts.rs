//! Charts in the report folders. A protocol decides what to plot and where; drawing is the
//! caller's ([`Charts`]), so the library does not depend on a plotting stack (the command
//! draws PNGs with plotters; a binding may draw nothing with [`NoCharts`]).

use std::path::Path;

use crate::forecast::MetaLearner;
use crate::Result;

/// Draws charts into files.
pub trait Charts: Sync {
    /// Several named lines against a shared x axis.
    fn lines(
        &self,
        path: &Path,
        title: &str,
        x_label: &str,
        y_label: &str,
        series: &[(String, Vec<(f64, f64)>)],
    ) -> Result<()>;

    /// Horizontal bars, one per (label, value), top to bottom in the given order.
    fn bars(&self, path: &Path, title: &str, items: &[(String, f64)]) -> Result<()>;
}

/// Draws nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoCharts;

impl Charts for NoCharts {
    fn lines(
        &self,
        _: &Path,
        _: &str,
        _: &str,
        _: &str,
        _: &[(String, Vec<(f64, f64)>)],
    ) -> Result<()> {
        Ok(())
    }
    fn bars(&self, _: &Path, _: &str, _: &[(String, f64)]) -> Result<()> {
        Ok(())
    }
}

/// Validation MSE against env steps.
pub fn training_curve(charts: &dyn Charts, path: &Path, curve: &[(u64, f64)]) -> Result<()> {
    let points = curve.iter().map(|&(s, m)| (s as f64, m)).collect();
    charts.lines(
        path,
        "Validation MSE of the PPO policy",
        "env steps",
        "validation MSE",
        &[("policy".into(), points)],
    )
}

/// Cumulative squared-loss difference against equal weights (below zero: better than equal).
pub fn cumulative_loss(
    charts: &dyn Charts,
    path: &Path,
    rows: &[usize],
    series: &[(String, Vec<f64>)],
    equal: &[f64],
    target: &[f64],
) -> Result<()> {
    let lines: Vec<(String, Vec<(f64, f64)>)> = series
        .iter()
        .map(|(name, forecasts)| {
            let mut acc = 0.0;
            let points = rows
                .iter()
                .zip(forecasts.iter().zip(equal).zip(target))
                .map(|(&t, ((f, e), y))| {
                    acc += (f - y).powi(2) - (e - y).powi(2);
                    (t as f64, acc)
                })
                .collect();
            (name.clone(), points)
        })
        .collect();
    charts.lines(
        path,
        "Cumulative squared error minus equal weights' (lower is better)",
        "row",
        "cumulative loss difference",
        &lines,
    )
}

/// A policy's weight on each model over the evaluation rows.
pub fn weights(
    charts: &dyn Charts,
    path: &Path,
    rows: &[usize],
    weights: &[Vec<f64>],
    models: &[String],
) -> Result<()> {
    let series: Vec<(String, Vec<(f64, f64)>)> = models
        .iter()
        .enumerate()
        .map(|(k, name)| {
            let points = rows
                .iter()
                .zip(weights)
                .map(|(&t, w)| (t as f64, w[k]))
                .collect();
            (name.clone(), points)
        })
        .collect();
    charts.lines(
        path,
        "Policy weights over the test range",
        "row",
        "weight",
        &series,
    )
}

/// A rolling-origin report's charts: `owa.png`, every method's mean OWA (best first; below 1
/// beats Naive2), and `owa_by_window.png`, the OWA of the meta-learner, the rules and the
/// best pool model in each window (how stable the ranking is).
pub fn cross_validation(
    charts: &dyn Charts,
    dir: &Path,
    report: &crate::forecast::CvReport,
) -> Result<()> {
    let bars: Vec<(String, f64)> = report
        .methods
        .iter()
        .map(|m| (m.method.clone(), m.owa))
        .collect();
    charts.bars(&dir.join("owa.png"), "Mean OWA over the windows", &bars)?;
    let rules = MetaLearner::RULES.map(|r| r.to_string());
    let is_rule = |name: &str| name.starts_with("metablend") || rules.iter().any(|r| r == name);
    let best_model = report.methods.iter().find(|m| !is_rule(&m.method));
    let lines: Vec<(String, Vec<(f64, f64)>)> = report
        .methods
        .iter()
        .filter(|m| is_rule(&m.method) || Some(*m) == best_model)
        .map(|m| {
            let points = m.windows.iter().map(|w| (w.window as f64, w.owa)).collect();
            (m.method.clone(), points)
        })
        .collect();
    charts.lines(
        &dir.join("owa_by_window.png"),
        "OWA per window (0: earliest)",
        "window",
        "OWA",
        &lines,
    )
}
