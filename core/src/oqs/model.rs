//! The typed `XmlMsg` model.
//!
//! Every struct maps one XML element; its fields are its known child elements in schema
//! order, and `extra` holds the children it does not know (kept and written back). A text
//! element is `Option<String>` (`None` = absent, `Some("")` = present but empty); a code is
//! `Option<Code<T>>`; a ratio `Option<ContributionRatio>`; a nested element `Option<T>`.
//! Texts are trimmed of ASCII whitespace only, so a name keeps its U+3000 between family
//! and given name.
//!
//! Children are matched by local name (any namespace prefix ignored), in any order. A
//! second occurrence of a known single element, or a known element in the wrong shape
//! (a text field with child elements, a group with text), is kept in `extra` instead.
//!
//! The model knows no codec: the XML reader (`parse`) and writer (`write`), the JSON view
//! (`json`) and the copied text (`copy_text`) depend on it, never the other way round. The
//! writer and the JSON view see a node's children through [`Visitor`].

use serde::Serialize;

use super::codes::{
    CharacterCodeIdentifier, Code, CodeTable, ConsentFlag, ContributionRatio,
    InsuredCardClassification, LimitApplicationCertificateClassification,
    LimitApplicationCertificateClassificationFlag, PersonalFamilyClassification,
    PreschoolClassification, ProcessingResultStatus, QualificationValidity, ReasonOfLoss,
    ReferenceClassification, SegmentOfResult, ServiceErrorCode, Sex,
};
use super::element::{UnknownElement, local_name};
use super::error::OqsError;
use crate::identifiers::VoucherFields;

/// A struct mapped to an element with child elements. Its JSON view (`Serialize`) is
/// implemented by the JSON codec, which the compiler makes sure of through this bound.
pub(crate) trait Node: Default + Serialize {
    /// Fills the struct from an element's children.
    fn from_children(children: Vec<UnknownElement>) -> Self;
    /// Hands the children to `visitor`: the known ones that are present in schema order,
    /// then the unknown ones.
    fn visit_children<V: Visitor>(&self, visitor: &mut V) -> Result<(), V::Error>;
}

