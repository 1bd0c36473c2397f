//! A global forecaster: one MLP trained across many series (the lesson of M4's ES-RNN and
//! of N-BEATS: on panels of related series a shared model beats per-series ones). It maps
//! the last `input` values of a series, divided by their mean, to the next `horizon` values
//! on the same scale, trained with an L1 loss on windows drawn from every series' history.

use candle_core::{Device, Tensor};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};
use metablend_nn::{Activation, Mlp};

/// Settings of [`GlobalMlp`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GlobalMlpConfig {
    /// Input window length (values before the forecast origin).
    pub input: usize,
    /// Width of each of the hidden ReLU layers.
    pub hidden: usize,
    /// Number of hidden layers.
    pub layers: usize,
    /// Adam steps.
    pub steps: usize,
    /// Windows per step.
    pub batch_size: usize,
    /// Adam learning rate (decayed linearly to a tenth over the steps).
    pub learning_rate: f64,
    /// Networks averaged (each with its own seed).
    pub members: usize,
    /// Seed of the first member.
    pub seed: u64,
}

impl Default for GlobalMlpConfig {
    fn default() -> Self {
        Self {
            input: 168,
            hidden: 256,
            layers: 2,
            steps: 2000,
            batch_size: 256,
            learning_rate: 1e-3,
            members: 1,
            seed: 0,
        }
    }
}

impl GlobalMlpConfig {
    fn validate(&self) -> Result<()> {
        if self.input == 0
            || self.hidden == 0
            || self.layers == 0
            || self.steps == 0
            || self.batch_size == 0
            || self.members == 0
            || !(self.learning_rate > 0.0 && self.learning_rate.is_finite())
        {
            return Err(Error::Config(format!(
                "global MLP: every size, the step count and the learning rate must be positive ({self:?})"
            )));
        }
        Ok(())
    }
}

/// One member: ReLU hidden layers, a linear output.
fn member(sizes: &[usize], rng: &mut ChaCha8Rng) -> metablend_nn::Result<Mlp> {
    Mlp::uniform(sizes, Activation::Relu, rng, &Device::Cpu)
}

/// A trained global MLP.
pub struct GlobalMlp {
    config: GlobalMlpConfig,
    horizon: usize,
    nets: Vec<Mlp>,
}

/// The scaled input window ending at `end` (exclusive), left-padded with the first value,
/// and its level.
fn window(y: &[f64], end: usize, len: usize) -> (Vec<f32>, f64) {
    let values: Vec<f64> = (0..len)
        .map(|i| {
            let idx = end as isize - len as isize + i as isize;
            y[idx.max(0) as usize]
        })
        .collect();
    let mean = values.iter().sum::<f64>() / len as f64;
    let level = if mean.abs() > 1e-8 {
        mean
    } else {
        values.iter().map(|v| v.abs()).sum::<f64>() / len as f64 + 1e-8
    };
    (
        values.iter().map(|v| (v / level - 1.0) as f32).collect(),
        level,
    )
}

impl GlobalMlp {
    /// Trains on windows from every series in `histories` (each at least `horizon + 1`
    /// values; all finite). Deterministic for a given config.
    pub fn fit(config: GlobalMlpConfig, histories: &[&[f64]], horizon: usize) -> Result<Self> {
        config.validate()?;
        if horizon == 0 {
            return Err(Error::Config("global MLP: horizon 0".into()));
        }
        let usable: Vec<&[f64]> = histories
            .iter()
            .copied()
            .filter(|y| y.len() > horizon)
            .collect();
        if usable.is_empty() {
            return Err(Error::TooShort {
                model: "global_mlp".into(),
                needed: horizon + 1,
                got: histories.iter().map(|y| y.len()).max().unwrap_or(0),
            });
        }
        for (i, y) in histories.iter().enumerate() {
            if let Some(t) = y.iter().position(|v| !v.is_finite()) {
                return Err(Error::InvalidInput(format!(
                    "global MLP: series {i} has a non-finite value at index {t}"
                )));
            }
        }
        let mut sizes = vec![config.input];
        sizes.extend(std::iter::repeat_n(config.hidden, config.layers));
        sizes.push(horizon);
        let nets = (0..config.members)
            .map(|member| {
                let seed = config.seed.wrapping_add(member as u64);
                train_member(&config, &sizes, &usable, horizon, seed)
            })
            .collect::<Result<_>>()?;
        Ok(Self {
            config,
            horizon,
            nets,
        })
    }

