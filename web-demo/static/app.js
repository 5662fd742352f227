// @ts-check
// The checkup-reception page of the myna-web demo. It uses the `myna-web` npm package exactly
// as a vendor's page would (import from the package, init(), connectBridge,
// confirmQualification, renderQualification) and the eligibility service at this page's own
// origin. Nothing here keeps a PIN beyond the one confirmation it is typed for.
//
// The bridge's URL comes from the server (`myna-demo serve --bridge-url`, loopback only), never
// from this page's URL: a crafted link must not send the patient's PIN elsewhere (issue 11).
// localStorage (per terminal): the terminal's token, the identity mode, the operator name.

import { askRepresentation } from "./representation.js";
import { BRIDGE_URL } from "./config.js";
import { mountOfficialApp } from "./official-app.js";
import { bridgeGuidance, describe } from "./modules/messages.js";
import { el } from "./modules/dom.js";
import { installCheckup } from "./modules/roster.js";
import { keepTerminalTokenFresh, tokenSettled } from "./terminal-token.js";

/** An element of the page's own markup (index.html), by id. @type {(id: string) => any} */
const $ = (id) => document.getElementById(id);
const SERVICE_URL = location.origin;
const STORE = {
  terminal: "myna-demo.terminal",
  mode: "myna-demo.mode",
  operator: "myna-demo.operator",
};

/** The package's module. @type {typeof import("./pkg/myna-web.js")} */
let myna = null;
/** The package's code labels (the core's OQS tables and token labels). @type {typeof import("./pkg/myna-web-labels.js")} */
let labels = null;
let bridge = null;
/**
 * The reception's state, in one object: the phase drives the page (`<body data-phase>`, see
 * static/README.md) and the rest is what the phases decide on.
 * @type {{
 *   phase: string,
 *   busy: boolean,
 *   readers: import("./pkg/myna-web.js").Reader[],
 *   pinStatus: {remaining: number, blocked: boolean} | null,
 *   lastResult: any,
 * }}
 */
const reception = {
  phase: "loading",
  busy: false, // a confirmation is running
  readers: [], // the bridge's readers, live from its events
  pinStatus: null, // {remaining, blocked} of the card in the reader, when known
  lastResult: null, // the QualificationResult shown
};
let checkup = null; // the checkup centre's day (roster.js)

// ---- small helpers -------------------------------------------------------------------------

function setChip(id, text, tone) {
  $(id).textContent = text;
  $(id).dataset.tone = tone;
}

function setPhase(phase) {
  reception.phase = phase;
  document.body.dataset.phase = phase;
}

function storedTerminal() {
  try {
    return JSON.parse(localStorage.getItem(STORE.terminal) ?? "null");
  } catch {
    return null;
  }
}

function mode() {
  return localStorage.getItem(STORE.mode) === "visual" ? "visual" : "pin";
}

function operator() {
  return $("operator").value.trim();
}

// ---- the package -----------------------------------------------------------------------------

async function loadPackage() {
  try {
    myna = await import("./pkg/myna-web.js");
    labels = await import("./pkg/myna-web-labels.js");
    await myna.default();
    return true;
  } catch (e) {
    console.error("myna-web package", e);
    $("pkg-missing").hidden = false;
    setChip("bridge-chip", "ブリッジ: —", "error");
    setPhase("pkg-missing");
    return false;
  }
}

// ---- bridge ----------------------------------------------------------------------------------

async function connect() {
  $("bridge-help").hidden = true;
  setChip("bridge-chip", "ブリッジ: 接続中…", "wait");
  try {
    bridge = await myna.connectBridge(BRIDGE_URL, {
      onStateChange: onBridgeState,
      onReaders: (list) => showReaders(list),
    });
  } catch (e) {
    bridge = null;
    showBridgeHelp(e);
    setTimeout(() => { if (!bridge) connect(); }, 4000);
    return;
  }
  setChip("bridge-chip", "ブリッジ: 接続済み", "ok");
  $("bridge-help").hidden = true;
  if (reception.phase === "bridge-missing") setPhase("idle");
  showPersonas();
  showReaders(bridge.readers);
  updateStart();
}

