// The one place that starts and drives a browser for `cargo xtask` (wasm-tests, e2e).
//
// puppeteer-core drives Debian's Chromium over the DevTools protocol and Debian's Firefox ESR
// over WebDriver BiDi, both from the system's binaries: puppeteer-core never downloads a
// browser (PUPPETEER_SKIP_DOWNLOAD is set by xtask all the same). Why one library for both
// browsers instead of chromedriver for Chromium plus a BiDi path for Firefox: one set of
// launch options, one click/type/screenshot implementation and one permission switch per
// browser, and a kept library in place of a hand-written WebDriver client (xtask/src/browser.rs).
//
// Two modes:
//   node drive.mjs serve <chromium|firefox> <lna-mode>
//       JSON lines on stdin ({"id", "op", …}) → JSON lines on stdout ({"id", "ok"} or
//       {"id", "error"}). The e2e scenarios (xtask/src/e2e/) and myna-bench
//       (bench/src/wasm.rs) speak this, through myna-harness's Driver.
//   node drive.mjs wasm-test <chromium|firefox> <wasm file> [runner args…]
//       A cargo runner for wasm32 tests: runs wasm-bindgen-test-runner in its interactive
//       mode (it serves the test page and waits), opens the page in the browser, streams the
//       page's test output and exits 0 only on "test result: ok".
//
// Local Network Access (MYNA_LNA for wasm-test, the third argument of serve):
//   "off"     the page is served from loopback as usual (LNA does not apply);
//   "granted" / "denied"  the page is http://reception.test:PORT, made public by the browser's
//             address-space override, secure by the browser's test switch, and the permission
//             `loopback-network` set for its origin through the automation protocol
//             (CDP Browser.setPermission / BiDi permissions.setPermission);
//   "prompt"  the same page with the permission left at "prompt": Chromium headless answers
//             the prompt at once with a block; Firefox shows it and, with
//             network.lna.prompt.timeout = 3000, gives up after 3 s as a user who never answers.
//   "policy"  the same public page, no permission set: the enterprise policy files of
//             docs/install.md allow it — Chromium's /etc/chromium/policies/managed/myna-web.json,
//             Firefox's /usr/lib/firefox-esr/distribution/policies.json. The browser is started
//             in a private mount namespace (unshare, needs root) where a copy of that folder with
//             the file in it is bound over the real one, so nothing is installed system-wide.

import { spawn } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import puppeteer from 'puppeteer-core';

export const BROWSERS = {
  chromium: '/usr/bin/chromium',
  firefox: '/usr/bin/firefox-esr',
};

/** The name a public-looking test page is served under (mapped to 127.0.0.1 in the browser). */
export const PUBLIC_HOST = 'reception.test';

/** How long Firefox shows the Local Network Access prompt before giving up, in the tests. */
const FIREFOX_PROMPT_MS = 3000;

/** Where each browser reads managed policies, and the file docs/install.md puts there. */
function policyFile(which, pagePort) {
  if (which === 'chromium') {
    const origin = `http://${PUBLIC_HOST}:${pagePort}`;
    return {
      folder: '/etc/chromium',
      file: 'policies/managed/myna-web.json',
      json: { LoopbackNetworkAllowedForUrls: [origin], LocalNetworkAccessAllowedForUrls: [origin] },
    };
  }
  return {
    folder: '/usr/lib/firefox-esr/distribution',
    file: 'policies.json',
    json: { policies: { LocalNetworkAccess: { SkipDomains: [PUBLIC_HOST] } } },
  };
}

/**
 * A launcher for `which` that sees the LNA policy file, in a mount namespace of its own: a
 * copy of the browser's policy folder with the file added is bound over the real folder.
 */
function withPolicy(which, pagePort) {
  const policy = policyFile(which, pagePort);
  const { file, json } = policy;
  // Debian's /usr/lib/firefox-esr/distribution is a symlink: copy and bind the real folder.
  const folder = realpathSync(policy.folder);
  const dir = mkdtempSync(join(tmpdir(), `myna-lna-policy-${which}-`));
  const copy = join(dir, 'folder');
  cpSync(folder, copy, { recursive: true, dereference: true });
  if (!lstatSync(copy).isDirectory()) throw new Error(`${copy} is not a plain folder`);
  mkdirSync(join(copy, file, '..'), { recursive: true });
  writeFileSync(join(copy, file), `${JSON.stringify(json, null, 2)}\n`);
  const launcher = join(dir, 'launch.sh');
  writeFileSync(
    launcher,
    `#!/bin/sh\nexec unshare --mount --propagation private sh -c 'mount --bind "$1" "$2" && shift 2 && exec "$@"' sh '${copy}' '${folder}' '${BROWSERS[which]}' "$@"\n`,
  );
  chmodSync(launcher, 0o755);
  return { launcher, dir };
}

