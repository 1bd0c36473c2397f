//! `EnsembleEnv`: one step per time index; action = combination weights.

use super::stats::SeriesStats;
use super::{
    ActionMap, EnsembleEnvConfig, EpisodeStart, FeatureContext, FeatureFn, NegSquaredError,
    Predictions, PredictionsPanel, RewardContext, RewardFn, Softmax,
};
use crate::envs::EnvRng;
use crate::{BoxSpace, Env, EpisodeGuard, Error, Info, InfoLayout, Result, Snapshot, Space, Step};
use rand::Rng;
use std::sync::Arc;

/// Lower bound of block B in log mode: RMSEs below `1e-8` scale units are floored there.
const LOG_RMSE_FLOOR: f64 = 1e-8;

/// The ensemble-weighting env of DESIGN.md.
///
/// At step `t` the agent sees (all built from `target[..t]` and `pred[..=t]`, scaled by `s_t`,
/// the RMS of the last W one-step changes of the target):
/// block A, each model's predicted move `(pred[t][k] - target[t-1]) / s_t`;
/// block B, each model's RMSE over the last W steps `/ s_t` (or its `ln`);
/// block C, each model's last error `(pred[t-1][k] - target[t-1]) / s_t`;
/// block D, the previous weights; block F, the built-in context features the config asks for
/// ([`super::ContextFeatures`]: seasonal phase, same-phase errors, disagreement); block E,
/// optional user features.
/// The action becomes weights `w` through the [`ActionMap`] `M`; the forecast is
/// `sum_k w_k pred[t][k]`; the reward comes from the [`RewardFn`]; `info` has `forecast`,
/// `target`, `error`, `scale`, `t`, `series` and the vector `weights`.
///
/// Episodes are truncated (never terminated) after `episode_len` steps or at the end of the
/// range. When the range ends at the end of the data, the final observation (used only for
/// bootstrapping) has block A set to 0: there are no predictions past the data.
///
/// Cloning is cheap: data, statistics, reward and features are shared (`Arc`), so a vector env
/// of many copies holds one copy of the data.
#[derive(Clone)]
pub struct EnsembleEnv<M: ActionMap = Softmax> {
    data: Arc<PredictionsPanel>,
    stats: Arc<Vec<SeriesStats>>,
    config: EnsembleEnvConfig,
    map: M,
    reward: Arc<dyn RewardFn>,
    features: Option<Arc<dyn FeatureFn>>,
    selection: Vec<usize>,
    ranges: Vec<(usize, usize)>,
    obs_space: BoxSpace,
    act_space: M::Space,
    rng: Option<EnvRng>,
    guard: EpisodeGuard,
    next_series: usize,
    // Episode state.
    series: usize,
    t: usize,
    episode_end: usize,
    weights: Vec<f64>,
    prev_weights: Vec<f64>,
    prev_forecast: Option<f64>,
    scale: f64,
    log_rmse: Vec<f64>,
    rmse_scaled: Vec<f64>,
    /// The keys of every step's info, built once.
    info_layout: Arc<InfoLayout>,
}

impl<M: ActionMap> std::fmt::Debug for EnsembleEnv<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnsembleEnv")
            .field("series", &self.data.len())
            .field("models", &self.data.model_names())
            .field("config", &self.config)
            .field("action_map", &self.map.kind())
            .finish_non_exhaustive()
    }
}

impl EnsembleEnv<Softmax> {
    /// An env over one series with the default (softmax) action map.
    pub fn single(data: Predictions, config: EnsembleEnvConfig) -> Result<Self> {
        Self::new(
            Arc::new(PredictionsPanel::new(vec![data])?),
            config,
            Softmax,
        )
    }
}

