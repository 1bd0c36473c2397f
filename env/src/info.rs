//! `Info`: the named scalars and vectors an env returns beside each observation.

use std::borrow::Cow;

/// Named diagnostics returned by `reset` and `step` (Gymnasium's `info` dict).
///
/// Keys are `Cow<'static, str>`, so the usual fixed names (`"forecast"`, `"error"`) cost no
/// allocation on the hot path; the handful of entries is kept in small vectors searched
/// linearly, which is faster than a map at these sizes.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Info {
    scalars: Vec<(Cow<'static, str>, f64)>,
    vectors: Vec<(Cow<'static, str>, Vec<f64>)>,
}

impl Info {
    /// An empty info.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty info with room for `scalars` scalars and `vectors` vectors, so filling it
    /// allocates once per kind.
    pub fn with_capacity(scalars: usize, vectors: usize) -> Self {
        Self {
            scalars: Vec::with_capacity(scalars),
            vectors: Vec::with_capacity(vectors),
        }
    }

    /// Sets (or replaces) a named scalar.
    pub fn set(&mut self, key: impl Into<Cow<'static, str>>, value: f64) {
        let key = key.into();
        match self.scalars.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.scalars.push((key, value)),
        }
    }

    /// The named scalar, if present.
    pub fn get(&self, key: &str) -> Option<f64> {
        self.scalars.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
    }

    /// Sets (or replaces) a named vector.
    pub fn set_vec(&mut self, key: impl Into<Cow<'static, str>>, value: Vec<f64>) {
        let key = key.into();
        match self.vectors.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.vectors.push((key, value)),
        }
    }

    /// The named vector, if present.
    pub fn get_vec(&self, key: &str) -> Option<&[f64]> {
        self.vectors
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_slice())
    }

    /// All scalars, in insertion order.
    pub fn scalars(&self) -> impl Iterator<Item = (&str, f64)> {
        self.scalars.iter().map(|(k, v)| (k.as_ref(), *v))
    }

    /// All vectors, in insertion order.
    pub fn vectors(&self) -> impl Iterator<Item = (&str, &[f64])> {
        self.vectors.iter().map(|(k, v)| (k.as_ref(), v.as_slice()))
    }

    /// True when nothing is set.
    pub fn is_empty(&self) -> bool {
        self.scalars.is_empty() && self.vectors.is_empty()
    }

    /// Copies every entry of `other` into `self`, replacing equal keys.
    pub fn merge(&mut self, other: &Info) {
        for (k, v) in &other.scalars {
            self.set(k.clone(), *v);
        }
        for (k, v) in &other.vectors {
            self.set_vec(k.clone(), v.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_replaces_and_get_finds() {
        let mut info = Info::new();
        info.set("forecast", 1.0);
        info.set("forecast", 2.0);
        info.set(format!("w{}", 3), 0.5);
        info.set_vec("weights", vec![0.5, 0.5]);
        assert_eq!(info.get("forecast"), Some(2.0));
        assert_eq!(info.get("w3"), Some(0.5));
        assert_eq!(info.get("missing"), None);
        assert_eq!(info.get_vec("weights"), Some(&[0.5, 0.5][..]));
        assert_eq!(info.scalars().count(), 2);
    }
}
