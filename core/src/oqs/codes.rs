//! The OQS code tables, typed, with their Japanese labels.
//!
//! A code field in the model is a [`Code<T>`]: the raw text exactly as the file had it
//! (trimmed) plus the typed value when the raw text is in the table. A value outside the
//! table never fails parsing; its [`Code::value`] and [`Code::label`] are `None`.
//!
//! The official `ErrorCode` / `ProcessingResultCode` list is distributed to registered
//! vendors only; [`ServiceErrorCode`] is this project's own table, used by its eligibility
//! service and understood by its browser module.

use core::fmt;

/// A closed OQS code table: every value has a code string and a Japanese label.
pub trait CodeTable: Copy + Eq + fmt::Debug + 'static {
    /// Every value, in table order.
    const ALL: &'static [Self];
    /// The code as it appears in the XML, e.g. `"01"`.
    fn code(self) -> &'static str;
    /// The Japanese label, e.g. `"一般"`.
    fn label(self) -> &'static str;
    /// The value for an exact code string, if it is in the table.
    fn from_code(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.code() == code)
    }
}

macro_rules! code_table {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal => $label:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* #[doc = concat!("`", $code, "` ", $label)] $variant, )+
        }

        impl CodeTable for $name {
            const ALL: &'static [Self] = &[ $( $name::$variant, )+ ];
            fn code(self) -> &'static str {
                match self { $( $name::$variant => $code, )+ }
            }
            fn label(self) -> &'static str {
                match self { $( $name::$variant => $label, )+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}

code_table! {
    /// `QualificationValidity`: the outcome of the check (資格有効性).
    QualificationValidity {
        Valid = "1" => "有効",
        Invalid = "2" => "無効",
        InvalidWithNewQualification = "3" => "無効（新しい資格あり）",
        NoQualification = "4" => "該当資格なし",
        MultipleMatches = "5" => "複数該当",
        ValidUnregistered = "6" => "有効（未登録）",
    }
}

code_table! {
    /// `Sex1` / `Sex2`: 性別.
    Sex {
        Male = "1" => "男",
        Female = "2" => "女",
        NotSet = "3" => "未設定",
    }
}

code_table! {
    /// `PersonalFamilyClassification`: 本人・家族の別.
    PersonalFamilyClassification {
        Insured = "1" => "本人",
        Dependent = "2" => "家族",
    }
}

code_table! {
    /// `InsuredCardClassification`: 被保険者証区分.
    InsuredCardClassification {
        General = "01" => "一般",
        Retired = "02" => "退職",
        ShortTermGeneral = "03" => "短期(一般)",
        ShortTermRetired = "04" => "短期(退職)",
        QualificationCertificate = "05" => "資格証明書",
        SpecialRetired = "06" => "特例退職",
        SelfDefenseOfficial = "07" => "自衛官",
        MedicalAssistance = "A1" => "医療扶助",
    }
}

code_table! {
    /// `ReasonOfLoss`: 資格喪失事由.
    ReasonOfLoss {
        Death = "01" => "死亡",
        PublicAssistanceStarted = "02" => "生活保護受給開始",
        OtherInsuranceAcquired = "03" => "医療保険等の資格取得",
        Other = "99" => "その他",
    }
}

code_table! {
    /// `LimitApplicationCertificateClassification`: 限度額適用認定証区分.
    LimitApplicationCertificateClassification {
        LimitApplication = "01" => "限度額適用",
        LimitApplicationAndStandardReduction = "02" => "限度額適用・標準負担額減額",
        StandardReduction = "03" => "標準負担額減額",
    }
}

code_table! {
    /// `LimitApplicationCertificateClassificationFlag`: 適用区分 (所得区分).
    LimitApplicationCertificateClassificationFlag {
        A01 = "A01" => "区分ア",
        A02 = "A02" => "区分イ",
        A03 = "A03" => "区分ウ",
        A04 = "A04" => "区分エ",
        A05 = "A05" => "区分オ",
        A06 = "A06" => "区分オ(境)",
        B01 = "B01" => "現役並みⅢ",
        B02 = "B02" => "現役並みⅡ",
        B03 = "B03" => "現役並みⅠ",
        B04 = "B04" => "一般",
        B05 = "B05" => "低所得Ⅱ",
        B06 = "B06" => "低所得Ⅰ",
        B07 = "B07" => "低所得Ⅰ(老福)",
        B08 = "B08" => "低所得Ⅰ(境)",
        B09 = "B09" => "一般Ⅱ",
        B10 = "B10" => "一般Ⅰ",
    }
}

