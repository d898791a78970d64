//! Arbitrary bytes -> decode -> analyze/plan/render with the default parameters.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: gar_fuzz::let_caught_panics_unwind(),
    |data: &[u8]| {
        gar_fuzz::harness::decode_render(data);
    }
);
