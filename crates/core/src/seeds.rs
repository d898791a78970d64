//! Seeds derived from a run's seed: one per file of a batch (docs/algorithm.md
//! has the channel seeds of section 14, [`crate::channel_seed`]).
//!
//! `gar batch --seed S`, `gar.file_seed` in Python and anything else that runs
//! many files from one seed give file `rel_path` the seed
//! [`file_seed`]`(S, rel_path)`. The derivation is a fixed, documented hash,
//! not Rust's `DefaultHasher` (whose output may change between releases), so
//! a file's output depends only on the base seed and its path relative to the
//! input root: not on the order of the files, the number of jobs, the shard
//! or the machine.

/// FNV-1a 64-bit offset basis.
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
/// FNV-1a 64-bit prime.
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
/// SplitMix64's increment (2^64 / the golden ratio).
const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// The FNV-1a 64-bit hash of `bytes`: for each byte, `h = (h ^ byte) *
/// 0x100000001b3` (wrapping), from `h = 0xcbf29ce484222325`.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(FNV_OFFSET, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(FNV_PRIME)
    })
}

/// One step of SplitMix64 from state `z`: the output for the state
/// `z + 0x9E3779B97F4A7C15` (wrapping), mixed by
/// `z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9; z = (z ^ (z >> 27)) *
/// 0x94D049BB133111EB; z ^ (z >> 31)`.
pub fn splitmix64(z: u64) -> u64 {
    let mut z = z.wrapping_add(GOLDEN);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The seed of the file at `rel_path` (its path relative to the input root,
/// in UTF-8 with `/` between components and no leading `./`, e.g.
/// `"drums/kick.wav"`) in a run of many files with base seed `seed`:
///
/// `splitmix64(seed ^ fnv1a64(rel_path))`, and 1 in the one case where that
/// is 0 (a seed of 0 means "draw one" to gar).
///
/// The caller spells the path: the hash sees the bytes as given, so
/// `a/b.wav` and `a\b.wav` differ (batch and the Python examples use `/` on
/// every system).
pub fn file_seed(seed: u64, rel_path: &str) -> u64 {
    match splitmix64(seed ^ fnv1a64(rel_path.as_bytes())) {
        0 => 1,
        z => z,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a64_known_answers() {
        // The reference test vectors of the FNV authors.
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn splitmix64_known_answers() {
        // The first outputs of SplitMix64 seeded with 0 (each the next state's).
        assert_eq!(splitmix64(0), 0xe220_a839_7b1d_cdaf);
        assert_eq!(splitmix64(GOLDEN), 0x6e78_9e6a_a1b9_65f4);
        assert_eq!(splitmix64(GOLDEN.wrapping_mul(2)), 0x06c4_5d18_8009_454f);
    }

    #[test]
    fn file_seed_known_answers() {
        // Computed independently (crates/py/tests/test_seeds.py repeats them in Python).
        assert_eq!(file_seed(0, ""), splitmix64(0xcbf2_9ce4_8422_2325));
        assert_eq!(file_seed(42, "a.wav"), KNOWN[0]);
        assert_eq!(file_seed(42, "drums/kick.wav"), KNOWN[1]);
        assert_eq!(file_seed(7, "drums/kick.wav"), KNOWN[2]);
    }

    /// file_seed(42, "a.wav"), file_seed(42, "drums/kick.wav"), file_seed(7, "drums/kick.wav").
    const KNOWN: [u64; 3] = [
        0xce7c_5cfe_1a33_5574,
        0xef59_72e0_e372_72a7,
        0x0133_c1b7_9650_d144,
    ];

    #[test]
    fn file_seed_depends_on_both_and_never_zero() {
        let paths = ["a.wav", "b.wav", "a/b.wav", "a\\b.wav", "A.wav", ""];
        let mut seen = std::collections::HashSet::new();
        for s in [0u64, 1, 2, 42, u64::MAX] {
            for p in paths {
                let v = file_seed(s, p);
                assert_ne!(v, 0);
                assert!(seen.insert(v), "collision at seed {s} path {p:?}");
                assert_eq!(v, file_seed(s, p), "not a pure function");
            }
        }
    }
}