/** Removes the policy copy once the browser is gone. */
function cleanUpAfter(browser, policy) {
  if (policy) browser.on('disconnected', () => rmSync(policy.dir, { recursive: true, force: true }));
  return browser;
}

/**
 * Starts `which` headless. `pagePort`: with an LNA mode other than "off", the port of the page
 * that is to count as a public site.
 */
export async function launch(which, { lna = 'off', pagePort = null, lang = 'ja', clipboard = false } = {}) {
  if (!BROWSERS[which]) throw new Error(`unknown browser ${which}`);
  const publicPage = lna !== 'off';
  if (publicPage && !pagePort) throw new Error('an LNA mode needs the page port');
  const policy = lna === 'policy' ? withPolicy(which, pagePort) : null;
  const executablePath = policy ? policy.launcher : BROWSERS[which];
  if (which === 'chromium') {
    const args = [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
      `--lang=${lang}`,
      '--window-size=1280,1000',
    ];
    if (publicPage) {
      args.push(
        `--ip-address-space-overrides=127.0.0.1:${pagePort}=public`,
        `--host-resolver-rules=MAP ${PUBLIC_HOST} 127.0.0.1`,
        `--unsafely-treat-insecure-origin-as-secure=http://${PUBLIC_HOST}:${pagePort}`,
      );
    }
    return cleanUpAfter(
      await puppeteer.launch({
        executablePath,
        headless: true,
        args,
        defaultViewport: { width: 1280, height: 1000 },
        protocolTimeout: 180_000,
      }),
      policy,
    );
  }
  const prefs = {
    'intl.accept_languages': lang,
    'app.update.enabled': false,
    'browser.shell.checkDefaultBrowser': false,
    'datareporting.policy.dataSubmissionEnabled': false,
    'toolkit.telemetry.enabled': false,
    'network.captive-portal-service.enabled': false,
    'network.connectivity-service.enabled': false,
    'browser.safebrowsing.update.enabled': false,
    'extensions.update.enabled': false,
  };
  if (clipboard) {
    // Firefox's switch for automated tests: `navigator.clipboard.writeText` without a user
    // gesture (the wasm tests click with `HTMLElement.click()`). The write itself is real.
    prefs['dom.events.testing.asyncClipboard'] = true;
  }
  if (publicPage) {
    Object.assign(prefs, {
      'network.lna.address_space.public.override': `127.0.0.1:${pagePort}`,
      'network.dns.localDomains': PUBLIC_HOST,
      'dom.securecontext.allowlist': PUBLIC_HOST,
      'network.lna.prompt.timeout': FIREFOX_PROMPT_MS,
    });
  }
  return cleanUpAfter(
    await puppeteer.launch({
      browser: 'firefox',
      executablePath,
      headless: true,
      extraPrefsFirefox: prefs,
      defaultViewport: { width: 1280, height: 1000 },
      protocolTimeout: 180_000,
    }),
    policy,
  );
}

/** The origin a test page on `port` has under `lna`. */
export function pageOrigin(port, lna) {
  return lna === 'off' ? `http://127.0.0.1:${port}` : `http://${PUBLIC_HOST}:${port}`;
}

/** Sets `loopback-network` for `origin` as the LNA mode says (granted/denied); else nothing. */
export async function applyPermission(browser, origin, lna) {
  if (lna !== 'granted' && lna !== 'denied') return;
  await browser.defaultBrowserContext().setPermission(origin, {
    permission: { name: 'loopback-network' },
    state: lna,
  });
}

// ---- serve: the e2e scenarios' browser -------------------------------------------------------

async function serve(which, lna, pagePort) {
  const browser = await launch(which, { lna, pagePort: pagePort ? Number(pagePort) : null });
  const page = (await browser.pages())[0] ?? (await browser.newPage());
  // The first tab does not get the default viewport over BiDi: set it, for equal screenshots.
  await page.setViewport({ width: 1280, height: 1000 });
  const console_ = [];
  page.on('console', (m) => console_.push(`${m.type()}: ${m.text()}`));
  const element = async (css) => {
    const handle = await page.$(css);
    if (!handle) throw new Error(`no element matches ${css}`);
    return handle;
  };
  const ops = {
    version: async () => browser.version(),
    goto: async ({ url }) => {
      await page.goto(url, { waitUntil: 'load' });
      return null;
    },
    reload: async () => {
      await page.reload({ waitUntil: 'load' });
      return null;
    },
    // A function body, as WebDriver's execute/sync takes it ("return …;").
    js: async ({ script }) => (await page.evaluate(`(() => { ${script} })()`)) ?? null,
    click: async ({ css }) => {
      const handle = await element(css);
      await handle.click();
      return null;
    },
    type: async ({ css, text }) => {
      const handle = await element(css);
      await handle.evaluate((e) => {
        e.focus();
        e.value = '';
        e.dispatchEvent(new Event('input', { bubbles: true }));
      });
      await handle.type(text);
      return null;
    },
    // The text a user sees (what WebDriver's element text returns).
    text: async ({ css }) => (await element(css)).evaluate((e) => e.innerText),
    screenshot: async ({ path }) => {
      await page.screenshot({ path });
      return null;
    },
    console: async () => console_.splice(0),
  };
  const answer = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
  const version = await browser.version();
  // Lines read before the loop asks for them would be lost: read only from here on.
  const lines = createInterface({ input: process.stdin });
  answer({ id: 0, ok: version });
  for await (const line of lines) {
    if (!line.trim()) continue;
    const request = JSON.parse(line);
    if (request.op === 'quit') break;
    const op = ops[request.op];
    try {
      if (!op) throw new Error(`unknown op ${request.op}`);
      answer({ id: request.id, ok: await op(request) });
    } catch (e) {
      answer({ id: request.id, error: String(e?.message ?? e) });
    }
  }
  await browser.close();
}

