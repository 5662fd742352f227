//! myna-bridge (being written).
#![forbid(unsafe_code)]
