//! Distinguished names: decoded attributes, the RFC 4514 string, and the RFC 5280 §7.1
//! comparison used to match issuers.

use const_oid::ObjectIdentifier;
use der::asn1::AnyRef;
use der::{Encode, Tag, Tagged};
use x509_cert::name::Name;

/// One attribute of a distinguished name.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NameAttribute {
    /// The attribute type.
    pub oid: ObjectIdentifier,
    /// Its RFC 4514 keyword (`CN`, `L`, `ST`, `O`, `OU`, `C`, `STREET`, `DC`, `UID`), if any.
    pub keyword: Option<&'static str>,
    /// The value: the decoded string, or `#` and the hex of its DER if it is not a string.
    pub value: String,
}

/// A distinguished name: its attributes in certificate order (most significant first, e.g.
/// `C` first) and its RFC 4514 string (least significant first, e.g. `CN=…,C=JP`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DistinguishedName {
    /// The attributes, in the order they appear in the certificate.
    pub attributes: Vec<NameAttribute>,
    /// The RFC 4514 string.
    pub rfc4514: String,
}

impl DistinguishedName {
    /// The value of the first attribute of type `oid`.
    pub fn get(&self, oid: ObjectIdentifier) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.oid == oid)
            .map(|a| a.value.as_str())
    }

    /// The common name (`CN`), if any.
    pub fn common_name(&self) -> Option<&str> {
        self.get(const_oid::db::rfc4519::CN)
    }

    /// The attributes in certificate order, `", "`-separated (`C=JP, CN=…`), as OpenSSL and
    /// the JPKI documents print them.
    pub fn display_forward(&self) -> String {
        self.attributes
            .iter()
            .map(|a| match a.keyword {
                Some(k) => format!("{k}={}", a.value),
                None => format!("{}={}", a.oid, a.value),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl core::fmt::Display for DistinguishedName {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.rfc4514)
    }
}

/// RFC 4514 keywords.
fn keyword(oid: &ObjectIdentifier) -> Option<&'static str> {
    use const_oid::db::rfc4519::{C, CN, DOMAIN_COMPONENT, L, O, OU, ST, STREET, UID};
    [
        (CN, "CN"),
        (L, "L"),
        (ST, "ST"),
        (O, "O"),
        (OU, "OU"),
        (C, "C"),
        (STREET, "STREET"),
        (DOMAIN_COMPONENT, "DC"),
        (UID, "UID"),
    ]
    .into_iter()
    .find_map(|(o, k)| (&o == oid).then_some(k))
}

/// The string in a DirectoryString-like value, if it is one.
fn attribute_string(value: AnyRef<'_>) -> Option<String> {
    let bytes = value.value();
    match value.tag() {
        Tag::Utf8String => core::str::from_utf8(bytes).ok().map(str::to_owned),
        Tag::PrintableString | Tag::Ia5String | Tag::VisibleString | Tag::NumericString => bytes
            .is_ascii()
            .then(|| String::from_utf8_lossy(bytes).into_owned()),
        // T.61 is close enough to Latin-1 for the names found in certificates.
        Tag::TeletexString => Some(bytes.iter().map(|&b| char::from(b)).collect()),
        Tag::BmpString => {
            if bytes.len() % 2 != 0 {
                return None;
            }
            let units = bytes
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]));
            char::decode_utf16(units)
                .collect::<Result<String, _>>()
                .ok()
        }
        _ => None,
    }
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// RFC 4514 §2.4 escaping of an attribute value.
fn escape_rfc4514(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        match c {
            '#' if i == 0 => out.push_str("\\#"),
            ' ' if i == 0 || i == last => out.push_str("\\ "),
            '"' | '+' | ',' | ';' | '<' | '>' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\0' => out.push_str("\\00"),
            _ => out.push(c),
        }
    }
    out
}

/// Builds a [`DistinguishedName`] an attribute at a time, RDN after RDN in certificate order:
/// what `x509-cert`'s `Name` ([`distinguished_name`]) and the browser module's reader
/// (`view.rs`) share.
#[derive(Default)]
pub(super) struct NameBuilder {
    attributes: Vec<NameAttribute>,
    rdns: Vec<String>,
    parts: Vec<String>,
}

impl NameBuilder {
    /// One attribute of the current RDN: its type, its value, and the value's DER (shown
    /// when it is no string).
    pub(super) fn attribute(&mut self, oid: ObjectIdentifier, value: AnyRef<'_>, der: &[u8]) {
        let decoded = attribute_string(value);
        let raw = || format!("#{}", hex_lower(der));
        let keyword = keyword(&oid);
        let rendered = match &decoded {
            Some(s) => escape_rfc4514(s),
            None => raw(),
        };
        self.parts.push(match keyword {
            Some(k) => format!("{k}={rendered}"),
            None => format!("{oid}={rendered}"),
        });
        self.attributes.push(NameAttribute {
            oid,
            keyword,
            value: decoded.unwrap_or_else(raw),
        });
    }

    /// Closes the current RDN.
    pub(super) fn end_rdn(&mut self) {
        self.rdns.push(self.parts.join("+"));
        self.parts.clear();
    }

    pub(super) fn finish(mut self) -> DistinguishedName {
        self.rdns.reverse();
        DistinguishedName {
            attributes: self.attributes,
            rfc4514: self.rdns.join(","),
        }
    }
}

pub(super) fn distinguished_name(name: &Name) -> DistinguishedName {
    let mut builder = NameBuilder::default();
    for rdn in name.0.iter() {
        for atv in rdn.0.iter() {
            let der = atv.value.to_der().unwrap_or_default();
            builder.attribute(atv.oid, (&atv.value).into(), &der);
        }
        builder.end_rdn();
    }
    builder.finish()
}

/// RFC 5280 §7.1 name comparison, simplified: same RDN structure and attribute types; string
/// values equal after trimming, collapsing internal white space and ASCII case folding;
/// other values equal byte for byte.
pub(super) fn names_match(a: &Name, b: &Name) -> bool {
    if a == b {
        return true;
    }
    a.0.len() == b.0.len()
        && a.0.iter().zip(b.0.iter()).all(|(ra, rb)| {
            ra.0.len() == rb.0.len()
                && ra.0.iter().zip(rb.0.iter()).all(|(x, y)| {
                    x.oid == y.oid
                        && match (
                            attribute_string((&x.value).into()),
                            attribute_string((&y.value).into()),
                        ) {
                            (Some(s), Some(t)) => fold(&s) == fold(&t),
                            _ => x.value == y.value,
                        }
                })
        })
}

fn fold(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::assert_cases;

    #[test]
    fn rfc4514_escaping() {
        assert_cases(
            escape_rfc4514,
            &[
                ("a,b", "a\\,b"),
                (" x ", "\\ x\\ "),
                ("#1", "\\#1"),
                ("東京", "東京"),
            ],
        );
    }

    #[test]
    fn fold_compares_the_rfc_5280_way() {
        assert_eq!(fold("  JPKI  for User "), fold("jpki for user"));
        assert_ne!(fold("JPKI-TEST"), fold("JPKI"));
    }
}
