//! The rollout buffer: one rollout of `n_steps x n_envs` transitions, step-major.

/// Transitions of one rollout, indexed `t * n_envs + e`.
#[derive(Debug, Clone, Default)]
pub struct RolloutBuffer {
    /// Observations (f32), `obs_dim` per transition.
    pub obs: Vec<f32>,
    /// Raw policy actions, `action_dim` per transition.
    pub actions: Vec<f32>,
    /// Behaviour log-probabilities.
    pub log_probs: Vec<f32>,
    /// V(s_t).
    pub values: Vec<f32>,
    /// Rewards.
    pub rewards: Vec<f32>,
    /// The episode ended on this step.
    pub episode_ends: Vec<bool>,
    /// V(final obs) when the episode was truncated on this step, else 0.
    pub truncation_values: Vec<f32>,
    /// Advantages (after GAE).
    pub advantages: Vec<f32>,
    /// Returns (after GAE).
    pub returns: Vec<f32>,
    /// Observation size.
    pub obs_dim: usize,
    /// Stored action size.
    pub action_dim: usize,
}

impl RolloutBuffer {
    /// An empty buffer with room for `capacity` transitions.
    pub fn new(capacity: usize, obs_dim: usize, action_dim: usize) -> Self {
        Self {
            obs: Vec::with_capacity(capacity * obs_dim),
            actions: Vec::with_capacity(capacity * action_dim),
            log_probs: Vec::with_capacity(capacity),
            values: Vec::with_capacity(capacity),
            rewards: Vec::with_capacity(capacity),
            episode_ends: Vec::with_capacity(capacity),
            truncation_values: Vec::with_capacity(capacity),
            advantages: Vec::new(),
            returns: Vec::new(),
            obs_dim,
            action_dim,
        }
    }

    /// Empties the buffer, keeping its memory.
    pub fn clear(&mut self) {
        self.obs.clear();
        self.actions.clear();
        self.log_probs.clear();
        self.values.clear();
        self.rewards.clear();
        self.episode_ends.clear();
        self.truncation_values.clear();
        self.advantages.clear();
        self.returns.clear();
    }

    /// Number of transitions stored.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// `1 - Var(returns - values) / Var(returns)`: how much of the return variance the value
/// function explains (SB3's `explained_variance`; NaN when the returns are constant).
pub fn explained_variance(values: &[f32], returns: &[f32]) -> f64 {
    let n = returns.len() as f64;
    let var = |xs: &mut dyn Iterator<Item = f64>| {
        let v: Vec<f64> = xs.collect();
        let m = v.iter().sum::<f64>() / n;
        v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n
    };
    let var_y = var(&mut returns.iter().map(|&r| r as f64));
    if var_y == 0.0 {
        return f64::NAN;
    }
    let var_res = var(&mut returns.iter().zip(values).map(|(&r, &v)| (r - v) as f64));
    1.0 - var_res / var_y
}
