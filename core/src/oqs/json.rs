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
use super::model::{
    ElderlyRecipientCertificateInfo, LimitApplicationCertificateRelatedInfo, MessageBody,
    MessageHeader, Node, QualificationConfirmSearchInfo, ResultList,
    ResultOfQualificationConfirmation, SpecificDiseasesCertificateInfo,
    SpecificDiseasesCertificateList, Visitor, XmlMsg,
};

/// `MessageHeader` → `messageHeader`. Only an ASCII first letter is lowered: the interface's
/// element names are ASCII, and `char::to_lowercase` would link Unicode's case tables into the
/// browser module (5.4 KB gzipped) for names that do not occur; `Ｖendor` stays `Ｖendor`.
fn lower_camel(name: &str) -> String {
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
struct JsonMap<M> {
    map: M,
    used: Vec<String>,
}

impl<M: SerializeMap> JsonMap<M> {
    fn new(map: M) -> Self {
        Self {
            map,
            used: Vec::new(),
        }
    }

    fn entry<V: Serialize + ?Sized>(&mut self, key: &str, value: &V) -> Result<(), M::Error> {
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
    fn extras(&mut self, extra: &[UnknownElement]) -> Result<(), M::Error> {
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

    fn end(self) -> Result<M::Ok, M::Error> {
        self.map.end()
    }
}

/// One unknown element as JSON.
struct UnknownJson<'a>(&'a UnknownElement);

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

impl<M: SerializeMap> Visitor for JsonMap<M> {
    type Error = M::Error;

    fn text(&mut self, name: &'static str, text: &str) -> Result<(), M::Error> {
        self.entry(&lower_camel(name), text)
    }

    fn code(
        &mut self,
        name: &'static str,
        raw: &str,
        label: Option<&'static str>,
    ) -> Result<(), M::Error> {
        let key = lower_camel(name);
        self.entry(&key, raw)?;
        self.entry(&format!("{key}Label"), &label)
    }

    fn node<N: Node>(&mut self, name: &'static str, node: &N) -> Result<(), M::Error> {
        self.entry(&lower_camel(name), node)
    }

    fn nodes<N: Node>(&mut self, name: &'static str, nodes: &[N]) -> Result<(), M::Error> {
        self.entry(&lower_camel(name), nodes)
    }

    /// `resultList` as an array of the results (also when empty), and the other children
    /// of `ResultList`, if any, as an object under `resultListExtra`.
    fn result_list(&mut self, name: &'static str, list: &ResultList) -> Result<(), M::Error> {
        let key = lower_camel(name);
        self.entry(&key, &list.results)?;
        if list.extra.is_empty() {
            return Ok(());
        }
        self.entry(&format!("{key}Extra"), &ExtraJson(&list.extra))
    }

    fn unknowns(&mut self, extra: &[UnknownElement]) -> Result<(), M::Error> {
        self.extras(extra)
    }
}

/// Unknown elements as a JSON object.
struct ExtraJson<'a>(&'a [UnknownElement]);

impl Serialize for ExtraJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = JsonMap::new(serializer.serialize_map(None)?);
        map.extras(self.0)?;
        map.end()
    }
}

/// A [`Node`] as a JSON object.
fn node_json<N: Node, S: Serializer>(node: &N, serializer: S) -> Result<S::Ok, S::Error> {
    let mut map = JsonMap::new(serializer.serialize_map(None)?);
    node.visit_children(&mut map)?;
    map.end()
}

macro_rules! json_view {
    ($($node:ty),* $(,)?) => {
        $(
            impl Serialize for $node {
                /// The JSON view (see the `oqs` module documentation).
                fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                    node_json(self, serializer)
                }
            }
        )*
    };
}

json_view!(
    MessageHeader,
    MessageBody,
    QualificationConfirmSearchInfo,
    ResultOfQualificationConfirmation,
    ElderlyRecipientCertificateInfo,
    LimitApplicationCertificateRelatedInfo,
    SpecificDiseasesCertificateList,
    SpecificDiseasesCertificateInfo,
);

impl Serialize for XmlMsg {
    /// The JSON view: `{"messageHeader": {…}, "messageBody": {…, "resultList": […]}}`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = JsonMap::new(serializer.serialize_map(None)?);
        map.entry("messageHeader", &self.message_header)?;
        map.entry("messageBody", &self.message_body)?;
        map.extras(&self.extra)?;
        map.end()
    }
}
