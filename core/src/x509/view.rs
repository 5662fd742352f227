//! A certificate read for showing it, not for deciding trust: [`parse_certificate_view`], what
//! the browser module's `parseCertificate` shows ([`CertificateView`]).
//!
//! ## Why a second reader
//! [`parse_certificate`](super::parse_certificate) decodes with `x509-cert`'s derived
//! structures, and through them the module carried about 30 KB (gzipped) of `der`,
//! `x509-cert`, `spki`, `pkcs1` and `rsa` code: `der` 0.7 instantiates every derived decoder
//! once per nesting depth (`NestedReader<NestedReader<…>>`), and the module needed none of
//! the structures, only a dozen facts (docs/benchmarks.md). This reader walks the same DER
//! with `der`'s primitives (`AnyRef`, `Tag`, `ObjectIdentifier`, `IntRef`/`UintRef`,
//! `BitStringRef`, `OctetStringRef`, `UtcTime`/`GeneralizedTime`, `bool`, `u8`) over one
//! reader type, [`SliceReader`]: a constructed value is read as an `AnyRef` and its contents by
//! a new `SliceReader`, so each primitive is instantiated once. The RSA key is not built: its
//! size is the modulus's.
//!
//! ## Held to the full parse
//! It accepts exactly what [`parse_certificate_lazy`](super::parse_certificate_lazy) accepts and
//! reads the same facts (`CertificateView::from(&CertificateInfo)`), refusing with the same
//! [`CertificateError`] variant (the `der` error inside may name another position): so, like
//! the lazy parse, it decodes neither cRLDistributionPoints nor authorityKeyIdentifier, and a
//! certificate whose CRL DP or AKI is malformed is shown. Where `x509-cert` 0.2 / `der` 0.7 are
//! lenient or particular, it follows them, each at its place below: context-specific fields
//! of TBSCertificate numbered below the one looked for are skipped; the attributes of an RDN
//! are put in `der`'s SET OF order and a duplicate refused; an explicitly encoded DEFAULT is
//! accepted; keyUsage bits after decipherOnly are ignored; an RSA key passes `rsa`'s
//! `RsaPublicKey::new` checks. `core/tests/x509_view.rs` compares both on every persona and J-LIS
//! certificate and on their one-byte changes and truncations; the `x509` fuzz target on any
//! input.

use core::cmp::Ordering;

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5912::{
    ID_CE_BASIC_CONSTRAINTS, ID_CE_CERTIFICATE_POLICIES, ID_CE_EXT_KEY_USAGE, ID_CE_KEY_USAGE,
    ID_CE_SUBJECT_KEY_IDENTIFIER, ID_EC_PUBLIC_KEY, RSA_ENCRYPTION,
};
use der::asn1::{AnyRef, BitStringRef, GeneralizedTime, IntRef, OctetStringRef, UintRef, UtcTime};
use der::{Decode, ErrorKind, Reader, SliceReader, Tag, Tagged};

use super::certificate::{BasicConstraints, CertificateInfo, JpkiFacts, KeyUsage, check_jpki_auth};
use super::decode::{first_repeated, serial_hex};
use super::error::{CertificateError, JpkiProfileError};
use super::names::{DistinguishedName, NameBuilder};
use super::signature::{KeyKind, SignatureAlgorithm, check_p384};
use super::time::{duration_seconds, iso8601_utc};

