//! The JSON-shaped view of the model (`serde::Serialize`).
//!
//! - Element names become lowerCamelCase keys (`MessageHeader` → `messageHeader`,
//!   `Sex1` → `sex1`); absent elements are left out.
//! - `messageBody.resultList` is an array of results (the `ResultOfQualificationConfirmation`
//!   wrapper disappears); other ResultList children, if any, go to `resultListExtra`.
//! - Every code field is followed by `<key>Label`: the Japanese label, or `null` for a value
//!   outside the table; ratio fields get `<key>Label` such as `"3割"`.
//! - Unknown elements appear at their level under their own lowerCamelCase name: a leaf as
//!   its text, an element with children as an object (its own text, if any, under
//!   `"#text"`); several unknown elements of the same name become an array. If the key is
//!   already taken (a duplicate of a known element), `Extra` is appended (`nameExtra`,
//!   then `nameExtra2`, …).

use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};

use super::element::UnknownElement;

/// `MessageHeader` → `messageHeader`. Only an ASCII first letter is lowered: the interface's
/// element names are ASCII, and `char::to_lowercase` would link Unicode's case tables into the
/// browser module (5.4 KB gzipped) for names that do not occur; `Ｖendor` stays `Ｖendor`.
pub(crate) fn lower_camel(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => {
            let mut key = String::with_capacity(name.len());
            key.push(first.to_ascii_lowercase());
            key.push_str(chars.as_str());
            key
        }
        None => String::new(),
    }
}

/// A map under construction that remembers its keys so unknown elements never collide.
pub(crate) struct JsonMap<M> {
    map: M,
    used: Vec<String>,
}

impl<M: SerializeMap> JsonMap<M> {
    pub(crate) fn new(map: M) -> Self {
        Self {
            map,
            used: Vec::new(),
        }
    }

    pub(crate) fn entry<V: Serialize + ?Sized>(
        &mut self,
        key: &str,
        value: &V,
    ) -> Result<(), M::Error> {
        self.used.push(key.to_owned());
        self.map.serialize_entry(key, value)
    }

    fn unique_key(&self, key: String) -> String {
        if !self.used.contains(&key) {
            return key;
        }
        let base = format!("{key}Extra");
        if !self.used.contains(&base) {
            return base;
        }
        (2..)
            .map(|n| format!("{base}{n}"))
            .find(|k| !self.used.contains(k))
            .unwrap_or(base)
    }

    /// Emits unknown elements grouped by name, in order of first appearance.
    pub(crate) fn extras(&mut self, extra: &[UnknownElement]) -> Result<(), M::Error> {
        let mut groups: Vec<(&str, Vec<&UnknownElement>)> = Vec::new();
        for el in extra {
            match groups.iter_mut().find(|(name, _)| *name == el.name()) {
                Some((_, members)) => members.push(el),
                None => groups.push((el.name(), vec![el])),
            }
        }
        for (name, members) in groups {
            let key = self.unique_key(lower_camel(name));
            if let [single] = members.as_slice() {
                self.entry(&key, &UnknownJson(single))?;
            } else {
                self.entry(&key, &UnknownGroup(&members))?;
            }
        }
        Ok(())
    }

    pub(crate) fn end(self) -> Result<M::Ok, M::Error> {
        self.map.end()
    }
}

/// One unknown element as JSON.
pub(crate) struct UnknownJson<'a>(pub(crate) &'a UnknownElement);

impl Serialize for UnknownJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let el = self.0;
        if el.children().is_empty() {
            return serializer.serialize_str(el.text());
        }
        let mut map = JsonMap::new(serializer.serialize_map(None)?);
        if !el.text().is_empty() {
            map.entry("#text", el.text())?;
        }
        map.extras(el.children())?;
        map.end()
    }
}

struct UnknownGroup<'a, 'b>(&'b [&'a UnknownElement]);

impl Serialize for UnknownGroup<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for el in self.0 {
            seq.serialize_element(&UnknownJson(el))?;
        }
        seq.end()
    }
}

impl Serialize for UnknownElement {
    /// As in the JSON view: a leaf is its text, an element with children an object.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        UnknownJson(self).serialize(serializer)
    }
}
