// @ts-check
// 「マイナ資格確認アプリの結果を貼り付け」: a check done with the government's マイナ資格確認アプリ,
// brought into this reception screen by pasting the app's copied result (issue 13). The text is
// read in the page with the package's parseCopyText (so staff see at once whether it is the
// app's text), then sent to the eligibility service as a confirmation of mode "official-app"
// with the operator: the service reads it again itself, answers the XmlMsg and records it in
// the facility's audit, so the web screen keeps one history whichever way the check was done.
//
// A refused paste stays in the box (nothing is lost); the message says what is wrong (another
// app's or language's text, tabs lost, cut short) with the line when known. If the service
// cannot be reached the result is still shown, marked as not recorded.
//
// Mounted by app.js with mountOfficialApp({...}); it builds its own section before #fallback.

import { el } from "./modules/dom.js";

const MESSAGES = {
  "copy-text-empty": () => "貼り付けられた内容が空です。マイナ資格確認アプリの結果画面で「コピー」を押してから貼り付けてください。",
  "copy-text-not-official-app": () =>
    "マイナ資格確認アプリの結果ではありません（1行目が「資格情報」ではありません）。アプリの結果画面の「コピー」で写した内容をそのまま貼り付けてください。",
  "copy-text-malformed": (e) =>
    `${e.line ? `${e.line}行目が` : "内容が"}崩れています（タブが空白に変わった等）。アプリからコピーし直し、編集せずに貼り付けてください。`,
  "copy-text-invalid-value": (e) =>
    `${e.line ? `${e.line}行目の` : ""}値を読み取れません（日付・性別・負担割合など）。アプリからコピーし直してください。`,
  "copy-text-truncated": () =>
    "貼り付けた内容が途中で切れています（確認日や項目の一部がありません）。アプリの結果画面でもう一度「コピー」してから、全体を貼り付けてください。",
  "copy-text-too-large": () => "貼り付けた内容が大きすぎます。マイナ資格確認アプリの結果だけを貼り付けてください。",
};

/** The Japanese message for a refused paste. */
export function describePasteError(e) {
  const message = MESSAGES[e?.code];
  return message ? message(e) : `貼り付けた内容を読み取れません: ${e?.message ?? e}`;
}

/**
 * Builds the section and wires it.
 * @param {object} deps what the page shares: `myna()` (the package, once loaded),
 *   `operator()`, `voucher()`, `authorizedFetch(path, init)`, `serviceErrorText(response)`,
 *   `showResult(result)` (draws the panel and the voucher comparison) and `recorded()`
 *   (refreshes the history).
 */
export function mountOfficialApp(deps) {
  const text = el("textarea", {
    id: "official-app-text",
    rows: 6,
    spellcheck: false,
    placeholder: "資格情報\t…（マイナ資格確認アプリの結果画面で「コピー」した内容）",
    "aria-describedby": "official-app-hint",
  });
  const read = el("button", { type: "button", id: "official-app-read" }, "貼り付けた結果を表示・記録");
  const clipboard = el("button", { type: "button", id: "official-app-clipboard", class: "secondary" }, "クリップボードから貼り付け");
  const message = el("p", { id: "official-app-message", role: "status" });
  const section = el("section", { id: "official-app", class: "card", "aria-labelledby": "official-app-title" },
    el("h2", { id: "official-app-title" }, "マイナ資格確認アプリの結果を貼り付け"),
    el("p", { id: "official-app-hint", class: "hint" },
      "マイナ資格確認アプリで確認したときは、結果画面の「コピー」で写した内容をここに貼り付けると、同じ画面で受診券と照合し、受付履歴に記録します。"),
    el("label", { htmlFor: "official-app-text" }, "アプリの結果（テキスト）"),
    text,
    el("div", { class: "actions" }, read, clipboard),
    message);
  const anchor = document.getElementById("fallback");
  anchor.parentNode.insertBefore(section, anchor);

  const say = (text_, tone) => {
    message.textContent = text_;
    message.dataset.tone = tone;
  };

  clipboard.onclick = async () => {
    try {
      text.value = await navigator.clipboard.readText();
      say("", "");
    } catch {
      say("クリップボードを読めません。欄をクリックして Ctrl+V で貼り付けてください。", "warn");
      text.focus();
    }
  };

  read.onclick = async () => {
    const myna = deps.myna();
    if (!myna) return;
    const operator = deps.operator();
    if (!operator) {
      say("担当者名を入力してください（画面上部）。", "error");
      document.getElementById("operator")?.focus();
      return;
    }
    let local;
    try {
      local = myna.parseCopyText(text.value);
    } catch (e) {
      say(describePasteError(e), "error");
      section.dataset.error = e?.code ?? "error";
      text.focus();
      return;
    }
    delete section.dataset.error;
    read.disabled = true;
    try {
      let qualification = local;
      let recorded = false;
      try {
        const response = await deps.authorizedFetch("/api/v1/confirmations", {
          method: "POST",
          headers: { "Content-Type": "application/json", Accept: "application/xml" },
          body: JSON.stringify({ mode: "official-app", copyText: text.value, operator }),
        });
        if (!response.ok) {
          say(`記録できませんでした: ${await deps.serviceErrorText(response)}`, "error");
          return;
        }
        qualification = myna.parseQualificationXml(await response.text());
        recorded = true;
      } catch (e) {
        if (!(e instanceof TypeError)) throw e;
      }
      const voucher = deps.voucher();
      deps.showResult({
        qualification,
        mode: "official-app",
        voucherComparison: voucher ? myna.compareVoucher(voucher, qualification) : undefined,
      });
      if (recorded) {
        say(`マイナ資格確認アプリの結果を表示し、受付履歴に記録しました（担当者 ${operator}）。`, "ok");
        deps.recorded();
      } else {
        say("資格確認サービスに接続できないため、結果は表示しましたが記録されていません。紙の受付簿に記録してください。", "warn");
      }
    } catch (e) {
      say(`表示できませんでした: ${e?.message ?? e}`, "error");
    } finally {
      read.disabled = false;
    }
  };
  return section;
}