impl<M: ActionMap> EnsembleEnv<M> {
    /// An env over a panel (one series is a panel of one), with reward
    /// [`NegSquaredError`] and no user features. Validates the config against the data:
    /// every selected series must contain its range, and the range must start at
    /// `window + 1` or later.
    pub fn new(data: Arc<PredictionsPanel>, config: EnsembleEnvConfig, map: M) -> Result<Self> {
        config.validate()?;
        let w = config.window;
        let selection = config
            .series
            .clone()
            .unwrap_or_else(|| (0..data.len()).collect());
        let mut ranges = Vec::with_capacity(selection.len());
        for &i in &selection {
            let s = data.series().get(i).ok_or_else(|| {
                Error::InvalidConfig(format!(
                    "series index {i} is out of range (the panel has {})",
                    data.len()
                ))
            })?;
            let name = s
                .id()
                .map(|id| format!("series '{id}'"))
                .unwrap_or(format!("series {i}"));
            let start = config.range_start.unwrap_or(w + 1);
            let end = config.range_end.unwrap_or(s.len());
            if start < w + 1 {
                return Err(Error::InvalidConfig(format!(
                    "{name}: range_start {start} is before window + 1 = {} (the first step with a full window)",
                    w + 1
                )));
            }
            if end > s.len() || start >= end {
                return Err(Error::InvalidConfig(format!(
                    "{name}: range [{start}, {end}) is empty or exceeds the series length {} (window {w})",
                    s.len()
                )));
            }
            ranges.push((start, end));
        }
        let k = data.model_names().len();
        let stats = Arc::new(data.series().iter().map(SeriesStats::new).collect());
        let act_space = map.space(k);
        let mut env = Self {
            obs_space: BoxSpace::new(vec![], vec![])?,
            act_space,
            data,
            stats,
            config,
            map,
            reward: Arc::new(NegSquaredError),
            features: None,
            selection,
            ranges,
            rng: None,
            guard: EpisodeGuard::NotReset,
            next_series: 0,
            series: 0,
            t: 0,
            episode_end: 0,
            weights: vec![1.0 / k as f64; k],
            prev_weights: vec![1.0 / k as f64; k],
            prev_forecast: None,
            scale: 1.0,
            log_rmse: vec![0.0; k],
            rmse_scaled: vec![0.0; k],
            info_layout: Arc::new(
                ["t", "series", "forecast", "target", "error", "scale"]
                    .into_iter()
                    .fold(InfoLayout::new(), InfoLayout::scalar)
                    .vector("weights", k),
            ),
        };
        env.obs_space = env.build_obs_space()?;
        Ok(env)
    }

    /// Replaces the reward (any [`RewardFn`], including a closure).
    pub fn with_reward(mut self, reward: impl RewardFn + 'static) -> Self {
        self.reward = Arc::new(reward);
        self
    }

    /// Replaces the reward with a boxed one (e.g. from [`super::RewardSpec::build`]).
    pub fn with_boxed_reward(mut self, reward: Box<dyn RewardFn>) -> Self {
        self.reward = Arc::from(reward);
        self
    }

    /// Adds block E, the user features.
    pub fn with_features(mut self, features: impl FeatureFn + 'static) -> Result<Self> {
        self.features = Some(Arc::new(features));
        self.obs_space = self.build_obs_space()?;
        Ok(self)
    }

    /// The data.
    pub fn data(&self) -> &Arc<PredictionsPanel> {
        &self.data
    }

    /// The config.
    pub fn config(&self) -> &EnsembleEnvConfig {
        &self.config
    }

    /// The action map.
    pub fn action_map(&self) -> &M {
        &self.map
    }

    /// Number of models K.
    pub fn num_models(&self) -> usize {
        self.weights.len()
    }

    /// The time index of the next decision.
    pub fn current_t(&self) -> usize {
        self.t
    }

    /// Index (in the panel) of the current episode's series.
    pub fn current_series(&self) -> usize {
        self.series
    }

    /// Number of series the env draws from.
    pub fn num_selected_series(&self) -> usize {
        self.selection.len()
    }

    /// Runs `policy` (deterministically when asked) for one episode from `reset(seed)` and
    /// returns each step's `(t, forecast, weights)`: with an evaluation config
    /// ([`EnsembleEnvConfig::evaluation`]) that is the policy's forecast over the whole range,
    /// ready for metrics.
    pub fn forecast_episode<P>(
        &mut self,
        policy: &mut P,
        deterministic: bool,
        seed: Option<u64>,
    ) -> Result<Vec<(usize, f64, Vec<f64>)>>
    where
        P: crate::Policy<Self> + ?Sized,
    {
        let (mut obs, _) = self.reset(seed)?;
        let mut out = Vec::new();
        loop {
            let t = self.t;
            let action = policy.act(&obs, deterministic)?;
            let step = self.step(&action)?;
            out.push((
                t,
                step.info.get("forecast").unwrap_or(f64::NAN),
                self.prev_weights.clone(),
            ));
            obs = step.obs;
            if step.terminated || step.truncated {
                return Ok(out);
            }
        }
    }

