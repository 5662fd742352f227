//! Table-driven unit tests: a function and its cases, the loop written once.

use core::fmt::Debug;

/// Asserts `f(input) == want` for every `(input, want)`, naming the input that fails.
#[track_caller]
pub(crate) fn assert_cases<I, O, W>(f: impl Fn(I) -> O, cases: &[(I, W)])
where
    I: Copy + Debug,
    O: PartialEq<W> + Debug,
    W: Debug,
{
    for (input, want) in cases {
        assert_eq!(f(*input), *want, "input {input:?}");
    }
}