/// What a certificate shows: the facts of [`CertificateInfo`] that the browser module's
/// `parseCertificate` returns. Built by [`parse_certificate_view`], or from a
/// [`CertificateInfo`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CertificateView {
    /// The serial number as upper-case hex, as [`CertificateInfo::serial`].
    pub serial: String,
    /// The issuer.
    pub issuer: DistinguishedName,
    /// The subject.
    pub subject: DistinguishedName,
    /// notBefore, unix seconds.
    pub not_before: i64,
    /// notAfter, unix seconds.
    pub not_after: i64,
    /// The subject key's kind.
    pub key: KeyKind,
    /// The subject key's size in bits (the RSA modulus length; 384 for P-384).
    pub key_bits: usize,
    /// The algorithm the issuer signed this certificate with.
    pub signature_algorithm: SignatureAlgorithm,
    /// keyUsage, if present.
    pub key_usage: Option<KeyUsage>,
    /// extendedKeyUsage purposes (empty if absent).
    pub extended_key_usage: Vec<ObjectIdentifier>,
    /// certificatePolicies policy identifiers (empty if absent).
    pub policies: Vec<ObjectIdentifier>,
    /// basicConstraints, if present.
    pub basic_constraints: Option<BasicConstraints>,
}

impl CertificateView {
    /// The key algorithm's name (`"RSA"`, or `"EC"` for a P-384 key).
    pub fn key_algorithm(&self) -> &'static str {
        self.key.name()
    }

    /// notBefore as ISO 8601 UTC (`2025-04-01T00:00:00Z`).
    pub fn not_before_iso(&self) -> String {
        iso8601_utc(self.not_before)
    }

    /// notAfter as ISO 8601 UTC.
    pub fn not_after_iso(&self) -> String {
        iso8601_utc(self.not_after)
    }

    /// Whether basicConstraints says this is a CA.
    pub fn is_ca(&self) -> bool {
        self.basic_constraints.is_some_and(|b| b.ca)
    }

    /// [`CertificateInfo::check_jpki_auth`], on the same facts.
    pub fn check_jpki_auth(&self) -> Result<(), JpkiProfileError> {
        check_jpki_auth(&JpkiFacts {
            key_usage: self.key_usage,
            extended_key_usage: &self.extended_key_usage,
            policies: &self.policies,
            key: self.key,
            key_bits: self.key_bits,
            basic_constraints: self.basic_constraints,
        })
    }
}

impl From<&CertificateInfo> for CertificateView {
    fn from(info: &CertificateInfo) -> Self {
        Self {
            serial: info.serial.clone(),
            issuer: info.issuer.clone(),
            subject: info.subject.clone(),
            not_before: info.not_before,
            not_after: info.not_after,
            key: info.public_key.kind(),
            key_bits: info.key_bits,
            signature_algorithm: info.signature_algorithm,
            key_usage: info.key_usage,
            extended_key_usage: info.extended_key_usage.clone(),
            policies: info.policies.clone(),
            basic_constraints: info.basic_constraints,
        }
    }
}

/// Reads one DER X.509 certificate for showing it: refuses what
/// [`parse_certificate_lazy`](super::parse_certificate_lazy) refuses, with the same variant,
/// and reads the same facts. Never for a trust decision (the service parses with
/// [`parse_certificate`](super::parse_certificate) under [`verify_chain`](super::verify_chain)).
pub fn parse_certificate_view(der: &[u8]) -> Result<CertificateView, CertificateError> {
    if der.is_empty() {
        return Err(CertificateError::Empty);
    }
    // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }
    let mut input = SliceReader::new(der)?;
    let mut certificate = open(&mut input, Tag::Sequence)?;
    let tbs = read_tbs(&mut certificate)?;
    let outer_algorithm = algorithm_identifier(&mut certificate)?;
    let signature = BitStringRef::decode(&mut certificate)?;
    certificate.finish(())?;
    // The checks of `decode::decode_signed`, in its order.
    let rest = usize::try_from(input.remaining_len())?;
    if rest != 0 {
        return Err(CertificateError::TrailingBytes { count: rest });
    }
    if tbs.algorithm != outer_algorithm {
        return Err(CertificateError::SignatureAlgorithmMismatch);
    }
    if signature.as_bytes().is_none() {
        return Err(CertificateError::BadSignatureEncoding);
    }
    let (key, key_bits) = key_facts(&tbs.key_algorithm, tbs.key)?;
    let mut view = CertificateView {
        serial: tbs.serial,
        issuer: tbs.issuer,
        subject: tbs.subject,
        not_before: tbs.not_before,
        not_after: tbs.not_after,
        key,
        key_bits,
        signature_algorithm: SignatureAlgorithm::from_parts(
            outer_algorithm.oid,
            outer_algorithm.parameters,
        ),
        key_usage: None,
        extended_key_usage: Vec::new(),
        policies: Vec::new(),
        basic_constraints: None,
    };
    if let Some(oid) = first_repeated(&tbs.extensions, |&(oid, _)| oid) {
        return Err(CertificateError::DuplicateExtension { oid });
    }
    for &(oid, value) in &tbs.extensions {
        read_extension(&mut view, oid, value)
            .map_err(|source| CertificateError::BadExtension { oid, source })?;
    }
    Ok(view)
}

