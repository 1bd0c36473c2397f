//! Walk-forward backtests: the honest out-of-sample predictions the ensemble env wraps.
//!
//! One-step mode ([`WalkForward`]): at every origin t of `[start, end)` each model forecasts
//! `y[t]` from `y[..t]` only. Models are re-estimated every `refit_every` origins on an
//! expanding or rolling window; between refits the fitted model is conditioned on each new
//! observation without re-estimating (`Forecaster::append`). Models run in parallel (rayon);
//! each model's run is sequential and seeded, so results do not depend on scheduling.
//!
//! Horizon mode ([`holdout_panel`]): each series of a panel is fitted once on its training
//! part and forecast `h` steps ahead (the M4 protocol).

use metablend_core::Progress;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::forecast::{Forecaster, ModelSpec};
use crate::series::Series;
use crate::{Error, Result};
use metablend_env::ensemble::{Predictions, PredictionsPanel};

/// Which history a refit sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Window {
    /// Everything before the origin.
    Expanding,
    /// The last `n` observations before the origin.
    Rolling(usize),
}

/// A one-step walk-forward backtest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WalkForward {
    /// The models, in output column order; their names must be distinct.
    pub models: Vec<ModelSpec>,
    /// First origin (the first forecast is of `y[start]`).
    pub start: usize,
    /// One past the last origin (`None`: the series' end).
    pub end: Option<usize>,
    /// Re-estimate every this many origins (1: at every origin).
    pub refit_every: usize,
    /// Expanding or rolling estimation window.
    pub window: Window,
}

/// A refit that failed; the model kept its previous estimate and went on.
#[derive(Debug, Clone, PartialEq)]
pub struct RefitFailure {
    /// The model's name.
    pub model: String,
    /// The origin.
    pub t: usize,
    /// The error message.
    pub message: String,
}

/// The predictions table and what went wrong on the way.
#[derive(Debug, Clone)]
pub struct BacktestOutput {
    /// Rows t = start..end: target `y[t]` and each model's forecast of it.
    pub predictions: Predictions,
    /// Refits that failed (the previous estimate was kept).
    pub refit_failures: Vec<RefitFailure>,
}

impl WalkForward {
    fn check(&self, n: usize, min_history: usize, name: &str) -> Result<usize> {
        let end = self.end.unwrap_or(n);
        if self.refit_every == 0 {
            return Err(Error::Config("refit_every must be at least 1".into()));
        }
        if end > n || self.start >= end {
            return Err(Error::InvalidInput(format!(
                "backtest range [{}, {end}) is empty or beyond the series (length {n})",
                self.start
            )));
        }
        let window = match self.window {
            Window::Expanding => self.start,
            Window::Rolling(w) => w.min(self.start),
        };
        if window < min_history {
            return Err(Error::TooShort {
                model: name.to_string(),
                needed: min_history,
                got: window,
            });
        }
        Ok(end)
    }

