//! TypeScript declarations for the values that cross the boundary as plain objects
//! (wasm-bindgen writes the classes and functions; these name their shapes).

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** Every error this module throws or rejects with. */
export interface MynaWebError extends Error {
  name: "MynaWebError";
  code: ErrorCode;
  /** PIN tries left (`pin-incorrect`, `last-attempt-needs-consent`,
   * `last-attempt-needs-representation`, `pin-blocked`). */
  remaining?: number;
  /** HTTP status (`service-error`, `service-bad-response`). */
  status?: number;
  /** The eligibility service's `ErrorCode` (`service-error`). */
  errorCode?: string;
  /** The eligibility service's `ErrorMessage` (`service-error`). */
  errorMessage?: string;
  /** The readers holding a card (`several-cards`). */
  readers?: string[];
  /** The reader asked for (`no-reader`). */
  reader?: string;
  /** The address tried (`bridge-not-running`, `service-unreachable`, `service-timeout`). */
  url?: string;
  /** The time limit that passed, in milliseconds (`service-timeout`). */
  timeoutMs?: number;
  /** The page origin the bridge refused (`origin-refused`). */
  origin?: string;
  /** Protocol versions (`protocol-mismatch`). */
  expected?: number;
  found?: string;
  /** Where a malformed XML document breaks (`oqs-*`). */
  line?: number;
  column?: number;
  /** The card's status word, e.g. `"6A86"` (`card-error`). */
  statusWord?: string;
}

export type ErrorCode =
  // this module
  | "invalid-argument" | "bridge-not-running" | "permission-denied" | "permission-pending"
  | "origin-refused" | "protocol-mismatch" | "connection-lost" | "bridge-closed" | "timeout"
  | "bad-frame" | "invalid-pin" | "no-card" | "no-reader" | "several-cards"
  | "invalid-certificate" | "invalid-date" | "service-unreachable" | "service-timeout"
  | "service-error" | "service-bad-response" | "unsupported-environment"
  | "bridge-not-loopback"
  // the bridge (passed through)
  | "bad-request" | "unknown-method" | "unknown-handle" | "card-removed" | "sharing-violation"
  | "policy-denied" | "pin-incorrect" | "last-attempt-needs-consent"
  /** One try left and consent given, but the card has not been taken off the reader and
   * presented again since the bridge saw one try left: nothing was sent. Ask staff to
   * re-place the card, then retry with `allowLastAttempt: true`. */
  | "last-attempt-needs-representation" | "pin-blocked"
  | "not-my-number-card" | "card-error" | "no-service" | "not-simulating" | "internal"
  | "too-many-handles"
  /** `6982` on signing: the PIN was not verified (the bridge and this module alike). */
  | "security-status-not-satisfied"
  /** 目視 with a token that gives its certificate only after the PIN (an Android phone's
   * スマホ用電子証明書): no PIN was sent; switch the patient to the PIN pad. */
  | "pin-required"
  /** A token this product does not serve (an iPhone, a 住基カード, an unknown token): no PIN
   * was sent; use the plastic card, or the 資格確認書 / 資格情報のお知らせ. */
  | "token-not-supported"
  // parsing an XmlMsg
  | "oqs-too-large" | "oqs-unsupported-encoding" | "oqs-conflicting-encoding"
  | "oqs-invalid-bytes" | "oqs-malformed" | "oqs-truncated" | "oqs-dtd" | "oqs-wrong-root"
  | "oqs-missing-element" | "oqs-invalid-name"
  // reading the official マイナ資格確認アプリ's copied result (parseCopyText; `line` when known)
  | "copy-text-too-large" | "copy-text-empty" | "copy-text-not-official-app"
  | "copy-text-malformed" | "copy-text-invalid-value" | "copy-text-truncated"
  | (string & {});

/** A card reader as the bridge reports it. */
export interface Reader {
  name: string;
  state: "empty" | "present" | "inuse" | "mute" | "unavailable";
  /** The card's ATR in hex, when a card is in. */
  atr?: string;
}

