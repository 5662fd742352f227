// @ts-check
// The page's Japanese messages for the package's error codes (MynaWebError.code), and the
// guidance for a bridge that cannot be reached. The codes are the package's (myna-web.d.ts);
// the words are the page's: the package's own messages are English, for developers.

import { REPRESENTATION_MESSAGE } from "../representation.js";
import { BRIDGE_URL } from "../config.js";

/** The Japanese message (and what to do) for a MynaWebError. */
export function describe(e) {
  const code = e?.code;
  switch (code) {
    case "bridge-not-running":
      return "カード読取ソフト（myna-bridge）に接続できません。このPCで myna-bridge が起動しているか確認してください。";
    case "permission-denied":
      return "ブラウザがローカルネットワークへのアクセスをブロックしています。アドレスバー左のサイト情報から「ローカル ネットワーク アクセス」を「許可」にして、ページを再読み込みしてください。";
    case "permission-pending":
      return "ブラウザが「ローカル ネットワーク上のデバイスへのアクセス」の許可を求めています。表示された確認で「許可」を押してください。";
    case "origin-refused":
      return `カード読取ソフトがこのサイト（${e.origin ?? location.origin}）を許可していません。myna-bridge を --allow-origin ${location.origin} を付けて起動してください。`;
    case "protocol-mismatch":
      return "カード読取ソフトとこのページのバージョンが合いません。どちらかを更新してください。";
    case "connection-lost":
    case "bridge-closed":
      return "カード読取ソフトとの接続が切れました。自動で再接続します。再接続後にもう一度お願いします。";
    case "no-card":
      return "カードがリーダーに置かれていません。マイナンバーカードをリーダーに置いてください。";
    case "several-cards":
      return "複数のカードが置かれています。1枚だけにしてください。";
    case "no-reader":
      return "カードリーダーが見つかりません。USB の接続を確認してください。";
    case "card-removed":
      return "読み取り中にカードが外されました。カードを置き直して、もう一度お願いします。";
    case "pin-incorrect":
      return `暗証番号が違います（残り${e.remaining}回）。患者さんにもう一度入力していただいてください。`;
    case "last-attempt-needs-consent":
      return "暗証番号の入力は残り1回です。患者さんの同意を得てから続けてください。";
    case "last-attempt-needs-representation":
      return REPRESENTATION_MESSAGE;
    case "pin-blocked":
      return "暗証番号がロックされています（解除は市区町村窓口のみ）。「目視」に切り替えて確認するか、資格確認書等で受付してください。";
    case "invalid-pin":
      return "暗証番号は数字4桁です。";
    case "not-my-number-card":
      return "マイナンバーカードではないカードです。";
    case "pin-required": // an Android phone in 目視 (issue 14): the module's Japanese message
      return e.message || "スマートフォンのマイナ保険証は暗証番号で確認してください";
    case "token-not-supported": // an iPhone (issue 14): the module's message names the fallbacks
      return e.message || "このスマートフォンまたはカードはこの読み取りでは確認できません。マイナンバーカード本体、または資格確認書か資格情報のお知らせで確認してください";
    case "policy-denied":
      return "カード読取ソフトの設定でこの操作が許可されていません。";
    case "timeout":
      return "カードまたはサービスから応答がありません（タイムアウト）。もう一度お願いします。";
    case "card-error":
    case "security-status-not-satisfied":
      return `カードの読み取りでエラーが発生しました${e.statusWord ? `（${e.statusWord}）` : ""}。カードを置き直してください。`;
    case "service-unreachable":
      return "資格確認サービスに接続できません（通信障害またはサーバ停止）。時間をおいて再試行するか、下の「オンライン資格確認ができない場合」で受付してください。";
    case "service-timeout":
      return `資格確認サービスの応答がありません（${Math.round((e.timeoutMs ?? 30000) / 1000)}秒）。時間をおいて再度お試しいただくか、代替の確認方法で受付してください。`;
    case "service-error":
      return `資格確認サービスがエラーを返しました: ${e.errorMessage ?? "不明なエラー"}（${e.errorCode ?? e.status}）`;
    case "service-bad-response":
      return "資格確認サービスの応答を解釈できませんでした。";
    default:
      return `${e?.message ?? String(e)}${code ? `（${code}）` : ""}`;
  }
}

/** Guidance for a bridge that cannot be reached, as steps. */
export function bridgeGuidance(e) {
  switch (e?.code) {
    case "permission-denied":
      return {
        title: "ブラウザがカード読取ソフトへのアクセスをブロックしています",
        steps: [
          "アドレスバー左のサイト情報（鍵のアイコン）を押します。",
          "「ローカル ネットワーク アクセス」（Local Network Access）を「許可」にします。",
          "ページを再読み込みします。施設の管理者は Chrome/Edge の LocalNetworkAccessAllowedForUrls ポリシーで事前に許可できます。",
        ],
      };
    case "permission-pending":
      return {
        title: "ブラウザが許可を求めています",
        steps: [
          "画面上部に表示された「ローカル ネットワーク上のデバイスの検索と接続」の確認で「許可」を押します。",
          "確認が見当たらないときは、アドレスバー左のサイト情報から許可して再接続します。",
        ],
      };
    case "origin-refused":
      return {
        title: "カード読取ソフトがこのサイトを許可していません",
        steps: [`myna-bridge を --allow-origin ${location.origin} を付けて起動し直します。`],
      };
    default:
      return {
        title: "カード読取ソフト（myna-bridge）が起動していません",
        steps: [
          "このPCで myna-bridge を起動します（サービスとして導入済みなら、サービスを開始します）。",
          "デモ環境ではリポジトリで cargo xtask demo を実行します。",
          `接続先: ${BRIDGE_URL}（myna-demo serve --bridge-url で変更できます）`,
        ],
      };
  }
}
