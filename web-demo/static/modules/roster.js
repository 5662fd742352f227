// @ts-check
// The checkup centre's day on the reception page: the day's roster (受診者名簿) imported from
// the centre's CSV, each check matched to its row, the day's list (確認済 / 要確認 / 送信待ち /
// 未確認 / 名簿外), the results CSV, the facility's 委託元保険者一覧, and the offline 目視 queue
// (queue.js). The logic is the package's (parseRoster, compareVoucher, exportRosterCsv); the
// data is the service's (/api/v1/rosters/{day}, /api/v1/contracted-insurers).
//
// app.js calls installCheckup(ctx) once and then: voucher(), compareOptions(), onResult(),
// queueAction(), reset().

import { installVoucherFields, readVoucher, fillVoucher, clearVoucher, showComparison } from "./voucher.js";
import * as queue from "./queue.js";
import { el } from "./dom.js";

const CONTRACT_KEY = "myna-demo.contracted-insurers";

/** Today in Japan, yyyyMMdd. */
export function today() {
  const p = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Tokyo", year: "numeric", month: "2-digit", day: "2-digit" })
    .format(new Date());
  return p.replaceAll("-", "");
}

const PROBLEM_TEXT = (codes, details) => (details ?? codes ?? []).map((p) => p.message ?? p).join(" / ");

/**
 * Installs the day's section. `ctx`: {myna(), authorizedFetch, token(), operator(), bridge(),
 * cardReader(), mode()}.
 */