export type BridgeState = "connecting" | "connected" | "reconnecting" | "closed";

export interface BridgeStateEvent {
  state: BridgeState;
  /** While connecting: the Local Network Access permission. */
  permission?: "granted" | "prompt" | "denied" | "unsupported" | "not-applicable";
  /** While reconnecting: the attempt (from 1) and the wait before it. */
  attempt?: number;
  delayMs?: number;
  /** Why the connection was lost or closed. */
  error?: MynaWebError;
}

export interface BridgeHello {
  bridge: { name: string; version: string };
  protocol: 1;
  /** The origin the bridge saw for this page; it binds it into signatures. */
  origin: string;
  policy: string;
  readers: Reader[];
  /** Present when the bridge runs with `--simulate`. */
  simulate?: { personas: string[] };
}

export interface ConnectBridgeOptions {
  /**
   * Connect to a bridge that is not on this computer (default false: only `ws://127.0.0.1`,
   * `ws://[::1]` and `ws://localhost`; any other host is refused with `bridge-not-loopback`
   * before any connection). RISK: the patient's PIN is sent to that host. Set it only for a
   * bridge URL your own code fixed, never for one taken from the page's address, storage,
   * a message or any other input an attacker could shape.
   */
  allowNonLoopbackBridge?: boolean;
  /** Reconnect after the connection is lost (default true). */
  reconnect?: boolean;
  /** Give up after this many reconnection attempts (default: never). */
  maxReconnectAttempts?: number;
  onStateChange?: (event: BridgeStateEvent) => void;
  onReaders?: (readers: Reader[], service: boolean) => void;
}

export interface PinStatus {
  remaining: number;
  blocked: boolean;
}

export interface AuthenticateOptions {
  /** The eligibility service's challenge nonce (43–128 base64url characters). */
  nonce: string;
  /** The patient's 4-digit PIN. Sent once; never retried. */
  pin: string;
  /** Consent to use the last try (required when one try is left). */
  allowLastAttempt?: boolean;
}

export interface Authentication {
  /** The user-authentication certificate, DER. */
  certificate: Uint8Array;
  /** RSASSA-PKCS1-v1_5 / SHA-256 (RS256) over the origin- and nonce-bound message (ES384:
   * ECDSA P-384 / SHA-384, r ‖ s, for the announced next-generation card). */
  signature: Uint8Array;
  algorithm: "RS256" | "ES384";
  /** Which token signed: the plastic card or an Android phone. */
  token: "card" | "android" | "iphone";
}

/** The facts of an X.509 certificate. */
export interface CertificateInfo {
  /** Upper-case hex, no separators. */
  serialNumber: string;
  /** RFC 4514-style distinguished names, most significant first (e.g. "C=JP, O=JPKI, …"). */
  subject: string;
  issuer: string;
  /** Their attributes in order. */
  subjectAttributes: { type: string; value: string }[];
  issuerAttributes: { type: string; value: string }[];
  /** ISO 8601, UTC ("2025-01-01T00:00:00Z"). */
  notBefore: string;
  notAfter: string;
  /** "RSA" or "EC". */
  keyAlgorithm: string;
  keyBits: number;
  signatureAlgorithm: string;
  /** A JPKI user-authentication certificate (利用者証明用電子証明書) by its profile. */
  isJpkiAuth: boolean;
  /** Why it is not, when it is not. */
  jpkiProfileError?: string;
  keyUsage: string[];
  extendedKeyUsage: string[];
  policies: string[];
  isCa: boolean;
}

/**
 * A 受診券 (特定健診) or 利用券 (特定保健指導) as printed; any field may be omitted. Dates in
 * any form reception writes (`20250401`, `2025/4/1`, `令和7年4月1日`, `R7.4.1`).
 */
