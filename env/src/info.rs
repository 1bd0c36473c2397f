//! `Info`: the named scalars and vectors an env returns beside each observation.

use std::borrow::Cow;
use std::sync::Arc;

/// Named diagnostics returned by `reset` and `step` (Gymnasium's `info` dict): named scalars
/// (`"forecast"`, `"error"`, ...) and named vectors (`"weights"`).
///
/// The numbers live in one flat vector and the keys in an [`InfoLayout`] that an env builds
/// once and shares (`Arc`) with every step's info: filling a step's info costs one
/// allocation and no per-key work, which matters on an env's hot path (it was a fifth of the
/// ensemble env's step). Adding a key the layout lacks ([`Info::set`]) copies the layout for
/// that info alone.
#[derive(Debug, Clone, Default)]
pub struct Info {
    layout: Option<Arc<InfoLayout>>,
    values: Vec<f64>,
}

/// The keys of an [`Info`] and where each one's numbers sit in its flat value vector.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InfoLayout {
    entries: Vec<Entry>,
    len: usize,
}

#[derive(Debug, Clone, PartialEq)]
struct Entry {
    key: Cow<'static, str>,
    start: usize,
    /// `None` for a scalar, the length for a vector.
    vector_len: Option<usize>,
}

impl Entry {
    fn len(&self) -> usize {
        self.vector_len.unwrap_or(1)
    }

    /// Where its numbers sit in the info's value vector.
    fn range(&self) -> std::ops::Range<usize> {
        self.start..self.start + self.len()
    }
}

impl InfoLayout {
    /// An empty layout.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a scalar key.
    pub fn scalar(mut self, key: impl Into<Cow<'static, str>>) -> Self {
        self.append(key.into(), None);
        self
    }

    /// Appends a vector key of length `len`.
    pub fn vector(mut self, key: impl Into<Cow<'static, str>>, len: usize) -> Self {
        self.append(key.into(), Some(len));
        self
    }

    /// How many numbers an info with this layout holds.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the layout has no keys.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn append(&mut self, key: Cow<'static, str>, vector_len: Option<usize>) {
        let entry = Entry {
            key,
            start: self.len,
            vector_len,
        };
        self.len += entry.len();
        self.entries.push(entry);
    }

    fn find(&self, key: &str) -> Option<usize> {
        self.entries.iter().position(|e| e.key == key)
    }

    /// Removes entry `i`, returning the range its numbers occupied.
    fn remove(&mut self, i: usize) -> std::ops::Range<usize> {
        let gone = self.entries.remove(i);
        let n = gone.len();
        for e in &mut self.entries[i..] {
            e.start -= n;
        }
        self.len -= n;
        gone.range()
    }
}

impl Info {
    /// An empty info.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty info with `layout`'s keys, to be filled in layout order with
    /// [`Info::push_values`]. Keys not filled yet read as absent.
    pub fn with_layout(layout: &Arc<InfoLayout>) -> Self {
        Self {
            values: Vec::with_capacity(layout.len()),
            layout: Some(Arc::clone(layout)),
        }
    }

    /// Appends the next numbers in layout order (a scalar is one number, a vector its
    /// length); numbers beyond the layout are ignored.
    pub fn push_values(&mut self, values: &[f64]) {
        let room = self.layout().len().saturating_sub(self.values.len());
        self.values
            .extend_from_slice(&values[..values.len().min(room)]);
    }

    #[inline]
    fn layout(&self) -> &InfoLayout {
        static EMPTY: InfoLayout = InfoLayout {
            entries: Vec::new(),
            len: 0,
        };
        self.layout.as_deref().unwrap_or(&EMPTY)
    }

    /// The numbers of `key` and whether it is a vector, if present and filled.
    fn lookup(&self, key: &str) -> Option<(&[f64], bool)> {
        self.entries()
            .find(|(k, _, _)| *k == key)
            .map(|(_, v, vector)| (v, vector))
    }

    /// Sets (or replaces) `key` with `values`. An existing entry of the same kind and length
    /// is overwritten in place; otherwise the entry moves to the end with its new value.
    fn put(&mut self, key: Cow<'static, str>, values: &[f64], vector: bool) {
        let full = self.values.len() == self.layout().len();
        if let Some(i) = self.layout().find(&key) {
            let e = &self.layout().entries[i];
            if full && e.vector_len.is_some() == vector && e.len() == values.len() {
                let range = e.range();
                self.values[range].copy_from_slice(values);
                return;
            }
        }
        // The layout changes: edit a private copy, without the keys not filled yet.
        let layout = Arc::make_mut(self.layout.get_or_insert_with(Default::default));
        while layout.len() > self.values.len() {
            layout.remove(layout.entries.len() - 1);
        }
        self.values.truncate(layout.len());
        if let Some(i) = layout.find(&key) {
            let range = layout.remove(i);
            self.values.drain(range);
        }
        layout.append(key, vector.then_some(values.len()));
        self.values.extend_from_slice(values);
    }

    /// Sets (or replaces) a named scalar.
    pub fn set(&mut self, key: impl Into<Cow<'static, str>>, value: f64) {
        self.put(key.into(), &[value], false);
    }

