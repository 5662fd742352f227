//! # myna-demo — the eligibility service simulator
//!
//! (design note written below as the crate takes shape)

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod clock;
pub mod db;
pub mod errors;
pub mod secrets;
pub mod store;
