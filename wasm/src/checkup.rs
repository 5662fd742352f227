//! 受診券照合 and the day's roster in JavaScript: `compareVoucher`, `validateVoucher`,
//! `parseRoster`, `matchToRoster`, `dayList`, `exportRosterCsv`, `rosterColumns`.
//!
//! The logic is the core's [`myna_core::checkup`]; this module reads JS values into its
//! types and writes its answers back as plain objects. A roster file given as bytes is
//! decoded here — UTF-8, or CP932 through the browser's own `TextDecoder("shift_jis")` (the
//! WHATWG Shift_JIS decoder *is* Windows-31J), as `parseQualificationXml` does — so the
//! `.wasm` carries no decoding tables; the CP932 *export* is the service's (see [`export_roster_csv_js`]).

use js_sys::{Array, Object};
use myna_core::checkup::compare::{self, CheckContext, Problem, VoucherCheck};
use myna_core::checkup::roster::{
    self, DayCheck, ExportEncoding, RosterError, RosterImport, RosterRow,
};
use myna_core::checkup::voucher::{Voucher, VoucherError, VoucherField, parse_date};
use wasm_bindgen::{JsCast, JsValue};

use crate::error::{WebError, WebResult};
use crate::js;
use crate::qualification::{view_from_js, voucher_from_js};
use crate::view::{FromJs, QualificationView, VoucherComparisonView, VoucherView, outcome};

/// `compareVoucher`'s third argument.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// The 受診日 `yyyyMMdd`, when given.
    pub date: Option<String>,
    /// The facility's 委託元保険者一覧, when given.
    pub contracted_insurers: Option<Vec<String>>,
}

impl CheckOptions {
    /// Reads `{date?, contractedInsurers?}`; `date` in any form reception writes
    /// (`20250601`, `2025/6/1`, `令和7年6月1日`) — else `invalid-date`.
    pub fn from_js(options: &JsValue) -> WebResult<Self> {
        js::options_object(options)?;
        if options.is_undefined() || options.is_null() {
            return Ok(Self::default());
        }
        let date = match js::opt_string(options, "date")? {
            Some(d) => Some(parse_date(&d).map_err(WebError::InvalidDate)?),
            None => None,
        };
        let list = js::get(options, "contractedInsurers");
        let contracted_insurers = if list.is_undefined() || list.is_null() {
            None
        } else if Array::is_array(&list) {
            Some(
                Array::from(&list)
                    .iter()
                    .filter_map(|v| {
                        v.as_string()
                            .or_else(|| js::get(&v, "insurerNumber").as_string())
                    })
                    .collect(),
            )
        } else {
            return Err(WebError::InvalidArgument(
                "contractedInsurers must be an array of 保険者番号".into(),
            ));
        };
        Ok(Self {
            date,
            contracted_insurers,
        })
    }

    /// The 受診日: the option, else the answer's confirmation date, else today (local).
    pub fn date_for(&self, view: &QualificationView) -> String {
        self.date
            .clone()
            .or_else(|| {
                view.message_header
                    .qualification_confirmation_date
                    .get()
                    .and_then(|d| parse_date(d).ok())
            })
            .unwrap_or_else(today)
    }
}

/// Today's date in the browser's time zone, `yyyyMMdd`.
pub fn today() -> String {
    let now = js_sys::Date::new_0();
    format!(
        "{:04}{:02}{:02}",
        now.get_full_year(),
        now.get_month() + 1,
        now.get_date()
    )
}

/// Runs the core's comparison.
pub fn check(
    voucher: &VoucherView,
    view: &QualificationView,
    options: &CheckOptions,
) -> (VoucherCheck, String) {
    let date = options.date_for(view);
    let ctx = CheckContext {
        date: &date,
        contracted_insurers: options.contracted_insurers.as_deref(),
    };
    (
        compare::check_voucher(&voucher.voucher(), &view.answer_facts(), &ctx),
        date,
    )
}