function onBridgeState(event) {
  switch (event.state) {
    case "connected":
      $("bridge-help").hidden = true;
      setChip("bridge-chip", "ブリッジ: 接続済み", "ok");
      bridge?.listReaders().then(showReaders).catch(() => {});
      break;
    case "reconnecting":
      setChip("bridge-chip", `ブリッジ: 再接続中（${event.attempt ?? 1}回目）`, "warn");
      showReaders([]);
      break;
    case "connecting":
      setChip("bridge-chip", "ブリッジ: 接続中…", "wait");
      break;
    case "closed":
      setChip("bridge-chip", "ブリッジ: 切断", "error");
      break;
  }
  updateStart();
}

function showBridgeHelp(e) {
  const guide = bridgeGuidance(e);
  $("bridge-help-title").textContent = guide.title;
  $("bridge-help-text").textContent = describe(e);
  $("bridge-help-steps").replaceChildren(...guide.steps.map((s) => el("li", {}, s)));
  $("bridge-help").hidden = false;
  $("bridge-help").dataset.code = e?.code ?? "unknown";
  setChip("bridge-chip", "ブリッジ: 未接続", "error");
  setPhase("bridge-missing");
}

function showPersonas() {
  const personas = bridge?.hello?.simulate?.personas ?? [];
  $("persona-box").hidden = personas.length === 0;
  if (personas.length) {
    const current = $("persona").value;
    $("persona").replaceChildren(...personas.map((p) => new Option(p, p)));
    if (personas.includes(current)) $("persona").value = current;
  }
}

const READER_STATES = {
  empty: "カードを置いてください",
  present: "カードが置かれています",
  inuse: "カードを使用中",
  mute: "カードを読み取れません（向き・置き方を確認）",
  unavailable: "リーダーが使用できません",
};

function showReaders(list) {
  reception.readers = list ?? [];
  const withCard = reception.readers.filter((r) => r.state === "present" || r.state === "inuse");
  if (!bridge || bridge.state !== "connected") {
    setChip("card-chip", "カード: —", "wait");
  } else if (reception.readers.length === 0) {
    setChip("card-chip", "リーダーなし", "error");
  } else if (withCard.length === 0) {
    setChip("card-chip", "カード: なし", "warn");
  } else if (withCard.length > 1) {
    setChip("card-chip", "カード: 複数", "error");
  } else {
    setChip("card-chip", "カード: あり", "ok");
  }
  $("reader-state").textContent = reception.readers.length
    ? reception.readers.map((r) => `${r.name}: ${READER_STATES[r.state] ?? r.state}`).join(" ／ ")
    : !bridge ? ""
    : bridge.state === "reconnecting" ? "カード読取ソフトとの接続が切れました。再接続しています…"
    : bridge.state !== "connected" ? ""
    : "カードリーダーが見つかりません。接続を確認してください。";
  document.body.dataset.card = withCard.length ? "present" : "absent";
  if (withCard.length === 1) {
    // Read the tries left once per card inserted (a read itself turns the reader "inuse"
    // and back, which must not start another read).
    const key = `${withCard[0].name}|${withCard[0].atr ?? ""}`;
    if (pinStatusFor !== key && !reception.busy) {
      pinStatusFor = key;
      refreshPinStatus(withCard[0].name);
    }
  } else {
    pinStatusFor = null;
    reception.pinStatus = null;
    showPinStatus();
  }
  updateStart();
}

let pinStatusReading = null;
let pinStatusFor = null; // the card (reader|ATR) whose tries left were read

/** Reads the PIN's tries left from the card (no PIN is sent); one read at a time. */
function refreshPinStatus(reader) {
  if (mode() !== "pin" || !bridge || pinStatusReading) return pinStatusReading;
  pinStatusReading = readPinStatus(reader).finally(() => { pinStatusReading = null; });
  return pinStatusReading;
}

async function readPinStatus(reader) {
  let session = null;
  try {
    session = await bridge.connect(reader);
    reception.pinStatus = await session.pinStatus();
  } catch (e) {
    reception.pinStatus = null;
    if (e?.code !== "card-removed") console.warn("pinStatus", e);
  } finally {
    try { await session?.disconnect(); } catch { /* already gone */ }
  }
  showPinStatus();
}

