//! Neural forecasters on candle: an MLP on lag windows and an LSTM read over the window.
//!
//! Both learn one-step changes of the series: the history is differenced, standardised with
//! its own mean and standard deviation, and cut into (L lags → next change) pairs; the last
//! `val_frac` of the pairs, in time order, is held out for early stopping and the best
//! weights are kept. Forecasts beyond one step feed predictions back recursively. Weights and
//! minibatch order come from `seed`, so a fit reproduces exactly (one candle thread).

mod data;
mod lstm;
mod mlp;
mod train;

use std::sync::Arc;

use candle_core::{Device, Tensor};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

pub use train::{adam, Network, NeuralFit, OptimizerFactory, StepOptimizer};

use super::{check_append, Forecaster};
use crate::error::{check_finite, check_len};
use crate::{Error, Result};
use data::{Scaler, Windows};
use train::LoopSettings;

/// Training settings shared by the neural forecasters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainConfig {
    /// Lags in each input window.
    pub lags: usize,
    /// Most passes over the training windows.
    pub epochs: usize,
    /// Minibatch size.
    pub batch_size: usize,
    /// Adam learning rate.
    pub learning_rate: f64,
    /// Epochs without a validation improvement before stopping.
    pub patience: usize,
    /// Fraction of the windows (the most recent) used for validation.
    pub val_frac: f64,
    /// Seed for the initial weights and the minibatch order.
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            lags: 24,
            epochs: 100,
            batch_size: 64,
            learning_rate: 3e-3,
            patience: 10,
            val_frac: 0.2,
            seed: 0,
        }
    }
}

impl TrainConfig {
    fn validate(&self, model: &str) -> Result<()> {
        let bad = |what: String| Err(Error::Config(format!("{model}: {what}")));
        if self.lags == 0 {
            return bad("lags must be at least 1".into());
        }
        if self.epochs == 0 || self.batch_size == 0 {
            return bad("epochs and batch_size must be at least 1".into());
        }
        if !(self.learning_rate > 0.0 && self.learning_rate.is_finite()) {
            return bad(format!(
                "learning_rate = {} (must be positive)",
                self.learning_rate
            ));
        }
        if !(self.val_frac > 0.0 && self.val_frac < 0.5) {
            return bad(format!(
                "val_frac = {} (must be in (0, 0.5))",
                self.val_frac
            ));
        }
        Ok(())
    }

    /// Fewest training windows a fit accepts.
    const MIN_WINDOWS: usize = 20;
}

/// The MLP's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MlpConfig {
    /// Hidden units (one tanh layer).
    pub hidden: usize,
    /// Training settings.
    #[serde(flatten)]
    pub train: TrainConfig,
}

impl Default for MlpConfig {
    fn default() -> Self {
        Self {
            hidden: 32,
            train: TrainConfig::default(),
        }
    }
}

/// The LSTM's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LstmConfig {
    /// Hidden (and cell) state size.
    pub hidden: usize,
    /// Training settings.
    #[serde(flatten)]
    pub train: TrainConfig,
}

impl Default for LstmConfig {
    fn default() -> Self {
        Self {
            hidden: 16,
            train: TrainConfig {
                epochs: 60,
                ..TrainConfig::default()
            },
        }
    }
}

/// A network architecture and its settings.
pub trait Architecture: Clone + Send + 'static {
    /// The model's label.
    fn label(&self) -> &'static str;
    /// The training settings.
    fn train_config(&self) -> &TrainConfig;
    /// A freshly initialised network.
    fn build(&self, rng: &mut ChaCha8Rng) -> Result<Box<dyn Network>>;
    /// Checks the architecture's own settings.
    fn validate(&self) -> Result<()>;
}

impl Architecture for MlpConfig {
    fn label(&self) -> &'static str {
        "mlp"
    }
    fn train_config(&self) -> &TrainConfig {
        &self.train
    }
    fn build(&self, rng: &mut ChaCha8Rng) -> Result<Box<dyn Network>> {
        Ok(Box::new(mlp::Mlp::new(self.train.lags, self.hidden, rng)?))
    }
    fn validate(&self) -> Result<()> {
        if self.hidden == 0 {
            return Err(Error::Config("mlp: hidden must be at least 1".into()));
        }
        self.train.validate("mlp")
    }
}

impl Architecture for LstmConfig {
    fn label(&self) -> &'static str {
        "lstm"
    }
    fn train_config(&self) -> &TrainConfig {
        &self.train
    }
    fn build(&self, rng: &mut ChaCha8Rng) -> Result<Box<dyn Network>> {
        Ok(Box::new(lstm::Lstm::new(self.hidden, rng)?))
    }
    fn validate(&self) -> Result<()> {
        if self.hidden == 0 {
            return Err(Error::Config("lstm: hidden must be at least 1".into()));
        }
        self.train.validate("lstm")
    }
}

