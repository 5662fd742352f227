#![no_main]
libfuzzer_sys::fuzz_target!(|input: myna_fuzz::PolicySteps| myna_bridge::fuzzing::policy(&input.0));