function showPinStatus() {
  const box = $("pin-status");
  if (mode() !== "pin" || !reception.pinStatus) {
    box.textContent = "";
    box.dataset.tone = "";
    return;
  }
  if (reception.pinStatus.blocked) {
    box.textContent = "このカードの暗証番号はロックされています。目視で確認するか、資格確認書等で受付してください。";
    box.dataset.tone = "error";
  } else {
    box.textContent = `暗証番号の残り回数: ${reception.pinStatus.remaining}回`;
    box.dataset.tone = reception.pinStatus.remaining <= 1 ? "warn" : "ok";
  }
}

// ---- terminal activation -------------------------------------------------------------------

function showTerminal() {
  const t = storedTerminal();
  $("activation").hidden = Boolean(t);
  $("check").hidden = !t;
  setChip("terminal-chip", t ? `端末: ${t.deviceName}` : "端末: 未登録", t ? "ok" : "warn");
  updateStart();
}

async function activate(event) {
  event.preventDefault();
  $("activation-error").textContent = "";
  const form = new FormData($("activation-form"));
  const body = Object.fromEntries(form.entries());
  try {
    const response = await fetch(`${SERVICE_URL}/api/v1/terminals/activate`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(await serviceErrorText(response));
    const answer = await response.json();
    localStorage.setItem(STORE.terminal, JSON.stringify({
      token: answer.token,
      terminalId: answer.terminalId,
      deviceName: body.deviceName,
      facilityCode: body.facilityCode,
    }));
    showTerminal();
    loadHistory();
  } catch (e) {
    $("activation-error").textContent = e instanceof TypeError
      ? "資格確認サービスに接続できません。"
      : `登録できませんでした: ${e.message}`;
  }
}

/** The ErrorMessage of a service error answer (an XmlMsg), or the HTTP status. */
async function serviceErrorText(response) {
  const text = await response.text();
  try {
    const msg = myna.parseQualificationXml(text);
    const h = msg.messageHeader;
    if (h.errorMessage) return `${h.errorMessage}（${h.errorCode}）`;
  } catch { /* not an XmlMsg */ }
  return `HTTP ${response.status}`;
}

/** A request with the terminal's token; a 401 drops the token (re-activation). */
async function authorizedFetch(path, init = {}) {
  await tokenSettled(); // not the token a renewal in flight is about to end
  const t = storedTerminal();
  if (!t) throw new Error("端末が登録されていません");
  const response = await fetch(`${SERVICE_URL}${path}`, {
    ...init,
    headers: { ...(init.headers ?? {}), Authorization: `Bearer ${t.token}`, Accept: "application/json" },
  });
  if (response.status === 401) {
    const text = await serviceErrorText(response);
    forgetTerminal();
    throw new Error(`端末の登録が無効です。登録し直してください: ${text}`);
  }
  return response;
}

function forgetTerminal() {
  localStorage.removeItem(STORE.terminal);
  showTerminal();
}

// ---- mode switch, PIN pad, last-try consent --------------------------------------------------

function showMode() {
  const buttons = /** @type {NodeListOf<HTMLButtonElement>} */ (document.querySelectorAll(".mode"));
  for (const button of buttons) {
    button.setAttribute("aria-pressed", String(button.dataset.mode === mode()));
  }
  $("visual-confirm").hidden = mode() !== "visual";
  document.body.dataset.mode = mode();
  showPinStatus();
  const withCard = reception.readers.filter((r) => r.state === "present");
  if (mode() === "pin" && withCard.length === 1 && !reception.busy && !reception.pinStatus) {
    refreshPinStatus(withCard[0].name);
  }
  updateStart();
}

function setMode(value) {
  localStorage.setItem(STORE.mode, value);
  showMode();
}

let pinDigits = "";
let pinResolve = null;

/**
 * Shows the PIN pad, with `note` above it when given; resolves with the 4 digits, or null when
 * cancelled.
 */
function askPin(note = "") {
  pinDigits = "";
  drawPin();
  $("pinpad-note").textContent = note;
  $("pinpad-note").hidden = !note;
  $("pinpad-remaining").textContent = reception.pinStatus && !reception.pinStatus.blocked
    ? `残り${reception.pinStatus.remaining}回${reception.pinStatus.remaining <= 1 ? "（間違えるとロックされます）" : ""}`
    : "";
  $("pinpad").hidden = false;
  setPhase("pin-entry");
  $("pin-ok").focus();
  return new Promise((resolve) => { pinResolve = resolve; });
}

function closePin(value) {
  $("pinpad").hidden = true;
  pinDigits = "";
  drawPin();
  const resolve = pinResolve;
  pinResolve = null;
  resolve?.(value);
}

function drawPin() {
  const dots = $("pin-dots").children;
  for (let i = 0; i < dots.length; i++) dots[i].classList.toggle("filled", i < pinDigits.length);
  $("pin-dots").dataset.count = String(pinDigits.length);
  $("pin-ok").disabled = pinDigits.length !== 4;
}

function pressKey(key) {
  if (key === "clear") pinDigits = "";
  else if (key === "back") pinDigits = pinDigits.slice(0, -1);
  else if (/^[0-9]$/.test(key) && pinDigits.length < 4) pinDigits += key;
  drawPin();
}

/** Asks staff and patient to consent to the last PIN try. */
function askLastTry() {
  const dialog = $("last-try");
  setPhase("last-try");
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.returnValue = "";
    dialog.showModal();
  });
}