    fn history<'a>(&self, y: &'a [f64], t: usize) -> &'a [f64] {
        match self.window {
            Window::Expanding => &y[..t],
            Window::Rolling(w) => &y[t.saturating_sub(w)..t],
        }
    }

    /// One model's forecasts for origins start..end.
    fn run_model(
        &self,
        spec: &ModelSpec,
        y: &[f64],
        end: usize,
        progress: &dyn Progress,
    ) -> Result<(Vec<f64>, Vec<RefitFailure>)> {
        let mut model: Box<dyn Forecaster> = spec.build()?;
        self.check(y.len(), model.min_history(), model.name())?;
        let mut out = Vec::with_capacity(end - self.start);
        let mut failures = Vec::new();
        for t in self.start..end {
            if progress.stop_requested() {
                return Err(Error::Interrupted(format!("{} at origin {t}", spec)));
            }
            if (t - self.start).is_multiple_of(self.refit_every) {
                let mut fresh = spec.build()?;
                match fresh.fit(self.history(y, t)) {
                    Ok(()) => model = fresh,
                    Err(e) if t > self.start => {
                        failures.push(RefitFailure {
                            model: fresh.name().to_string(),
                            t,
                            message: e.to_string(),
                        });
                        model.append(y[t - 1])?;
                    }
                    Err(e) => {
                        return Err(Error::FitFailed {
                            model: fresh.name().to_string(),
                            detail: format!("at the first origin t = {t}: {e}"),
                        })
                    }
                }
            } else {
                model.append(y[t - 1])?;
            }
            let forecast = model.forecast(1)?[0];
            if !forecast.is_finite() {
                return Err(Error::FitFailed {
                    model: model.name().to_string(),
                    detail: format!("non-finite forecast at t = {t}"),
                });
            }
            out.push(forecast);
            progress.advance(1);
        }
        Ok((out, failures))
    }

    /// Runs the backtest on `series`; `progress` advances once per model and origin.
    pub fn run(&self, series: &Series, progress: &dyn Progress) -> Result<BacktestOutput> {
        let y = &series.values;
        crate::error::check_finite(&series.name, y)?;
        let names: Vec<String> = self
            .models
            .iter()
            .map(|m| m.build().map(|f| f.name().to_string()))
            .collect::<Result<_>>()?;
        for (i, name) in names.iter().enumerate() {
            if names[..i].contains(name) {
                return Err(Error::Config(format!("model `{name}` appears twice")));
            }
        }
        let end = self.end.unwrap_or(y.len());
        self.check(y.len(), 1, "backtest")?;
        let columns: Vec<(Vec<f64>, Vec<RefitFailure>)> = self
            .models
            .par_iter()
            .map(|spec| self.run_model(spec, y, end, progress))
            .collect::<Result<_>>()?;
        let rows = end - self.start;
        let k = columns.len();
        let mut flat = vec![0.0; rows * k];
        for (j, (col, _)) in columns.iter().enumerate() {
            for (i, v) in col.iter().enumerate() {
                flat[i * k + j] = *v;
            }
        }
        let mut predictions = Predictions::from_flat(y[self.start..end].to_vec(), flat, names)?
            .with_id(series.name.clone());
        let stamps = match &series.timestamps {
            Some(ts) => ts[self.start..end].to_vec(),
            None => (self.start..end).map(|t| t.to_string()).collect(),
        };
        predictions = predictions.with_timestamps(stamps)?;
        Ok(BacktestOutput {
            predictions,
            refit_failures: columns.into_iter().flat_map(|(_, f)| f).collect(),
        })
    }
}

