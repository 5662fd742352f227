//! myna-bridge (being written).
#![allow(missing_docs)]
#![forbid(unsafe_code)]
pub mod backend;
pub mod gate;
pub mod pcsc_backend;
pub mod policy;
pub mod protocol;
pub mod cards;
pub mod server;
pub mod config;
