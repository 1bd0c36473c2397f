//! `RescaleAction`: expose the action box as `[min, max]` and map it affinely.

use crate::{BoxSpace, Env, Error, Info, Result, Space, Step};

/// Maps actions from `[min_action, max_action]` affinely onto the wrapped env's bounded action
/// box, then clips (Gymnasium's `RescaleAction`). Typical use: a policy acting in `[-1, 1]`.
#[derive(Debug, Clone)]
pub struct RescaleAction<E> {
    env: E,
    space: BoxSpace,
    buf: Vec<f64>,
}

impl<E> RescaleAction<E>
where
    E: Env<Act = Vec<f64>, ActSpace = BoxSpace>,
{
    /// Wraps `env`; its action box must be bounded and `min_action < max_action`.
    pub fn new(env: E, min_action: f64, max_action: f64) -> Result<Self> {
        let inner = env.action_space();
        if !inner.is_bounded() {
            return Err(Error::InvalidConfig(
                "RescaleAction: the wrapped action space must be bounded".into(),
            ));
        }
        if !(min_action.is_finite() && max_action.is_finite() && min_action < max_action) {
            return Err(Error::InvalidConfig(format!(
                "RescaleAction: need finite min_action < max_action, got [{min_action}, {max_action}]"
            )));
        }
        let n = inner.dim();
        let space = BoxSpace::with_shape(
            vec![min_action; n],
            vec![max_action; n],
            inner.shape().to_vec(),
        )?;
        Ok(Self {
            env,
            space,
            buf: Vec::new(),
        })
    }

    /// The wrapped env.
    pub fn inner(&self) -> &E {
        &self.env
    }
}

impl<E> Env for RescaleAction<E>
where
    E: Env<Act = Vec<f64>, ActSpace = BoxSpace>,
{
    type Obs = E::Obs;
    type Act = Vec<f64>;
    type ObsSpace = E::ObsSpace;
    type ActSpace = BoxSpace;

    fn observation_space(&self) -> &E::ObsSpace {
        self.env.observation_space()
    }

    fn action_space(&self) -> &BoxSpace {
        &self.space
    }

    fn reset(&mut self, seed: Option<u64>) -> Result<(E::Obs, Info)> {
        self.env.reset(seed)
    }

    fn step(&mut self, action: &Vec<f64>) -> Result<Step<E::Obs>> {
        self.space.validate(action)?;
        let inner = self.env.action_space();
        self.buf.clear();
        for (i, a) in action.iter().enumerate() {
            let (lo, hi) = (self.space.low()[i], self.space.high()[i]);
            let (l, h) = (inner.low()[i], inner.high()[i]);
            self.buf.push(l + (h - l) * ((a - lo) / (hi - lo)));
        }
        inner.clip(&mut self.buf);
        self.env.step(&self.buf)
    }
}

impl<E> crate::Snapshot for RescaleAction<E>
where
    E: Env<Act = Vec<f64>, ActSpace = BoxSpace> + crate::Snapshot,
{
    type State = E::State;

    fn snapshot(&self) -> E::State {
        self.env.snapshot()
    }

    fn restore(&mut self, inner: E::State) -> Result<()> {
        self.env.restore(inner)
    }
}
