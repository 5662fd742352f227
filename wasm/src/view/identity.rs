//! 本人確認: which token answered and how the patient was identified, read from a
//! `QualificationResult`'s `token` and `mode` (issue 14). The panel shows it; the copy text
//! carries it only on request and only for a smartphone (`docs/copy-text.md`).

use myna_core::oqs;
use myna_core::wire::Token;
use myna_core::wire::service::ConfirmationMode;

use super::Text;

js_view! {
    /// A `QualificationResult`'s `mode` and `token` (absent on a bare `XmlMsg`, and `token`
    /// with an older bridge).
    pub struct IdentityView {
        /// `pin` or `visual`.
        pub mode: Text = "mode",
        /// `card`, `android` or `iphone`.
        pub token: Text = "token",
    }
}

impl IdentityView {
    /// The token, when the result names one this module knows.
    pub fn token(&self) -> Option<Token> {
        crate::client::read::token(self.token.get()?)
    }

    /// The mode, when the result names one this module knows.
    pub fn mode(&self) -> Option<ConfirmationMode> {
        ConfirmationMode::parse(self.mode.get()?)
    }

    /// A smartphone answered.
    pub fn is_phone(&self) -> bool {
        matches!(self.token(), Some(Token::Android | Token::Iphone))
    }

    /// `スマートフォン（Android）・暗証番号`, `マイナンバーカード・目視`; `None` unless both
    /// the token and the mode are known (nothing is guessed).
    pub fn label(&self) -> Option<String> {
        Some(oqs::identity_label(self.token()?, self.mode()?))
    }
}
