//! Least squares on the simplex: stacking (weights fitted on the training range) and the
//! oracle best fixed convex combination in hindsight (fitted on the evaluation range itself).
//!
//! With weights summing to one, y − P w = −E w for the error matrix E (e_tk = pred_tk − y_t),
//! so the problem is min w'Gw over the simplex with G = E'E. For K ≤ 12 it is solved exactly
//! by enumerating supports (on a support S the optimum is G_S⁻¹1 / 1'G_S⁻¹1 when that is
//! non-negative); larger K use accelerated projected gradient.

use std::ops::Range;

use super::Combiner;
use crate::{Error, Result};
use metablend_env::Predictions;

/// The error Gram matrix G = E'E over `rows` (K×K, row-major).
fn error_gram(preds: &Predictions, rows: Range<usize>) -> Vec<f64> {
    let k = preds.num_models();
    let mut g = vec![0.0; k * k];
    let mut e = vec![0.0; k];
    for s in rows {
        let y = preds.target()[s];
        for (ei, p) in e.iter_mut().zip(preds.pred(s)) {
            *ei = p - y;
        }
        for i in 0..k {
            for j in i..k {
                g[i * k + j] += e[i] * e[j];
            }
        }
    }
    for i in 0..k {
        for j in 0..i {
            g[i * k + j] = g[j * k + i];
        }
    }
    g
}

fn quad(g: &[f64], w: &[f64]) -> f64 {
    let k = w.len();
    (0..k)
        .map(|i| w[i] * (0..k).map(|j| g[i * k + j] * w[j]).sum::<f64>())
        .sum()
}

/// Euclidean projection onto the probability simplex (Duchi et al. 2008).
fn project(v: &[f64]) -> Vec<f64> {
    let mut u = v.to_vec();
    u.sort_by(|a, b| b.total_cmp(a));
    let (mut cum, mut theta) = (0.0, 0.0);
    for (i, ui) in u.iter().enumerate() {
        cum += ui;
        let t = (cum - 1.0) / (i + 1) as f64;
        if ui - t > 0.0 {
            theta = t;
        }
    }
    v.iter().map(|x| (x - theta).max(0.0)).collect()
}

/// The weights w on the simplex minimising w'Gw (G the K×K error Gram matrix).
pub fn simplex_least_squares(g: &[f64], k: usize) -> Result<Vec<f64>> {
    if g.len() != k * k || k == 0 || g.iter().any(|v| !v.is_finite()) {
        return Err(Error::InvalidInput(format!(
            "simplex least squares needs a finite {k}x{k} matrix"
        )));
    }
    // A tiny ridge keeps collinear forecasts (identical models) solvable.
    let trace: f64 = (0..k).map(|i| g[i * k + i]).sum();
    let ridge = 1e-12 * trace.max(f64::MIN_POSITIVE);
    let mut best: Option<(f64, Vec<f64>)> = None;
    if k <= 12 {
        for mask in 1u32..(1 << k) {
            let support: Vec<usize> = (0..k).filter(|i| mask & (1 << i) != 0).collect();
            let m = support.len();
            let mut sub = vec![0.0; m * m];
            for (a, &i) in support.iter().enumerate() {
                for (b, &j) in support.iter().enumerate() {
                    sub[a * m + b] = g[i * k + j] + if a == b { ridge } else { 0.0 };
                }
            }
            let mut x = vec![1.0; m];
            if metablend_core::math::solve_dense(&mut sub, &mut x).is_none() {
                continue;
            }
            let total: f64 = x.iter().sum();
            if !(total.is_finite() && total > 0.0) || x.iter().any(|v| *v < -1e-12 * total) {
                continue;
            }
            let mut w = vec![0.0; k];
            for (&i, v) in support.iter().zip(&x) {
                w[i] = v.max(0.0) / total;
            }
            let value = quad(g, &w);
            if best.as_ref().is_none_or(|(b, _)| value < *b) {
                best = Some((value, w));
            }
        }
    } else {
        // FISTA with step 1/L, L = 2·trace(G) ≥ 2·λmax.
        let step = 1.0 / (2.0 * trace + ridge);
        let mut w = vec![1.0 / k as f64; k];
        let mut z = w.clone();
        let mut t = 1.0f64;
        for _ in 0..20_000 {
            let grad: Vec<f64> = (0..k)
                .map(|i| 2.0 * (0..k).map(|j| g[i * k + j] * z[j]).sum::<f64>())
                .collect();
            let next = project(
                &z.iter()
                    .zip(&grad)
                    .map(|(z, g)| z - step * g)
                    .collect::<Vec<_>>(),
            );
            let t_next = (1.0 + (1.0 + 4.0 * t * t).sqrt()) / 2.0;
            z = next
                .iter()
                .zip(&w)
                .map(|(n, o)| n + (t - 1.0) / t_next * (n - o))
                .collect();
            w = next;
            t = t_next;
        }
        best = Some((quad(g, &w), w));
    }
    best.map(|(_, w)| w)
        .ok_or_else(|| Error::InvalidInput("simplex least squares found no solution".into()))
}

/// Weights from least squares on the simplex over the training range (Breiman 1996's
/// stacked regressions with the convexity constraint).
#[derive(Debug, Clone, Default)]
pub struct Stacking {
    weights: Option<Vec<f64>>,
}

impl Combiner for Stacking {
    fn name(&self) -> &str {
        "stacking"
    }
    fn fit(&mut self, preds: &Predictions, train: Range<usize>) -> Result<()> {
        if train.is_empty() {
            return Err(Error::InvalidInput(
                "stacking needs a non-empty training range".into(),
            ));
        }
        let g = error_gram(preds, train);
        self.weights = Some(simplex_least_squares(&g, preds.num_models())?);
        Ok(())
    }
    fn weights(&mut self, _preds: &Predictions, _t: usize) -> Result<Vec<f64>> {
        self.weights
            .clone()
            .ok_or_else(|| Error::InvalidInput("stacking: call fit first".into()))
    }
}

/// **Oracle** — the best fixed convex combination in hindsight over the evaluation range.
/// It reads the evaluation targets, so it is an upper reference, never a method.
#[derive(Debug, Clone, Default)]
pub struct OracleConvex {
    weights: Option<Vec<f64>>,
}

impl Combiner for OracleConvex {
    fn name(&self) -> &str {
        "oracle_convex"
    }
    fn observe_evaluation(&mut self, preds: &Predictions, eval: Range<usize>) -> Result<()> {
        let g = error_gram(preds, eval);
        self.weights = Some(simplex_least_squares(&g, preds.num_models())?);
        Ok(())
    }
    fn weights(&mut self, _preds: &Predictions, _t: usize) -> Result<Vec<f64>> {
        self.weights
            .clone()
            .ok_or_else(|| Error::InvalidInput("oracle_convex: run it through run_combiner".into()))
    }
    fn is_oracle(&self) -> bool {
        true
    }
}
