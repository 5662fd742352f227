#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| myna_core::fuzzing::roster(data));
