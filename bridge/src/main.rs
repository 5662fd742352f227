//! myna-bridge command line (being written).
fn main() {}
