//! Arbitrary parameter sets (inside and outside the clamps, NaN, inf, huge) on a small
//! fixed sound -> resolve -> prepare -> render.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: gar_fuzz::let_caught_panics_unwind(),
    |data: &[u8]| {
        gar_fuzz::harness::params_render(data);
    }
);
