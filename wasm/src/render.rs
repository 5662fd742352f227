//! `renderQualification`: the 資格情報 panel, built node by node.
//!
//! Every value goes into a text node (never markup), so a hostile name or message cannot
//! inject anything. The panel is a `<section lang="ja">` with a heading, the validity in a
//! `role="status"` paragraph, notices, the 受診券照合 when a voucher is known, one `<dl>` per
//! section (資格情報 / 高齢受給者証 / 限度額適用認定証), and a copy button. Styling is by
//! class names and the CSS variables of `myna-web.css`. No network, no storage.

use std::cell::Cell;

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Document, Element, Event, HtmlElement};

use crate::error::{WebError, WebResult};
use crate::js;
use crate::qualification::{identity_from_js, view_from_js, voucher_from_js};
use crate::view::{self, Section, Status, VoucherComparisonView, outcome};
use myna_core::checkup::compare::{Problem, VoucherCheck};

/// The expando property holding a copy button's text.
const COPY_TEXT: &str = "__mynaCopyText";
/// The expando property holding a copy button's status element.
const COPY_STATUS: &str = "__mynaCopyStatus";

thread_local! {
    static NEXT_PANEL: Cell<u32> = const { Cell::new(1) };
    /// One click handler for every copy button (so rendering leaks no closure).
    static COPY_HANDLER: Closure<dyn FnMut(Event)> = Closure::new(on_copy_click);
}

struct RenderOptions {
    copy_button: bool,
    identity_line: bool,
    heading_level: u8,
    title: String,
    voucher: Option<view::VoucherView>,
    check_options: crate::checkup::CheckOptions,
}

impl RenderOptions {
    fn from_js(options: &JsValue) -> WebResult<Self> {
        js::options_object(options)?;
        let copy_button = js::bool_or(options, "copyButton", true)?;
        let identity_line = identity_line_option(options)?;
        let heading_level = match js::opt_u32(options, "headingLevel")? {
            None => 2,
            Some(l @ 1..=5) => l as u8,
            Some(_) => {
                return Err(WebError::InvalidArgument(
                    "`headingLevel` must be 1 to 5".into(),
                ));
            }
        };
        Ok(RenderOptions {
            copy_button,
            identity_line,
            heading_level,
            title: js::opt_string(options, "title")?.unwrap_or_else(|| "資格確認結果".into()),
            voucher: voucher_from_js(&js::get(options, "voucher"))?,
            check_options: crate::checkup::CheckOptions::from_js(options)?,
        })
    }
}

/// `identityLine` (default false): whether the copy text carries `本人確認` for a phone.
fn identity_line_option(options: &JsValue) -> WebResult<bool> {
    js::options_object(options)?;
    js::bool_or(options, "identityLine", false)
}

/// Builds elements in one document.
struct Builder {
    doc: Document,
    id: u32,
    next: Cell<u32>,
}

impl Builder {
    fn el(&self, tag: &str, class: &str) -> WebResult<Element> {
        let e = self
            .doc
            .create_element(tag)
            .map_err(|_| WebError::Environment(format!("document.createElement({tag})")))?;
        if !class.is_empty() {
            e.set_class_name(class);
        }
        Ok(e)
    }

    /// An element with a text child.
    fn text_el(&self, tag: &str, class: &str, text: &str) -> WebResult<Element> {
        let e = self.el(tag, class)?;
        e.set_text_content(Some(text));
        Ok(e)
    }

    /// `parent.appendChild(child)`: it cannot throw here — the child is always an element
    /// this panel just made (never an ancestor of the parent), and an element takes element
    /// children — so nothing is checked.
    fn append(&self, parent: &Element, child: &Element) {
        let _ = parent.append_child(child);
    }

    /// `e.setAttribute(name, value)`: the names are this module's constants, valid XML names,
    /// so it cannot throw.
    fn attr(&self, e: &Element, name: &str, value: &str) {
        let _ = e.set_attribute(name, value);
    }