/// An AlgorithmIdentifier; equal as `spki`'s `AlgorithmIdentifierOwned` is (OID, and
/// parameters by tag and bytes).
#[derive(PartialEq)]
struct Algorithm<'a> {
    oid: ObjectIdentifier,
    parameters: Option<AnyRef<'a>>,
}

/// What TBSCertificate holds that the view needs, its extensions undecoded.
struct Tbs<'a> {
    serial: String,
    algorithm: Algorithm<'a>,
    issuer: DistinguishedName,
    not_before: i64,
    not_after: i64,
    subject: DistinguishedName,
    key_algorithm: Algorithm<'a>,
    key: BitStringRef<'a>,
    /// extnID and extnValue of each extension, in order.
    extensions: Vec<(ObjectIdentifier, &'a [u8])>,
}

/// The bytes an RFC 5280 serial number may take when decoded (`x509-cert`'s
/// `SerialNumber::MAX_DECODE_LEN`: 20, and a sign byte).
const MAX_SERIAL_LEN: usize = 21;

// Out of line, as `key_facts`, `rsa_modulus_bits` and `read_extension`: the module is 141 B
// smaller gzipped than with them inlined into `parse_certificate_view` (docs/benchmarks.md).
#[inline(never)]
fn read_tbs<'a>(certificate: &mut SliceReader<'a>) -> der::Result<Tbs<'a>> {
    let mut tbs = open(certificate, Tag::Sequence)?;
    // version [0] EXPLICIT Version DEFAULT v1 (an explicit v1 is accepted, as by `der`).
    if let Some(mut version) = explicit(&mut tbs, 0)? {
        if u8::decode(&mut version)? > 2 {
            return Err(Tag::Integer.value_error());
        }
        version.finish(())?;
    }
    let serial = IntRef::decode(&mut tbs)?.as_bytes();
    if serial.len() > MAX_SERIAL_LEN {
        return Err(Tag::Integer.value_error());
    }
    let algorithm = algorithm_identifier(&mut tbs)?;
    let issuer = name(&mut tbs)?;
    let mut validity = open(&mut tbs, Tag::Sequence)?;
    let not_before = time(&mut validity)?;
    let not_after = time(&mut validity)?;
    validity.finish(())?;
    let subject = name(&mut tbs)?;
    let mut spki = open(&mut tbs, Tag::Sequence)?;
    let key_algorithm = algorithm_identifier(&mut spki)?;
    let key = BitStringRef::decode(&mut spki)?;
    spki.finish(())?;
    // issuerUniqueID [1] IMPLICIT, subjectUniqueID [2] IMPLICIT: checked, not kept.
    implicit_bit_string(&mut tbs, 1)?;
    implicit_bit_string(&mut tbs, 2)?;
    let mut extensions = Vec::new();
    if let Some(mut field) = explicit(&mut tbs, 3)? {
        let mut list = open(&mut field, Tag::Sequence)?;
        while !list.is_finished() {
            // Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue }
            let mut extension = open(&mut list, Tag::Sequence)?;
            let oid = ObjectIdentifier::decode(&mut extension)?;
            if next_is(&extension, Tag::Boolean)? {
                bool::decode(&mut extension)?;
            }
            let value = OctetStringRef::decode(&mut extension)?.as_bytes();
            extension.finish(())?;
            extensions.push((oid, value));
        }
        field.finish(())?;
    }
    tbs.finish(Tbs {
        serial: serial_hex(serial),
        algorithm,
        issuer,
        not_before,
        not_after,
        subject,
        key_algorithm,
        key,
        extensions,
    })
}