// ---- the confirmation ------------------------------------------------------------------------

function voucher() {
  if (checkup) return checkup.voucher();
  const v = {
    insurerNumber: $("v-insurer").value.trim(),
    insuredCardSymbol: $("v-symbol").value.trim(),
    insuredIdentificationNumber: $("v-number").value.trim(),
    insuredBranchNumber: $("v-branch").value.trim(),
  };
  for (const k of Object.keys(v)) if (!v[k]) delete v[k];
  return Object.keys(v).length ? v : undefined;
}

function checkVoucherInput() {
  const n = $("v-insurer").value.trim();
  $("voucher-hint").textContent = n && myna && !myna.validateInsurerNumber(n)
    ? "保険者番号の検証番号が合いません。受診券の記載を確認してください。"
    : "";
}

function updateStart() {
  const connected = bridge?.state === "connected";
  const hasCard = reception.readers.some((r) => r.state === "present" || r.state === "inuse");
  const visualOk = mode() !== "visual" || $("visual-ok").checked;
  $("start").disabled = reception.busy || !connected || !hasCard || !storedTerminal() || !visualOk || !operator();
  $("start").title = !operator() ? "担当者名を入力してください" : "";
}

function showProgress(step) {
  const order = [...$("progress").children].map((li) => li.dataset.step);
  const at = order.indexOf(step);
  for (const [i, li] of [...$("progress").children].entries()) {
    li.dataset.state = at < 0 ? "" : i < at || step === "done" ? "done" : i === at ? "current" : "";
  }
}

function showError(e, actions = []) {
  $("error-text").textContent = describe(e);
  $("error-actions").replaceChildren(...actions);
  $("error").hidden = false;
  $("error").dataset.code = e?.code ?? "unknown";
  document.body.dataset.outcome = `error ${e?.code ?? "unknown"}`;
  setPhase("error");
}

function clearError() {
  $("error").hidden = true;
  $("error-text").textContent = "";
  $("error-actions").replaceChildren();
}

function suggestFallback() {
  const b = el("button", { type: "button", class: "secondary" }, "代替の確認方法で受付");
  b.onclick = () => { $("fallback").scrollIntoView({ behavior: "smooth" }); $("fallback").classList.add("highlight"); };
  return b;
}

function suggestVisual() {
  const b = el("button", { type: "button", class: "secondary" }, "目視に切り替える");
  b.onclick = () => { setMode("visual"); clearError(); };
  return b;
}

