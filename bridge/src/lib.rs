//! myna-bridge (being written).
#![allow(missing_docs)]
#![forbid(unsafe_code)]
pub mod gate;
pub mod policy;
pub mod protocol;