    /// A unique id inside this panel.
    fn new_id(&self, what: &str) -> String {
        let n = self.next.get();
        self.next.set(n + 1);
        format!("myna-{}-{what}-{n}", self.id)
    }

    fn heading(&self, level: u8, class: &str, text: &str) -> WebResult<(Element, String)> {
        let h = self.text_el(&format!("h{}", level.min(6)), class, text)?;
        let id = self.new_id("h");
        self.attr(&h, "id", &id);
        Ok((h, id))
    }

    /// `<dl>` of label/value pairs, each pair in a `<div>` (valid HTML, easy to lay out).
    fn fields(&self, rows: &[(String, Option<String>, &str)]) -> WebResult<Element> {
        let dl = self.el("dl", "myna-fields")?;
        for (label, value, modifier) in rows {
            let class = if modifier.is_empty() {
                "myna-field".to_string()
            } else {
                format!("myna-field myna-field--{modifier}")
            };
            let item = self.el("div", &class)?;
            self.append(&item, &self.text_el("dt", "myna-field__label", label)?);
            let dd = match value {
                Some(v) => self.text_el("dd", "myna-field__value", v)?,
                None => self.text_el(
                    "dd",
                    "myna-field__value myna-field__value--missing",
                    "記載なし",
                )?,
            };
            self.append(&item, &dd);
            self.append(&dl, &item);
        }
        Ok(dl)
    }

    fn section(&self, level: u8, section: &Section) -> WebResult<Element> {
        let s = self.el(
            "section",
            &format!("myna-section myna-section--{}", section.kind.class()),
        )?;
        let (h, id) = self.heading(level, "myna-section__title", section.kind.title())?;
        self.attr(&s, "aria-labelledby", &id);
        self.append(&s, &h);
        let rows: Vec<(String, Option<String>, &str)> = section
            .rows
            .iter()
            .map(|r| {
                let modifier = match r.label {
                    "負担割合" => "ratio",
                    "氏名" => "name",
                    _ => "",
                };
                (r.label.to_string(), r.value.display(), modifier)
            })
            .collect();
        self.append(&s, &self.fields(&rows)?);
        Ok(s)
    }

    fn voucher(&self, level: u8, check: &VoucherCheck) -> WebResult<Element> {
        let c = VoucherComparisonView::new(&check.fields);
        let state = if check.is_match() {
            "match"
        } else if check.problems == [Problem::VoucherIncomplete] {
            "incomplete"
        } else {
            "mismatch"
        };
        let s = self.el("section", &format!("myna-voucher myna-voucher--{state}"))?;
        let (h, id) = self.heading(level, "myna-section__title", "受診券照合")?;
        self.attr(&s, "aria-labelledby", &id);
        self.append(&s, &h);
        let summary = match state {
            "match" => "受診券と一致し、受診日に資格があります",
            "incomplete" => "照合に必要な項目（保険者番号・番号）がそろっていません",
            _ => "この受診券はこのままでは受け付けられません",
        };
        let p = self.text_el("p", "myna-voucher__summary", summary)?;
        if state == "mismatch" {
            self.attr(&p, "role", "alert");
        }
        self.append(&s, &p);
        if !check.is_match() {
            let list = self.el("ul", "myna-voucher__problems")?;
            for problem in &check.problems {
                let li = self.el(
                    "li",
                    &format!(
                        "myna-voucher__problem myna-voucher__problem--{}",
                        problem.code()
                    ),
                )?;
                self.attr(&li, "data-code", problem.code());
                self.append(
                    &li,
                    &self.text_el("strong", "myna-voucher__what", problem.message_ja())?,
                );
                self.append(
                    &li,
                    &self.text_el("span", "myna-voucher__todo", problem.advice_ja())?,
                );
                self.append(&list, &li);
            }
            self.append(&s, &list);
        }
        let rows = [
            ("保険者番号", c.insurer_number, c.labels.insurer_number),
            ("記号", c.insured_card_symbol, c.labels.insured_card_symbol),
            (
                "番号",
                c.insured_identification_number,
                c.labels.insured_identification_number,
            ),
            (
                "枝番",
                c.insured_branch_number,
                c.labels.insured_branch_number,
            ),
            (
                "氏名",
                outcome(check.person.name),
                check.person.name.label(),
            ),
            (
                "氏名カナ",
                outcome(check.person.name_kana),
                check.person.name_kana.label(),
            ),
            (
                "生年月日",
                outcome(check.person.birthdate),
                check.person.birthdate.label(),
            ),
            ("性別", outcome(check.person.sex), check.person.sex.label()),
        ];
        let rows: Vec<(String, Option<String>, &str)> = rows
            .iter()
            .map(|(label, outcome, text)| (label.to_string(), Some(text.to_string()), *outcome))
            .collect();
        self.append(&s, &self.fields(&rows)?);
        for e in &check.voucher_errors {
            let p = self.text_el(
                "p",
                "myna-voucher__note",
                &format!("受診券: {}", e.message_ja()),
            )?;
            self.append(&s, &p);
        }
        Ok(s)
    }
}

