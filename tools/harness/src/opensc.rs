//! OpenSC as the project's tools meet it: where Debian installs its PKCS#11 module, the token
//! its JPKI emulation makes of the auth PIN, and finding that token's slot in
//! `pkcs11-tool --list-slots`. Used by the benchmark's OpenSC count and the virtual card's
//! interop tests (run the tools with [`crate::run_tool`]).

/// OpenSC's PKCS#11 module as Debian installs it.
pub const PKCS11_MODULE: &str = "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so";

/// The token label OpenSC's JPKI emulation gives the auth-PIN slot.
pub const AUTH_TOKEN_LABEL: &str = "JPKI (User Authentication PIN)";

/// The slot id (`0x4`) of the [`AUTH_TOKEN_LABEL`] token in the reader whose name contains
/// `reader`, read from `pkcs11-tool --list-slots` output; `None` when there is none.
pub fn auth_slot(list_slots: &str, reader: &str) -> Option<String> {
    let mut current: Option<String> = None;
    for line in list_slots.lines() {
        if let Some(rest) = line.strip_prefix("Slot ") {
            // "Slot 2 (0x4): Virtual PCD 00 01"
            current = rest
                .contains(reader)
                .then(|| rest.split(['(', ')']).nth(1).map(str::to_owned))
                .flatten();
        } else if line.contains("token label") && line.contains(AUTH_TOKEN_LABEL) {
            if let Some(slot) = &current {
                return Some(slot.clone());
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_auth_slot_is_the_labelled_token_in_the_named_reader() {
        let listing = "Available slots:\n\
            Slot 0 (0x0): Virtual PCD 00 00\n  token label        : JPKI (User Authentication PIN)\n\
            Slot 1 (0x1): Virtual PCD 00 00\n  token label        : JPKI (Digital Signature PIN)\n\
            Slot 4 (0x4): Virtual PCD 00 01\n  token label        : JPKI (Digital Signature PIN)\n\
            Slot 5 (0x5): Virtual PCD 00 01\n  token label        : JPKI (User Authentication PIN)\n";
        assert_eq!(
            auth_slot(listing, "Virtual PCD 00 00").as_deref(),
            Some("0x0")
        );
        assert_eq!(
            auth_slot(listing, "Virtual PCD 00 01").as_deref(),
            Some("0x5")
        );
        assert_eq!(auth_slot(listing, "Virtual PCD 00 02"), None);
    }
}