/// The contents of the next TLV, which must carry `tag`.
fn contents<'a>(reader: &mut SliceReader<'a>, tag: Tag) -> der::Result<&'a [u8]> {
    let tlv = AnyRef::decode(reader)?;
    tlv.tag().assert_eq(tag)?;
    Ok(tlv.value())
}

/// A reader over the contents of the next TLV, which must carry `tag`.
fn open<'a>(reader: &mut SliceReader<'a>, tag: Tag) -> der::Result<SliceReader<'a>> {
    SliceReader::new(contents(reader, tag)?)
}

/// Whether the next TLV carries `tag` (`false` at the end); a byte that is no tag `der`
/// knows is an error, as in `der`'s decoding of an OPTIONAL or DEFAULT field.
fn next_is(reader: &SliceReader<'_>, tag: Tag) -> der::Result<bool> {
    match reader.peek_byte() {
        Some(byte) => Ok(Tag::try_from(byte)? == tag),
        None => Ok(false),
    }
}

/// Whether the next field is the context-specific `[number]`, after skipping the
/// context-specific fields numbered below it: `der`'s `ContextSpecific::decode_with`, through
/// which `x509-cert`'s TBSCertificate reads its tagged fields (so it, and this reader, accept
/// and ignore, say, a `[0]` after the subject's key).
fn at_context(reader: &mut SliceReader<'_>, number: u8) -> der::Result<bool> {
    while let Some(byte) = reader.peek_byte() {
        match Tag::try_from(byte)? {
            Tag::ContextSpecific { number: n, .. } if n.value() < number => {
                AnyRef::decode(reader)?;
            }
            Tag::ContextSpecific { number: n, .. } => return Ok(n.value() == number),
            _ => break,
        }
    }
    Ok(false)
}

/// A reader over the contents of an `[number] EXPLICIT` field, if present.
fn explicit<'a>(reader: &mut SliceReader<'a>, number: u8) -> der::Result<Option<SliceReader<'a>>> {
    if !at_context(reader, number)? {
        return Ok(None);
    }
    let field = AnyRef::decode(reader)?;
    if !field.tag().is_constructed() {
        return Err(field.tag().unexpected_error(None));
    }
    SliceReader::new(field.value()).map(Some)
}

/// An `[number] IMPLICIT BIT STRING` field, if present: checked as `der` checks it.
fn implicit_bit_string(reader: &mut SliceReader<'_>, number: u8) -> der::Result<()> {
    if at_context(reader, number)? {
        let field = AnyRef::decode(reader)?;
        if field.tag().is_constructed() {
            return Err(field.tag().non_canonical_error());
        }
        AnyRef::new(Tag::BitString, field.value())?.decode_as::<BitStringRef<'_>>()?;
    }
    Ok(())
}

/// AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }
fn algorithm_identifier<'a>(reader: &mut SliceReader<'a>) -> der::Result<Algorithm<'a>> {
    let mut fields = open(reader, Tag::Sequence)?;
    let oid = ObjectIdentifier::decode(&mut fields)?;
    let parameters = match fields.is_finished() {
        true => None,
        false => Some(AnyRef::decode(&mut fields)?),
    };
    fields.finish(Algorithm { oid, parameters })
}