export interface Voucher {
  /** 受診券 / 利用券 (also 特定健診, 特定保健指導, "checkup", "guidance"). */
  kind?: string;
  /** 受診券整理番号 (利用券整理番号): 11 digits. */
  voucherNumber?: string;
  /** 有効期限. */
  validUntil?: string;
  insurerNumber?: string;
  insuredCardSymbol?: string;
  insuredIdentificationNumber?: string;
  /** 枝番: often blank on vouchers. */
  insuredBranchNumber?: string;
  name?: string;
  nameKana?: string;
  birthdate?: string;
  /** 男/女, "1"/"2". */
  sex?: string;
  /** 健診内容と窓口負担 (free text). */
  windowCharge?: string;
  /** 契約とりまとめ機関 (free text). */
  contractAgency?: string;
}

export type FieldMatch = "match" | "mismatch" | "not-given";

/** Why a voucher is not honoured (stable codes). */
export type VoucherProblem =
  | "qualification-invalid"
  | "outside-qualification-period"
  | "insurer-mismatch"
  | "number-mismatch"
  | "person-mismatch"
  | "voucher-expired"
  | "insurer-not-contracted"
  | "voucher-invalid"
  | "voucher-incomplete";

export interface VoucherFieldError {
  /** voucher-field-missing, voucher-field-too-long, voucher-number-invalid,
   * insurer-number-invalid, branch-number-invalid, date-invalid, sex-invalid, kind-invalid. */
  code: string;
  /** The Voucher key. */
  field: keyof Voucher;
  /** Japanese, for staff. */
  message: string;
}

export interface CompareVoucherOptions {
  /** The 受診日 (default: the answer's QualificationConfirmationDate, else today). */
  date?: string;
  /** The facility's 委託元保険者一覧 (保険者番号s); omitted: not checked. */
  contractedInsurers?: Array<string | { insurerNumber: string }>;
}

/**
 * 受診券照合: the voucher against the eligibility result on the 受診日. Fields are compared
 * after normalising widths, half-width kana, circled characters, hyphens, spaces and
 * `00`+6-digit 保険者番号.
 */
export interface VoucherComparison {
  insurerNumber: FieldMatch;
  insuredCardSymbol: FieldMatch;
  insuredIdentificationNumber: FieldMatch;
  insuredBranchNumber: FieldMatch;
  /** 一致 / 不一致 / 記載なし per field. */
  labels: {
    insurerNumber: string;
    insuredCardSymbol: string;
    insuredIdentificationNumber: string;
    insuredBranchNumber: string;
  };
  /** name (kanji), nameKana, birthdate, sex. */
  person: { name: FieldMatch; nameKana: FieldMatch; birthdate: FieldMatch; sex: FieldMatch };
  /** True only when `problems` is empty: honour the voucher. */
  isMatch: boolean;
  /** Some identifying field given on both sides differs. */
  hasMismatch: boolean;
  problems: VoucherProblem[];
  /** Japanese: what is wrong and what to do. */
  problemDetails: Array<{ code: VoucherProblem; message: string; advice: string }>;
  voucherErrors: VoucherFieldError[];
  /** Which of the answer's results was compared. */
  resultIndex: number | null;
  /** Whether contractedInsurers was given. */
  contractChecked: boolean;
  /** The 受診日 used, yyyyMMdd. */
  date: string;
  /** Why the voucher's insurer number is not a valid 保険者番号. */
  voucherInsurerNumberError?: string;
}

export interface VoucherValidation {
  valid: boolean;
  /** In normal form when valid (ASCII digits, yyyyMMdd dates, sex "1"/"2", kind "checkup"/"guidance"). */
  voucher: Voucher;
  errors: VoucherFieldError[];
}

export interface RosterRow {
  /** The line in the file (the header is line 1). */
  line: number;
  voucher: Voucher;
}

export interface RosterImport {
  /** "utf-8" or "cp932" for bytes, "text" for a string. */
  encoding: "utf-8" | "cp932" | "text";
  rows: RosterRow[];
  /** Rows that did not import; the others did. */
  errors: Array<{
    line: number;
    codes: string[];
    /** Japanese, e.g. "4 行目: 保険者番号の検証番号が合いません". */
    message: string;
    errors: VoucherFieldError[];
    /** For duplicate-voucher-number: the line of the first row. */
    duplicateOf?: number;
  }>;
  ignoredColumns: string[];
}