    /// Sets (or replaces) a named vector (copied: a slice, a `Vec` or a reference to one).
    pub fn set_vec(&mut self, key: impl Into<Cow<'static, str>>, value: impl AsRef<[f64]>) {
        self.put(key.into(), value.as_ref(), true);
    }

    /// The named scalar, if present.
    pub fn get(&self, key: &str) -> Option<f64> {
        match self.lookup(key)? {
            (v, false) => Some(v[0]),
            _ => None,
        }
    }

    /// The named vector, if present.
    pub fn get_vec(&self, key: &str) -> Option<&[f64]> {
        match self.lookup(key)? {
            (v, true) => Some(v),
            _ => None,
        }
    }

    /// The filled entries in order: key, numbers, and whether it is a vector.
    #[inline]
    fn entries(&self) -> impl Iterator<Item = (&str, &[f64], bool)> {
        self.layout().entries.iter().filter_map(|e| {
            let v = self.values.get(e.range())?;
            Some((e.key.as_ref(), v, e.vector_len.is_some()))
        })
    }

    /// All scalars, in insertion order.
    pub fn scalars(&self) -> impl Iterator<Item = (&str, f64)> {
        self.entries()
            .filter(|(_, _, vector)| !vector)
            .map(|(k, v, _)| (k, v[0]))
    }

    /// All vectors, in insertion order.
    pub fn vectors(&self) -> impl Iterator<Item = (&str, &[f64])> {
        self.entries()
            .filter(|(_, _, vector)| *vector)
            .map(|(k, v, _)| (k, v))
    }

    /// True when nothing is set.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.entries().next().is_none()
    }
}

/// Equal when the same keys hold the same numbers in the same order, however each was built.
impl PartialEq for Info {
    fn eq(&self, other: &Self) -> bool {
        self.entries().eq(other.entries())
    }
}

/// The serialised form: a list of `[key, value]` pairs, a value being a number or an array.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
enum SerialValue {
    Scalar(f64),
    Vector(Vec<f64>),
}

impl serde::Serialize for Info {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.entries().map(|(k, v, vector)| {
            let value = if vector {
                SerialValue::Vector(v.to_vec())
            } else {
                SerialValue::Scalar(v[0])
            };
            (k, value)
        }))
    }
}

impl<'de> serde::Deserialize<'de> for Info {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let pairs: Vec<(String, SerialValue)> = serde::Deserialize::deserialize(d)?;
        let mut info = Info::new();
        for (k, v) in pairs {
            match v {
                SerialValue::Scalar(x) => info.set(k, x),
                SerialValue::Vector(x) => info.set_vec(k, x),
            }
        }
        Ok(info)
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
        assert_eq!(info.get("weights"), None);
        assert_eq!(info.get_vec("weights"), Some(&[0.5, 0.5][..]));
        assert_eq!(info.scalars().count(), 2);
        info.set_vec("weights", vec![0.2, 0.3, 0.5]);
        info.set("forecast", 3.0);
        assert_eq!(info.get_vec("weights"), Some(&[0.2, 0.3, 0.5][..]));
        assert_eq!(
            info.scalars().collect::<Vec<_>>(),
            [("forecast", 3.0), ("w3", 0.5)],
            "a same-kind replacement keeps its place"
        );
        assert_eq!(info.vectors().count(), 1);
    }

    #[test]
    fn a_shared_layout_is_filled_in_order_and_copied_on_a_new_key() {
        let layout = Arc::new(InfoLayout::new().scalar("t").vector("weights", 2));
        let mut info = Info::with_layout(&layout);
        info.push_values(&[7.0]);
        assert_eq!(info.get("t"), Some(7.0));
        assert_eq!(info.get_vec("weights"), None, "not filled yet");
        info.push_values(&[0.25, 0.75, 99.0]);
        assert_eq!(info.get_vec("weights"), Some(&[0.25, 0.75][..]));
        let mut other = Info::with_layout(&layout);
        other.push_values(&[8.0, 0.5, 0.5]);
        other.set("episode_return", -3.0);
        assert_eq!(other.get("episode_return"), Some(-3.0));
        assert_eq!(info.get("episode_return"), None);
        assert_eq!(layout.len(), 3, "the shared layout is untouched");
        other.set("t", 9.0);
        assert_eq!(other.get("t"), Some(9.0));
        assert_eq!(other.get_vec("weights"), Some(&[0.5, 0.5][..]));
    }

    #[test]
    fn serde_round_trips() {
        let layout = Arc::new(InfoLayout::new().scalar("t").vector("weights", 2));
        let mut info = Info::with_layout(&layout);
        info.push_values(&[1.0, 0.4, 0.6]);
        info.set("extra", 2.5);
        let text = serde_json::to_string(&info).unwrap();
        assert_eq!(text, r#"[["t",1.0],["weights",[0.4,0.6]],["extra",2.5]]"#);
        let back: Info = serde_json::from_str(&text).unwrap();
        assert_eq!(back.get("extra"), Some(2.5));
        assert_eq!(back.get_vec("weights"), Some(&[0.4, 0.6][..]));
        assert_eq!(back.scalars().count(), 2);
    }
}