/// `{code, field, message}` of a voucher error.
pub fn voucher_error_js(e: &VoucherError) -> JsValue {
    let o = Object::new();
    js::set(&o, "code", e.code());
    js::set(&o, "field", e.field().key());
    js::set(&o, "message", e.message_ja());
    o.into()
}

/// `{code, message, advice}` of a problem.
pub fn problem_js(p: Problem) -> JsValue {
    let o = Object::new();
    js::set(&o, "code", p.code());
    js::set(&o, "message", p.message_ja());
    js::set(&o, "advice", p.advice_ja());
    o.into()
}

/// The comparison as JS sees it: the field view (`insurerNumber`, …, `labels`), `isMatch`
/// (no problem), `problems` (codes), `problemDetails`, `person`, `voucherErrors`,
/// `resultIndex`, `contractChecked`, `date`.
pub fn check_to_js(c: &VoucherCheck, date: &str) -> JsValue {
    let mut fields = VoucherComparisonView::new(&c.fields);
    fields.is_match = c.is_match();
    let out: Object = js::to_js(&fields).unchecked_into();
    let codes = Array::new();
    let details = Array::new();
    for p in &c.problems {
        codes.push(&JsValue::from_str(p.code()));
        details.push(&problem_js(*p));
    }
    js::set(&out, "problems", codes);
    js::set(&out, "problemDetails", details);
    let person = Object::new();
    for (key, m) in [
        ("name", c.person.name),
        ("nameKana", c.person.name_kana),
        ("birthdate", c.person.birthdate),
        ("sex", c.person.sex),
    ] {
        js::set(&person, key, outcome(m));
    }
    js::set(&out, "person", person);
    js::set(
        &out,
        "voucherErrors",
        c.voucher_errors
            .iter()
            .map(voucher_error_js)
            .collect::<Array>(),
    );
    js::set(
        &out,
        "resultIndex",
        c.result_index
            .map_or(JsValue::NULL, |i| JsValue::from(i as u32)),
    );
    js::set(&out, "contractChecked", c.contract_checked);
    js::set(&out, "date", date);
    out.into()
}

/// `compareVoucher(voucher, result, {date, contractedInsurers})`.
pub fn compare_voucher_js(
    voucher: &JsValue,
    result: &JsValue,
    options: &JsValue,
) -> WebResult<JsValue> {
    let voucher = voucher_from_js(voucher)?.unwrap_or_default();
    let options = CheckOptions::from_js(options)?;
    let (view, _) = view_from_js(result)?;
    let (c, date) = check(&voucher, &view, &options);
    Ok(check_to_js(&c, &date))
}

/// A voucher as a plain object (only the fields given).
pub fn voucher_to_js(v: &Voucher) -> JsValue {
    let o = Object::new();
    for f in VoucherField::ALL {
        if let Some(value) = v.get(f) {
            js::set(&o, f.key(), value);
        }
    }
    o.into()
}

/// `validateVoucher(voucher)` → `{valid, voucher, errors}`.
pub fn validate_voucher_js(voucher: &JsValue) -> WebResult<JsValue> {
    let voucher = voucher_from_js(voucher)?.unwrap_or_default().voucher();
    let out = Object::new();
    match voucher.validate() {
        Ok(normal) => {
            js::set(&out, "valid", true);
            js::set(&out, "voucher", voucher_to_js(&normal));
            js::set(&out, "errors", Array::new());
        }
        Err(errors) => {
            js::set(&out, "valid", false);
            js::set(&out, "voucher", voucher_to_js(&voucher));
            js::set(
                &out,
                "errors",
                errors.iter().map(voucher_error_js).collect::<Array>(),
            );
        }
    }
    Ok(out.into())
}