export interface RosterMatch {
  match: "numbers" | "person" | "ambiguous" | "none";
  /** The row index, for "numbers" and "person". */
  row?: number;
  /** The candidate rows, for "ambiguous". */
  rows?: number[];
}

export interface DayCheck {
  /** The roster row index it belongs to. */
  row?: number | null;
  /** Queued offline, not sent yet. */
  pending?: boolean;
  /** Problem codes, or the service's refusal code; empty: honoured. */
  problems?: string[];
  checkedAt?: string;
  mode?: string;
  operator?: string;
  /** What the check showed, for a check not on the roster. */
  person?: Voucher;
}

export type DayStatus = "checked" | "problem" | "pending" | "not-yet" | "not-on-roster";

export interface DayEntry {
  row: number | null;
  check: number | null;
  status: DayStatus;
  /** 確認済 / 要確認 / 送信待ち / 未確認 / 名簿外. */
  label: string;
}

export interface ExportRosterOptions {
  /** "utf-8" (with BOM): the default and the only one here; CP932 is the service's export. */
  encoding?: "utf-8";
}

export interface RosterColumn {
  field: keyof Voucher;
  label: string;
  /** Header names accepted (compared without spaces, width-folded, case-insensitive). */
  names: string[];
}

export type ProgressStep =
  | "challenge" | "card" | "certificate" | "authenticate" | "confirmation" | "done";

export interface ProgressEvent {
  step: ProgressStep;
  /** With "done": the QualificationValidity code. */
  qualificationValidity?: string;
}

export interface ConfirmQualificationOptions {
  bridge: Bridge;
  /** The eligibility service, e.g. "https://relay.example.jp" (no trailing path). */
  serviceUrl: string;
  /** The terminal's Bearer token (from activation). */
  terminalToken: string;
  /** "pin": the patient enters the PIN; "visual": staff compare the card photo (目視). */
  mode: "pin" | "visual";
  /** Required in PIN mode. Sent once; never retried. */
  pin?: string;
  /** Consent to use the PIN's last try. */
  allowLastAttempt?: boolean;
  /** The staff member, for the service's audit record. */
  operator?: string;
  /** Compare the result with this 受診券. */
  voucher?: Voucher;
  /** The 受診日 for the comparison (default: the answer's confirmation date). */
  date?: string;
  /** The facility's 委託元保険者一覧, for `insurer-not-contracted`. */
  contractedInsurers?: Array<string | { insurerNumber: string }>;
  /** Use this reader (default: the only one holding a card). */
  reader?: string;
  /**
   * Time limit of each eligibility-service request (challenge, confirmation), connection to
   * last byte, in milliseconds: an integer from 1 to 300000 (default 30000). When it passes
   * the call fails with `service-timeout`. After a timeout at the confirmation the card has
   * already signed that challenge's nonce: start a new call (a new challenge); nothing is
   * retried automatically, and never the PIN.
   */
  serviceTimeoutMs?: number;
  onProgress?: (event: ProgressEvent) => void;
}

export interface QualificationResult {
  mode: "pin" | "visual";
  reader: string;
  /** Which token answered: the plastic card or an Android phone's スマホ用電子証明書
   * (an iPhone is refused with `token-not-supported`). Absent with an older bridge, or when
   * the bridge names a token this module does not know. Sent to the service in the
   * confirmation body (its audit records it as the bridge reported it), and shown by
   * `renderQualification` as 本人確認. */
  token?: "card" | "android" | "iphone";
  /** The eligibility service's XmlMsg, parsed. */
  qualification: XmlMsg;
  /** The XmlMsg as received (decoded text). */
  xml: string;
  voucher?: Voucher;
  voucherComparison?: VoucherComparison;
}