/// Today in the browser's local time (the reception PC's; in Japan, JST).
fn today() -> myna_core::wareki::GregorianDate {
    let now = js_sys::Date::new_0();
    myna_core::wareki::GregorianDate::new(now.get_full_year(), now.get_month() + 1, now.get_date())
        .unwrap_or(myna_core::wareki::Era::Reiwa.start())
}

/// `renderQualification(element, result, options)`: replaces `element`'s content with the
/// panel and returns the panel.
pub fn render(element: &Element, result: &JsValue, options: &JsValue) -> WebResult<Element> {
    let options = RenderOptions::from_js(options)?;
    let (view, carried_voucher) = view_from_js(result)?;
    let identity = identity_from_js(result);
    let voucher = options.voucher.clone().or(carried_voucher);
    let doc = element
        .owner_document()
        .ok_or_else(|| WebError::InvalidArgument("the element is not in a document".into()))?;
    let id = NEXT_PANEL.with(|n| {
        let id = n.get();
        n.set(id + 1);
        id
    });
    let b = Builder {
        doc,
        id,
        next: Cell::new(1),
    };
    let level = options.heading_level;
    let (status, status_label) = view.status();
    let check_date = view.check_date().unwrap_or_else(today);

    let panel = b.el(
        "section",
        &format!("myna-panel myna-panel--{}", status.class()),
    )?;
    b.attr(&panel, "lang", "ja");
    let (title, title_id) = b.heading(level, "myna-panel__title", &options.title)?;
    b.attr(&panel, "aria-labelledby", &title_id);
    b.append(&panel, &title);

    let status_el = b.el("p", &format!("myna-status myna-status--{}", status.class()))?;
    b.attr(&status_el, "role", "status");
    b.append(
        &status_el,
        &b.text_el("span", "myna-status__label", "資格有効性")?,
    );
    b.append(
        &status_el,
        &b.text_el("strong", "myna-status__value", &status_label)?,
    );
    b.append(&panel, &status_el);

    if let Some(date) = view.message_header.qualification_confirmation_date.get() {
        let meta = b.text_el(
            "p",
            "myna-meta",
            &format!("確認日 {}", view::display_date(date)),
        )?;
        b.append(&panel, &meta);
    }

    // 本人確認 (issue 14): which token answered and how, e.g. スマートフォン（Android）・暗証番号.
    if let Some(label) = identity.label() {
        let p = b.el(
            "p",
            if identity.is_phone() {
                "myna-identity myna-identity--phone"
            } else {
                "myna-identity"
            },
        )?;
        b.append(&p, &b.text_el("span", "myna-identity__label", "本人確認")?);
        b.append(&p, &b.text_el("strong", "myna-identity__value", &label)?);
        b.append(&panel, &p);
    }

    if status == Status::Error {
        let header = &view.message_header;
        let body = &view.message_body;
        let code = header
            .error_code
            .get()
            .or(body.processing_result_code.get());
        let message = header
            .error_message
            .get()
            .or(body.processing_result_message.get());
        let text = match (code, message) {
            (Some(c), Some(m)) => format!("{m}（{c}）"),
            (Some(c), None) => format!("エラーコード {c}"),
            (None, Some(m)) => m.to_string(),
            (None, None) => "照会でエラーが発生しました".to_string(),
        };
        let p = b.text_el("p", "myna-error", &text)?;
        b.attr(&p, "role", "alert");
        b.append(&panel, &p);
    } else if let Some(notice) = view.message_body.processing_result_message.get() {
        let notices = b.el("div", "myna-notices")?;
        b.attr(&notices, "role", "note");
        b.append(&notices, &b.text_el("p", "myna-notice", notice)?);
        b.append(&panel, &notices);
    }

    if let Some(voucher) = &voucher {
        let (check, _) = crate::checkup::check(voucher, &view, &options.check_options);
        b.append(&panel, &b.voucher(level + 1, &check)?);
    }

    let results = &view.message_body.result_list;
    for (i, result) in results.iter().enumerate() {
        let container = if results.len() > 1 {
            let article = b.el("article", "myna-result")?;
            b.attr(
                &article,
                "aria-label",
                &format!("該当資格 {} / {}", i + 1, results.len()),
            );
            b.append(&panel, &article);
            article
        } else {
            panel.clone()
        };
        for section in view::sections(result, check_date) {
            b.append(&container, &b.section(level + 1, &section)?);
        }
    }

    if options.copy_button {
        let text = if options.identity_line {
            view::copy_text_with_identity(&view, &identity)
        } else {
            view::copy_text(&view)
        };
        b.append(&panel, &copy_controls(&b, &text)?);
    }

    element.set_text_content(None);
    b.append(element, &panel);
    Ok(panel)
}