export function installCheckup(ctx) {
  installVoucherFields();
  const day = today();
  let contracted = JSON.parse(localStorage.getItem(CONTRACT_KEY) ?? "null");
  let state = { rows: [], checks: [], list: [] };
  let selectedRow = null;

  const section = el("section", { id: "day", class: "card", "aria-labelledby": "day-title" },
    el("h2", { id: "day-title" }, `本日の受診者（${day.slice(0, 4)}/${day.slice(4, 6)}/${day.slice(6)}）`),
    el("div", { class: "actions" },
      el("label", {}, "受診者名簿（CSV）を取り込む ", el("input", { type: "file", id: "roster-file", accept: ".csv,text/csv" })),
      el("button", { type: "button", id: "roster-export", class: "secondary" }, "結果をCSVで保存（UTF-8）"),
      el("button", { type: "button", id: "roster-export-sjis", class: "secondary" }, "結果をCSVで保存（Shift_JIS）"),
      el("button", { type: "button", id: "roster-refresh", class: "secondary" }, "更新")),
    el("div", { id: "roster-message", class: "hint", "aria-live": "polite" }),
    el("ul", { id: "roster-errors", class: "roster-errors" }),
    el("p", { id: "queue-message", class: "hint", "aria-live": "polite" }),
    el("table", { id: "day-table", class: "day-table" },
      el("thead", {}, el("tr", {}, ...["状態", "受診券整理番号", "氏名", "カナ", "生年月日", "問題", "時刻", "担当", ""].map((t) => el("th", {}, t)))),
      el("tbody")),
    el("details", { id: "contracts" },
      el("summary", {}, "委託元保険者一覧（契約している保険者）"),
      el("p", { class: "hint" }, "1行に1つの保険者番号。受診券照合で「委託元保険者一覧にない」を判定します。"),
      el("textarea", { id: "contracts-text", rows: 4, cols: 30 }),
      el("div", {}, el("button", { type: "button", id: "contracts-save", class: "secondary" }, "保存")),
      el("p", { id: "contracts-message", class: "hint", "aria-live": "polite" })));
  // Full width in the page's two-column grid (set through the CSSOM: the page's CSP allows no
  // inline style sheet, and app.css belongs to the page as a whole).
  section.style.gridColumn = "1 / -1";
  (document.getElementById("result-area") ?? document.body.lastElementChild).after(section);
  /** @type {(id: string) => any} */
  const $ = (id) => document.getElementById(id);

  function setContracted(list) {
    contracted = list;
    localStorage.setItem(CONTRACT_KEY, JSON.stringify(list));
    $("contracts-text").value = (list ?? []).join("\n");
  }

  async function loadContracted() {
    try {
      const r = await ctx.authorizedFetch("/api/v1/contracted-insurers");
      if (r.ok) {
        const list = (await r.json()).insurers.map((i) => i.insurerNumber);
        setContracted(list.length ? list : null);
      }
    } catch { /* offline: keep the copy in localStorage */ }
  }

  async function saveContracted() {
    const numbers = $("contracts-text").value.split(/\s+/).map((s) => s.trim()).filter(Boolean);
    const bad = numbers.filter((n) => !ctx.myna().validateInsurerNumber(n));
    if (bad.length) {
      $("contracts-message").textContent = `保険者番号が正しくありません: ${bad.join("、")}`;
      return;
    }
    try {
      const r = await ctx.authorizedFetch("/api/v1/contracted-insurers", {
        method: "PUT",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ insurers: numbers.map((insurerNumber) => ({ insurerNumber })) }),
      });
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      setContracted((await r.json()).insurers.map((i) => i.insurerNumber));
      $("contracts-message").textContent = `保存しました（${numbers.length}件）`;
    } catch (e) {
      $("contracts-message").textContent = `保存できませんでした: ${e.message}`;
    }
  }

  async function loadDay() {
    try {
      const r = await ctx.authorizedFetch(`/api/v1/rosters/${day}`);
      if (r.ok) state = await r.json();
    } catch { /* offline: show what we have */ }
    render();
  }

  function render() {
    const checks = new Map(state.checks.map((c) => [c.id, c]));
    const rows = new Map(state.rows.map((r) => [r.id, r]));
    const trs = state.list.map((e) => {
      const row = rows.get(e.rowId);
      const check = checks.get(e.checkId);
      const v = row?.voucher ?? check?.person ?? {};
      const pick = el("button", { type: "button", class: "secondary" }, "受付");
      pick.onclick = () => { selectedRow = row?.id ?? null; fillVoucher(row?.voucher); $("v-insurer").scrollIntoView({ block: "center" }); };
      return el("tr", { "data-status": e.status, "data-row": row?.id ?? "" },
        el("td", {}, e.label),
        el("td", {}, v.voucherNumber ?? ""),
        el("td", {}, v.name ?? ""),
        el("td", {}, v.nameKana ?? ""),
        el("td", {}, v.birthdate ?? ""),
        el("td", {}, check ? check.problemMessages.join(" / ") : ""),
        el("td", {}, check ? new Date(check.checkedAt).toLocaleTimeString("ja-JP", { timeZone: "Asia/Tokyo" }) : ""),
        el("td", {}, check?.operator ?? ""),
        el("td", {}, row ? pick : ""));
    });
    for (const q of queue.queued().filter((i) => i.day === day)) {
      const v = q.voucher ?? {};
      const drop = el("button", { type: "button", class: "secondary" }, "破棄");
      drop.onclick = () => { queue.dismiss(q.id); render(); };
      const refused = q.state === "refused";
      trs.push(el("tr", { "data-status": refused ? "refused" : "pending", "data-queue": q.id },
        el("td", {}, refused ? "送信不可" : "送信待ち"),
        el("td", {}, v.voucherNumber ?? ""),
        el("td", {}, v.name ?? ""),
        el("td", {}, v.nameKana ?? ""),
        el("td", {}, v.birthdate ?? ""),
        el("td", {}, refused ? `資格確認サービスが受け付けませんでした: ${q.error?.message ?? ""}` : "通信が戻ると送信します"),
        el("td", {}, new Date(q.queuedAt).toLocaleTimeString("ja-JP", { timeZone: "Asia/Tokyo" })),
        el("td", {}, q.operator),
        el("td", {}, refused ? drop : "")));
    }
    $("day-table").tBodies[0].replaceChildren(...trs);
    const pending = queue.queued().filter((i) => i.state === "pending").length;
    $("queue-message").textContent = pending ? `オフラインで保存した目視確認が ${pending} 件あります（通信が戻ると送信します）。` : "";
  }

  async function importRoster(file) {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const errors = $("roster-errors");
    errors.replaceChildren();
    let parsed;
    try {
      parsed = ctx.myna().parseRoster(bytes);
    } catch (e) {
      $("roster-message").textContent = `名簿を読み込めません（${e.code}）: ${e.message}`;
      return;
    }
    errors.replaceChildren(...parsed.errors.map((e) => el("li", { "data-line": e.line }, e.message)));
    try {
      const r = await ctx.authorizedFetch(`/api/v1/rosters/${day}`, {
        method: "PUT", headers: { "Content-Type": "text/csv" }, body: bytes,
      });
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      const answer = await r.json();
      $("roster-message").textContent = `${answer.imported}名を取り込みました` +
        (answer.errors.length ? `（${answer.errors.length}行は取り込めませんでした。下の行番号を確認してください）` : "");
    } catch (e) {
      $("roster-message").textContent = e instanceof TypeError
        ? "資格確認サービスに接続できないため名簿を保存できません。通信が戻ってから取り込んでください。"
        : `名簿を保存できませんでした: ${e.message}`;
    }
    await loadDay();
  }

  function download(bytes, name, type) {
    const url = URL.createObjectURL(new Blob([bytes], { type }));
    const a = el("a", { href: url, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  function exportUtf8() {
    const rows = state.rows.map((r) => ({ line: r.line, voucher: r.voucher }));
    /** @type {object[]} the day's checks as exportRosterCsv takes them */
    const checks = state.checks.map((c) => ({
      row: state.rows.findIndex((r) => r.id === c.rowId),
      problems: c.problems, checkedAt: c.checkedAt, operator: c.operator,
      mode: c.mode === "pin" ? "暗証番号" : c.mode === "visual" ? "目視" : c.mode, person: c.person,
    }));
    for (const q of queue.queued().filter((i) => i.day === day)) {
      checks.push({ row: q.rowId ? state.rows.findIndex((r) => r.id === q.rowId) : null, pending: true,
        checkedAt: q.queuedAt, operator: q.operator, mode: "目視", person: q.voucher ?? {} });
    }
    download(ctx.myna().exportRosterCsv(rows, checks), `roster-${day}.csv`, "text/csv");
  }

  async function exportSjis() {
    try {
      const r = await ctx.authorizedFetch(`/api/v1/rosters/${day}/export?encoding=cp932`);
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      download(new Uint8Array(await r.arrayBuffer()), `roster-${day}-sjis.csv`, "text/csv");
    } catch (e) {
      $("roster-message").textContent = `Shift_JIS の CSV は資格確認サービスから作ります（接続できません: ${e.message}）。UTF-8 で保存してください。`;
    }
  }

  /** The person a result shows (numbers and person, never the address). */
  function person(qualification, index) {
    const r = qualification.messageBody.resultList?.[index ?? 0] ?? {};
    return {
      insurerNumber: r.insurerNumber, insuredCardSymbol: r.insuredCardSymbol,
      insuredIdentificationNumber: r.insuredIdentificationNumber, insuredBranchNumber: r.insuredBranchNumber,
      name: r.name, nameKana: r.nameKana, birthdate: r.birthdate, sex: r.sex1,
    };
  }

  function problemsOf(qualification, voucher, date) {
    if (voucher) {
      const cmp = ctx.myna().compareVoucher(voucher, qualification, compareOptions(date));
      return { problems: cmp.problems, resultIndex: cmp.resultIndex ?? 0 };
    }
    const validity = qualification.messageBody.qualificationValidity;
    return { problems: ["1", "6"].includes(validity) ? [] : ["qualification-invalid"], resultIndex: 0 };
  }

  /**
   * Records a check in the day's list (POST /api/v1/rosters/{day}/checks).
   * @param {any} qualification the XmlMsg the check answered
   * @param {{mode: string, operator: string, voucher?: object, rowId?: number | null,
   *   queuedAt?: string, date?: string}} check
   */
  async function record(qualification, { mode, operator, voucher, rowId, queuedAt, date }) {
    const { problems, resultIndex } = problemsOf(qualification, voucher, date);
    const body = { operator, mode, problems, person: person(qualification, resultIndex) };
    if (rowId) body.rowId = rowId;
    if (queuedAt) body.queuedAt = queuedAt;
    for (const k of Object.keys(body.person)) if (body.person[k] == null) delete body.person[k];
    const r = await ctx.authorizedFetch(`/api/v1/rosters/${date ?? day}/checks`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
  }

  function compareOptions(date) {
    const o = { date: date ?? day };
    if (contracted?.length) o.contractedInsurers = contracted;
    return o;
  }

  async function flushQueue() {
    await queue.flush({
      myna: ctx.myna(), authorizedFetch: ctx.authorizedFetch, token: ctx.token,
      onSent: (item, qualification) => record(qualification, {
        mode: "visual", operator: item.operator, voucher: item.voucher ?? undefined,
        rowId: item.rowId, queuedAt: item.queuedAt, date: item.day,
      }),
    });
    await loadDay();
  }

  /** The error box's action after a failed 目視 check: keep it for later. */
  function queueAction(error) {
    if (!["service-unreachable", "service-timeout"].includes(error?.code) || ctx.mode() !== "visual") return null;
    const b = el("button", { type: "button", class: "primary", id: "queue-visual" }, "オフラインで目視確認を保存（通信が戻ると送信）");
    b.onclick = async () => {
      let session = null;
      try {
        session = await ctx.bridge().connect(ctx.cardReader());
        const certificate = await session.readAuthCertificate();
        queue.enqueue({ mode: ctx.mode(), certificate, operator: ctx.operator(), voucher: readVoucher(), rowId: selectedRow, day });
        b.disabled = true;
        b.textContent = "保存しました（送信待ち）";
        render();
      } catch (e) {
        b.textContent = `保存できません: ${e.message}`;
      } finally {
        try { await session?.disconnect(); } catch { /* gone */ }
      }
    };
    return b;
  }

  $("roster-file").onchange = (e) => { const f = e.target.files?.[0]; if (f) importRoster(f); e.target.value = ""; };
  $("roster-export").onclick = exportUtf8;
  $("roster-export-sjis").onclick = exportSjis;
  $("roster-refresh").onclick = () => flushQueue();
  $("contracts-save").onclick = saveContracted;
  window.addEventListener("online", () => flushQueue());
  setInterval(() => { if (queue.queued().some((i) => i.state === "pending")) flushQueue(); }, 15000);
  if (contracted) $("contracts-text").value = contracted.join("\n");
  loadContracted();
  flushQueue();

  return {
    voucher: readVoucher,
    compareOptions: () => compareOptions(),
    /** After a confirmation: the comparison line, and the check into the day's list. */
    async onResult(result, box) {
      showComparison(box, result.voucherComparison);
      try {
        await record(result.qualification, { mode: result.mode, operator: ctx.operator(), voucher: readVoucher(), rowId: selectedRow });
      } catch (e) {
        $("roster-message").textContent = `本日の一覧に記録できませんでした: ${e.message}`;
      }
      await loadDay();
    },
    showComparison,
    queueAction,
    reset() { selectedRow = null; clearVoucher(); },
  };
}