export interface RenderOptions {
  /** Show the copy button (default true). */
  copyButton?: boolean;
  /** The copy button's text carries the `本人確認` line when a smartphone answered (default
   * false; see `CopyTextOptions`). The panel always shows 本人確認 when the result names its
   * token and mode. */
  identityLine?: boolean;
  /** The panel heading's level, 1–5 (default 2); sections use the next level. */
  headingLevel?: number;
  /** The panel heading (default "資格確認結果"). */
  title?: string;
  /** Compare with this 受診券 (default: the result's own voucher). */
  voucher?: Voucher;
  /** The 受診日 for the comparison. */
  date?: string;
  /** The facility's 委託元保険者一覧. */
  contractedInsurers?: Array<string | { insurerNumber: string }>;
}

export interface CopyTextOptions {
  /** When a smartphone answered (`token` "android" or "iphone"), add
   * `本人確認<TAB>スマートフォン（Android）・暗証番号` as the last line of each 資格情報 section.
   * Default false: the official app's text has no such label and importers may stop on a
   * label they do not know. A card's text is the same either way. */
  identityLine?: boolean;
}

// ---- The XmlMsg tree (parseQualificationXml, QualificationResult.qualification) ----------
// Element names in lowerCamelCase; absent elements are absent keys; texts trimmed. Each code
// has a `…Label` (Japanese label, or null for a value outside the table). Unknown elements
// appear under their own lowerCamelCase name (a string, or an object for elements with
// children; an array when repeated).

export interface XmlMsg {
  messageHeader: MessageHeader;
  messageBody: MessageBody;
  [unknownElement: string]: unknown;
}

export interface MessageHeader {
  /** yyyyMMddHHmmss */
  processExecutionTime?: string;
  /** yyyyMMdd */
  qualificationConfirmationDate?: string;
  medicalInstitutionCode?: string;
  arbitraryFileIdentifier?: string;
  referenceClassification?: string;
  referenceClassificationLabel?: string | null;
  /** 1 normal, 2 processing, 9 abnormal end */
  segmentOfResult?: string;
  segmentOfResultLabel?: string | null;
  errorCode?: string;
  errorMessage?: string;
  characterCodeIdentifier?: string;
  characterCodeIdentifierLabel?: string | null;
  [unknownElement: string]: unknown;
}

export interface MessageBody {
  processingResultStatus?: string;
  processingResultStatusLabel?: string | null;
  processingResultCode?: string;
  /** Also notices, e.g. the card's certificate expiring soon. */
  processingResultMessage?: string;
  /** 1 有効, 2 無効, 3 無効（新しい資格あり）, 4 該当資格なし, 5 複数該当, 6 有効（未登録） */
  qualificationValidity?: string;
  qualificationValidityLabel?: string | null;
  qualificationConfirmSearchInfo?: QualificationConfirmSearchInfo;
  resultList?: ResultOfQualificationConfirmation[];
  [unknownElement: string]: unknown;
}

export interface QualificationConfirmSearchInfo {
  insurerNumber?: string;
  insuredCardSymbol?: string;
  insuredIdentificationNumber?: string;
  insuredBranchNumber?: string;
  birthdate?: string;
  limitApplicationCertificateRelatedConsFlg?: string;
  limitApplicationCertificateRelatedConsFlgLabel?: string | null;
  [unknownElement: string]: unknown;
}