/// Name ::= SEQUENCE OF SET OF SEQUENCE { type OID, value ANY }
///
/// Each SET OF is put in `der`'s order (it sorts on decoding) and a duplicate refused. `der`
/// orders two attributes by header (length), then OID, then the value's tag, length and bytes;
/// with the minimal lengths `der` insists on that is the order of their encodings' bytes,
/// which for SEQUENCEs is: shorter contents first, then the contents' bytes.
fn name(reader: &mut SliceReader<'_>) -> der::Result<DistinguishedName> {
    let mut rdns = open(reader, Tag::Sequence)?;
    let mut builder = NameBuilder::default();
    while !rdns.is_finished() {
        let mut set = open(&mut rdns, Tag::Set)?;
        let mut attributes = Vec::new();
        while !set.is_finished() {
            let encoded = contents(&mut set, Tag::Sequence)?;
            let mut fields = SliceReader::new(encoded)?;
            let oid = ObjectIdentifier::decode(&mut fields)?;
            let value_der = &encoded[usize::try_from(fields.position())?..];
            let value = AnyRef::decode(&mut fields)?;
            fields.finish(())?;
            attributes.push((encoded, oid, value, value_der));
        }
        // `der`'s insertion sort, which meets every duplicate on the way.
        for i in 1..attributes.len() {
            let mut j = i;
            while j > 0 {
                let (before, this) = (attributes[j - 1].0, attributes[j].0);
                match (before.len(), before).cmp(&(this.len(), this)) {
                    Ordering::Less => break,
                    Ordering::Equal => return Err(ErrorKind::SetDuplicate.into()),
                    Ordering::Greater => attributes.swap(j - 1, j),
                }
                j -= 1;
            }
        }
        for (_, oid, value, value_der) in attributes {
            builder.attribute(oid, value, value_der);
        }
        builder.end_rdn();
    }
    Ok(builder.finish())
}

/// Time ::= CHOICE { utcTime UTCTime, generalTime GeneralizedTime }, as unix seconds.
fn time(reader: &mut SliceReader<'_>) -> der::Result<i64> {
    let since_1970 = match next_is(reader, Tag::UtcTime)? {
        true => UtcTime::decode(reader)?.to_unix_duration(),
        false => GeneralizedTime::decode(reader)?.to_unix_duration(),
    };
    Ok(duration_seconds(since_1970))
}

/// The subject key's kind and size, refusing what
/// [`PublicKey::from_spki_der`](super::PublicKey::from_spki_der) refuses.
#[inline(never)]
fn key_facts(
    algorithm: &Algorithm<'_>,
    key: BitStringRef<'_>,
) -> Result<(KeyKind, usize), CertificateError> {
    let bytes = key.as_bytes().ok_or(CertificateError::BadPublicKey)?;
    if algorithm.oid == ID_EC_PUBLIC_KEY {
        check_p384(algorithm.parameters, bytes)?;
        return Ok((KeyKind::EcP384, 384));
    }
    if algorithm.oid != RSA_ENCRYPTION {
        return Err(CertificateError::UnsupportedKeyAlgorithm { oid: algorithm.oid });
    }
    rsa_modulus_bits(bytes)
        .map(|bits| (KeyKind::Rsa, bits))
        .ok_or(CertificateError::BadPublicKey)
}

/// The largest RSA modulus `rsa`'s `RsaPublicKey::new` takes, in bits.
const MAX_RSA_BITS: usize = 4096;
/// The largest public exponent it takes, 2^33 − 1.
const MAX_RSA_EXPONENT: u64 = (1 << 33) - 1;

