// @ts-check
// The last PIN try needs the card presented again (myna-bridge, issue 11).
//
// With one try left, the bridge sends the patient's PIN only when the page passes
// `allowLastAttempt: true` (the patient agreed) AND the card was taken off the reader and put
// back since the bridge saw one try left. A script alone cannot do the second, so a page with
// an XSS cannot lock a patient's PIN. When the bridge answers
// `last-attempt-needs-representation`, this dialog tells staff what to do, watches the reader
// until the card has gone and come back, and only then lets them continue — after asking the
// patient once more. Nothing is sent to the card meanwhile; the typed PIN stays in the page's
// memory only until the check ends.

const TEXT = {
  title: "最後の1回の前に、カードを置き直してください",
  why:
    "暗証番号の入力は残り1回です。誤ってロックされることのないよう、最後の1回は" +
    "カードを置き直してからでないと使えません（画面の操作だけでは続けられません）。",
  remove: "カードをリーダーから外してください。",
  put: "カードをもう一度リーダーに置いてください。",
  ready: "カードが置き直されました。患者さんにもう一度確認してから「続ける」を押してください。",
  cancel: "やめる",
  ok: "最後の1回で続ける",
  demo: "（デモ）カードを置き直す",
};

function hasCard(reader) {
  return reader.state === "present" || reader.state === "inuse";
}

/** @returns {HTMLDialogElement} */
function dialogElement() {
  const existing = /** @type {HTMLDialogElement | null} */ (document.getElementById("represent"));
  if (existing) return existing;
  const dialog = document.createElement("dialog");
  dialog.id = "represent";
  dialog.setAttribute("aria-labelledby", "represent-title");
  const title = document.createElement("h2");
  title.id = "represent-title";
  title.textContent = TEXT.title;
  const why = document.createElement("p");
  why.textContent = TEXT.why;
  const status = document.createElement("p");
  status.id = "represent-status";
  status.setAttribute("role", "status");
  status.className = "represent-status";
  const form = document.createElement("form");
  form.method = "dialog";
  form.className = "dialog-actions";
  const demo = document.createElement("button");
  demo.type = "button";
  demo.id = "represent-demo";
  demo.className = "secondary";
  demo.textContent = TEXT.demo;
  const cancel = document.createElement("button");
  cancel.value = "cancel";
  cancel.id = "represent-cancel";
  cancel.className = "secondary";
  cancel.textContent = TEXT.cancel;
  const ok = document.createElement("button");
  ok.value = "ok";
  ok.id = "represent-ok";
  ok.className = "danger";
  ok.textContent = TEXT.ok;
  form.append(demo, cancel, ok);
  dialog.append(title, why, status, form);
  document.body.append(dialog);
  return dialog;
}

/**
 * Guides staff through taking the card off the reader and putting it back. Resolves `true`
 * when the card came back and staff chose to continue (with the patient's consent), `false`
 * when they stopped.
 *
 * @param {object} options
 * @param {import("./pkg/myna-web.js").Bridge} options.bridge
 * @param {string | undefined} options.reader the reader the check used (any reader if unset)
 * @param {(phase: string) => void} options.setPhase
 */
export function askRepresentation({ bridge, reader, setPhase }) {
  const dialog = dialogElement();
  const status = /** @type {HTMLElement} */ (dialog.querySelector("#represent-status"));
  const ok = /** @type {HTMLButtonElement} */ (dialog.querySelector("#represent-ok"));
  const demo = /** @type {HTMLButtonElement} */ (dialog.querySelector("#represent-demo"));
  let removed = false;
  let ready = false;
  const show = () => {
    status.textContent = ready ? TEXT.ready : removed ? TEXT.put : TEXT.remove;
    ok.disabled = !ready;
    dialog.dataset.step = ready ? "ready" : removed ? "put" : "remove";
  };
  const watch = (readers) => {
    const relevant = readers.filter((r) => reader === undefined || r.name === reader);
    const present = relevant.some(hasCard);
    if (!present) removed = true;
    if (removed && present) ready = true;
    show();
  };
  // On a bridge started with --simulate there is no card to lift: the demo button does it.
  demo.hidden = !bridge.hello?.simulate;
  demo.onclick = () => bridge.simulateReinsert().catch((e) => console.warn("reinsert", e?.code));
  const unsubscribe = bridge.onReaders((readers) => watch(readers));
  watch(bridge.readers ?? []);
  setPhase("represent");
  return new Promise((resolve) => {
    dialog.addEventListener(
      "close",
      () => {
        unsubscribe();
        resolve(dialog.returnValue === "ok" && ready);
      },
      { once: true },
    );
    dialog.returnValue = "";
    dialog.showModal();
  });
}

/** The staff message for the bridge's code, when the dialog is not shown. */
export const REPRESENTATION_MESSAGE =
  "暗証番号の入力は残り1回です。カードをリーダーから外して、もう一度置いてから、患者さんの同意を得て続けてください。";