export interface ResultOfQualificationConfirmation {
  insuredCardClassification?: string;
  insuredCardClassificationLabel?: string | null;
  insurerNumber?: string;
  insurerName?: string;
  insuredCardSymbol?: string;
  insuredIdentificationNumber?: string;
  /** 2 digits */
  insuredBranchNumber?: string;
  personalFamilyClassification?: string;
  personalFamilyClassificationLabel?: string | null;
  insuredName?: string;
  name?: string;
  nameOfOther?: string;
  /** half-width kana */
  nameKana?: string;
  nameOfOtherKana?: string;
  sex1?: string;
  sex1Label?: string | null;
  sex2?: string;
  sex2Label?: string | null;
  /** yyyyMMdd */
  birthdate?: string;
  address?: string;
  postNumber?: string;
  qualificationDate?: string;
  disqualificationDate?: string;
  insuredCertificateIssuanceDate?: string;
  insuredCardValidDate?: string;
  insuredCardExpirationDate?: string;
  /** 3-digit percent: "030" */
  insuredPartialContributionRatio?: string;
  /** "3割" */
  insuredPartialContributionRatioLabel?: string | null;
  preschoolClassification?: string;
  preschoolClassificationLabel?: string | null;
  reasonOfLoss?: string;
  reasonOfLossLabel?: string | null;
  elderlyRecipientCertificateInfo?: ElderlyRecipientCertificateInfo;
  limitApplicationCertificateRelatedConsFlg?: string;
  limitApplicationCertificateRelatedConsFlgLabel?: string | null;
  limitApplicationCertificateRelatedConsTime?: string;
  limitApplicationCertificateRelatedInfo?: LimitApplicationCertificateRelatedInfo;
  specificDiseasesCertificateRelatedConsFlg?: string;
  specificDiseasesCertificateRelatedConsFlgLabel?: string | null;
  specificDiseasesCertificateRelatedConsTime?: string;
  specificDiseasesCertificateList?: {
    specificDiseasesCertificateInfo?: SpecificDiseasesCertificateInfo[];
    [unknownElement: string]: unknown;
  };
  referenceNumber?: string;
  [unknownElement: string]: unknown;
}

export interface ElderlyRecipientCertificateInfo {
  elderlyRecipientCertificateDate?: string;
  elderlyRecipientValidStartDate?: string;
  elderlyRecipientValidEndDate?: string;
  elderlyRecipientContributionRatio?: string;
  elderlyRecipientContributionRatioLabel?: string | null;
  [unknownElement: string]: unknown;
}

export interface LimitApplicationCertificateRelatedInfo {
  limitApplicationCertificateClassification?: string;
  limitApplicationCertificateClassificationLabel?: string | null;
  limitApplicationCertificateClassificationFlag?: string;
  limitApplicationCertificateClassificationFlagLabel?: string | null;
  limitApplicationCertificateDate?: string;
  limitApplicationCertificateValidStartDate?: string;
  limitApplicationCertificateValidEndDate?: string;
  limitApplicationCertificateLongTermDate?: string;
  [unknownElement: string]: unknown;
}

export interface SpecificDiseasesCertificateInfo {
  specificDiseasesDiseaseCategory?: string;
  specificDiseasesCertificateDate?: string;
  specificDiseasesValidStartDate?: string;
  specificDiseasesValidEndDate?: string;
  specificDiseasesSelfPay?: string;
  [unknownElement: string]: unknown;
}
"#;

#[cfg(test)]
mod tests {
    //! The declarations above against the wire contract ([`myna_core::wire`]): a code or a
    //! field on one side only fails here.

    use std::collections::BTreeSet;

    use myna_core::wire::{
        AuthenticateResult, BridgeId, ErrorCode, Hello, PinStatusResult, Reader, ReaderState,
        Simulation,
    };

