//! The eligibility result in JavaScript: parsing (`parseQualificationXml`), 受診券照合
//! (`compareVoucher`), the copy text, and reading a result object back for rendering.

use myna_core::identifiers::{VoucherComparison, VoucherFields};
use myna_core::oqs::{self, Encoding, OqsError, ParseLimits, XmlMsg};
use wasm_bindgen::JsValue;

use crate::error::{WebError, WebResult};
use crate::js;
use crate::view::{FromJs, IdentityView, QualificationView, VoucherView};

/// Decodes an `XmlMsg` file to text.
///
/// The core decides the encoding (BOM, `encoding` declaration, UTF-8 by default; UTF-16 and
/// other encodings refused) and checks UTF-8; Shift_JIS is decoded by the browser's own
/// WHATWG `TextDecoder("shift_jis")` — the same Windows-31J (CP932) table the core's
/// encoding_rs implements — which keeps encoding_rs's tables for every other encoding (it
/// links them all) out of the `.wasm`.
pub fn decode_bytes(bytes: &[u8]) -> WebResult<String> {
    let limit = ParseLimits::DEFAULT.max_bytes;
    if bytes.len() > limit {
        return Err(OqsError::InputTooLarge {
            size: bytes.len(),
            limit,
        }
        .into());
    }
    match oqs::detect_encoding(bytes)? {
        Encoding::ShiftJis => {
            js::decode_shift_jis(bytes)?.ok_or(WebError::InvalidBytes("Shift_JIS"))
        }
        _ => {
            let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            core::str::from_utf8(body).map(str::to_owned).map_err(|e| {
                OqsError::InvalidBytes {
                    encoding: Encoding::Utf8,
                    offset: bytes.len() - body.len() + e.valid_up_to(),
                }
                .into()
            })
        }
    }
}

/// Parses an `XmlMsg`: a string as is, bytes as UTF-8 or Shift_JIS (CP932).
pub fn parse_input(input: &JsValue) -> WebResult<XmlMsg> {
    let text = match js::text_input(input, "parseQualificationXml")? {
        js::TextInput::Text(text) => text,
        js::TextInput::Bytes(bytes) => decode_bytes(&bytes)?,
    };
    Ok(oqs::parse_str(&text)?)
}

/// The JSON view of a message (what JavaScript gets).
pub fn message_to_js(msg: &XmlMsg) -> JsValue {
    js::to_js(msg)
}

/// The best comparison of a voucher with a list of results: the first that matches, else
/// the first; `None` without results.
pub fn best_comparison(
    voucher: &VoucherFields,
    results: impl Iterator<Item = VoucherFields>,
) -> Option<VoucherComparison> {
    let comparisons: Vec<VoucherComparison> = results
        .map(|r| VoucherComparison::compare(voucher, &r))
        .collect();
    comparisons
        .iter()
        .find(|c| c.is_match())
        .or(comparisons.first())
        .cloned()
}

/// A voucher object from JS (`{insurerNumber, insuredCardSymbol, insuredIdentificationNumber,
/// insuredBranchNumber}`); `None` when absent or empty.
pub fn voucher_from_js(value: &JsValue) -> WebResult<Option<VoucherView>> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    if !value.is_object() {
        return Err(WebError::InvalidArgument(
            "`voucher` must be an object".into(),
        ));
    }
    let voucher = VoucherView::from_js(value);
    Ok((!voucher.is_empty()).then_some(voucher))
}

/// A result to show: either what `confirmQualification` resolved to
/// (`{qualification, voucher?, …}`) or an `XmlMsg` tree from `parseQualificationXml`.
/// Returns the tree's view and the voucher the result carries.
pub fn view_from_js(result: &JsValue) -> WebResult<(QualificationView, Option<VoucherView>)> {
    let wrapped = js::get(result, "qualification");
    let (tree, voucher) = if wrapped.is_object() {
        (wrapped, voucher_from_js(&js::get(result, "voucher"))?)
    } else {
        (result.clone(), None)
    };
    if js::get(&tree, "messageHeader").is_undefined()
        && js::get(&tree, "messageBody").is_undefined()
    {
        return Err(WebError::InvalidArgument(
            "expected the result of confirmQualification() or parseQualificationXml()".into(),
        ));
    }
    let view = QualificationView::from_js(&tree);
    Ok((view, voucher))
}

/// The 本人確認 of a result: `mode` and `token` of what `confirmQualification` resolved to;
/// nothing for a bare `XmlMsg` tree (it says nothing about the check at the desk).
pub fn identity_from_js(result: &JsValue) -> IdentityView {
    if js::get(result, "qualification").is_object() {
        IdentityView::from_js(result)
    } else {
        IdentityView::default()
    }
}