    fn build_obs_space(&self) -> Result<BoxSpace> {
        let k = self.num_models();
        let e = self.features.as_ref().map_or(0, |f| f.dim());
        let inf = f64::INFINITY;
        let b_low = if self.config.log_rmse {
            LOG_RMSE_FLOOR.ln()
        } else {
            0.0
        };
        let context = self.config.context.bounds(k, b_low);
        let mut low = Vec::with_capacity(4 * k + context.len() + e);
        let mut high = Vec::with_capacity(4 * k + context.len() + e);
        for (lo, hi) in [(-inf, inf), (b_low, inf), (-inf, inf), (0.0, 1.0)] {
            low.extend(std::iter::repeat_n(lo, k));
            high.extend(std::iter::repeat_n(hi, k));
        }
        for (lo, hi) in context {
            low.push(lo);
            high.push(hi);
        }
        low.extend(std::iter::repeat_n(-inf, e));
        high.extend(std::iter::repeat_n(inf, e));
        BoxSpace::new(low, high)
    }

    /// Computes `s_t` and the models' recent RMSE at the current `t`, then the observation.
    fn observe(&mut self) -> Result<Vec<f64>> {
        let mut obs = Vec::new();
        self.observe_into(&mut obs)?;
        Ok(obs)
    }

    /// [`Self::observe`] into `obs`, reusing its allocation.
    fn observe_into(&mut self, obs: &mut Vec<f64>) -> Result<()> {
        let (t, w, k) = (self.t, self.config.window, self.num_models());
        let data = &self.data.series()[self.series];
        let stats = &self.stats[self.series];
        let last = data.target()[t - 1];
        self.scale = stats.rms_diff(t, w) + self.config.scale_epsilon * last.abs() + 1e-12;
        let inv_scale = 1.0 / self.scale;
        let inv_w = 1.0 / w as f64;
        let need_log = self.config.log_rmse || self.map.uses_log_rmse();
        // One pass over row slices, writing blocks A-D into a buffer of the final size: the
        // step's hot loop, kept free of per-element capacity and index checks.
        obs.clear();
        obs.resize(self.obs_space.dim(), 0.0);
        let (a, rest) = obs.split_at_mut(k);
        let (b, rest) = rest.split_at_mut(k);
        let (c, rest) = rest.split_at_mut(k);
        let d = &mut rest[..k];
        let (now, before) = stats.err_sq_rows(t, w);
        let prev_row = data.pred(t - 1);
        for j in 0..k {
            let r = ((now[j] - before[j]).max(0.0) * inv_w).sqrt() * inv_scale;
            self.rmse_scaled[j] = r;
            if need_log {
                self.log_rmse[j] = r.max(LOG_RMSE_FLOOR).ln();
            }
            b[j] = if self.config.log_rmse {
                self.log_rmse[j]
            } else {
                r
            };
            c[j] = (prev_row[j] - last) * inv_scale;
            d[j] = self.prev_weights[j];
        }
        // Block A stays 0 at t = T: no predictions exist past the data.
        if t < data.len() {
            for (aj, p) in a.iter_mut().zip(data.pred(t)) {
                *aj = (p - last) * inv_scale;
            }
        }
        let f_len = self.config.context.dim(k);
        if f_len > 0 {
            let block = &mut obs[4 * k..4 * k + f_len];
            let log_floor = self.config.log_rmse.then_some(LOG_RMSE_FLOOR);
            self.config
                .context
                .write(data, t, self.scale, log_floor, block);
        }
        if let Some(f) = &self.features {
            let start = 4 * k + f_len;
            let ctx = FeatureContext::new(data, t, self.scale, self.series);
            f.features(&ctx, &mut obs[start..]);
            if let Some(i) = obs[start..].iter().position(|v| !v.is_finite()) {
                return Err(Error::InvalidData(format!(
                    "user feature {i} is {} at t = {t} (series {})",
                    obs[start + i],
                    self.series
                )));
            }
        }
        Ok(())
    }
}

impl<M: ActionMap> Env for EnsembleEnv<M> {
    type Obs = Vec<f64>;
    type Act = <M::Space as Space>::Elem;
    type ObsSpace = BoxSpace;
    type ActSpace = M::Space;

    fn observation_space(&self) -> &BoxSpace {
        &self.obs_space
    }

    fn action_space(&self) -> &M::Space {
        &self.act_space
    }