async function start() {
  if (reception.busy) return;
  clearError();
  $("result").replaceChildren();
  $("voucher-summary").hidden = true;
  $("compare").hidden = true;
  reception.lastResult = null;
  delete document.body.dataset.outcome;
  showProgress("");
  let m = mode();
  let pin;
  let allowLastAttempt = false;
  if (m === "pin") {
    if (reception.pinStatus?.blocked) {
      showError({ code: "pin-blocked" }, [suggestVisual(), suggestFallback()]);
      return;
    }
    pin = await askPin();
    if (pin === null) { setPhase("idle"); return; }
    if (reception.pinStatus && reception.pinStatus.remaining === 1) {
      allowLastAttempt = await askLastTry();
      if (!allowLastAttempt) { pin = undefined; setPhase("idle"); return; }
    }
  }
  reception.busy = true;
  updateStart();
  setPhase("running");
  await pinStatusReading; // the card session of a tries-left read must be closed first
  try {
    for (;;) {
      try {
        await tokenSettled();
        const result = await myna.confirmQualification({
          bridge,
          serviceUrl: SERVICE_URL,
          terminalToken: storedTerminal()?.token ?? "",
          mode: m,
          pin,
          allowLastAttempt,
          operator: operator() || undefined,
          voucher: voucher(),
          ...checkup?.compareOptions(),
          onProgress: (e) => showProgress(e.step),
        });
        showResult(result);
        break;
      } catch (e) {
        // The PIN is never retried automatically: the last try needs explicit consent,
        // then the same typed PIN goes once more with allowLastAttempt.
        // The last try also needs the card put back on the reader (bridge, issue 11).
        if (e?.code === "last-attempt-needs-representation" && allowLastAttempt) {
          const reader = reception.readers.find((r) => r.state === "present" || r.state === "inuse")?.name;
          if (await askRepresentation({ bridge, reader, setPhase })) { setPhase("running"); continue; }
          setPhase("idle");
          break;
        }
        // 目視 with an Android phone (issue 14): the phone gives its certificate only after its
        // PIN, and the module refused before anything touched it. This patient moves to the PIN
        // pad with the module's message; the voucher, roster row and operator stay, and so does
        // the desk's 目視 setting for the next patient. The PIN typed now is a first try, sent
        // once; a cancel ends the check.
        if (e?.code === "pin-required" && m === "visual") {
          pin = await askPin(describe(e));
          if (pin === null) { pin = undefined; setPhase("idle"); break; }
          m = "pin";
          setPhase("running");
          continue;
        }
        if (e?.code === "last-attempt-needs-consent" && !allowLastAttempt) {
          reception.pinStatus = { remaining: 1, blocked: false };
          showPinStatus();
          if (await askLastTry()) { allowLastAttempt = true; setPhase("running"); continue; }
          setPhase("idle");
          break;
        }
        throw e;
      }
    }
  } catch (e) {
    handleFailure(e);
  } finally {
    pin = undefined;
    reception.busy = false;
    updateStart();
    loadHistory();
    // The tries left after this check (a right PIN resets them, a wrong one lowers them).
    const withCard = reception.readers.filter((r) => r.state === "present" || r.state === "inuse");
    if (m === "pin" && withCard.length === 1) await refreshPinStatus(withCard[0].name);
  }
}

function handleFailure(e) {
  console.warn("confirmation failed", e?.code, e?.message);
  const actions = [];
  switch (e?.code) {
    case "pin-incorrect": {
      reception.pinStatus = { remaining: e.remaining ?? 0, blocked: (e.remaining ?? 0) === 0 };
      showPinStatus();
      const again = el("button", { type: "button", class: "primary" }, "もう一度入力");
      again.onclick = () => start();
      actions.push(again);
      break;
    }
    case "pin-blocked":
      reception.pinStatus = { remaining: 0, blocked: true };
      showPinStatus();
      actions.push(suggestVisual(), suggestFallback());
      break;
    case "service-error":
      if (e.status === 401 && /MW000[2]|MW0011/.test(e.errorCode ?? "")) {
        forgetTerminal();
      }
      actions.push(suggestFallback());
      break;
    case "service-unreachable":
    case "service-timeout":
      { const queued = checkup?.queueAction(e); if (queued) actions.push(queued); }
      actions.push(suggestFallback());
      break;
    case "not-my-number-card":
    case "token-not-supported":
    case "card-error":
      actions.push(suggestFallback());
      break;
    default:
      break;
  }
  showError(e, actions);
}

function showResult(result) {
  reception.lastResult = result;
  myna.renderQualification($("result"), result, { voucher: voucher(), ...checkup?.compareOptions() });
  showVoucherSummary(result.voucherComparison);
  checkup?.onResult(result, $("voucher-summary"));
  $("compare").hidden = false;
  const validity = result.qualification.messageBody.qualificationValidity ?? "";
  document.body.dataset.outcome = `ok ${result.mode} ${validity}`;
  $("print-meta").textContent =
    `${new Date().toLocaleString("ja-JP")} ／ 担当者: ${operator()} ／ 方法: ${MODES[result.mode] ?? result.mode}${tokenSuffix(result.token)}`;
  setPhase("result");
}

