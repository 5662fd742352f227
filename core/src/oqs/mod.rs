//! The OQS `XmlMsg` eligibility result (資格確認結果), as receipt systems know it.
//!
//! ```text
//! bytes (UTF-8 | Shift_JIS=CP932) ──decode──▶ text ──quick-xml──▶ element tree ──▶ XmlMsg
//! XmlMsg ──to_xml(Encoding)──▶ bytes            XmlMsg ──serde::Serialize──▶ JSON view
//! ```
//!
//! - [`parse`] / [`parse_str`]: any element order, one or many results, texts trimmed of
//!   ASCII whitespace (U+3000 inside names kept), unknown elements kept in `extra`, code
//!   values outside their table kept raw ([`Code`]). DTDs are refused; input size, depth
//!   and element count are bounded ([`ParseLimits`]).
//! - [`to_xml`]: schema order, escaping, `standalone="no"` declaration, and a
//!   `CharacterCodeIdentifier` that matches the chosen [`Encoding`].
//! - The JSON view (`serde::Serialize` on [`XmlMsg`] and every node) is what the browser
//!   module hands to JavaScript: lowerCamelCase keys, `messageBody.resultList` as an
//!   array, and a `…Label` next to every code and ratio:
//!
//! ```json
//! {"messageHeader": {"segmentOfResult": "1", "segmentOfResultLabel": "正常終了", …},
//!  "messageBody": {"qualificationValidity": "1", "qualificationValidityLabel": "有効",
//!    "resultList": [{"insurerNumber": "01130012", "sex1": "1", "sex1Label": "男",
//!      "insuredPartialContributionRatio": "030",
//!      "insuredPartialContributionRatioLabel": "3割", …}]}}
//! ```
//!
//! - [`parse_copy_text`] / [`to_copy_text`]: the official マイナ資格確認アプリ's copied
//!   result text, read into and written from the same tree (see `copy_text`).
//! - [`shown_ratio`]: the 負担割合 a result means (data or derived from the law).
//! - [`InsuredRecord`]: one person's 資格情報 as a flat row of text columns, the simulator's
//!   record format (persona fixtures, CSV import, its table).
//! - Builders for answers: [`XmlMsg::normal`], [`XmlMsg::error`],
//!   [`XmlMsg::service_error`] with [`ResponseContext`].

mod codes;
mod copy_text;
pub(crate) mod cp932;
pub(crate) mod element;
mod error;
mod json;
mod model;
mod parse;
mod ratio;
mod record;
mod write;

pub use codes::{
    CharacterCodeIdentifier, Code, CodeTable, ConsentFlag, ContributionRatio, Encoding,
    InsuredCardClassification, LimitApplicationCertificateClassification,
    LimitApplicationCertificateClassificationFlag, PersonalFamilyClassification,
    PreschoolClassification, ProcessingResultStatus, QualificationValidity, ReasonOfLoss,
    ReferenceClassification, SegmentOfResult, ServiceErrorCode, Sex, contribution_ratio_label,
    contribution_ratio_percent,
};
pub use copy_text::{
    CopyTextError, IDENTITY_LABEL, MAX_COPY_TEXT_BYTES, UNKNOWN_FIELD_ELEMENT, copy_text_date,
    identity_label, parse_copy_text, to_copy_text, to_copy_text_with_identity, token_label,
};
pub use element::UnknownElement;
pub use error::{OqsError, Position};
pub use model::{
    ElderlyRecipientCertificateInfo, LimitApplicationCertificateRelatedInfo, MessageBody,
    MessageHeader, QualificationConfirmSearchInfo, ResponseContext, ResultList,
    ResultOfQualificationConfirmation, SpecificDiseasesCertificateInfo,
    SpecificDiseasesCertificateList, XmlMsg,
};
pub use parse::{ParseLimits, decode, detect_encoding, parse, parse_str, parse_with_limits};
pub use ratio::{DERIVED_MARK, RatioSource, ShownRatio, shown_ratio};
pub use record::{InsuredRecord, MissingColumn};
pub use write::to_xml;
