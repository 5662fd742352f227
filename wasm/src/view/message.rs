//! The view turned back into the core's `XmlMsg`, and the copy text written from it.
//!
//! `copyText` is the official マイナ資格確認アプリ's copied-result format, written by the core
//! (`myna_core::oqs::to_copy_text`: CRLF, sections, `確認日 : `, 和暦 with numeric years, the
//! app's value words) from the view turned back into the core's tree ([`to_message`]).

use myna_core::oqs::{
    self as oqs, Code, CodeTable, ContributionRatio, ElderlyRecipientCertificateInfo,
    LimitApplicationCertificateRelatedInfo, MessageHeader, ResultOfQualificationConfirmation,
    XmlMsg,
};

use super::{IdentityView, QualificationView, ResultView, Text};

/// The official app's copy text of `view` (see the module documentation).
pub fn copy_text(view: &QualificationView) -> String {
    oqs::to_copy_text(&to_message(view))
}

/// [`copy_text`], plus the `本人確認` line when a smartphone answered
/// (`myna_core::oqs::to_copy_text_with_identity`); exactly [`copy_text`] for the card, or
/// when the token or the mode is not known.
pub fn copy_text_with_identity(view: &QualificationView, identity: &IdentityView) -> String {
    match (identity.token(), identity.mode()) {
        (Some(token), Some(mode)) => {
            oqs::to_copy_text_with_identity(&to_message(view), token, mode)
        }
        _ => copy_text(view),
    }
}

fn opt(t: &Text) -> Option<String> {
    t.0.clone()
}

fn code<T: CodeTable>(t: &Text) -> Option<Code<T>> {
    t.get().map(Code::from_raw)
}

fn ratio(t: &Text) -> Option<ContributionRatio> {
    t.get().map(ContributionRatio::from_raw)
}

impl ResultView {
    /// As the core's result (what the view holds; codes raw).
    pub fn to_result(&self) -> ResultOfQualificationConfirmation {
        let mut r = ResultOfQualificationConfirmation::default();
        r.insured_card_classification = code(&self.insured_card_classification);
        r.insurer_number = opt(&self.insurer_number);
        r.insurer_name = opt(&self.insurer_name);
        r.insured_card_symbol = opt(&self.insured_card_symbol);
        r.insured_identification_number = opt(&self.insured_identification_number);
        r.insured_branch_number = opt(&self.insured_branch_number);
        r.personal_family_classification = code(&self.personal_family_classification);
        r.insured_name = opt(&self.insured_name);
        r.name = opt(&self.name);
        r.name_of_other = opt(&self.name_of_other);
        r.name_kana = opt(&self.name_kana);
        r.name_of_other_kana = opt(&self.name_of_other_kana);
        r.sex1 = code(&self.sex1);
        r.sex2 = code(&self.sex2);
        r.birthdate = opt(&self.birthdate);
        r.address = opt(&self.address);
        r.post_number = opt(&self.post_number);
        r.qualification_date = opt(&self.qualification_date);
        r.disqualification_date = opt(&self.disqualification_date);
        r.insured_certificate_issuance_date = opt(&self.insured_certificate_issuance_date);
        r.insured_card_valid_date = opt(&self.insured_card_valid_date);
        r.insured_card_expiration_date = opt(&self.insured_card_expiration_date);
        r.insured_partial_contribution_ratio = ratio(&self.insured_partial_contribution_ratio);
        r.preschool_classification = code(&self.preschool_classification);
        r.reason_of_loss = code(&self.reason_of_loss);
        r.reference_number = opt(&self.reference_number);
        r.elderly_recipient_certificate_info =
            self.elderly_recipient_certificate_info.as_ref().map(|e| {
                let mut out = ElderlyRecipientCertificateInfo::default();
                out.elderly_recipient_certificate_date = opt(&e.elderly_recipient_certificate_date);
                out.elderly_recipient_valid_start_date = opt(&e.elderly_recipient_valid_start_date);
                out.elderly_recipient_valid_end_date = opt(&e.elderly_recipient_valid_end_date);
                out.elderly_recipient_contribution_ratio =
                    ratio(&e.elderly_recipient_contribution_ratio);
                out
            });
        r.limit_application_certificate_related_info = self
            .limit_application_certificate_related_info
            .as_ref()
            .map(|l| {
                let mut out = LimitApplicationCertificateRelatedInfo::default();
                out.limit_application_certificate_classification =
                    code(&l.limit_application_certificate_classification);
                out.limit_application_certificate_classification_flag =
                    code(&l.limit_application_certificate_classification_flag);
                out.limit_application_certificate_date = opt(&l.limit_application_certificate_date);
                out.limit_application_certificate_valid_start_date =
                    opt(&l.limit_application_certificate_valid_start_date);
                out.limit_application_certificate_valid_end_date =
                    opt(&l.limit_application_certificate_valid_end_date);
                out.limit_application_certificate_long_term_date =
                    opt(&l.limit_application_certificate_long_term_date);
                out
            });
        r
    }
}

/// The view as the core's `XmlMsg` (the fields the view reads).
pub fn to_message(view: &QualificationView) -> XmlMsg {
    let h = &view.message_header;
    let b = &view.message_body;
    let mut header = MessageHeader::default();
    header.process_execution_time = opt(&h.process_execution_time);
    header.qualification_confirmation_date = opt(&h.qualification_confirmation_date);
    header.segment_of_result = code(&h.segment_of_result);
    header.error_code = opt(&h.error_code);
    header.error_message = opt(&h.error_message);
    let mut msg = XmlMsg::default();
    msg.message_header = header;
    let body = &mut msg.message_body;
    body.processing_result_status = code(&b.processing_result_status);
    body.processing_result_code = opt(&b.processing_result_code);
    body.processing_result_message = opt(&b.processing_result_message);
    body.qualification_validity = code(&b.qualification_validity);
    body.result_list.results = b.result_list.iter().map(ResultView::to_result).collect();
    msg
}