// ---- wasm-test: a cargo runner ---------------------------------------------------------------

/** Runs wasm-bindgen-test-runner interactively and drives its page; resolves to an exit code. */
async function wasmTest(which, runnerArgs) {
  const lna = process.env.MYNA_LNA ?? 'off';
  const timeoutS = Number(process.env.WASM_BINDGEN_TEST_TIMEOUT ?? 180);
  const runner = spawn('wasm-bindgen-test-runner', runnerArgs, {
    env: { ...process.env, NO_HEADLESS: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => runner.on('exit', (code) => resolve(code ?? 1)));
  // The runner prints the page's address once it serves; a test binary meant for Node runs
  // there and exits without one.
  const address = await new Promise((resolve) => {
    let seen = '';
    runner.stdout.on('data', (chunk) => {
      seen += chunk;
      const m = /available at http:\/\/(\S+)/.exec(seen);
      if (m) resolve(m[1]);
      else if (!/Interactive|Note that/.test(chunk)) process.stdout.write(chunk);
    });
    exited.then(() => resolve(null));
  });
  if (!address) return exited;
  const port = Number(address.split(':').pop());
  let browser;
  try {
    browser = await launch(which, { lna, pagePort: port, clipboard: true });
    const origin = pageOrigin(port, lna);
    if (which === 'chromium' && lna === 'off') {
      // What a user grants in 「サイトの設定」: the copy-button test needs the clipboard write to
      // succeed without a user gesture, and fails when it does not. One permission is set
      // (overridePermissions would deny every other one, the Local Network Access gate's too).
      await browser.defaultBrowserContext().setPermission(origin, {
        permission: { name: 'clipboard-write' },
        state: 'granted',
      });
    }
    await applyPermission(browser, origin, lna);
    const page = (await browser.pages())[0] ?? (await browser.newPage());
    if (which === 'chromium' && lna === 'off') {
      // A headless page is not "focused", and Chromium refuses a clipboard write from an
      // unfocused document whatever the permission: emulate the focus a user's window has.
      // Only for the main suite (LNA mode off): a focused page also lets headless Chromium
      // settle a Local Network Access prompt at once, which the "prompt" mode must not see.
      const cdp = await page.createCDPSession();
      await cdp.send('Emulation.setFocusEmulationEnabled', { enabled: true });
    }
    const console_ = [];
    page.on('console', (m) => console_.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => console_.push(`pageerror: ${e.message}`));
    // The fragment tells the tests which LNA mode the browser is in (the runner serves "/"
    // only, so a query string is not possible).
    await page.goto(`${origin}/#lna=${lna}`, { waitUntil: 'load' });
    const deadline = Date.now() + timeoutS * 1000;
    let shown = 0;
    let output = '';
    for (;;) {
      output = await page.evaluate(() => document.getElementById('output')?.textContent ?? '');
      if (output.length > shown) {
        process.stdout.write(output.slice(shown));
        shown = output.length;
      }
      if (output.includes('test result: ')) break;
      if (Date.now() > deadline) {
        console.log(`\nno "test result" within ${timeoutS} s`);
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const ok = output.includes('test result: ok');
    if (!ok && console_.length) console.log(`console output:\n  ${console_.join('\n  ')}`);
    process.stdout.write('\n');
    return ok ? 0 : 1;
  } finally {
    if (browser) await browser.close().catch(() => {});
    runner.kill('SIGTERM');
    await exited;
  }
}

const [mode, which, ...rest] = process.argv.slice(2);
if (mode === 'serve') {
  await serve(which, rest[0] ?? 'off', rest[1]);
} else if (mode === 'wasm-test') {
  process.exitCode = await wasmTest(which, rest);
} else {
  console.error('usage: drive.mjs serve <browser> [lna] [page-port] | wasm-test <browser> <wasm> [args…]');
  process.exitCode = 2;
}