code_table! {
    /// `PreschoolClassification`: 未就学区分.
    PreschoolClassification {
        Preschool = "1" => "未就学",
    }
}

code_table! {
    /// `SegmentOfResult`: 処理結果区分 of the whole message.
    SegmentOfResult {
        Normal = "1" => "正常終了",
        Processing = "2" => "処理中",
        Abnormal = "9" => "異常終了",
    }
}

code_table! {
    /// `ReferenceClassification`: 照会区分 (how the person was identified).
    ReferenceClassification {
        Card = "1" => "マイナンバーカード",
        InsuranceNumbers = "2" => "被保険者番号等",
    }
}

code_table! {
    /// `CharacterCodeIdentifier`: the file's character encoding.
    CharacterCodeIdentifier {
        Utf8 = "0" => "UTF-8",
        ShiftJis = "1" => "Shift_JIS",
    }
}

code_table! {
    /// `ProcessingResultStatus`: 処理結果状況 of the body.
    ProcessingResultStatus {
        Normal = "1" => "正常終了",
        Error = "2" => "処理エラー",
    }
}

code_table! {
    /// `…ConsFlg`: whether the patient consented to disclose the related information
    /// (e.g. `LimitApplicationCertificateRelatedConsFlg`). **(uncertain: `0`/`1` from one
    /// source; `2` is seen in answers and read here as the patient declining — it is neither
    /// "not asked" nor consent, so nothing that needs consent may be shown for it)**
    ConsentFlag {
        NotConsented = "0" => "未同意",
        Consented = "1" => "同意",
        Declined = "2" => "同意しない",
    }
}

/// A code field: the raw text as found (trimmed) and the typed value when it is in `T`'s
/// table.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Code<T: CodeTable> {
    raw: String,
    value: Option<T>,
}

impl<T: CodeTable> Code<T> {
    /// A code field from raw text; unknown values are kept with `value() == None`.
    pub fn from_raw(raw: impl Into<String>) -> Self {
        let raw = raw.into();
        let value = T::from_code(&raw);
        Self { raw, value }
    }

    /// The raw text, e.g. `"01"`.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// The typed value, if the raw text is in the table.
    pub fn value(&self) -> Option<T> {
        self.value
    }

    /// The Japanese label, if the raw text is in the table.
    pub fn label(&self) -> Option<&'static str> {
        self.value.map(T::label)
    }

    /// Whether this field holds `value`.
    pub fn is(&self, value: T) -> bool {
        self.value == Some(value)
    }
}

impl<T: CodeTable> From<T> for Code<T> {
    fn from(value: T) -> Self {
        Self {
            raw: value.code().to_owned(),
            value: Some(value),
        }
    }
}

impl<T: CodeTable> fmt::Debug for Code<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.value {
            Some(v) => write!(f, "{:?}({:?})", v, self.raw),
            None => write!(f, "Unknown({:?})", self.raw),
        }
    }
}

impl<T: CodeTable> fmt::Display for Code<T> {
    /// The label when known, else the raw text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label().unwrap_or(&self.raw))
    }
}

/// A 負担割合 (`…ContributionRatio`): a 3-digit percentage such as `"030"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContributionRatio {
    raw: String,
}

impl ContributionRatio {
    /// A ratio field from raw text (kept even when it is not a valid percentage).
    pub fn from_raw(raw: impl Into<String>) -> Self {
        Self { raw: raw.into() }
    }

    /// A ratio from a percentage 0–100 (`30` → `"030"`); `None` above 100.
    pub fn from_percent(percent: u8) -> Option<Self> {
        (percent <= 100).then(|| Self {
            raw: format!("{percent:03}"),
        })
    }

    /// The raw text.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// The percentage 0–100, when the raw text is exactly three digits.
    pub fn percent(&self) -> Option<u8> {
        contribution_ratio_percent(&self.raw)
    }

    /// `1割`, `2割`, `3割`, … (see [`contribution_ratio_label`]).
    pub fn label(&self) -> Option<&'static str> {
        contribution_ratio_label(&self.raw)
    }
}