/// A fitted network with what it needs to forecast.
struct Fitted {
    net: Box<dyn Network>,
    scaler: Scaler,
    /// The last `lags` raw changes, oldest first.
    recent: Vec<f64>,
    last_level: f64,
    info: NeuralFit,
}

/// A neural forecaster of architecture `A` (see the module docs).
pub struct NeuralForecaster<A: Architecture> {
    config: A,
    optimizer: Option<Arc<OptimizerFactory>>,
    fitted: Option<Fitted>,
}

/// The MLP forecaster.
pub type MlpForecaster = NeuralForecaster<MlpConfig>;
/// The LSTM forecaster.
pub type LstmForecaster = NeuralForecaster<LstmConfig>;

impl<A: Architecture> NeuralForecaster<A> {
    /// An unfitted forecaster; trains with Adam at the configured learning rate.
    pub fn new(config: A) -> Result<Self> {
        config.validate()?;
        Ok(Self {
            config,
            optimizer: None,
            fitted: None,
        })
    }

    /// Trains with another optimiser (e.g. a learned one) instead of Adam.
    pub fn with_optimizer(mut self, factory: Arc<OptimizerFactory>) -> Self {
        self.optimizer = Some(factory);
        self
    }

    /// What the last fit did (epochs, validation loss), once `fit` has run.
    pub fn fit_info(&self) -> Option<NeuralFit> {
        self.fitted.as_ref().map(|f| f.info)
    }

    fn predict_scaled(&self, fitted: &Fitted, recent: &[f64]) -> Result<f64> {
        let window: Vec<f32> = recent.iter().map(|&v| fitted.scaler.scale(v)).collect();
        let x = Tensor::from_vec(window, (1, recent.len()), &Device::Cpu)?;
        let out = fitted.net.forward(&x)?.to_vec1::<f32>()?;
        let change = fitted.scaler.unscale(out[0]);
        if !change.is_finite() {
            return Err(Error::FitFailed {
                model: self.config.label().into(),
                detail: "the network produced a non-finite forecast".into(),
            });
        }
        Ok(change)
    }
}

impl<A: Architecture> Forecaster for NeuralForecaster<A> {
    fn name(&self) -> &str {
        self.config.label()
    }

    fn fit(&mut self, history: &[f64]) -> Result<()> {
        let label = self.config.label();
        check_len(label, history, self.min_history())?;
        check_finite(label, history)?;
        let cfg = self.config.train_config().clone();
        let changes: Vec<f64> = history.windows(2).map(|p| p[1] - p[0]).collect();
        let scaler = Scaler::fit(&changes);
        let z: Vec<f32> = changes.iter().map(|&v| scaler.scale(v)).collect();
        let windows = Windows::from_scaled(&z, cfg.lags);
        let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
        let net = self.config.build(&mut rng)?;
        let lr = cfg.learning_rate;
        let default_factory = move |vars| adam(vars, lr);
        let factory: &OptimizerFactory = match &self.optimizer {
            Some(f) => f.as_ref(),
            None => &default_factory,
        };
        let settings = LoopSettings {
            epochs: cfg.epochs,
            batch_size: cfg.batch_size,
            patience: cfg.patience,
            val_frac: cfg.val_frac,
            seed: cfg.seed,
        };
        let info = train::train(net.as_ref(), &windows, settings, factory)?;
        if !info.best_val_loss.is_finite() {
            return Err(Error::FitFailed {
                model: label.into(),
                detail: "training diverged (non-finite validation loss)".into(),
            });
        }
        self.fitted = Some(Fitted {
            net,
            scaler,
            recent: changes[changes.len() - cfg.lags..].to_vec(),
            last_level: history[history.len() - 1],
            info,
        });
        Ok(())
    }

    fn append(&mut self, y: f64) -> Result<()> {
        check_append(self.config.label(), y)?;
        let fitted = self
            .fitted
            .as_mut()
            .ok_or_else(|| Error::NotFitted(self.config.label().into()))?;
        fitted.recent.remove(0);
        fitted.recent.push(y - fitted.last_level);
        fitted.last_level = y;
        Ok(())
    }

    fn forecast(&self, horizon: usize) -> Result<Vec<f64>> {
        let fitted = self
            .fitted
            .as_ref()
            .ok_or_else(|| Error::NotFitted(self.config.label().into()))?;
        let mut recent = fitted.recent.clone();
        let mut level = fitted.last_level;
        let mut out = Vec::with_capacity(horizon);
        for _ in 0..horizon {
            let change = self.predict_scaled(fitted, &recent)?;
            level += change;
            out.push(level);
            recent.remove(0);
            recent.push(change);
        }
        Ok(out)
    }

