//! Every error the service answers with, in one table.
//!
//! The official error-code list is distributed only to registered vendors, so the project
//! defines its own: `MWnnnn`, one code per failure a caller may act on, each with a Japanese
//! `ErrorMessage` for reception staff and an HTTP status. Codes `MW0001`–`MW0010` and
//! `MW9999` keep the meaning the browser module's table gives them (finer codes were
//! added after them, never renumbered). `docs/error-codes.md` lists the same table; a test
//! keeps the two in step.
//!
//! Every failure is answered as an `XmlMsg` with `SegmentOfResult` 9, this `ErrorCode` and
//! this `ErrorMessage` (see [`crate::http`]).
//!
//! HTTP statuses: 400 a malformed body; 401 the terminal or the card did not authenticate
//! (token, certificate, signature — as `myna_core::oqs::ServiceErrorCode` has it; only the
//! token failures carry `WWW-Authenticate: Bearer`); 403 a policy refusal (mode, origin,
//! another terminal's nonce); 404/409/410 a nonce never issued / already used / expired;
//! 409 the terminal limit; 422 a well-formed request missing what its mode needs or with
//! invalid search values; 5xx the service.

use axum::http::StatusCode;

macro_rules! error_codes {
    ( $( $(#[$doc:meta])* $variant:ident = $code:literal, $status:literal, $message:literal; )+ ) => {
        /// The project's `ErrorCode` table.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $( $(#[$doc])* #[doc = concat!("`", $code, "` (HTTP ", $status, "): ", $message)] $variant, )+
        }

        impl ErrorCode {
            /// Every code, in table order.
            pub const ALL: &'static [ErrorCode] = &[ $( ErrorCode::$variant, )+ ];

            /// The `ErrorCode` text, e.g. `"MW0006"`.
            pub const fn code(self) -> &'static str {
                match self { $( ErrorCode::$variant => $code, )+ }
            }

            /// The Japanese `ErrorMessage` shown to reception staff.
            pub const fn message(self) -> &'static str {
                match self { $( ErrorCode::$variant => $message, )+ }
            }

            /// The HTTP status the service answers with.
            pub fn status(self) -> StatusCode {
                let status: u16 = match self { $( ErrorCode::$variant => $status, )+ };
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    };
}

error_codes! {
    /// The body is not the JSON the endpoint takes (syntax, a missing or ill-typed field,
    /// bad base64, an over-long text).
    BadRequest = "MW0001", 400, "要求の形式が不正です";
    /// No `Authorization: Bearer` token, or a token no terminal holds.
    Unauthorized = "MW0002", 401, "端末が登録されていないか、認証情報が無効です";
    /// The facility has not enabled this check mode (PIN or 目視).
    ModeNotAllowed = "MW0003", 403, "この照会方法は施設で許可されていません";
    /// The nonce was never issued.
    ChallengeUnknown = "MW0004", 404, "チャレンジが無効です。もう一度やり直してください";
    /// The `origin` is not one of the facility's registered web origins.
    OriginMismatch = "MW0005", 403, "要求元のオリジンが施設の登録と一致しません";
    /// The signature does not verify over the auth message for this origin and nonce with
    /// the certificate's key.
    BadSignature = "MW0006", 401, "署名を検証できません";
    /// The certificate does not chain to a configured trust anchor.
    UntrustedCertificate = "MW0007", 401, "電子証明書が信頼できる発行元のものではありません";
    /// The certificate's `notAfter` has passed.
    CertificateExpired = "MW0008", 401, "電子証明書の有効期限が切れています";
    /// The certificate's serial is on the revocation list.
    CertificateRevoked = "MW0009", 401, "電子証明書が失効しています";
    /// The database is busy or unreachable; the request can be retried.
    Unavailable = "MW0010", 503, "一時的に混み合っています。しばらくしてから再度お試しください";
    /// The terminal's registration was revoked.
    TerminalRevoked = "MW0011", 401, "この端末の登録は取り消されています";
    /// The nonce's five minutes have passed.
    ChallengeExpired = "MW0012", 410, "チャレンジの有効期限が切れています。もう一度やり直してください";
    /// The nonce was already used (a replay, or a retried request).
    ChallengeUsed = "MW0013", 409, "チャレンジは使用済みです。もう一度やり直してください";
    /// The nonce was issued to another terminal.
    ChallengeOtherTerminal = "MW0014", 403, "チャレンジは別の端末に発行されたものです";
    /// The certificate's `notBefore` is still to come.
    CertificateNotYetValid = "MW0015", 401, "電子証明書の有効期間が始まっていません";
    /// The certificate is not a user-authentication certificate (KeyUsage
    /// digitalSignature, EKU clientAuth, the JPKI auth policy).
    CertificateProfile = "MW0016", 401, "利用者証明用電子証明書ではありません";
    /// The certificate is not a DER X.509 certificate.
    CertificateMalformed = "MW0017", 401, "電子証明書を読み取れません";
    /// PIN mode without a signature.
    SignatureMissing = "MW0018", 422, "暗証番号による本人確認の署名がありません";
    /// 目視 mode without an operator name.
    OperatorMissing = "MW0019", 422, "目視確認を行った職員名（operator）が必要です";
    /// Facility code, user ID and activation code do not match a facility.
    ActivationRejected = "MW0020", 401, "医療機関等コード、ユーザーID、アクティベーションコードのいずれかが正しくありません";
    /// The facility's application already has 20 active terminals.
    TerminalLimitReached = "MW0021", 409, "1度の申請で登録できる端末数の上限（20台）に達しています。不要な端末の登録を取り消してください";
    /// The terminal to revoke does not exist in this facility.
    TerminalNotFound = "MW0022", 404, "指定された端末は登録されていません";
    /// The insurer number has the wrong length or check digit.
    InvalidInsurerNumber = "MW0023", 422, "保険者番号が正しくありません";
    /// A date (birth date) is not a valid `yyyyMMdd`.
    InvalidDate = "MW0024", 422, "生年月日が正しくありません（西暦8桁 yyyyMMdd）";
    /// The request body is not `application/json`.
    UnsupportedMediaType = "MW0025", 415, "要求の形式（Content-Type: application/json）が不正です";
    /// The request body is larger than the service accepts.
    PayloadTooLarge = "MW0026", 413, "要求が大きすぎます";
    /// The requested character set is neither UTF-8 nor Shift_JIS.
    UnsupportedCharset = "MW0027", 406, "指定された文字コードには対応していません（UTF-8 または Shift_JIS）";
    /// No such endpoint.
    NotFound = "MW0028", 404, "要求されたAPIはありません";
    /// The endpoint exists but not with this HTTP method.
    MethodNotAllowed = "MW0029", 405, "要求の方法（HTTPメソッド）が不正です";
    /// A roster file cannot be read at all (encoding, header, size); rows with errors are
    /// reported in a normal answer instead.
    RosterUnreadable = "MW0030", 422, "受診者名簿を読み込めません（UTF-8 または Shift_JIS の CSV、見出し行に保険者番号・番号）";
    /// A day in a path is not a valid `yyyyMMdd`.
    InvalidDay = "MW0031", 422, "日付が正しくありません（西暦8桁 yyyyMMdd）";
    /// A check names a roster row that is not on that day's roster.
    RosterRowNotFound = "MW0032", 404, "指定された名簿の行がありません";
    /// Anything the caller cannot fix; details go to the server log only.
    Internal = "MW9999", 500, "システムエラーが発生しました";
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code(), self.message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.code()), "duplicate {}", code.code());
            let text = code.code();
            assert_eq!(text.len(), 6);
            assert!(text.starts_with("MW") && text[2..].bytes().all(|b| b.is_ascii_digit()));
            assert!(code.status().is_client_error() || code.status().is_server_error());
            assert!(!code.message().is_empty());
        }
    }

    #[test]
    fn shared_codes_mean_what_the_core_table_says() {
        use myna_core::oqs::ServiceErrorCode;
        for shared in ServiceErrorCode::ALL {
            let ours = ErrorCode::ALL
                .iter()
                .find(|c| c.code() == shared.code())
                .unwrap_or_else(|| panic!("{} missing", shared.code()));
            // MW0004 is refined here: "never issued" (404); used and expired have their own
            // codes (MW0013 409, MW0012 410).
            if shared.code() != "MW0004" {
                assert_eq!(
                    ours.status().as_u16(),
                    shared.http_status(),
                    "{}",
                    shared.code()
                );
            }
        }
    }

    #[test]
    fn the_documentation_lists_every_code_with_its_status_and_message() {
        let doc = include_str!("../docs/error-codes.md");
        for code in ErrorCode::ALL {
            let row = doc
                .lines()
                .find(|line| line.starts_with(&format!("| `{}` ", code.code())))
                .unwrap_or_else(|| panic!("{} is not in docs/error-codes.md", code.code()));
            assert!(
                row.contains(&format!("| {} |", code.status().as_u16())),
                "{}: status",
                code.code()
            );
            assert!(row.contains(code.message()), "{}: message", code.code());
        }
        let rows = doc.lines().filter(|l| l.starts_with("| `MW")).count();
        assert_eq!(
            rows,
            ErrorCode::ALL.len(),
            "docs/error-codes.md has extra rows"
        );
    }
}