/// The percentage of a 3-digit ratio (`"030"` → 30); `None` unless exactly three ASCII
/// digits (surrounding ASCII whitespace ignored) with a value of at most 100.
pub fn contribution_ratio_percent(raw: &str) -> Option<u8> {
    let s = raw.trim_ascii();
    if s.len() != 3 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = s
        .bytes()
        .fold(0u16, |acc, b| acc * 10 + u16::from(b - b'0'));
    u8::try_from(n).ok().filter(|&p| p <= 100)
}

/// The label of a 3-digit ratio in whole 割: `"010"` → `1割`, `"020"` → `2割`,
/// `"030"` → `3割` (`"000"` → `0割`, `"100"` → `10割`); `None` for anything else, including
/// percentages that are not a multiple of 10.
///
/// ```
/// use myna_core::oqs::contribution_ratio_label;
/// assert_eq!(contribution_ratio_label("030"), Some("3割"));
/// assert_eq!(contribution_ratio_label("3"), None);
/// ```
pub fn contribution_ratio_label(raw: &str) -> Option<&'static str> {
    const LABELS: [&str; 11] = [
        "0割", "1割", "2割", "3割", "4割", "5割", "6割", "7割", "8割", "9割", "10割",
    ];
    let p = contribution_ratio_percent(raw)?;
    (p % 10 == 0).then(|| LABELS[usize::from(p / 10)])
}