function showVoucherSummary(cmp) {
  const box = $("voucher-summary");
  if (checkup) return checkup.showComparison(box, cmp);
  if (!cmp) { box.hidden = true; return; }
  box.hidden = false;
  const l = cmp.labels;
  box.dataset.tone = cmp.hasMismatch ? "error" : cmp.isMatch ? "ok" : "warn";
  box.textContent = `受診券照合: ${cmp.hasMismatch ? "不一致があります" : cmp.isMatch ? "一致" : "一部のみ照合"}` +
    `（保険者番号 ${l.insurerNumber}・記号 ${l.insuredCardSymbol}・番号 ${l.insuredIdentificationNumber}・枝番 ${l.insuredBranchNumber}）` +
    (cmp.voucherInsurerNumberError ? ` ${cmp.voucherInsurerNumberError}` : "");
}

function compareAgain() {
  if (!reception.lastResult) return;
  const v = voucher();
  const cmp = v ? myna.compareVoucher(v, reception.lastResult, checkup?.compareOptions()) : undefined;
  myna.renderQualification($("result"), reception.lastResult, { voucher: v, ...checkup?.compareOptions() });
  showVoucherSummary(cmp);
}

function reset() {
  clearError();
  closePin(null);
  reception.lastResult = null;
  for (const id of ["v-insurer", "v-symbol", "v-number", "v-branch"]) $(id).value = "";
  checkup?.reset();
  $("visual-ok").checked = false;
  $("voucher-summary").hidden = true;
  $("compare").hidden = true;
  $("fallback-message").textContent = "";
  $("fallback").classList.remove("highlight");
  $("result").replaceChildren(el("p", { class: "placeholder" }, "資格確認の結果がここに表示されます。"));
  showProgress("");
  delete document.body.dataset.outcome;
  setPhase("idle");
  updateStart();
}

// ---- fallback and history ------------------------------------------------------------------

async function recordFallback(event) {
  event.preventDefault();
  const document_ = new FormData($("fallback-form")).get("document");
  const message = $("fallback-message");
  if (!operator()) {
    message.textContent = "担当者名を入力してください（画面上部）。";
    $("operator").focus();
    return;
  }
  try {
    const response = await authorizedFetch("/api/v1/fallbacks", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ document: document_, operator: operator() }),
    });
    if (!response.ok) throw new Error(await serviceErrorText(response));
    const answer = await response.json();
    message.textContent = `記録しました（${new Date(answer.occurredAt).toLocaleTimeString("ja-JP")}、${DOCUMENTS[document_]}、担当者 ${operator()}）。`;
    message.dataset.tone = "ok";
    loadHistory();
  } catch (e) {
    message.textContent = e instanceof TypeError
      ? "資格確認サービスに接続できないため記録できません。紙の受付簿に記録してください。"
      : `記録できませんでした: ${e.message}`;
    message.dataset.tone = "error";
  }
}

const DOCUMENTS = { portal: "マイナポータル画面", notice: "資格情報のお知らせ", certificate: "資格確認書" };
const KINDS = { confirmation: "資格確認", search: "資格照会", fallback: "代替確認" };
/**
 * `・スマートフォン（Android）` after the mode when a smartphone answered (the token as the
 * bridge reported it, issue 14), labelled by the package's table; nothing for the card, the
 * default, nor for a token the package does not name.
 * @param {string | undefined} token
 */
function tokenSuffix(token) {
  const label = token && token !== "card" ? labels.TOKEN[token] : undefined;
  return label ? `・${label}` : "";
}
const MODES = { pin: "暗証番号", visual: "目視", numbers: "番号", "official-app": "マイナ資格確認アプリ", ...DOCUMENTS };

