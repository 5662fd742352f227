//! myna-bridge (being written).
#![allow(missing_docs)]
#![forbid(unsafe_code)]
pub mod policy;