fn copy_controls(b: &Builder, text: &str) -> WebResult<Element> {
    let actions = b.el("div", "myna-actions")?;
    let button = b.text_el("button", "myna-copy", "資格情報をコピー")?;
    b.attr(&button, "type", "button");
    let status = b.el("span", "myna-copy__status")?;
    b.attr(&status, "role", "status");
    b.attr(&status, "aria-live", "polite");
    let set = |key: &str, value: &JsValue| {
        Reflect::set(&button, &JsValue::from_str(key), value)
            .map(|_| ())
            .map_err(|_| WebError::Environment("expando property".into()))
    };
    set(COPY_TEXT, &JsValue::from_str(text))?;
    set(COPY_STATUS, &status)?;
    COPY_HANDLER.with(|handler| {
        button
            .add_event_listener_with_callback("click", handler.as_ref().unchecked_ref())
            .map_err(|_| WebError::Environment("addEventListener".into()))
    })?;
    b.append(&actions, &button);
    b.append(&actions, &status);
    Ok(actions)
}

fn on_copy_click(event: Event) {
    let Some(button) = event.current_target() else {
        return;
    };
    let button: JsValue = button.into();
    let text = js::get(&button, COPY_TEXT);
    let status = js::get(&button, COPY_STATUS).dyn_into::<HtmlElement>().ok();
    let clipboard = js::get(&js::global("navigator"), "clipboard");
    let write = js::get(&clipboard, "writeText").dyn_into::<Function>().ok();
    let promise = write
        .and_then(|w| w.call1(&clipboard, &text).ok())
        .and_then(|p| p.dyn_into::<Promise>().ok());
    wasm_bindgen_futures::spawn_local(async move {
        let ok = match promise {
            Some(p) => JsFuture::from(p).await.is_ok(),
            None => false,
        };
        if let Some(status) = status {
            status.set_text_content(Some(if ok {
                "コピーしました"
            } else {
                "コピーできませんでした"
            }));
        }
    });
}

/// `copyText(result, options)`: the text the copy button puts on the clipboard.
pub fn copy_text_js(result: &JsValue, options: &JsValue) -> WebResult<String> {
    let (view, _) = view_from_js(result)?;
    if identity_line_option(options)? {
        Ok(view::copy_text_with_identity(
            &view,
            &identity_from_js(result),
        ))
    } else {
        Ok(view::copy_text(&view))
    }
}