    /// Forecasts the next `horizon` values after each history (one batch).
    pub fn forecast(&self, histories: &[&[f64]]) -> Result<Vec<Vec<f64>>> {
        let l = self.config.input;
        let mut x = Vec::with_capacity(histories.len() * l);
        let mut levels = Vec::with_capacity(histories.len());
        for (i, y) in histories.iter().enumerate() {
            if y.is_empty() {
                return Err(Error::InvalidInput(format!(
                    "global MLP: series {i} is empty"
                )));
            }
            let (w, level) = window(y, y.len(), l);
            x.extend(w);
            levels.push(level);
        }
        let n = histories.len();
        let input = Tensor::from_vec(x, (n, l), &Device::Cpu)?;
        let mut sum = vec![0.0f64; n * self.horizon];
        for net in &self.nets {
            let out: Vec<f32> = net.forward(&input)?.flatten_all()?.to_vec1()?;
            for (s, o) in sum.iter_mut().zip(out) {
                *s += f64::from(o);
            }
        }
        let members = self.nets.len() as f64;
        Ok((0..n)
            .map(|i| {
                (0..self.horizon)
                    .map(|k| levels[i] * (1.0 + sum[i * self.horizon + k] / members))
                    .collect()
            })
            .collect())
    }
}

fn train_member(
    config: &GlobalMlpConfig,
    sizes: &[usize],
    histories: &[&[f64]],
    horizon: usize,
    seed: u64,
) -> Result<Mlp> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let net = member(sizes, &mut rng)?;
    let mut opt = AdamW::new(
        net.vars(),
        ParamsAdamW {
            lr: config.learning_rate,
            weight_decay: 0.0,
            ..ParamsAdamW::default()
        },
    )?;
    let (b, l) = (config.batch_size, config.input);
    let mut x = Vec::with_capacity(b * l);
    let mut t = Vec::with_capacity(b * horizon);
    for step in 0..config.steps {
        x.clear();
        t.clear();
        for _ in 0..b {
            let y = histories[rng.random_range(0..histories.len())];
            let end = rng.random_range(1..=y.len() - horizon);
            let (w, level) = window(y, end, l);
            x.extend(w);
            t.extend(
                y[end..end + horizon]
                    .iter()
                    .map(|v| (v / level - 1.0) as f32),
            );
        }
        let xt = Tensor::from_slice(&x, (b, l), &Device::Cpu)?;
        let tt = Tensor::from_slice(&t, (b, horizon), &Device::Cpu)?;
        let loss = (net.forward(&xt)? - tt)?.abs()?.mean_all()?;
        let progress = step as f64 / config.steps as f64;
        opt.set_learning_rate(config.learning_rate * (1.0 - 0.9 * progress));
        opt.backward_step(&loss)?;
    }
    Ok(net)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_a_shared_seasonal_shape_across_series() {
        let series: Vec<Vec<f64>> = (0..8)
            .map(|s| {
                (0..200)
                    .map(|t| (10.0 + s as f64) * (1.0 + 0.3 * ((t % 12) as f64 * 0.52).sin()))
                    .collect()
            })
            .collect();
        let refs: Vec<&[f64]> = series.iter().map(|s| &s[..188]).collect();
        let config = GlobalMlpConfig {
            input: 24,
            hidden: 32,
            steps: 400,
            batch_size: 32,
            ..GlobalMlpConfig::default()
        };
        let model = GlobalMlp::fit(config.clone(), &refs, 12).unwrap();
        let f = model.forecast(&refs).unwrap();
        let mut err = 0.0;
        let mut naive = 0.0;
        for (s, fc) in series.iter().zip(&f) {
            for (k, v) in fc.iter().enumerate() {
                err += (v - s[188 + k]).abs();
                naive += (s[187] - s[188 + k]).abs();
            }
        }
        assert!(err < 0.2 * naive, "global MLP {err} vs naive {naive}");
        // Deterministic.
        let again = GlobalMlp::fit(config, &refs, 12)
            .unwrap()
            .forecast(&refs)
            .unwrap();
        assert_eq!(f, again);
        assert!(GlobalMlp::fit(GlobalMlpConfig::default(), &[&[1.0, 2.0][..]], 12).is_err());
    }
}
