//! Generalised advantage estimation (Schulman et al. 2016), with SB3's handling of episode
//! ends: no bootstrap after termination, bootstrap from V(final obs) after truncation.

/// Per-step inputs for GAE over a rollout laid out step-major (`index = t * n_envs + e`).
#[derive(Debug, Clone, Copy)]
pub struct GaeInputs<'a> {
    /// Rewards.
    pub rewards: &'a [f32],
    /// V(s_t) for each step.
    pub values: &'a [f32],
    /// Whether the episode ended on this step (terminated or truncated).
    pub episode_ends: &'a [bool],
    /// V(final observation) where the episode was truncated on this step, else 0. This is how
    /// a time-limit or end-of-data cut is told apart from a real terminal state.
    pub truncation_values: &'a [f32],
    /// V(s_T) of the observation after the rollout, per env.
    pub last_values: &'a [f32],
    /// Number of envs.
    pub n_envs: usize,
}

/// Returns `(advantages, returns)` with `returns = advantages + values`:
///
/// `delta_t = r_t + gamma * V_next - V(s_t)`, `A_t = delta_t + gamma * lambda * c_t * A_{t+1}`
///
/// where `V_next` is `V(s_{t+1})` inside an episode, `V(final obs)` after a truncation and 0
/// after a termination, and `c_t = 0` when the episode ended at `t`, else 1
/// (SB3 `RolloutBuffer.compute_returns_and_advantage` plus its timeout bootstrap).
pub fn compute_gae(inp: &GaeInputs<'_>, gamma: f32, lambda: f32) -> (Vec<f32>, Vec<f32>) {
    let n = inp.rewards.len();
    let e = inp.n_envs;
    let mut adv = vec![0.0f32; n];
    for env in 0..e {
        let mut next_adv = 0.0f32;
        let steps = n / e;
        for t in (0..steps).rev() {
            let i = t * e + env;
            let (next_value, carry) = if inp.episode_ends[i] {
                (inp.truncation_values[i], 0.0)
            } else if t + 1 == steps {
                (inp.last_values[env], 1.0)
            } else {
                (inp.values[i + e], 1.0)
            };
            let delta = inp.rewards[i] + gamma * next_value - inp.values[i];
            next_adv = delta + gamma * lambda * carry * next_adv;
            adv[i] = next_adv;
        }
    }
    let returns = adv.iter().zip(inp.values).map(|(a, v)| a + v).collect();
    (adv, returns)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(r: &[f32], v: &[f32], ends: &[bool], tv: &[f32], last: f32, g: f32, l: f32) -> Vec<f32> {
        compute_gae(
            &GaeInputs {
                rewards: r,
                values: v,
                episode_ends: ends,
                truncation_values: tv,
                last_values: &[last],
                n_envs: 1,
            },
            g,
            l,
        )
        .0
    }

    #[test]
    fn terminated_rollout_does_not_bootstrap() {
        // Episode of 3 steps ending terminated; gamma 0.5, lambda 1 (Monte-Carlo advantages).
        let adv = run(
            &[1.0, 1.0, 1.0],
            &[0.5, 0.25, 0.125],
            &[false, false, true],
            &[0.0; 3],
            99.0,
            0.5,
            1.0,
        );
        // Returns: 1 + .5 + .25 = 1.75; 1 + .5 = 1.5; 1.
        assert_eq!(adv, vec![1.75 - 0.5, 1.5 - 0.25, 1.0 - 0.125]);
    }

    #[test]
    fn truncated_episode_bootstraps_value_of_the_final_observation() {
        // The last step is truncated with V(final obs) = 4; the rollout's last value (99)
        // belongs to the next episode and must not be used.
        let adv = run(
            &[1.0, 1.0],
            &[0.0, 0.0],
            &[false, true],
            &[0.0, 4.0],
            99.0,
            0.5,
            1.0,
        );
        assert_eq!(adv, vec![1.0 + 0.5 * (1.0 + 0.5 * 4.0), 1.0 + 0.5 * 4.0]);
    }

    #[test]
    fn episode_boundary_inside_the_rollout_cuts_the_trace() {
        // Steps 0-1: episode A, terminated at 1. Steps 2-3: episode B, cut by the rollout end
        // (bootstrap from last value 2). gamma 1, lambda 0.5.
        let v = [1.0, 2.0, 3.0, 4.0];
        let adv = run(
            &[0.0, 10.0, 0.0, 1.0],
            &v,
            &[false, true, false, false],
            &[0.0; 4],
            2.0,
            1.0,
            0.5,
        );
        let d3 = 1.0 + 2.0 - 4.0; // -1
        let d2 = 0.0 + 4.0 - 3.0; // 1
        let d1 = 10.0 - 2.0; // terminal: 8
        let d0 = 0.0 + 2.0 - 1.0; // 1
        let want = [d0 + 0.5 * d1, d1, d2 + 0.5 * d3, d3];
        assert_eq!(adv, want.to_vec());
    }

    #[test]
    fn envs_are_independent_in_the_step_major_layout() {
        // Two envs interleaved: env 0 terminates at t = 0, env 1 does not.
        let (adv, ret) = compute_gae(
            &GaeInputs {
                rewards: &[1.0, 2.0, 3.0, 4.0],
                values: &[0.0; 4],
                episode_ends: &[true, false, false, false],
                truncation_values: &[0.0; 4],
                last_values: &[10.0, 20.0],
                n_envs: 2,
            },
            1.0,
            1.0,
        );
        assert_eq!(adv, vec![1.0, 2.0 + 4.0 + 20.0, 3.0 + 10.0, 4.0 + 20.0]);
        assert_eq!(adv, ret);
    }
}