/// Fits every model on each training series and forecasts `test[i].values.len()` steps;
/// the panel's rows are the test targets with the models' h-step forecasts. Series run in
/// parallel; `progress` advances once per series.
pub fn holdout_panel(
    models: &[ModelSpec],
    train: &[Series],
    test: &[Series],
    progress: &dyn Progress,
) -> Result<PredictionsPanel> {
    if train.len() != test.len() {
        return Err(Error::InvalidInput(format!(
            "{} training series but {} test series",
            train.len(),
            test.len()
        )));
    }
    let tables: Vec<Predictions> = train
        .par_iter()
        .with_max_len(1)
        .zip(test)
        .map(|(tr, te)| {
            if tr.name != te.name {
                return Err(Error::InvalidInput(format!(
                    "training series {} is paired with test series {}",
                    tr.name, te.name
                )));
            }
            let h = te.values.len();
            let mut names = Vec::with_capacity(models.len());
            let mut flat = vec![0.0; h * models.len()];
            for (j, spec) in models.iter().enumerate() {
                let mut model = spec.build()?;
                model.fit(&tr.values).map_err(|e| Error::FitFailed {
                    model: model.name().to_string(),
                    detail: format!("series {}: {e}", tr.name),
                })?;
                for (i, v) in model.forecast(h)?.into_iter().enumerate() {
                    flat[i * models.len() + j] = v;
                }
                names.push(model.name().to_string());
            }
            progress.advance(1);
            Ok(Predictions::from_flat(te.values.clone(), flat, names)?.with_id(tr.name.clone()))
        })
        .collect::<Result<_>>()?;
    Ok(PredictionsPanel::new(tables)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(n: usize) -> Series {
        Series {
            name: "s".into(),
            values: (0..n)
                .map(|t| 100.0 + (t as f64 * 0.3).sin() * 5.0 + 0.1 * t as f64)
                .collect(),
            timestamps: None,
        }
    }

    fn specs(text: &str) -> Vec<ModelSpec> {
        ModelSpec::parse_list(text, 1).unwrap()
    }

    #[test]
    fn one_step_forecasts_use_only_the_past() {
        let s = series(200);
        let wf = WalkForward {
            models: {
                // Small networks: the property is about data flow, not accuracy.
                let mut m = specs("naive drift ses arima:1,1,1 theta auto_arima");
                let mut mlp = crate::forecast::MlpConfig::default();
                mlp.train.epochs = 5;
                let mut lstm = crate::forecast::LstmConfig::default();
                (lstm.train.epochs, lstm.train.lags) = (3, 8);
                m.extend([ModelSpec::Mlp(mlp), ModelSpec::Lstm(lstm)]);
                m
            },
            start: 120,
            end: None,
            refit_every: 10,
            window: Window::Expanding,
        };
        let out = wf.run(&s, &metablend_core::Silent).unwrap();
        let p = &out.predictions;
        assert_eq!(p.len(), 80);
        assert_eq!(p.target()[0], s.values[120]);
        assert_eq!(p.pred(0)[0], s.values[119]); // naive
                                                 // Perturbing y[k..] changes no forecast made at t ≤ k.
        for k in [125, 150, 199] {
            let mut other = s.clone();
            other.values[k..].iter_mut().for_each(|v| *v += 50.0);
            let q = wf.run(&other, &metablend_core::Silent).unwrap().predictions;
            for t in 120..=k {
                assert_eq!(
                    p.pred(t - 120),
                    q.pred(t - 120),
                    "t = {t}, perturbed from {k}"
                );
            }
        }
    }

    #[test]
    fn refit_every_step_equals_fresh_fits() {
        let s = series(90);
        let wf = WalkForward {
            models: specs("ses holt"),
            start: 80,
            end: None,
            refit_every: 1,
            window: Window::Rolling(60),
        };
        let p = wf.run(&s, &metablend_core::Silent).unwrap().predictions;
        for t in 80..90 {
            let mut m = ModelSpec::Ses.build().unwrap();
            m.fit(&s.values[t - 60..t]).unwrap();
            assert_eq!(p.pred(t - 80)[0], m.forecast(1).unwrap()[0]);
        }
    }

    #[test]
    fn holdout_panel_forecasts_each_test_horizon() {
        let mk = |name: &str, values: Vec<f64>| Series {
            name: name.into(),
            values,
            timestamps: None,
        };
        let train = vec![
            mk("A", vec![1.0, 2.0, 3.0, 4.0]),
            mk("B", vec![5.0, 4.0, 6.0, 5.0]),
        ];
        let test = vec![mk("A", vec![5.0, 6.0]), mk("B", vec![7.0, 8.0])];
        let panel = holdout_panel(
            &specs("naive snaive:2"),
            &train,
            &test,
            &metablend_core::Silent,
        )
        .unwrap();
        assert_eq!(panel.len(), 2);
        let b = &panel.series()[1];
        assert_eq!(b.target(), &[7.0, 8.0]);
        assert_eq!(b.pred(0), &[5.0, 6.0]);
        assert_eq!(b.pred(1), &[5.0, 5.0]);
        let mismatched = vec![mk("A", vec![5.0]), mk("C", vec![1.0])];
        assert!(holdout_panel(
            &specs("naive drift"),
            &train,
            &mismatched,
            &metablend_core::Silent
        )
        .is_err());
    }

    #[test]
    fn bad_ranges_and_duplicates_are_errors() {
        let s = series(50);
        let mut wf = WalkForward {
            models: specs("naive naive"),
            start: 40,
            end: None,
            refit_every: 5,
            window: Window::Expanding,
        };
        assert!(wf
            .run(&s, &metablend_core::Silent)
            .unwrap_err()
            .to_string()
            .contains("twice"));
        wf.models = specs("naive arima:2,1,2");
        wf.start = 5;
        assert!(matches!(
            wf.run(&s, &metablend_core::Silent),
            Err(Error::TooShort { .. })
        ));
        wf.start = 60;
        assert!(wf.run(&s, &metablend_core::Silent).is_err());
    }
}
