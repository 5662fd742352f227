//! 受診券 / 利用券 checks for checkup centres: the voucher model, the comparison that decides
//! whether to honour a voucher, and the day's roster (受診者名簿).
//!
//! - [`voucher`]: a 受診券 or 利用券 as printed, validated with coded errors.
//! - [`normalize`]: the comparison keys (half-width kana, circled characters, `00` + 6-digit
//!   保険者番号, …) shared by the comparison, the roster and the simulator's search.
//! - [`compare`]: [`compare::check_voucher`] → field by field, the person, and the
//!   [`compare::Problem`]s (`qualification-invalid`, `outside-qualification-period`,
//!   `person-mismatch`, `voucher-expired`, `insurer-not-contracted`, …).
//! - [`roster`]: CSV import (UTF-8 or CP932), matching a check to its row, the day's list,
//!   and the results CSV (UTF-8 with BOM or CP932).
//!
//! Pure like the rest of the core: the 受診日 and the facility's 委託元保険者一覧 are passed
//! in; nothing here reads a clock or a file.

pub mod compare;
pub mod normalize;
pub mod roster;
pub mod voucher;
