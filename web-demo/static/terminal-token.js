// Keeps the terminal's token alive (issue 11: tokens now live 24 h). At page load and every
// hour the page trades its token for a fresh one (POST /api/v1/terminals/token); a token that
// has ended answers 401 (MW0032) and the page asks staff to activate the terminal again.
// Another tab of the same terminal may have renewed first (the old token then answers 401
// MW0002): that is not an ended token, so the stored one is kept.

const HOUR_MS = 60 * 60 * 1000;

function stored(key) {
  try {
    return JSON.parse(localStorage.getItem(key) ?? "null");
  } catch {
    return null;
  }
}

/** Renews once: "renewed", "expired" (activate again) or "unchanged" (try later). */
export async function renewTerminalToken(serviceUrl, key) {
  const t = stored(key);
  if (!t?.token) return "unchanged";
  const response = await fetch(`${serviceUrl}/api/v1/terminals/token`, {
    method: "POST",
    headers: { Authorization: `Bearer ${t.token}`, Accept: "application/json" },
  });
  if (response.ok) {
    const answer = await response.json();
    // Keep whatever else the page stored about the terminal.
    localStorage.setItem(key, JSON.stringify({ ...stored(key), token: answer.token, expiresAt: answer.expiresAt }));
    return "renewed";
  }
  if (response.status === 401) {
    return stored(key)?.token === t.token ? "expired" : "unchanged";
  }
  return "unchanged";
}

/**
 * Renews now and every hour; calls `onExpired` when the token has ended. Returns the first
 * renewal's promise: until it settles, the stored token may be one the service is retiring.
 */
export function keepTerminalTokenFresh(serviceUrl, key, onExpired) {
  const run = async () => {
    try {
      if ((await renewTerminalToken(serviceUrl, key)) === "expired") onExpired();
    } catch {
      // The service is unreachable: the next hour (or the next request) tells.
    }
  };
  setInterval(run, HOUR_MS);
  return run();
}
