//! `Info`: the named scalars and vectors an env returns beside each observation.

use std::borrow::Cow;

/// Named diagnostics returned by `reset` and `step` (Gymnasium's `info` dict): named scalars
/// (`"forecast"`, `"error"`, ...) and named vectors (`"weights"`).
///
/// Keys are `Cow<'static, str>`, so the usual fixed names cost no allocation; scalars and
/// vectors share one small vector searched linearly (faster than a map at these sizes, and a
/// single allocation per step on an env's hot path).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Info {
    entries: Vec<(Cow<'static, str>, Value)>,
}

/// One entry's value.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
enum Value {
    Scalar(f64),
    Vector(Vec<f64>),
}

impl Info {
    /// An empty info.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty info with room for `scalars` scalars and `vectors` vectors, so filling it
    /// allocates once.
    pub fn with_capacity(scalars: usize, vectors: usize) -> Self {
        Self {
            entries: Vec::with_capacity(scalars + vectors),
        }
    }

    fn put(&mut self, key: Cow<'static, str>, value: Value) {
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.entries.push((key, value)),
        }
    }

    /// Sets (or replaces) a named scalar.
    pub fn set(&mut self, key: impl Into<Cow<'static, str>>, value: f64) {
        self.put(key.into(), Value::Scalar(value));
    }

    /// Appends a scalar without looking for an existing entry: for producers that set each
    /// fixed key once per step (the hot path of an env), where `set`'s search would be waste.
    /// A repeated key keeps the first value for [`Info::get`].
    pub fn push(&mut self, key: &'static str, value: f64) {
        self.entries
            .push((Cow::Borrowed(key), Value::Scalar(value)));
    }

    /// Appends a vector without looking for an existing entry (see [`Info::push`]).
    pub fn push_vec(&mut self, key: &'static str, value: Vec<f64>) {
        self.entries
            .push((Cow::Borrowed(key), Value::Vector(value)));
    }

    /// The named scalar, if present.
    pub fn get(&self, key: &str) -> Option<f64> {
        self.entries.iter().find_map(|(k, v)| match v {
            Value::Scalar(x) if k == key => Some(*x),
            _ => None,
        })
    }

    /// Sets (or replaces) a named vector.
    pub fn set_vec(&mut self, key: impl Into<Cow<'static, str>>, value: Vec<f64>) {
        self.put(key.into(), Value::Vector(value));
    }

    /// The named vector, if present.
    pub fn get_vec(&self, key: &str) -> Option<&[f64]> {
        self.entries.iter().find_map(|(k, v)| match v {
            Value::Vector(x) if k == key => Some(x.as_slice()),
            _ => None,
        })
    }

    /// All scalars, in insertion order.
    pub fn scalars(&self) -> impl Iterator<Item = (&str, f64)> {
        self.entries.iter().filter_map(|(k, v)| match v {
            Value::Scalar(x) => Some((k.as_ref(), *x)),
            Value::Vector(_) => None,
        })
    }

    /// All vectors, in insertion order.
    pub fn vectors(&self) -> impl Iterator<Item = (&str, &[f64])> {
        self.entries.iter().filter_map(|(k, v)| match v {
            Value::Vector(x) => Some((k.as_ref(), x.as_slice())),
            Value::Scalar(_) => None,
        })
    }

    /// True when nothing is set.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
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