macro_rules! service_error_codes {
    ( $( $(#[$doc:meta])* $variant:ident = $code:literal, $status:literal, $message:literal; )+ ) => {
        /// This project's `ErrorCode` table for `SegmentOfResult` 9 answers — the **one**
        /// table: the eligibility service answers with it (`myna-demo` re-exports it) and the
        /// browser module explains with it; `web-demo/docs/error-codes.md` lists it (a test
        /// there keeps the two in step).
        ///
        /// The official list is distributed only to registered vendors, so the project
        /// defines its own `MWnnnn` codes, one per failure a caller may act on, each with a
        /// Japanese `ErrorMessage` for reception staff and an HTTP status. Codes are never
        /// renumbered; new ones are appended.
        ///
        /// A person without a qualification is not an error: that is a normal answer with
        /// `QualificationValidity` 4 (該当資格なし).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ServiceErrorCode {
            $( $(#[$doc])* #[doc = concat!("\n\n`", $code, "` (HTTP ", $status, "): ", $message)] $variant, )+
        }

        impl ServiceErrorCode {
            /// Every code, in table order.
            pub const ALL: &'static [ServiceErrorCode] = &[ $( ServiceErrorCode::$variant, )+ ];

            /// The `ErrorCode` text, e.g. `"MW0006"`.
            pub const fn code(self) -> &'static str {
                match self { $( ServiceErrorCode::$variant => $code, )+ }
            }

            /// The Japanese `ErrorMessage` shown to reception staff.
            pub const fn message(self) -> &'static str {
                match self { $( ServiceErrorCode::$variant => $message, )+ }
            }

            /// The HTTP status the service answers with.
            pub const fn http_status(self) -> u16 {
                match self { $( ServiceErrorCode::$variant => $status, )+ }
            }
        }
    };
}

service_error_codes! {
    /// The body is not the JSON the endpoint takes (syntax, a missing or ill-typed field,
    /// bad base64, an over-long text).
    BadRequest = "MW0001", 400, "要求の形式が不正です";
    /// No `Authorization: Bearer` token, or a token no terminal holds.
    Unauthorized = "MW0002", 401, "端末が登録されていないか、認証情報が無効です";
    /// The facility has not enabled this check mode (PIN or 目視).
    ModeNotAllowed = "MW0003", 403, "この照会方法は施設で許可されていません";
    /// The nonce was never issued (used and expired nonces have their own codes).
    ChallengeUnknown = "MW0004", 404, "チャレンジが無効です。もう一度やり直してください";
    /// The `origin` is not one of the facility's registered web origins.
    OriginMismatch = "MW0005", 403, "要求元のオリジンが施設の登録と一致しません";
    /// The signature does not verify over the auth message for this origin and nonce with
    /// the certificate's key.
    BadSignature = "MW0006", 401, "署名を検証できません";
    /// The certificate does not chain to a configured trust anchor.
    UntrustedCertificate = "MW0007", 401, "電子証明書が信頼できる発行元のものではありません";
    /// The certificate's `notAfter` has passed, and so has the end of the third month after
    /// the month it expired (until then 資格情報 are still given, with a notice).
    CertificateExpired = "MW0008", 401, "電子証明書の有効期限が切れています";
    /// The certificate's serial is on its issuing CA's revocation list.
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
    /// 目視 mode (or a pasted official-app result) without an operator name.
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
    /// Too many wrong activation codes for this facility/user ID or from this client: every
    /// activation (the right code too) is refused until the cooling period ends
    /// (`Retry-After`).
    ActivationLocked = "MW0030", 429, "アクティベーションコードの誤りが続いたため、登録を一時的に停止しています。しばらくしてから再度お試しください";
    /// Revoking a terminal needs the facility administration's token, not a terminal's.
    AdminRequired = "MW0031", 403, "端末の登録取消は施設の管理者のみが行えます";
    /// The terminal's token lived its lifetime; the terminal is activated again.
    TokenExpired = "MW0032", 401, "端末の認証情報の有効期限が切れています。端末を登録し直してください";
    /// The certificate's CA has a verified CRL, but the request's time is outside its
    /// thisUpdate..nextUpdate: revocation cannot be checked until a current CRL is loaded
    /// (`myna-demo crl load`).
    RevocationListNotCurrent = "MW0033", 503, "失効リストの有効期間外のため、電子証明書の失効を確認できません";
    /// No CRL of the certificate's CA verified against the trust anchors (none loaded, or
    /// the stored one does not verify): revocation cannot be checked.
    RevocationListMissing = "MW0034", 503, "電子証明書の発行元の失効リストがないため、失効を確認できません";
    /// A pasted official-app result (`mode: "official-app"`) that is not the app's copy
    /// text, or is mangled or cut short.
    CopyTextRejected = "MW0035", 422, "マイナ資格確認アプリの結果として読み取れません。アプリの「コピー」から貼り付け直してください";
    /// A roster file cannot be read at all (encoding, header, size); rows with errors are
    /// reported in a normal answer instead.
    RosterUnreadable = "MW0036", 422, "受診者名簿を読み込めません（UTF-8 または Shift_JIS の CSV、見出し行に保険者番号・番号）";
    /// A day in a path is not a valid `yyyyMMdd`.
    InvalidDay = "MW0037", 422, "日付が正しくありません（西暦8桁 yyyyMMdd）";
    /// A check names a roster row that is not on that day's roster.
    RosterRowNotFound = "MW0038", 404, "指定された名簿の行がありません";
    /// A PIN-mode `algorithm` that is not a JOSE name the service verifies (`RS256`,
    /// `ES384`: `profile::AuthAlgorithm`).
    UnsupportedAlgorithm = "MW0039", 422, "この署名方式には対応していません（RS256 または ES384）";
    /// The `algorithm` does not match the certificate's key (ES384 with an RSA certificate,
    /// RS256 with a P-384 certificate).
    AlgorithmMismatch = "MW0040", 401, "署名方式が電子証明書の鍵と一致しません";
    /// Anything the caller cannot fix; details go to the server log only.
    Internal = "MW9999", 500, "システムエラーが発生しました";
}

impl ServiceErrorCode {
    /// The code for an `ErrorCode` text, if it is in this table.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.code() == code.trim())
    }
}

impl fmt::Display for ServiceErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code(), self.message())
    }
}

/// The character encoding of an `XmlMsg` file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Encoding {
    /// UTF-8 (`CharacterCodeIdentifier` 0).
    Utf8,
    /// Shift_JIS as Japanese systems mean it: CP932 / Windows-31J
    /// (`CharacterCodeIdentifier` 1).
    ShiftJis,
}

impl Encoding {
    /// The label written in the XML declaration: `UTF-8` or `Shift_JIS`.
    pub const fn label(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::ShiftJis => "Shift_JIS",
        }
    }

    /// The matching `CharacterCodeIdentifier`.
    pub const fn character_code_identifier(self) -> CharacterCodeIdentifier {
        match self {
            Encoding::Utf8 => CharacterCodeIdentifier::Utf8,
            Encoding::ShiftJis => CharacterCodeIdentifier::ShiftJis,
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}
