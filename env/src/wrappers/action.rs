//! Action wrappers (Gymnasium's `ActionWrapper`): the wrapper exposes its own action box and
//! turns each of its actions into one for the wrapped env. [`ClipAction`] and
//! [`RescaleAction`] are the two transforms Gymnasium ships.

use crate::{BoxSpace, Env, Error, Info, Result, Space, Step};

/// How a wrapper's actions become the wrapped env's.
pub trait ActionTransform: Clone {
    /// Writes the inner env's action for `action` (already validated against the wrapper's
    /// space) into `out`; `inner` is the inner env's action space.
    fn transform(&self, space: &BoxSpace, inner: &BoxSpace, action: &[f64], out: &mut Vec<f64>);
}

/// An env whose continuous actions pass through an [`ActionTransform`] (see the aliases).
#[derive(Debug, Clone)]
pub struct ActionWrapper<E, T> {
    env: E,
    space: BoxSpace,
    transform: T,
    buf: Vec<f64>,
}

impl<E, T> ActionWrapper<E, T>
where
    E: Env<Act = Vec<f64>, ActSpace = BoxSpace>,
    T: ActionTransform,
{
    /// Wraps `env`; the wrapper's action space is `space` (of the inner space's shape).
    pub fn with_transform(env: E, space: BoxSpace, transform: T) -> Self {
        Self {
            env,
            space,
            transform,
            buf: Vec::new(),
        }
    }

    /// The wrapped env.
    pub fn inner(&self) -> &E {
        &self.env
    }
}

impl<E, T> Env for ActionWrapper<E, T>
where
    E: Env<Act = Vec<f64>, ActSpace = BoxSpace>,
    T: ActionTransform,
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
        let inner = self.env.action_space();
        self.transform
            .transform(&self.space, inner, action, &mut self.buf);
        self.env.step(&self.buf)
    }
}

super::snapshot_of_inner!([E, T] ActionWrapper<E, T> where E: Env<Act = Vec<f64>, ActSpace = BoxSpace>, T: ActionTransform);

/// Clips into the inner box.
#[derive(Debug, Clone, Copy, Default)]
pub struct Clip;

impl ActionTransform for Clip {
    fn transform(&self, _: &BoxSpace, inner: &BoxSpace, action: &[f64], out: &mut Vec<f64>) {
        out.extend_from_slice(action);
        inner.clip(out);
    }
}

/// Clips continuous actions into the wrapped env's action box (Gymnasium's `ClipAction`); the
/// wrapper's own action space is unbounded with the same shape, so a Gaussian policy can emit
/// any value. Wrong-shaped and NaN actions are still errors.
pub type ClipAction<E> = ActionWrapper<E, Clip>;

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
        Self::with_transform(env, space, Clip)
    }
}

/// Maps the wrapper's box affinely onto the inner one, then clips.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rescale;

impl ActionTransform for Rescale {
    fn transform(&self, space: &BoxSpace, inner: &BoxSpace, action: &[f64], out: &mut Vec<f64>) {
        for (i, a) in action.iter().enumerate() {
            let (lo, hi) = (space.low()[i], space.high()[i]);
            let (l, h) = (inner.low()[i], inner.high()[i]);
            out.push(l + (h - l) * ((a - lo) / (hi - lo)));
        }
        inner.clip(out);
    }
}

/// Maps actions from `[min_action, max_action]` affinely onto the wrapped env's bounded action
/// box, then clips (Gymnasium's `RescaleAction`). Typical use: a policy acting in `[-1, 1]`.
pub type RescaleAction<E> = ActionWrapper<E, Rescale>;

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
        Ok(Self::with_transform(env, space, Rescale))
    }
}
