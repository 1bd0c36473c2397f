//! Observation and action spaces: `BoxSpace`, `Discrete`, `MultiDiscrete`.
//!
//! As in Gymnasium, a space can `sample` an element and say whether it `contains` one.
//! Beyond Gymnasium, [`Space::validate`] explains *why* an element does not fit (used by envs
//! to reject bad actions with a message), and [`Space::malformed_samples`] produces elements
//! that every env must reject, which is how [`crate::check_env`] tests error handling.

use crate::{Error, Result};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

/// A set of valid observations or actions.
pub trait Space {
    /// The element type (e.g. `Vec<f64>` for a box, `usize` for a discrete space).
    type Elem;

    /// Draws an element uniformly (bounded dimensions) or from a standard normal / shifted
    /// exponential (unbounded ones), as Gymnasium's `Box.sample` does.
    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Self::Elem;

    /// True when `x` is an element of the space.
    fn contains(&self, x: &Self::Elem) -> bool;

    /// `Ok(())` when `x` has the right shape and only finite values; otherwise an error that
    /// says what is wrong. Envs call this on every action. The bounds of a `BoxSpace` are not
    /// enforced here (envs clip, as Gymnasium's do); use [`Space::contains`] for that.
    fn validate(&self, x: &Self::Elem) -> Result<()>;

    /// Elements of the wrong shape or with NaNs, which any env must reject with an error.
    fn malformed_samples(&self) -> Vec<Self::Elem> {
        Vec::new()
    }
}

/// A box in R^n: `low[i] <= x[i] <= high[i]`, bounds may be infinite. Elements are flat
/// `Vec<f64>` in row-major order of `shape`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoxSpace {
    low: Vec<f64>,
    high: Vec<f64>,
    shape: Vec<usize>,
}

impl BoxSpace {
    /// A box with per-dimension bounds; `low` and `high` must have the same length, contain no
    /// NaN, and satisfy `low <= high`.
    pub fn new(low: Vec<f64>, high: Vec<f64>) -> Result<Self> {
        let n = low.len();
        Self::with_shape(low, high, vec![n])
    }

    /// A box with the same bounds in every one of `n` dimensions.
    pub fn uniform(low: f64, high: f64, n: usize) -> Result<Self> {
        Self::new(vec![low; n], vec![high; n])
    }

    /// A box with an explicit (possibly multi-dimensional) shape.
    pub fn with_shape(low: Vec<f64>, high: Vec<f64>, shape: Vec<usize>) -> Result<Self> {
        let size: usize = shape.iter().product();
        if low.len() != size || high.len() != size {
            return Err(Error::InvalidConfig(format!(
                "BoxSpace: shape {shape:?} has {size} elements but low has {} and high {}",
                low.len(),
                high.len()
            )));
        }
        for (i, (l, h)) in low.iter().zip(&high).enumerate() {
            if l.is_nan() || h.is_nan() || l > h {
                return Err(Error::InvalidConfig(format!(
                    "BoxSpace: bounds at index {i} are invalid (low {l}, high {h})"
                )));
            }
        }
        Ok(Self { low, high, shape })
    }

    /// Lower bounds.
    pub fn low(&self) -> &[f64] {
        &self.low
    }

    /// Upper bounds.
    pub fn high(&self) -> &[f64] {
        &self.high
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Number of scalar elements (product of the shape).
    pub fn dim(&self) -> usize {
        self.low.len()
    }

    /// True when every dimension has finite bounds on both sides.
    pub fn is_bounded(&self) -> bool {
        self.low.iter().chain(&self.high).all(|v| v.is_finite())
    }

    /// Clips `x` into the box, in place.
    pub fn clip(&self, x: &mut [f64]) {
        for ((v, l), h) in x.iter_mut().zip(&self.low).zip(&self.high) {
            *v = v.clamp(*l, *h);
        }
    }
}

impl Space for BoxSpace {
    type Elem = Vec<f64>;

    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Vec<f64> {
        self.low
            .iter()
            .zip(&self.high)
            .map(|(&l, &h)| match (l.is_finite(), h.is_finite()) {
                (true, true) if l == h => l,
                (true, true) => rng.random_range(l..h),
                (false, false) => StandardNormal.sample(rng),
                (true, false) => l + exp1(rng),
                (false, true) => h - exp1(rng),
            })
            .collect()
    }

    fn contains(&self, x: &Vec<f64>) -> bool {
        x.len() == self.low.len()
            && x.iter()
                .zip(&self.low)
                .zip(&self.high)
                .all(|((v, l), h)| !v.is_nan() && v >= l && v <= h)
    }

    fn validate(&self, x: &Vec<f64>) -> Result<()> {
        if x.len() != self.low.len() {
            return Err(Error::InvalidAction(format!(
                "expected {} values (shape {:?}), got {}",
                self.low.len(),
                self.shape,
                x.len()
            )));
        }
        if let Some(i) = x.iter().position(|v| !v.is_finite()) {
            return Err(Error::InvalidAction(format!(
                "value at index {i} is {} (must be finite)",
                x[i]
            )));
        }
        Ok(())
    }