/** The day's records (Japan time) from the service's audit trail. */
async function loadHistory() {
  if (!storedTerminal()) return;
  const message = $("history-message");
  try {
    const response = await authorizedFetch("/api/v1/audit?limit=200");
    if (!response.ok) throw new Error(await serviceErrorText(response));
    const page = await response.json();
    const today = new Date().toLocaleDateString("ja-JP", { timeZone: "Asia/Tokyo" });
    const rows = page.records.filter((r) =>
      new Date(r.occurredAt).toLocaleDateString("ja-JP", { timeZone: "Asia/Tokyo" }) === today);
    $("history-table").tBodies[0].replaceChildren(...rows.map((r) => el("tr", { "data-result": r.result },
      el("td", {}, new Date(r.occurredAt).toLocaleTimeString("ja-JP", { timeZone: "Asia/Tokyo" })),
      el("td", {}, KINDS[r.kind] ?? r.kind),
      el("td", {}, (MODES[r.mode] ?? r.mode ?? "") + tokenSuffix(r.token)),
      el("td", {}, r.kind === "fallback" ? "記録" : r.result === "ok"
        ? labels.QUALIFICATION_VALIDITY[r.qualificationValidity] ?? r.qualificationValidity ?? "正常"
        : `エラー ${r.errorCode ?? ""}`),
      el("td", {}, r.operator ?? ""),
      el("td", {}, r.deviceName ?? ""))));
    message.textContent = rows.length ? `${rows.length}件（資格確認サービスの記録）` : "本日の記録はまだありません。";
  } catch (e) {
    message.textContent = e instanceof TypeError
      ? "資格確認サービスに接続できないため履歴を表示できません。"
      : `履歴を取得できません: ${e.message}`;
  }
}

// ---- wiring ----------------------------------------------------------------------------------

function wire() {
  $("operator").value = localStorage.getItem(STORE.operator) ?? "";
  $("operator").addEventListener("input", () => {
    localStorage.setItem(STORE.operator, operator());
    updateStart();
  });
  $("mode-pin").onclick = () => setMode("pin");
  $("mode-visual").onclick = () => setMode("visual");
  $("visual-ok").onchange = updateStart;
  $("start").onclick = () => start();
  $("reset").onclick = reset;
  $("compare").onclick = compareAgain;
  $("print").onclick = () => window.print();
  $("bridge-retry").onclick = () => { if (!bridge) connect(); };
  $("activation-form").addEventListener("submit", activate);
  $("fallback-form").addEventListener("submit", recordFallback);
  $("history-refresh").onclick = loadHistory;
  $("v-insurer").addEventListener("input", checkVoucherInput);
  const keys = /** @type {NodeListOf<HTMLButtonElement>} */ (document.querySelectorAll(".keys button"));
  for (const key of keys) {
    key.onclick = () => pressKey(key.dataset.key);
  }
  document.addEventListener("keydown", (e) => {
    if ($("pinpad").hidden) return;
    if (/^[0-9]$/.test(e.key)) pressKey(e.key);
    else if (e.key === "Backspace") pressKey("back");
    else if (e.key === "Escape") closePin(null);
    else if (e.key === "Enter" && pinDigits.length === 4) closePin(pinDigits);
    else return;
    e.preventDefault();
  });
  $("pin-ok").onclick = () => { if (pinDigits.length === 4) closePin(pinDigits); };
  $("pin-cancel").onclick = () => closePin(null);
  $("persona-insert").onclick = () =>
    bridge?.simulateInsert($("persona").value).catch((e) => showError(e));
  $("persona-remove").onclick = () => bridge?.simulateRemove().catch((e) => showError(e));
  $("persona").onchange = () =>
    bridge?.simulateInsert($("persona").value).catch((e) => showError(e));
}

async function main() {
  wire();
  mountOfficialApp({
    myna: () => myna, operator, voucher, authorizedFetch, serviceErrorText, showResult,
    recorded: loadHistory,
  });
  keepTerminalTokenFresh(SERVICE_URL, STORE.terminal, forgetTerminal);
  showTerminal();
  showMode();
  if (!(await loadPackage())) return;
  checkup = installCheckup({ myna: () => myna, authorizedFetch, token: () => storedTerminal()?.token, operator, mode, bridge: () => bridge,
    cardReader: () => reception.readers.find((r) => r.state === "present" || r.state === "inuse")?.name });
  setPhase("idle");
  loadHistory();
  await connect();
  if (bridge) setPhase("idle");
}

main();