    /// The declarations above, as this file holds them (the macro consumes the `const`).
    fn types() -> &'static str {
        let file = include_str!("types.rs");
        let start = file.find("r#\"").expect("the declarations") + 3;
        let end = start + file[start..].find("\"#;").expect("their end");
        &file[start..end]
    }

    /// The text of `export <kind> <name>` up to its end (`;` for a type, `}` at the start of
    /// a line for an interface).
    fn declaration(kind: &str, name: &str) -> &'static str {
        let head = format!("export {kind} {name} ");
        let text = types();
        let start = text.find(&head).unwrap_or_else(|| panic!("no {head}"));
        let rest = &text[start..];
        let end = if kind == "type" {
            rest.find(";\n").expect("end of type")
        } else {
            rest.find("\n}").expect("end of interface")
        };
        &rest[..end]
    }

    /// The quoted strings of a declaration, comments left out.
    fn quoted(text: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for line in text.lines() {
            let line = line.split("//").next().unwrap_or_default();
            if line.trim_start().starts_with("/**") || line.trim_start().starts_with('*') {
                continue;
            }
            let mut parts = line.split('"');
            parts.next();
            while let (Some(inside), Some(_)) = (parts.next(), parts.next()) {
                out.insert(inside.to_string());
            }
        }
        out
    }

    /// The top-level field names of an interface (or of an inline `{ … }` type).
    fn fields(body: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut depth = 0usize;
        let mut in_comment = false;
        let mut word = String::new();
        for c in body.chars() {
            if in_comment {
                if c == '/' && word.ends_with('*') {
                    in_comment = false;
                }
                word.push(c);
                continue;
            }
            match c {
                '{' => {
                    depth += 1;
                    word.clear();
                }
                '}' => depth = depth.saturating_sub(1),
                ':' if depth == 1 => {
                    let name = word.trim().trim_end_matches('?');
                    if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()) {
                        out.insert(name.to_string());
                    }
                    word.clear();
                }
                ';' | '\n' | ',' => word.clear(),
                '*' if word.ends_with('/') => {
                    in_comment = true;
                    word.clear();
                }
                _ => word.push(c),
            }
        }
        out
    }

    /// The keys a contract value serializes to.
    fn keys<T: serde::Serialize>(value: &T) -> BTreeSet<String> {
        match serde_json::to_value(value).expect("serializes") {
            serde_json::Value::Object(map) => map.keys().cloned().collect(),
            other => panic!("not an object: {other}"),
        }
    }

    fn inline(interface: &str, field: &str) -> BTreeSet<String> {
        let body = declaration("interface", interface);
        let at = body.find(field).expect("field");
        let open = at + body[at..].find('{').expect("inline type");
        let close = open + body[open..].find('}').expect("inline end");
        fields(&body[open..=close])
    }

    #[test]
    fn every_bridge_error_code_is_declared_and_every_declared_bridge_code_exists() {
        let declared = quoted(declaration("type", "ErrorCode"));
        for code in ErrorCode::ALL {
            assert!(
                declared.contains(code.as_str()),
                "{code} is not in the .d.ts"
            );
        }
        let union = declaration("type", "ErrorCode");
        let start = union.find("// the bridge").expect("bridge section");
        let section = &union[start..];
        let end = section[2..].find("\n  //").map_or(section.len(), |e| e + 2);
        for code in quoted(&section[..end]) {
            assert!(
                ErrorCode::parse(&code).is_some(),
                "{code} is declared as a bridge code but the contract has no such code"
            );
        }
    }

    #[test]
    fn bridge_shapes_match_the_contract() {
        let reader = Reader {
            name: "R".into(),
            state: ReaderState::Present,
            atr: Some("3B".into()),
        };
        assert_eq!(fields(declaration("interface", "Reader")), keys(&reader));
        let states: BTreeSet<String> = ["empty", "present", "inuse", "mute", "unavailable"]
            .into_iter()
            .filter(|s| ReaderState::parse(s).is_some())
            .map(String::from)
            .collect();
        assert_eq!(quoted(declaration("interface", "Reader")), states);
        let hello = Hello {
            bridge: BridgeId {
                name: "myna-bridge".into(),
                version: "1".into(),
            },
            protocol: 1,
            origin: "https://clinic.example".into(),
            policy: "eligibility".into(),
            readers: vec![reader],
            simulate: Some(Simulation::default()),
        };
        assert_eq!(
            fields(declaration("interface", "BridgeHello")),
            keys(&hello)
        );
        assert_eq!(inline("BridgeHello", "bridge:"), keys(&hello.bridge));
        assert_eq!(
            inline("BridgeHello", "simulate?:"),
            keys(&Simulation::default())
        );
        let status = PinStatusResult {
            remaining: 3,
            blocked: false,
        };
        assert_eq!(fields(declaration("interface", "PinStatus")), keys(&status));
        let auth = AuthenticateResult {
            certificate: String::new(),
            signature: String::new(),
            algorithm: myna_core::profile::AuthAlgorithm::Rs256,
            token: myna_core::wire::Token::Card,
        };
        assert_eq!(
            fields(declaration("interface", "Authentication")),
            keys(&auth)
        );
    }
}