/// The roster's text and how it came: `"text"` (a string), `"utf-8"` (bytes, BOM or not) or
/// `"cp932"` (bytes that are not UTF-8, decoded as Shift_JIS).
fn roster_text(input: &JsValue) -> WebResult<(String, &'static str)> {
    let bytes = match js::text_input(input, "parseRoster")? {
        js::TextInput::Text(text) => return Ok((text, "text")),
        js::TextInput::Bytes(bytes) => bytes,
    };
    if bytes.len() > roster::MAX_ROSTER_BYTES {
        return Err(RosterError::TooLarge {
            size: bytes.len(),
            limit: roster::MAX_ROSTER_BYTES,
        }
        .into());
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    if let Ok(text) = core::str::from_utf8(body) {
        return Ok((text.to_owned(), "utf-8"));
    }
    let text = js::decode_shift_jis(&bytes)?.ok_or(RosterError::InvalidBytes { offset: 0 })?;
    Ok((text, "cp932"))
}

fn import_to_js(import: &RosterImport, encoding: &str) -> JsValue {
    let out = Object::new();
    js::set(&out, "encoding", encoding);
    let rows = Array::new();
    for r in &import.rows {
        let row = Object::new();
        js::set(&row, "line", r.line as f64);
        js::set(&row, "voucher", voucher_to_js(&r.voucher));
        rows.push(&row);
    }
    js::set(&out, "rows", rows);
    let errors = Array::new();
    for e in &import.errors {
        let row = Object::new();
        js::set(&row, "line", e.line as f64);
        js::set(
            &row,
            "codes",
            e.codes()
                .into_iter()
                .map(JsValue::from_str)
                .collect::<Array>(),
        );
        js::set(&row, "message", e.message_ja());
        js::set(
            &row,
            "errors",
            e.errors.iter().map(voucher_error_js).collect::<Array>(),
        );
        if let Some(first) = e.duplicate_of {
            js::set(&row, "duplicateOf", first as f64);
        }
        errors.push(&row);
    }
    js::set(&out, "errors", errors);
    js::set(
        &out,
        "ignoredColumns",
        import
            .ignored_columns
            .iter()
            .map(|c| JsValue::from_str(c))
            .collect::<Array>(),
    );
    out.into()
}

/// `parseRoster(input)` → `{encoding, rows: [{line, voucher}], errors: [{line, codes,
/// message, errors}], ignoredColumns}`; a file that cannot be read at all throws `roster-…`.
pub fn parse_roster_js(input: &JsValue) -> WebResult<JsValue> {
    let (text, encoding) = roster_text(input)?;
    let import = roster::parse_roster_text(&text)?;
    Ok(import_to_js(&import, encoding))
}

/// Roster rows from JS: `[{line?, voucher}]` (what `parseRoster` gives) or `[voucher]`.
fn rows_from_js(rows: &JsValue) -> WebResult<Vec<RosterRow>> {
    if !Array::is_array(rows) {
        return Err(WebError::InvalidArgument("rows must be an array".into()));
    }
    Ok(Array::from(rows)
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let inner = js::get(&row, "voucher");
            let source = if inner.is_object() {
                inner
            } else {
                row.clone()
            };
            let voucher = VoucherView::from_js(&source).voucher();
            let line = js::get(&row, "line")
                .as_f64()
                .map_or(i as u64 + 2, |l| l as u64);
            RosterRow { line, voucher }
        })
        .collect())
}

/// `matchToRoster(rows, result)` → `{match: "numbers"|"person"|"ambiguous"|"none", row?,
/// rows?}`; `result` is what `confirmQualification` resolved to or an `XmlMsg` tree (its
/// best result is matched: the first, or `resultIndex` of options).
pub fn match_to_roster_js(rows: &JsValue, result: &JsValue) -> WebResult<JsValue> {
    let rows = rows_from_js(rows)?;
    let (view, _) = view_from_js(result)?;
    let facts = view.answer_facts();
    let out = Object::new();
    let found = facts
        .results
        .iter()
        .map(|f| roster::match_to_roster(rows.iter().map(|r| &r.voucher), f))
        .find(|m| m.row().is_some())
        .or_else(|| {
            facts
                .results
                .first()
                .map(|f| roster::match_to_roster(rows.iter().map(|r| &r.voucher), f))
        })
        .unwrap_or(roster::RosterMatch::None);
    js::set(&out, "match", found.code());
    match &found {
        roster::RosterMatch::Numbers(i) | roster::RosterMatch::Person(i) => {
            js::set(&out, "row", *i as u32);
        }
        roster::RosterMatch::Ambiguous(list) => {
            js::set(
                &out,
                "rows",
                list.iter()
                    .map(|i| JsValue::from(*i as u32))
                    .collect::<Array>(),
            );
        }
        _ => {}
    }
    Ok(out.into())
}

