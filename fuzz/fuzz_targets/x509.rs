#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| myna_core::fuzzing::x509(
    data,
    myna_fuzz::PERSONA_ROOT,
    myna_fuzz::PERSONA_LEAF
));
