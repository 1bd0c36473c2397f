//! `ClipAction`: accept any finite action and clip it into the box.

use crate::{BoxSpace, Env, Info, Result, Space, Step};

/// Clips continuous actions into the wrapped env's action box (Gymnasium's `ClipAction`); the
/// wrapper's own action space is unbounded with the same shape, so a Gaussian policy can emit
/// any value. Wrong-shaped and NaN actions are still errors.
#[derive(Debug, Clone)]
pub struct ClipAction<E> {
    env: E,
    space: BoxSpace,
    buf: Vec<f64>,
}

impl<E> ClipAction<E>
where
    E: Env<Act = Vec<f64>, ActSpace = BoxSpace>,
{
    /// Wraps `env`.
    pub fn new(env: E) -> Self {
        let inner = env.action_space();
        let space = BoxSpace::with_shape(
            vec![f64::NEG_INFINITY; inner.dim()],
            vec![f64::INFINITY; inner.dim()],
            inner.shape().to_vec(),
        )
        .expect("infinite bounds of the inner shape are valid");
        Self {
            env,
            space,
            buf: Vec::new(),
        }
    }

    /// The wrapped env.
    pub fn inner(&self) -> &E {
        &self.env
    }
}

impl<E> Env for ClipAction<E>
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
        self.buf.clear();
        self.buf.extend_from_slice(action);
        self.env.action_space().clip(&mut self.buf);
        self.env.step(&self.buf)
    }
}

impl<E> crate::Snapshot for ClipAction<E>
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