fn checks_from_js(checks: &JsValue) -> WebResult<Vec<DayCheck>> {
    if !Array::is_array(checks) {
        return Err(WebError::InvalidArgument("checks must be an array".into()));
    }
    let text = |v: &JsValue, key: &str| js::get(v, key).as_string().unwrap_or_default();
    Ok(Array::from(checks)
        .iter()
        .map(|c| DayCheck {
            row: js::get(&c, "row")
                .as_f64()
                .filter(|r| *r >= 0.0)
                .map(|r| r as usize),
            pending: js::get(&c, "pending").as_bool().unwrap_or(false),
            problems: {
                let p = js::get(&c, "problems");
                if Array::is_array(&p) {
                    Array::from(&p)
                        .iter()
                        .filter_map(|x| x.as_string())
                        .collect()
                } else {
                    Vec::new()
                }
            },
            checked_at: text(&c, "checkedAt"),
            mode: text(&c, "mode"),
            operator: text(&c, "operator"),
            person: VoucherView::from_js(&js::get(&c, "person")).voucher(),
        })
        .collect())
}

/// `dayList(rows, checks)` → `[{row, check, status, label}]` (`row`/`check` are indexes or
/// `null`).
pub fn day_list_js(rows: &JsValue, checks: &JsValue) -> WebResult<JsValue> {
    let rows = rows_from_js(rows)?;
    let checks = checks_from_js(checks)?;
    let list = Array::new();
    for e in roster::day_list(rows.len(), &checks) {
        let o = Object::new();
        js::set(
            &o,
            "row",
            e.row.map_or(JsValue::NULL, |i| JsValue::from(i as u32)),
        );
        js::set(
            &o,
            "check",
            e.check.map_or(JsValue::NULL, |i| JsValue::from(i as u32)),
        );
        js::set(&o, "status", e.status.code());
        js::set(&o, "label", e.status.label());
        list.push(&o);
    }
    Ok(list.into())
}

/// `exportRosterCsv(rows, checks)` → `Uint8Array`: the day's results as UTF-8 with a BOM,
/// which Excel (2016 and later) opens with the right characters. The CP932 variant is the
/// service's (`GET /api/v1/rosters/{day}/export?encoding=cp932`): its encoder tables would
/// more than double this module's size.
pub fn export_roster_csv_js(
    rows: &JsValue,
    checks: &JsValue,
    options: &JsValue,
) -> WebResult<JsValue> {
    let rows = rows_from_js(rows)?;
    let checks = checks_from_js(checks)?;
    match js::opt_string(options, "encoding")?
        .as_deref()
        .map(ExportEncoding::parse)
    {
        None | Some(Some(ExportEncoding::Utf8Bom)) => {}
        Some(_) => {
            return Err(WebError::InvalidArgument(
                "encoding: the module writes \"utf-8\" (with BOM); CP932 comes from the service's export".into(),
            ));
        }
    }
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(roster::export_csv(&rows, &checks).as_bytes());
    Ok(js::bytes(&bytes))
}

/// `rosterColumns()` → `[{field, label, names}]`: the headers `parseRoster` accepts.
pub fn roster_columns_js() -> JsValue {
    let out = Array::new();
    for (field, names) in roster::ROSTER_COLUMNS {
        let o = Object::new();
        js::set(&o, "field", field.key());
        js::set(&o, "label", field.label());
        js::set(
            &o,
            "names",
            names
                .iter()
                .map(|n| JsValue::from_str(n))
                .collect::<Array>(),
        );
        out.push(&o);
    }
    out.into()
}