/// What a codec (the XML writer, the JSON view) does with the children of a [`Node`]. The
/// model walks itself and calls these; it knows no codec.
pub(crate) trait Visitor {
    /// What stops the walk.
    type Error;
    /// A text element that is present.
    fn text(&mut self, name: &'static str, text: &str) -> Result<(), Self::Error>;
    /// A code or ratio element that is present: its raw value, and its label when the value
    /// is in its table.
    fn code(
        &mut self,
        name: &'static str,
        raw: &str,
        label: Option<&'static str>,
    ) -> Result<(), Self::Error>;
    /// A nested element that is present.
    fn node<N: Node>(&mut self, name: &'static str, node: &N) -> Result<(), Self::Error>;
    /// A repeated nested element, present at least once.
    fn nodes<N: Node>(&mut self, name: &'static str, nodes: &[N]) -> Result<(), Self::Error>;
    /// `ResultList` (always visited, also when empty).
    fn result_list(&mut self, name: &'static str, list: &ResultList) -> Result<(), Self::Error>;
    /// The unknown children, in document order.
    fn unknowns(&mut self, extra: &[UnknownElement]) -> Result<(), Self::Error>;
}

/// One known child slot of a [`Node`].
pub(crate) trait Field: Default {
    /// Takes `el` into this slot, or hands it back (duplicate or wrong shape).
    fn accept(&mut self, el: UnknownElement) -> Result<(), UnknownElement>;
    /// Hands the slot, as element `name`, to `visitor` (nothing when absent).
    fn visit<V: Visitor>(&self, name: &'static str, visitor: &mut V) -> Result<(), V::Error>;
}

/// Takes a leaf into an empty slot, its text made into the slot's value by `make`; hands the
/// element back if the slot is taken or the element has children.
fn accept_leaf<T>(
    slot: &mut Option<T>,
    el: UnknownElement,
    make: impl FnOnce(String) -> T,
) -> Result<(), UnknownElement> {
    if slot.is_some() || !el.children().is_empty() {
        return Err(el);
    }
    *slot = Some(make(el.into_parts().1));
    Ok(())
}

impl Field for Option<String> {
    fn accept(&mut self, el: UnknownElement) -> Result<(), UnknownElement> {
        accept_leaf(self, el, |text| text)
    }
    fn visit<V: Visitor>(&self, name: &'static str, visitor: &mut V) -> Result<(), V::Error> {
        match self {
            Some(text) => visitor.text(name, text),
            None => Ok(()),
        }
    }
}

impl<T: CodeTable> Field for Option<Code<T>> {
    fn accept(&mut self, el: UnknownElement) -> Result<(), UnknownElement> {
        accept_leaf(self, el, Code::from_raw)
    }
    fn visit<V: Visitor>(&self, name: &'static str, visitor: &mut V) -> Result<(), V::Error> {
        match self {
            Some(code) => visitor.code(name, code.raw(), code.label()),
            None => Ok(()),
        }
    }
}

impl Field for Option<ContributionRatio> {
    fn accept(&mut self, el: UnknownElement) -> Result<(), UnknownElement> {
        accept_leaf(self, el, ContributionRatio::from_raw)
    }
    fn visit<V: Visitor>(&self, name: &'static str, visitor: &mut V) -> Result<(), V::Error> {
        match self {
            Some(ratio) => visitor.code(name, ratio.raw(), ratio.label()),
            None => Ok(()),
        }
    }
}

/// A group element: no text of its own.
fn group_children(el: UnknownElement) -> Result<Vec<UnknownElement>, UnknownElement> {
    if el.text().is_empty() {
        Ok(el.into_parts().2)
    } else {
        Err(el)
    }
}

impl<N: Node> Field for Option<N> {
    fn accept(&mut self, el: UnknownElement) -> Result<(), UnknownElement> {
        if self.is_some() {
            return Err(el);
        }
        *self = Some(N::from_children(group_children(el)?));
        Ok(())
    }
    fn visit<V: Visitor>(&self, name: &'static str, visitor: &mut V) -> Result<(), V::Error> {
        match self {
            Some(node) => visitor.node(name, node),
            None => Ok(()),
        }
    }
}

impl<N: Node> Field for Vec<N> {
    fn accept(&mut self, el: UnknownElement) -> Result<(), UnknownElement> {
        self.push(N::from_children(group_children(el)?));
        Ok(())
    }
    fn visit<V: Visitor>(&self, name: &'static str, visitor: &mut V) -> Result<(), V::Error> {
        if self.is_empty() {
            Ok(())
        } else {
            visitor.nodes(name, self)
        }
    }
}

macro_rules! oqs_node {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $(#[$fmeta:meta])*
                pub $field:ident : $ty:ty = $xml:literal,
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        #[non_exhaustive]
        pub struct $name {
            $(
                $(#[$fmeta])*
                #[doc = concat!("\n\nElement `", $xml, "`.")]
                pub $field: $ty,
            )*
            /// Child elements this model does not know, in document order.
            pub extra: Vec<UnknownElement>,
        }

        impl $name {
            /// The known child element names, in schema order.
            pub const CHILD_ELEMENTS: &'static [&'static str] = &[$($xml),*];
        }

        impl Node for $name {
            fn from_children(children: Vec<UnknownElement>) -> Self {
                let mut node = Self::default();
                for child in children {
                    let rejected = match local_name(child.name()) {
                        $( $xml => Field::accept(&mut node.$field, child), )*
                        _ => Err(child),
                    };
                    if let Err(child) = rejected {
                        node.extra.push(child);
                    }
                }
                node
            }

            fn visit_children<V: Visitor>(&self, visitor: &mut V) -> Result<(), V::Error> {
                $( Field::visit(&self.$field, $xml, visitor)?; )*
                visitor.unknowns(&self.extra)
            }
        }
    };
}

oqs_node! {
    /// `XmlMsg/MessageHeader`: about the answer itself.
    pub struct MessageHeader {
        /// Processing timestamp, `yyyyMMddHHmmss`.
        pub process_execution_time: Option<String> = "ProcessExecutionTime",
        /// The date the qualification was checked for, `yyyyMMdd`.
        pub qualification_confirmation_date: Option<String> = "QualificationConfirmationDate",
        /// 医療機関コード (10 digits) or the facility's equivalent.
        pub medical_institution_code: Option<String> = "MedicalInstitutionCode",
        /// Echo of the requester's file identifier.
        pub arbitrary_file_identifier: Option<String> = "ArbitraryFileIdentifier",
        /// 照会区分: by card (1) or by insurance numbers (2).
        pub reference_classification: Option<Code<ReferenceClassification>> = "ReferenceClassification",
        /// 処理結果区分: 1 normal, 2 processing, 9 abnormal end.
        pub segment_of_result: Option<Code<SegmentOfResult>> = "SegmentOfResult",
        /// Error code when `SegmentOfResult` ≠ 1 (see [`ServiceErrorCode`]).
        pub error_code: Option<String> = "ErrorCode",
        /// Error message when `SegmentOfResult` ≠ 1.
        pub error_message: Option<String> = "ErrorMessage",
        /// 0 UTF-8, 1 Shift_JIS.
        pub character_code_identifier: Option<Code<CharacterCodeIdentifier>> = "CharacterCodeIdentifier",
    }
}

oqs_node! {
    /// `XmlMsg/MessageBody`: the result.
    pub struct MessageBody {
        /// 処理結果状況: 1 normal, 2 error.
        pub processing_result_status: Option<Code<ProcessingResultStatus>> = "ProcessingResultStatus",
        /// 処理結果コード.
        pub processing_result_code: Option<String> = "ProcessingResultCode",
        /// 処理結果メッセージ (also notices such as "card expires within 3 months").
        pub processing_result_message: Option<String> = "ProcessingResultMessage",
        /// 資格有効性.
        pub qualification_validity: Option<Code<QualificationValidity>> = "QualificationValidity",
        /// Echo of a number-based request.
        pub qualification_confirm_search_info: Option<QualificationConfirmSearchInfo> = "QualificationConfirmSearchInfo",
        /// The results (`ResultList/ResultOfQualificationConfirmation`, one or more).
        pub result_list: ResultList = "ResultList",
    }
}

oqs_node! {
    /// `MessageBody/QualificationConfirmSearchInfo`: the numbers a number-based request
    /// searched for.
    pub struct QualificationConfirmSearchInfo {
        /// 保険者番号.
        pub insurer_number: Option<String> = "InsurerNumber",
        /// 記号.
        pub insured_card_symbol: Option<String> = "InsuredCardSymbol",
        /// 番号.
        pub insured_identification_number: Option<String> = "InsuredIdentificationNumber",
        /// 枝番.
        pub insured_branch_number: Option<String> = "InsuredBranchNumber",
        /// 生年月日 `yyyyMMdd`.
        pub birthdate: Option<String> = "Birthdate",
        /// Consent to disclose 限度額適用認定証 information.
        pub limit_application_certificate_related_cons_flg: Option<Code<ConsentFlag>> = "LimitApplicationCertificateRelatedConsFlg",
    }
}

oqs_node! {
    /// `ResultOfQualificationConfirmation`: one person's 資格情報. Fields in the OQS schema
    /// order, which the writer keeps (`InsurerName` comes after `ReasonOfLoss`).
    pub struct ResultOfQualificationConfirmation {
        /// 被保険者証区分.
        pub insured_card_classification: Option<Code<InsuredCardClassification>> = "InsuredCardClassification",
        /// 保険者番号 (6 or 8 digits; a 6-digit one may arrive space-padded, trimmed here).
        pub insurer_number: Option<String> = "InsurerNumber",
        /// 被保険者証記号 (free text).
        pub insured_card_symbol: Option<String> = "InsuredCardSymbol",
        /// 被保険者証番号 (free text).
        pub insured_identification_number: Option<String> = "InsuredIdentificationNumber",
        /// 枝番 (2 digits, as text).
        pub insured_branch_number: Option<String> = "InsuredBranchNumber",
        /// 本人・家族の別.
        pub personal_family_classification: Option<Code<PersonalFamilyClassification>> = "PersonalFamilyClassification",
        /// 被保険者氏名 (head of household).
        pub insured_name: Option<String> = "InsuredName",
        /// 氏名.
        pub name: Option<String> = "Name",
        /// 氏名 (その他: 通称 etc.).
        pub name_of_other: Option<String> = "NameOfOther",
        /// 氏名カナ (half-width kana).
        pub name_kana: Option<String> = "NameKana",
        /// 氏名カナ (その他).
        pub name_of_other_kana: Option<String> = "NameOfOtherKana",
        /// 性別1.
        pub sex1: Option<Code<Sex>> = "Sex1",
        /// 性別2.
        pub sex2: Option<Code<Sex>> = "Sex2",
        /// 生年月日 `yyyyMMdd`.
        pub birthdate: Option<String> = "Birthdate",
        /// 住所.
        pub address: Option<String> = "Address",
        /// 郵便番号 `123-4567`.
        pub post_number: Option<String> = "PostNumber",
        /// 資格取得年月日.
        pub qualification_date: Option<String> = "QualificationDate",
        /// 資格喪失年月日.
        pub disqualification_date: Option<String> = "DisqualificationDate",
        /// 被保険者証交付年月日.
        pub insured_certificate_issuance_date: Option<String> = "InsuredCertificateIssuanceDate",
        /// 被保険者証有効開始年月日.
        pub insured_card_valid_date: Option<String> = "InsuredCardValidDate",
        /// 被保険者証有効終了年月日.
        pub insured_card_expiration_date: Option<String> = "InsuredCardExpirationDate",
        /// 一部負担金割合 (`030` = 3割).
        pub insured_partial_contribution_ratio: Option<ContributionRatio> = "InsuredPartialContributionRatio",
        /// 未就学区分.
        pub preschool_classification: Option<Code<PreschoolClassification>> = "PreschoolClassification",
        /// 資格喪失事由.
        pub reason_of_loss: Option<Code<ReasonOfLoss>> = "ReasonOfLoss",
        /// 保険者名称 (after `ReasonOfLoss` in the OQS schema: a later addition to it).
        pub insurer_name: Option<String> = "InsurerName",
        /// 高齢受給者証情報.
        pub elderly_recipient_certificate_info: Option<ElderlyRecipientCertificateInfo> = "ElderlyRecipientCertificateInfo",
        /// Consent to disclose 限度額適用認定証 information.
        pub limit_application_certificate_related_cons_flg: Option<Code<ConsentFlag>> = "LimitApplicationCertificateRelatedConsFlg",
        /// When that consent was given, `yyyyMMddHHmmss`.
        pub limit_application_certificate_related_cons_time: Option<String> = "LimitApplicationCertificateRelatedConsTime",
        /// 限度額適用認定証関連情報.
        pub limit_application_certificate_related_info: Option<LimitApplicationCertificateRelatedInfo> = "LimitApplicationCertificateRelatedInfo",
        /// Consent to disclose 特定疾病療養受療証 information. **(uncertain)**
        pub specific_diseases_certificate_related_cons_flg: Option<Code<ConsentFlag>> = "SpecificDiseasesCertificateRelatedConsFlg",
        /// When that consent was given. **(uncertain)**
        pub specific_diseases_certificate_related_cons_time: Option<String> = "SpecificDiseasesCertificateRelatedConsTime",
        /// 特定疾病療養受療証情報一覧. **(uncertain element names)**
        pub specific_diseases_certificate_list: Option<SpecificDiseasesCertificateList> = "SpecificDiseasesCertificateList",
        /// 照会番号.
        pub reference_number: Option<String> = "ReferenceNumber",
    }
}

oqs_node! {
    /// `ElderlyRecipientCertificateInfo`: 高齢受給者証 (70–74).
    pub struct ElderlyRecipientCertificateInfo {
        /// 交付年月日.
        pub elderly_recipient_certificate_date: Option<String> = "ElderlyRecipientCertificateDate",
        /// 有効開始年月日.
        pub elderly_recipient_valid_start_date: Option<String> = "ElderlyRecipientValidStartDate",
        /// 有効終了年月日.
        pub elderly_recipient_valid_end_date: Option<String> = "ElderlyRecipientValidEndDate",
        /// 一部負担金の割合.
        pub elderly_recipient_contribution_ratio: Option<ContributionRatio> = "ElderlyRecipientContributionRatio",
    }
}

oqs_node! {
    /// `LimitApplicationCertificateRelatedInfo`: 限度額適用認定証.
    pub struct LimitApplicationCertificateRelatedInfo {
        /// 認定証区分.
        pub limit_application_certificate_classification: Option<Code<LimitApplicationCertificateClassification>> = "LimitApplicationCertificateClassification",
        /// 適用区分.
        pub limit_application_certificate_classification_flag: Option<Code<LimitApplicationCertificateClassificationFlag>> = "LimitApplicationCertificateClassificationFlag",
        /// 交付年月日.
        pub limit_application_certificate_date: Option<String> = "LimitApplicationCertificateDate",
        /// 有効開始年月日.
        pub limit_application_certificate_valid_start_date: Option<String> = "LimitApplicationCertificateValidStartDate",
        /// 有効終了年月日.
        pub limit_application_certificate_valid_end_date: Option<String> = "LimitApplicationCertificateValidEndDate",
        /// 長期入院該当年月日.
        pub limit_application_certificate_long_term_date: Option<String> = "LimitApplicationCertificateLongTermDate",
    }
}

oqs_node! {
    /// `SpecificDiseasesCertificateList`: 特定疾病療養受療証 entries. **(uncertain)**
    pub struct SpecificDiseasesCertificateList {
        /// The entries.
        pub specific_diseases_certificate_info: Vec<SpecificDiseasesCertificateInfo> = "SpecificDiseasesCertificateInfo",
    }
}

oqs_node! {
    /// `SpecificDiseasesCertificateInfo`: one 特定疾病療養受療証. **(uncertain)**
    pub struct SpecificDiseasesCertificateInfo {
        /// 認定疾病区分.
        pub specific_diseases_disease_category: Option<String> = "SpecificDiseasesDiseaseCategory",
        /// 交付年月日.
        pub specific_diseases_certificate_date: Option<String> = "SpecificDiseasesCertificateDate",
        /// 有効開始年月日.
        pub specific_diseases_valid_start_date: Option<String> = "SpecificDiseasesValidStartDate",
        /// 有効終了年月日.
        pub specific_diseases_valid_end_date: Option<String> = "SpecificDiseasesValidEndDate",
        /// 自己負担限度額.
        pub specific_diseases_self_pay: Option<String> = "SpecificDiseasesSelfPay",
    }
}

/// `MessageBody/ResultList`: the results. Several `ResultList` elements are merged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResultList {
    /// The `ResultOfQualificationConfirmation` elements in document order.
    pub results: Vec<ResultOfQualificationConfirmation>,
    /// Other child elements of `ResultList`.
    pub extra: Vec<UnknownElement>,
}

impl ResultList {
    /// The element name of one result.
    pub const RESULT_ELEMENT: &'static str = "ResultOfQualificationConfirmation";
}

impl Field for ResultList {
    fn accept(&mut self, el: UnknownElement) -> Result<(), UnknownElement> {
        for child in group_children(el)? {
            if local_name(child.name()) == Self::RESULT_ELEMENT {
                match group_children(child) {
                    Ok(children) => self
                        .results
                        .push(ResultOfQualificationConfirmation::from_children(children)),
                    Err(child) => self.extra.push(child),
                }
            } else {
                self.extra.push(child);
            }
        }
        Ok(())
    }

    fn visit<V: Visitor>(&self, name: &'static str, visitor: &mut V) -> Result<(), V::Error> {
        visitor.result_list(name, self)
    }
}

/// The whole message: `XmlMsg` with its header and body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct XmlMsg {
    /// `MessageHeader` (required when parsing).
    pub message_header: MessageHeader,
    /// `MessageBody` (an absent body parses as an empty one).
    pub message_body: MessageBody,
    /// Other children of `XmlMsg`.
    pub extra: Vec<UnknownElement>,
}

impl XmlMsg {
    /// The root element name.
    pub const ELEMENT: &'static str = "XmlMsg";

    /// Builds the message from the parsed root element (already checked to be `XmlMsg`).
    pub(crate) fn from_root(root: UnknownElement) -> Result<Self, OqsError> {
        let (_, _, children) = root.into_parts();
        let mut header: Option<MessageHeader> = None;
        let mut body: Option<MessageBody> = None;
        let mut extra = Vec::new();
        for child in children {
            let rejected = match local_name(child.name()) {
                "MessageHeader" => Field::accept(&mut header, child),
                "MessageBody" => Field::accept(&mut body, child),
                _ => Err(child),
            };
            if let Err(child) = rejected {
                extra.push(child);
            }
        }
        Ok(Self {
            message_header: header.ok_or(OqsError::MissingElement {
                element: "MessageHeader",
            })?,
            message_body: body.unwrap_or_default(),
            extra,
        })
    }

    /// A normal answer (`SegmentOfResult` 1, `ProcessingResultStatus` 1) with the given
    /// validity and results.
    pub fn normal(
        context: &ResponseContext,
        validity: QualificationValidity,
        results: Vec<ResultOfQualificationConfirmation>,
    ) -> Self {
        let mut msg = Self {
            message_header: context.header(SegmentOfResult::Normal),
            ..Self::default()
        };
        let body = &mut msg.message_body;
        body.processing_result_status = Some(ProcessingResultStatus::Normal.into());
        body.qualification_validity = Some(validity.into());
        body.result_list.results = results;
        msg
    }

    /// An abnormal-end answer: `SegmentOfResult` 9 with `ErrorCode` and `ErrorMessage`,
    /// and an empty body.
    pub fn error(
        context: &ResponseContext,
        error_code: impl Into<String>,
        error_message: impl Into<String>,
    ) -> Self {
        let mut header = context.header(SegmentOfResult::Abnormal);
        header.error_code = Some(error_code.into());
        header.error_message = Some(error_message.into());
        Self {
            message_header: header,
            ..Self::default()
        }
    }

    /// [`XmlMsg::error`] with a code and message from this project's table.
    pub fn service_error(context: &ResponseContext, code: ServiceErrorCode) -> Self {
        Self::error(context, code.code(), code.message())
    }

    /// Adds the echo of a number-based request.
    pub fn with_search_info(mut self, info: QualificationConfirmSearchInfo) -> Self {
        self.message_body.qualification_confirm_search_info = Some(info);
        self
    }

    /// Sets `ProcessingResultMessage` (a notice such as an expiring card).
    pub fn with_processing_result_message(mut self, message: impl Into<String>) -> Self {
        self.message_body.processing_result_message = Some(message.into());
        self
    }

    /// The results.
    pub fn results(&self) -> &[ResultOfQualificationConfirmation] {
        &self.message_body.result_list.results
    }

    /// The body's `QualificationValidity`, when known.
    pub fn qualification_validity(&self) -> Option<QualificationValidity> {
        self.message_body
            .qualification_validity
            .as_ref()
            .and_then(Code::value)
    }

    /// True for an abnormal end (`SegmentOfResult` 9) or a processing error
    /// (`ProcessingResultStatus` 2).
    pub fn is_error(&self) -> bool {
        let segment = self
            .message_header
            .segment_of_result
            .as_ref()
            .is_some_and(|c| c.is(SegmentOfResult::Abnormal));
        let status = self
            .message_body
            .processing_result_status
            .as_ref()
            .is_some_and(|c| c.is(ProcessingResultStatus::Error));
        segment || status
    }
}

/// The header facts every answer carries; the caller supplies the clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseContext {
    /// `ProcessExecutionTime`, `yyyyMMddHHmmss`.
    pub process_execution_time: String,
    /// `QualificationConfirmationDate`, `yyyyMMdd`.
    pub qualification_confirmation_date: String,
    /// `MedicalInstitutionCode` (10 digits).
    pub medical_institution_code: String,
    /// `ArbitraryFileIdentifier` to echo, if the request had one.
    pub arbitrary_file_identifier: Option<String>,
    /// `ReferenceClassification`.
    pub reference_classification: ReferenceClassification,
}

impl ResponseContext {
    fn header(&self, segment: SegmentOfResult) -> MessageHeader {
        MessageHeader {
            process_execution_time: Some(self.process_execution_time.clone()),
            qualification_confirmation_date: Some(self.qualification_confirmation_date.clone()),
            medical_institution_code: Some(self.medical_institution_code.clone()),
            arbitrary_file_identifier: self.arbitrary_file_identifier.clone(),
            reference_classification: Some(self.reference_classification.into()),
            segment_of_result: Some(segment.into()),
            error_code: None,
            error_message: None,
            character_code_identifier: Some(CharacterCodeIdentifier::Utf8.into()),
            extra: Vec::new(),
        }
    }
}

impl ResultOfQualificationConfirmation {
    /// The fields a 受診券 is compared on (see
    /// [`VoucherComparison`](crate::identifiers::VoucherComparison)).
    pub fn voucher_fields(&self) -> VoucherFields {
        VoucherFields {
            insurer_number: self.insurer_number.clone(),
            insured_card_symbol: self.insured_card_symbol.clone(),
            insured_identification_number: self.insured_identification_number.clone(),
            insured_branch_number: self.insured_branch_number.clone(),
        }
    }
}
