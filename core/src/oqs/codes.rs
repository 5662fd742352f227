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
    /// (e.g. `LimitApplicationCertificateRelatedConsFlg`). **(uncertain: from one source)**
    ConsentFlag {
        NotConsented = "0" => "未同意",
        Consented = "1" => "同意",
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

/// This project's `ErrorCode` table for `SegmentOfResult` 9 answers. One table, used by
/// the eligibility service (to answer) and the browser module (to explain).
///
/// | code | meaning | HTTP |
/// |---|---|---|
/// | `MW0001` | 要求の形式が不正です | 400 |
/// | `MW0002` | 端末が登録されていないか、認証情報が無効です | 401 |
/// | `MW0003` | この照会方法は施設で許可されていません | 403 |
/// | `MW0004` | チャレンジが無効か、期限切れか、使用済みです | 409 |
/// | `MW0005` | 要求元のオリジンが登録と一致しません | 403 |
/// | `MW0006` | 署名を検証できません | 401 |
/// | `MW0007` | 電子証明書が信頼できる発行元のものではありません | 401 |
/// | `MW0008` | 電子証明書の有効期限が切れています | 401 |
/// | `MW0009` | 電子証明書が失効しています | 401 |
/// | `MW0010` | 一時的に混み合っています。しばらくしてから再度お試しください | 503 |
/// | `MW9999` | システムエラーが発生しました | 500 |
///
/// A person without a qualification is not an error: that is a normal answer with
/// `QualificationValidity` 4 (該当資格なし).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ServiceErrorCode {
    /// `MW0001`: malformed request.
    BadRequest,
    /// `MW0002`: unknown terminal or invalid token.
    Unauthorized,
    /// `MW0003`: the check mode (PIN / visual / number search) is not enabled.
    ModeNotAllowed,
    /// `MW0004`: the challenge nonce is unknown, expired or already used.
    InvalidChallenge,
    /// `MW0005`: the origin in the request is not the facility's.
    OriginMismatch,
    /// `MW0006`: the signature does not verify.
    BadSignature,
    /// `MW0007`: the certificate does not chain to a trusted JPKI CA.
    UntrustedCertificate,
    /// `MW0008`: the certificate has expired.
    CertificateExpired,
    /// `MW0009`: the certificate is revoked.
    CertificateRevoked,
    /// `MW0010`: temporarily unavailable.
    Unavailable,
    /// `MW9999`: internal error.
    Internal,
}

impl ServiceErrorCode {
    /// Every code, in table order.
    pub const ALL: [ServiceErrorCode; 11] = [
        ServiceErrorCode::BadRequest,
        ServiceErrorCode::Unauthorized,
        ServiceErrorCode::ModeNotAllowed,
        ServiceErrorCode::InvalidChallenge,
        ServiceErrorCode::OriginMismatch,
        ServiceErrorCode::BadSignature,
        ServiceErrorCode::UntrustedCertificate,
        ServiceErrorCode::CertificateExpired,
        ServiceErrorCode::CertificateRevoked,
        ServiceErrorCode::Unavailable,
        ServiceErrorCode::Internal,
    ];

    /// The `ErrorCode` text.
    pub const fn code(self) -> &'static str {
        match self {
            ServiceErrorCode::BadRequest => "MW0001",
            ServiceErrorCode::Unauthorized => "MW0002",
            ServiceErrorCode::ModeNotAllowed => "MW0003",
            ServiceErrorCode::InvalidChallenge => "MW0004",
            ServiceErrorCode::OriginMismatch => "MW0005",
            ServiceErrorCode::BadSignature => "MW0006",
            ServiceErrorCode::UntrustedCertificate => "MW0007",
            ServiceErrorCode::CertificateExpired => "MW0008",
            ServiceErrorCode::CertificateRevoked => "MW0009",
            ServiceErrorCode::Unavailable => "MW0010",
            ServiceErrorCode::Internal => "MW9999",
        }
    }

    /// The `ErrorMessage` text shown to staff.
    pub const fn message(self) -> &'static str {
        match self {
            ServiceErrorCode::BadRequest => "要求の形式が不正です",
            ServiceErrorCode::Unauthorized => "端末が登録されていないか、認証情報が無効です",
            ServiceErrorCode::ModeNotAllowed => "この照会方法は施設で許可されていません",
            ServiceErrorCode::InvalidChallenge => "チャレンジが無効か、期限切れか、使用済みです",
            ServiceErrorCode::OriginMismatch => "要求元のオリジンが登録と一致しません",
            ServiceErrorCode::BadSignature => "署名を検証できません",
            ServiceErrorCode::UntrustedCertificate => {
                "電子証明書が信頼できる発行元のものではありません"
            }
            ServiceErrorCode::CertificateExpired => "電子証明書の有効期限が切れています",
            ServiceErrorCode::CertificateRevoked => "電子証明書が失効しています",
            ServiceErrorCode::Unavailable => {
                "一時的に混み合っています。しばらくしてから再度お試しください"
            }
            ServiceErrorCode::Internal => "システムエラーが発生しました",
        }
    }

    /// The HTTP status the service answers with.
    pub const fn http_status(self) -> u16 {
        match self {
            ServiceErrorCode::BadRequest => 400,
            ServiceErrorCode::Unauthorized
            | ServiceErrorCode::BadSignature
            | ServiceErrorCode::UntrustedCertificate
            | ServiceErrorCode::CertificateExpired
            | ServiceErrorCode::CertificateRevoked => 401,
            ServiceErrorCode::ModeNotAllowed | ServiceErrorCode::OriginMismatch => 403,
            ServiceErrorCode::InvalidChallenge => 409,
            ServiceErrorCode::Unavailable => 503,
            ServiceErrorCode::Internal => 500,
        }
    }

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