    fn malformed_samples(&self) -> Vec<Vec<f64>> {
        let n = self.low.len();
        let mut nan = vec![0.0; n];
        if let Some(v) = nan.first_mut() {
            *v = f64::NAN;
        }
        vec![vec![0.0; n + 1], nan]
    }
}

/// Standard exponential draw, for half-bounded dimensions.
fn exp1<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    rand_distr::Exp1.sample(rng)
}

/// `{0, 1, ..., n-1}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discrete {
    n: usize,
}

impl Discrete {
    /// A discrete space with `n >= 1` elements.
    pub fn new(n: usize) -> Result<Self> {
        if n == 0 {
            return Err(Error::InvalidConfig(
                "Discrete: n must be at least 1".into(),
            ));
        }
        Ok(Self { n })
    }

    /// Number of elements.
    pub fn n(&self) -> usize {
        self.n
    }
}

impl Space for Discrete {
    type Elem = usize;

    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> usize {
        rng.random_range(0..self.n)
    }

    fn contains(&self, x: &usize) -> bool {
        *x < self.n
    }

    fn validate(&self, x: &usize) -> Result<()> {
        if *x >= self.n {
            return Err(Error::InvalidAction(format!(
                "discrete action {x} is out of range 0..{}",
                self.n
            )));
        }
        Ok(())
    }

    fn malformed_samples(&self) -> Vec<usize> {
        vec![self.n, usize::MAX]
    }
}

/// A product of discrete spaces: element `i` lies in `0..nvec[i]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MultiDiscrete {
    nvec: Vec<usize>,
}

impl MultiDiscrete {
    /// A multi-discrete space; every entry of `nvec` must be at least 1.
    pub fn new(nvec: Vec<usize>) -> Result<Self> {
        if nvec.is_empty() || nvec.contains(&0) {
            return Err(Error::InvalidConfig(format!(
                "MultiDiscrete: nvec must be non-empty with every entry >= 1, got {nvec:?}"
            )));
        }
        Ok(Self { nvec })
    }

    /// Number of choices in each dimension.
    pub fn nvec(&self) -> &[usize] {
        &self.nvec
    }
}

impl Space for MultiDiscrete {
    type Elem = Vec<usize>;

    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Vec<usize> {
        self.nvec.iter().map(|&n| rng.random_range(0..n)).collect()
    }

    fn contains(&self, x: &Vec<usize>) -> bool {
        x.len() == self.nvec.len() && x.iter().zip(&self.nvec).all(|(v, n)| v < n)
    }

    fn validate(&self, x: &Vec<usize>) -> Result<()> {
        if x.len() != self.nvec.len() {
            return Err(Error::InvalidAction(format!(
                "expected {} discrete values, got {}",
                self.nvec.len(),
                x.len()
            )));
        }
        if let Some(i) = x.iter().zip(&self.nvec).position(|(v, n)| v >= n) {
            return Err(Error::InvalidAction(format!(
                "value {} at index {i} is out of range 0..{}",
                x[i], self.nvec[i]
            )));
        }
        Ok(())
    }

    fn malformed_samples(&self) -> Vec<Vec<usize>> {
        vec![vec![0; self.nvec.len() + 1], self.nvec.clone()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;

    #[test]
    fn samples_lie_in_their_space() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(0);
        let b = BoxSpace::new(
            vec![-1.0, f64::NEG_INFINITY, 0.0, 2.0],
            vec![1.0, 5.0, f64::INFINITY, 2.0],
        )
        .unwrap();
        let d = Discrete::new(3).unwrap();
        let m = MultiDiscrete::new(vec![2, 5]).unwrap();
        for _ in 0..1000 {
            assert!(b.contains(&b.sample(&mut rng)));
            assert!(d.contains(&d.sample(&mut rng)));
            assert!(m.contains(&m.sample(&mut rng)));
        }
    }

    #[test]
    fn malformed_samples_are_rejected() {
        let b = BoxSpace::uniform(-1.0, 1.0, 3).unwrap();
        for x in b.malformed_samples() {
            assert!(b.validate(&x).is_err());
            assert!(!b.contains(&x));
        }
        let d = Discrete::new(3).unwrap();
        assert!(d.malformed_samples().iter().all(|x| d.validate(x).is_err()));
        let m = MultiDiscrete::new(vec![2, 2]).unwrap();
        assert!(m.malformed_samples().iter().all(|x| m.validate(x).is_err()));
    }

    #[test]
    fn invalid_spaces_are_errors() {
        assert!(BoxSpace::new(vec![1.0], vec![0.0]).is_err());
        assert!(BoxSpace::new(vec![f64::NAN], vec![0.0]).is_err());
        assert!(BoxSpace::with_shape(vec![0.0; 3], vec![1.0; 3], vec![2, 2]).is_err());
        assert!(Discrete::new(0).is_err());
        assert!(MultiDiscrete::new(vec![2, 0]).is_err());
    }

    proptest! {
        #[test]
        fn box_validate_never_panics(xs in proptest::collection::vec(proptest::num::f64::ANY, 0..6)) {
            let b = BoxSpace::uniform(-1.0, 1.0, 3).unwrap();
            let ok = b.validate(&xs).is_ok();
            prop_assert_eq!(ok, xs.len() == 3 && xs.iter().all(|v| v.is_finite()));
            let _ = b.contains(&xs);
        }
    }
}
