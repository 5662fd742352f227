// @ts-check
// The bus's offline 目視 queue. When the eligibility service cannot be reached, a 目視 check
// may be queued: the card's user-authentication certificate (it holds no name or address),
// the operator, the voucher and the time, kept in localStorage so a reload loses nothing.
// When the network returns each is sent as a 目視 confirmation (a fresh challenge, then
// /api/v1/confirmations) and recorded in the day's list with the time it was done at the
// desk. A check the service refuses stays in the queue, marked with the service's reason,
// until staff dismiss it. A PIN check is never queued: the PIN is checked by the card at
// the desk and the signature binds a challenge only the service can issue.

const KEY = "myna-demo.offline-queue";

function load() {
  try {
    const list = JSON.parse(localStorage.getItem(KEY) ?? "[]");
    return Array.isArray(list) ? list : [];
  } catch {
    return [];
  }
}

function save(list) {
  localStorage.setItem(KEY, JSON.stringify(list));
}

function base64(bytes) {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** Every queued check (pending or refused). */
export function queued() {
  return load();
}

/**
 * Queues a 目視 check. `mode` must be "visual": anything else is refused (a PIN check is
 * never queued).
 */
export function enqueue({ mode, certificate, operator, voucher, rowId, day }) {
  if (mode !== "visual") {
    throw Object.assign(new Error("暗証番号による確認は保存できません（目視のみ）"), {
      code: "pin-not-queueable",
    });
  }
  if (!operator) throw Object.assign(new Error("担当者名がありません"), { code: "operator-missing" });
  const item = {
    id: `q${Date.now()}${Math.floor(Math.random() * 1e6)}`,
    day,
    queuedAt: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
    operator,
    certificate: base64(certificate),
    voucher: voucher ?? null,
    rowId: rowId ?? null,
    state: "pending",
  };
  const list = load();
  list.push(item);
  save(list);
  return item;
}

/** Drops a queued check (staff dismiss a refused one). */
export function dismiss(id) {
  save(load().filter((i) => i.id !== id));
}

function update(id, change) {
  save(load().map((i) => (i.id === id ? { ...i, ...change } : i)));
}

let flushing = null;

/**
 * Sends every pending check. `ctx`: {myna, authorizedFetch, token(), onSent(item, qualification)}.
 * Stops at the first network failure (still offline); a refusal marks the item and goes on.
 */
export function flush(ctx) {
  flushing ??= run(ctx).finally(() => { flushing = null; });
  return flushing;
}

async function run(ctx) {
  for (const item of load().filter((i) => i.state === "pending")) {
    let answer;
    try {
      const challenge = await ctx.authorizedFetch("/api/v1/challenges", { method: "POST" });
      if (!challenge.ok) throw await refusal(ctx, challenge);
      const { nonce } = await challenge.json();
      // Not authorizedFetch: a 401 here is about the card's certificate (MW0007–MW0009),
      // not the terminal, and must not drop the terminal's token.
      answer = await fetch(`${location.origin}/api/v1/confirmations`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${ctx.token()}` },
        body: JSON.stringify({
          mode: "visual", certificate: item.certificate, nonce,
          origin: location.origin, operator: item.operator,
        }),
      });
      if (!answer.ok) throw await refusal(ctx, answer);
    } catch (e) {
      if (e instanceof TypeError) return; // still offline
      update(item.id, { state: "refused", error: { code: e.code ?? "", message: e.message } });
      continue;
    }
    const qualification = ctx.myna.parseQualificationXml(await answer.text());
    await ctx.onSent(item, qualification);
    dismiss(item.id);
  }
}

async function refusal(ctx, response) {
  const text = await response.text();
  try {
    const h = ctx.myna.parseQualificationXml(text).messageHeader;
    return Object.assign(new Error(`${h.errorMessage ?? ""}（${h.errorCode ?? response.status}）`),
      { code: h.errorCode });
  } catch {
    return Object.assign(new Error(`HTTP ${response.status}`), { code: String(response.status) });
  }
}