    fn min_history(&self) -> usize {
        self.config.train_config().lags + TrainConfig::MIN_WINDOWS + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seasonal(n: usize) -> Vec<f64> {
        (0..n)
            .map(|t| 10.0 + 0.05 * t as f64 + 3.0 * (t as f64 * std::f64::consts::TAU / 12.0).sin())
            .collect()
    }

    fn quick<A: Architecture>(mut config: A, edit: impl Fn(&mut A)) -> NeuralForecaster<A> {
        edit(&mut config);
        NeuralForecaster::new(config).unwrap()
    }

    /// On a noiseless seasonal series both networks beat the naive forecast by far, and the
    /// same seed reproduces the same forecast exactly.
    #[test]
    fn networks_learn_a_seasonal_pattern_reproducibly() {
        let y = seasonal(400);
        let (train, test) = y.split_at(388);
        let naive_mse: f64 = test
            .iter()
            .map(|v| (v - train[train.len() - 1]).powi(2))
            .sum::<f64>()
            / 12.0;
        let mut mlp = quick(MlpConfig::default(), |c| c.train.lags = 12);
        let mut lstm = quick(LstmConfig::default(), |c| c.train.lags = 12);
        for model in [&mut mlp as &mut dyn Forecaster, &mut lstm] {
            model.fit(train).unwrap();
            let f = model.forecast(12).unwrap();
            let mse: f64 = f
                .iter()
                .zip(test)
                .map(|(a, b)| (a - b).powi(2))
                .sum::<f64>()
                / 12.0;
            assert!(
                mse < 0.1 * naive_mse,
                "{}: mse {mse} vs naive {naive_mse}",
                model.name()
            );
        }
        let mut again = quick(MlpConfig::default(), |c| c.train.lags = 12);
        again.fit(train).unwrap();
        assert_eq!(again.forecast(5).unwrap(), mlp.forecast(5).unwrap());
        assert!(mlp.fit_info().unwrap().epochs_run >= 1);
    }

    /// A replacement optimiser gets the variables in candle's layout (weights `[out, in]`,
    /// 1-D biases), so it can read each weight matrix's fan-in from its second dimension.
    #[test]
    fn a_replacement_optimizer_gets_each_weight_matrix_fan_in() {
        use std::sync::Mutex;
        type Seen = Vec<(Vec<usize>, Option<usize>)>;
        let record = |seen: Arc<Mutex<Seen>>| -> Arc<OptimizerFactory> {
            Arc::new(move |vars: Vec<candle_core::Var>| {
                let mut seen = seen.lock().expect("not poisoned");
                for v in &vars {
                    let fan_in = match v.dims() {
                        [_, fan_in] => Some(*fan_in),
                        _ => None,
                    };
                    seen.push((v.dims().to_vec(), fan_in));
                }
                adam(vars, 1e-2)
            })
        };
        let y = seasonal(200);
        let h = LstmConfig::default().hidden;
        let want_mlp = vec![
            (vec![8, 12], Some(12)),
            (vec![8], None),
            (vec![1, 8], Some(8)),
            (vec![1], None),
        ];
        let want_lstm = vec![
            (vec![4 * h, 1], Some(1)),
            (vec![4 * h, h], Some(h)),
            (vec![4 * h], None),
            (vec![1, h], Some(h)),
            (vec![1], None),
        ];
        let seen = Arc::new(Mutex::new(Vec::new()));
        let mut mlp = quick(MlpConfig::default(), |c| {
            c.hidden = 8;
            c.train.lags = 12;
            c.train.epochs = 2;
        })
        .with_optimizer(record(seen.clone()));
        mlp.fit(&y).unwrap();
        assert_eq!(*seen.lock().unwrap(), want_mlp);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let mut lstm = quick(LstmConfig::default(), |c| {
            c.train.lags = 12;
            c.train.epochs = 2;
        })
        .with_optimizer(record(seen.clone()));
        lstm.fit(&y).unwrap();
        assert_eq!(*seen.lock().unwrap(), want_lstm);
    }

    #[test]
    fn bad_settings_and_short_history_are_errors() {
        assert!(MlpForecaster::new(MlpConfig {
            hidden: 0,
            ..MlpConfig::default()
        })
        .is_err());
        let mut c = LstmConfig::default();
        c.train.val_frac = 0.7;
        assert!(LstmForecaster::new(c).is_err());
        let mut m = MlpForecaster::new(MlpConfig::default()).unwrap();
        assert!(matches!(m.fit(&[1.0; 10]), Err(Error::TooShort { .. })));
        assert!(matches!(m.forecast(1), Err(Error::NotFitted(_))));
    }
}