    fn reset(&mut self, seed: Option<u64>) -> Result<(Vec<f64>, Info)> {
        if seed.is_some() {
            self.next_series = 0;
        }
        let rng = crate::envs::reseed(&mut self.rng, seed);
        let pick = match self.config.start {
            EpisodeStart::Random => rng.random_range(0..self.selection.len()),
            EpisodeStart::Beginning => {
                let i = self.next_series % self.selection.len();
                self.next_series = (self.next_series + 1) % self.selection.len();
                i
            }
        };
        let (start, end) = self.ranges[pick];
        let len = self.config.episode_len.unwrap_or(usize::MAX);
        let t0 = match self.config.start {
            EpisodeStart::Random => {
                let last_start = end.saturating_sub(len).max(start);
                rng.random_range(start..=last_start)
            }
            EpisodeStart::Beginning => start,
        };
        self.series = self.selection[pick];
        self.t = t0;
        self.episode_end = end.min(t0.saturating_add(len));
        let k = self.num_models();
        self.prev_weights.fill(1.0 / k as f64);
        self.prev_forecast = None;
        let obs = self.observe()?;
        self.guard = EpisodeGuard::Running;
        let mut info = Info::new();
        info.set("series", self.series as f64);
        info.set("t", t0 as f64);
        Ok((obs, info))
    }

    fn step(&mut self, action: &Self::Act) -> Result<Step<Vec<f64>>> {
        let mut obs = Vec::with_capacity(self.obs_space.dim());
        let step = self.step_into(action, &mut obs)?;
        Ok(step.map_obs(|()| obs))
    }

    fn step_into(&mut self, action: &Self::Act, obs: &mut Vec<f64>) -> Result<Step<()>> {
        self.guard.check_step()?;
        self.act_space.validate(action)?;
        let t = self.t;
        self.map.weights(action, &self.log_rmse, &mut self.weights);
        let data = &self.data.series()[self.series];
        let preds = data.pred(t);
        let forecast: f64 = self.weights.iter().zip(preds).map(|(w, p)| w * p).sum();
        let target = data.target()[t];
        let ctx = RewardContext {
            t,
            target,
            prev_target: data.target()[t - 1],
            history: &data.target()[..t],
            preds,
            weights: &self.weights,
            prev_weights: &self.prev_weights,
            forecast,
            prev_forecast: self.prev_forecast,
            scale: self.scale,
        };
        let reward = self.reward.reward(&ctx);
        if !reward.is_finite() {
            return Err(Error::InvalidData(format!(
                "the reward function returned {reward} at t = {t} (series {})",
                self.series
            )));
        }
        let mut info = Info::with_layout(&self.info_layout);
        info.push_values(&[
            t as f64,
            self.series as f64,
            forecast,
            target,
            forecast - target,
            self.scale,
        ]);
        info.push_values(&self.weights);
        self.prev_weights.copy_from_slice(&self.weights);
        self.prev_forecast = Some(forecast);
        self.t += 1;
        let truncated = self.t >= self.episode_end;
        self.observe_into(obs)?;
        self.guard.record(truncated);
        Ok(Step {
            obs: (),
            reward,
            terminated: false,
            truncated,
            info,
        })
    }
}

/// The episode state of an [`EnsembleEnv`] (the data, config and reward are not included:
/// restore into an env built from the same ones).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct EnsembleEnvSnapshot {
    guard: EpisodeGuard,
    rng: Option<EnvRng>,
    next_series: usize,
    series: usize,
    t: usize,
    episode_end: usize,
    prev_weights: Vec<f64>,
    prev_forecast: Option<f64>,
}

impl<M: ActionMap> Snapshot for EnsembleEnv<M> {
    type State = EnsembleEnvSnapshot;

    fn snapshot(&self) -> EnsembleEnvSnapshot {
        EnsembleEnvSnapshot {
            guard: self.guard,
            rng: self.rng.clone(),
            next_series: self.next_series,
            series: self.series,
            t: self.t,
            episode_end: self.episode_end,
            prev_weights: self.prev_weights.clone(),
            prev_forecast: self.prev_forecast,
        }
    }

    fn restore(&mut self, s: EnsembleEnvSnapshot) -> Result<()> {
        let fits = s.series < self.data.len()
            && s.prev_weights.len() == self.num_models()
            && s.t <= self.data.series()[s.series].len()
            && (s.guard == EpisodeGuard::NotReset || s.t > self.config.window);
        if !fits {
            return Err(Error::InvalidData(format!(
                "snapshot (series {}, t {}, {} weights) does not fit this env ({} series, {} models)",
                s.series,
                s.t,
                s.prev_weights.len(),
                self.data.len(),
                self.num_models()
            )));
        }
        self.guard = s.guard;
        self.rng = s.rng;
        self.next_series = s.next_series;
        self.series = s.series;
        self.t = s.t;
        self.episode_end = s.episode_end;
        self.prev_weights = s.prev_weights;
        self.prev_forecast = s.prev_forecast;
        if self.guard != EpisodeGuard::NotReset {
            // Recompute the scale and recent errors that the next step reads.
            self.observe()?;
        }
        Ok(())
    }
}
