//! A deterministic mini-fuzzer: `decode_bytes` must never panic, hang or abort on damaged input.
//!
//! Each fixture is mutated many times (bit flips, byte overwrites, truncation, splices, header
//! field smashing with extreme values) and decoded. Any panic fails the test. Set
//! `GAR_FUZZ_ITERS` to run more mutations per fixture (default 500) and `GAR_FUZZ_SEED` to
//! explore other inputs.

use std::path::Path;

/// xorshift64*: small, deterministic, dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

fn mutate(rng: &mut Rng, src: &[u8]) -> Vec<u8> {
    let mut v = src.to_vec();
    let rounds = 1 + rng.below(4);
    for _ in 0..rounds {
        match rng.below(7) {
            0 => {
                // Flip a few bits.
                for _ in 0..1 + rng.below(8) {
                    let i = rng.below(v.len());
                    if let Some(b) = v.get_mut(i) {
                        *b ^= 1 << rng.below(8);
                    }
                }
            }
            1 => {
                // Truncate.
                let n = rng.below(v.len() + 1);
                v.truncate(n);
            }
            2 => {
                // Overwrite a header-ish region (first 128 bytes) with extreme values.
                let i = rng.below(v.len().min(128));
                let val: &[u8] = match rng.below(4) {
                    0 => &[0, 0, 0, 0],
                    1 => &[0xff, 0xff, 0xff, 0xff],
                    2 => &[0x7f, 0xff, 0xff, 0xff],
                    _ => &[0x80, 0, 0, 0],
                };
                for (k, &b) in val.iter().enumerate() {
                    if let Some(x) = v.get_mut(i + k) {
                        *x = b;
                    }
                }
            }
            3 => {
                // Random bytes over a random span.
                let i = rng.below(v.len());
                let n = rng.below(64);
                for k in i..(i + n).min(v.len()) {
                    v[k] = rng.next() as u8;
                }
            }
            4 => {
                // Duplicate a span (splice).
                let i = rng.below(v.len());
                let n = rng.below(512).min(v.len() - i.min(v.len()));
                let span: Vec<u8> = v[i..i + n].to_vec();
                let at = rng.below(v.len());
                v.splice(at..at, span);
            }
            5 => {
                // Delete a span.
                let i = rng.below(v.len());
                let n = rng.below(256).min(v.len() - i.min(v.len()));
                v.drain(i..i + n);
            }
            _ => {
                // Insert random bytes.
                let at = rng.below(v.len() + 1);
                let junk: Vec<u8> = (0..rng.below(32)).map(|_| rng.next() as u8).collect();
                v.splice(at..at, junk);
            }
        }
    }
    v
}

#[test]
fn decode_bytes_never_panics_on_mutated_fixtures() {
    let iters: usize = std::env::var("GAR_FUZZ_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(500);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e != "py"))
        .collect();
    files.sort();
    assert!(files.len() >= 12, "fixtures missing in {}", dir.display());

    let seed: u64 = std::env::var("GAR_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x9e37_79b9_7f4a_7c15);
    let mut rng = Rng(seed | 1);
    let (mut ok, mut err) = (0u32, 0u32);
    for f in &files {
        let src = std::fs::read(f).unwrap();
        let ext = f.extension().and_then(|e| e.to_str());
        for i in 0..iters {
            let input = mutate(&mut rng, &src);
            // Alternate between the right hint, no hint, and a wrong hint.
            let hint = match i % 3 {
                0 => ext,
                1 => None,
                _ => Some("wav"),
            };
            match gar_io::decode_bytes(input, hint) {
                Ok(d) => {
                    ok += 1;
                    assert!(d.sample_rate > 0);
                    assert!(!d.channels.is_empty());
                    assert!(d.channels.iter().all(|c| c.len() == d.frames));
                    assert!(d.channels.iter().flatten().all(|x| x.is_finite()));
                }
                Err(e) => {
                    err += 1;
                    assert!(!e.to_string().is_empty());
                }
            }
        }
    }
    // Pure random bytes, several sizes.
    for n in [1usize, 2, 3, 4, 11, 12, 44, 100, 1000, 10_000] {
        for _ in 0..10 {
            let input: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
            let _ = gar_io::decode_bytes(input, Some("wav"));
        }
    }
    eprintln!("mutated inputs: {ok} decoded, {err} rejected");
}
