#![no_main]
libfuzzer_sys::fuzz_target!(
    |input: myna_fuzz::FrameInput| myna_bridge::fuzzing::bridge_frame(&input.0)
);
