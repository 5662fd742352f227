// @ts-check
// 受診券 / 利用券 on the reception page: the voucher fields beyond the insurer and numbers
// (kind, 受診券整理番号, 有効期限, the person), filled by hand or from a roster row, and the
// comparison's problems said in Japanese with what to do. The comparison itself is the
// package's `compareVoucher` (through confirmQualification and renderQualification).

/** The extra fields: key, label, and the input's attributes (`options`: a select's). @type {[string, string, {options?: string[], [attribute: string]: any}][]} */
const EXTRA = [
  ["kind", "券種", { options: ["", "受診券", "利用券"] }],
  ["voucherNumber", "受診券整理番号", { inputmode: "numeric", maxlength: 11, size: 12 }],
  ["validUntil", "有効期限", { placeholder: "20270331", size: 10 }],
  ["name", "氏名", { size: 12 }],
  ["nameKana", "氏名カナ", { size: 12 }],
  ["birthdate", "生年月日", { placeholder: "19800415 / 昭和55年4月15日", size: 14 }],
  ["sex", "性別", { options: ["", "男", "女"] }],
];
const BASE = [
  ["insurerNumber", "v-insurer"],
  ["insuredCardSymbol", "v-symbol"],
  ["insuredIdentificationNumber", "v-number"],
  ["insuredBranchNumber", "v-branch"],
];

/** A voucher input or select of the page, by id. */
function field(id) {
  return /** @type {HTMLInputElement | HTMLSelectElement | null} */ (document.getElementById(id));
}

/** Adds the extra voucher inputs to the page's voucher fieldset. */
export function installVoucherFields() {
  const fieldset = document.querySelector("fieldset.voucher");
  if (!fieldset || document.getElementById("v-voucherNumber")) return;
  const hint = document.getElementById("voucher-hint");
  for (const [key, label, opts] of EXTRA) {
    let input;
    if (opts.options) {
      input = document.createElement("select");
      for (const o of opts.options) input.append(new Option(o || "—", o));
    } else {
      input = document.createElement("input");
      input.autocomplete = "off";
      for (const [k, v] of Object.entries(opts)) input.setAttribute(k, v);
    }
    input.id = `v-${key}`;
    const l = document.createElement("label");
    l.append(`${label} `, input);
    fieldset.insertBefore(l, hint);
  }
}

/** The voucher as typed (every field given), or undefined. */
export function readVoucher() {
  const v = {};
  for (const [key, id] of BASE) v[key] = field(id)?.value.trim() ?? "";
  for (const [key] of EXTRA) v[key] = field(`v-${key}`)?.value.trim() ?? "";
  for (const k of Object.keys(v)) if (!v[k]) delete v[k];
  return Object.keys(v).length ? v : undefined;
}

/** Fills the form from a voucher (a roster row), clearing what it does not give. */
export function fillVoucher(voucher) {
  for (const [key, id] of BASE) field(id).value = voucher?.[key] ?? "";
  for (const [key] of EXTRA) {
    const input = field(`v-${key}`);
    let value = voucher?.[key] ?? "";
    if (key === "sex") value = { 1: "男", 2: "女" }[value] ?? value;
    if (key === "kind") value = { checkup: "受診券", guidance: "利用券" }[value] ?? value;
    input.value = value;
  }
}

/** Empties the form. */
export function clearVoucher() {
  fillVoucher(undefined);
}

/** The line above the panel: 一致, or each problem and what to do. */
export function showComparison(box, cmp) {
  if (!cmp) { box.hidden = true; return; }
  box.hidden = false;
  box.replaceChildren();
  if (cmp.isMatch) {
    box.dataset.tone = "ok";
    box.textContent = "受診券照合: 一致（保険者・記号番号・本人が一致し、受診日に資格があります）";
    return;
  }
  box.dataset.tone = "error";
  const title = document.createElement("strong");
  title.textContent = "受診券照合: 要確認 — この受診券はこのままでは受け付けられません";
  const list = document.createElement("ul");
  for (const p of cmp.problemDetails ?? []) {
    const li = document.createElement("li");
    li.dataset.code = p.code;
    li.textContent = `${p.message}。${p.advice}`;
    list.append(li);
  }
  box.append(title, list);
}
