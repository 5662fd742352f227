//! `myna-demo` command line.
fn main() {}
