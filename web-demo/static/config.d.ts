// `/config.js`, written by the server for each page load (web-demo/src/http/web.rs,
// `config_js`): its declarations, for the page's type check (xtask/tsc).

/** The bridge's WebSocket URL (`myna-demo serve --bridge-url`, loopback only). */
export declare const BRIDGE_URL: string;