/// The modulus size of a PKCS #1 RSAPublicKey `SEQUENCE { modulus INTEGER, publicExponent
/// INTEGER }` that `rsa` would build a key from: both positive and minimally encoded (`der`'s
/// `UintRef`), the modulus odd and of at most [`MAX_RSA_BITS`], the exponent odd, from 2 to
/// [`MAX_RSA_EXPONENT`] and below the modulus.
#[inline(never)]
fn rsa_modulus_bits(pkcs1: &[u8]) -> Option<usize> {
    let mut reader = SliceReader::new(pkcs1).ok()?;
    let mut fields = open(&mut reader, Tag::Sequence).ok()?;
    let n = UintRef::decode(&mut fields).ok()?.as_bytes();
    let e = UintRef::decode(&mut fields).ok()?.as_bytes();
    fields.finish(()).ok()?;
    reader.finish(()).ok()?;
    // Both without leading zero bytes (`UintRef` strips them), so size and order are plain.
    let bits = n.len() * 8 - n.first()?.leading_zeros() as usize;
    let odd = |x: &[u8]| x.last().is_some_and(|b| b & 1 == 1);
    let exponent = (e.len() <= 8).then(|| e.iter().fold(0, |v, &b| (v << 8) | u64::from(b)))?;
    let below_modulus = (e.len(), e) < (n.len(), n);
    let valid = bits <= MAX_RSA_BITS
        && odd(n)
        && odd(e)
        && (2..=MAX_RSA_EXPONENT).contains(&exponent)
        && below_modulus;
    valid.then_some(bits)
}

/// Decodes the extensions the view shows, and those the full parse decodes (so that it
/// refuses the same): subjectKeyIdentifier is checked and dropped; cRLDistributionPoints and
/// authorityKeyIdentifier are not decoded, as by the lazy parse.
#[inline(never)]
fn read_extension(
    view: &mut CertificateView,
    oid: ObjectIdentifier,
    value: &[u8],
) -> der::Result<()> {
    let mut reader = SliceReader::new(value)?;
    match oid {
        ID_CE_KEY_USAGE => {
            // `der`'s FlagSet<KeyUsages> (u16): at most 16 bits, bit 0 first.
            let bits = BitStringRef::decode(&mut reader)?;
            if bits.bit_len() > 16 {
                return Err(ErrorKind::Overlength.into());
            }
            let flags = bits
                .bits()
                .enumerate()
                .fold(0u16, |flags, (i, set)| flags | (u16::from(set) << i));
            view.key_usage = Some(KeyUsage::from_bits(flags));
        }
        ID_CE_EXT_KEY_USAGE => {
            let mut purposes = open(&mut reader, Tag::Sequence)?;
            while !purposes.is_finished() {
                let purpose = ObjectIdentifier::decode(&mut purposes)?;
                view.extended_key_usage.push(purpose);
            }
        }
        ID_CE_CERTIFICATE_POLICIES => {
            let mut policies = open(&mut reader, Tag::Sequence)?;
            while !policies.is_finished() {
                // PolicyInformation ::= SEQUENCE { policyIdentifier, policyQualifiers
                //   SEQUENCE OF SEQUENCE { policyQualifierId OID, qualifier ANY OPTIONAL }
                //   OPTIONAL }
                let mut policy = open(&mut policies, Tag::Sequence)?;
                view.policies.push(ObjectIdentifier::decode(&mut policy)?);
                if next_is(&policy, Tag::Sequence)? {
                    let mut qualifiers = open(&mut policy, Tag::Sequence)?;
                    while !qualifiers.is_finished() {
                        let mut qualifier = open(&mut qualifiers, Tag::Sequence)?;
                        ObjectIdentifier::decode(&mut qualifier)?;
                        if !qualifier.is_finished() {
                            AnyRef::decode(&mut qualifier)?;
                        }
                        qualifier.finish(())?;
                    }
                }
                policy.finish(())?;
            }
        }
        ID_CE_BASIC_CONSTRAINTS => {
            // SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER (0..255) OPTIONAL }
            let mut fields = open(&mut reader, Tag::Sequence)?;
            let ca = next_is(&fields, Tag::Boolean)? && bool::decode(&mut fields)?;
            let path_len = match next_is(&fields, Tag::Integer)? {
                true => Some(u8::decode(&mut fields)?),
                false => None,
            };
            fields.finish(())?;
            view.basic_constraints = Some(BasicConstraints { ca, path_len });
        }
        ID_CE_SUBJECT_KEY_IDENTIFIER => {
            OctetStringRef::decode(&mut reader)?;
        }
        _ => return Ok(()),
    }
    reader.finish(())
}
