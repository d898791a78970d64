//! Full-length sample buffers (a decoded channel, a rendered channel).
//!
//! A 10-minute channel is 106 MB of f32. Filled through ordinary 4 KiB pages,
//! such a buffer costs one page fault per 4 KiB, which on the machines we
//! measured (virtual machines) was about a third of a whole render's time. So a
//! large buffer is an anonymous memory map advised for transparent huge pages
//! (2 MiB, 512x fewer faults) where the OS offers them (Linux), and a plain
//! `Vec` otherwise. The map comes zeroed and untouched: pages appear when the
//! first writer touches them, on whichever thread does. No `unsafe`: memmap2's
//! anonymous maps and advice are safe, and bytemuck checks the cast to f32.

use std::fmt;
use std::ops::{Deref, DerefMut};

/// Buffers at least this large (bytes) are memory maps.
const MAP_MIN_BYTES: usize = 4 << 20;

/// A zero-initialised, fixed-length buffer of f32 samples; derefs to `[f32]`.
pub struct SampleBuf(Inner);

enum Inner {
    Heap(Vec<f32>),
    /// Page-aligned, a whole number of f32 (checked when made).
    Map(memmap2::MmapMut),
}

impl SampleBuf {
    /// `len` zeros.
    pub fn zeroed(len: usize) -> SampleBuf {
        match len.checked_mul(4) {
            Some(bytes) if bytes >= MAP_MIN_BYTES => {
                if let Some(map) = huge_map(bytes) {
                    return SampleBuf(Inner::Map(map));
                }
            }
            _ => {}
        }
        SampleBuf(Inner::Heap(vec![0.0; len]))
    }

    /// The samples.
    pub fn as_slice(&self) -> &[f32] {
        match &self.0 {
            Inner::Heap(v) => v,
            // `huge_map` checked that this cast succeeds.
            Inner::Map(m) => bytemuck::try_cast_slice(m).unwrap_or(&[]),
        }
    }

    /// The samples, mutable.
    pub fn as_mut_slice(&mut self) -> &mut [f32] {
        match &mut self.0 {
            Inner::Heap(v) => v,
            Inner::Map(m) => bytemuck::try_cast_slice_mut(m).unwrap_or(&mut []),
        }
    }

    /// Samples' worth of memory held (at least `len`; a `Vec` may hold more).
    pub fn capacity(&self) -> usize {
        match &self.0 {
            Inner::Heap(v) => v.capacity(),
            Inner::Map(m) => m.len() / 4,
        }
    }

    /// Whether the samples live in a memory map (for tests and diagnostics).
    pub fn is_mapped(&self) -> bool {
        matches!(self.0, Inner::Map(_))
    }
}

/// An anonymous map of `bytes` bytes, advised for huge pages; `None` if the OS
/// refuses the map or its address does not suit f32.
fn huge_map(bytes: usize) -> Option<memmap2::MmapMut> {
    let mut map = memmap2::MmapOptions::new().len(bytes).map_anon().ok()?;
    #[cfg(target_os = "linux")]
    {
        // Only advice: without it (THP disabled, old kernel) the map simply
        // uses small pages.
        let _ = map.advise(memmap2::Advice::HugePage);
    }
    bytemuck::try_cast_slice_mut::<u8, f32>(&mut map).ok()?;
    Some(map)
}

impl From<Vec<f32>> for SampleBuf {
    fn from(v: Vec<f32>) -> SampleBuf {
        SampleBuf(Inner::Heap(v))
    }
}

impl From<&[f32]> for SampleBuf {
    fn from(s: &[f32]) -> SampleBuf {
        let mut b = SampleBuf::zeroed(s.len());
        b.copy_from_slice(s);
        b
    }
}

impl Clone for SampleBuf {
    fn clone(&self) -> SampleBuf {
        SampleBuf::from(self.as_slice())
    }
}

impl Deref for SampleBuf {
    type Target = [f32];
    fn deref(&self) -> &[f32] {
        self.as_slice()
    }
}

impl DerefMut for SampleBuf {
    fn deref_mut(&mut self) -> &mut [f32] {
        self.as_mut_slice()
    }
}

impl AsRef<[f32]> for SampleBuf {
    fn as_ref(&self) -> &[f32] {
        self.as_slice()
    }
}

impl AsMut<[f32]> for SampleBuf {
    fn as_mut(&mut self) -> &mut [f32] {
        self.as_mut_slice()
    }
}

impl<'a> IntoIterator for &'a SampleBuf {
    type Item = &'a f32;
    type IntoIter = std::slice::Iter<'a, f32>;
    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter()
    }
}

impl fmt::Debug for SampleBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl PartialEq for SampleBuf {
    fn eq(&self, other: &SampleBuf) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl PartialEq<[f32]> for SampleBuf {
    fn eq(&self, other: &[f32]) -> bool {
        self.as_slice() == other
    }
}

impl<const N: usize> PartialEq<[f32; N]> for SampleBuf {
    fn eq(&self, other: &[f32; N]) -> bool {
        self.as_slice() == other
    }
}

impl PartialEq<Vec<f32>> for SampleBuf {
    fn eq(&self, other: &Vec<f32>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_buffers_are_maps_of_zeros_and_writable() {
        let n = MAP_MIN_BYTES / 4 + 3;
        let mut b = SampleBuf::zeroed(n);
        assert!(b.is_mapped());
        assert_eq!(b.len(), n);
        assert!(b.iter().all(|&x| x == 0.0));
        b[n - 1] = 2.5;
        b[0] = -1.0;
        assert_eq!((b[0], b[n - 1]), (-1.0, 2.5));
        let c = b.clone();
        assert_eq!(c, b);
        assert_eq!(c.iter().sum::<f32>(), 1.5);
    }

    #[test]
    fn small_buffers_are_vecs() {
        let b = SampleBuf::zeroed(10);
        assert!(!b.is_mapped());
        assert_eq!(b, [0.0; 10]);
        assert_eq!(SampleBuf::zeroed(0).len(), 0);
        assert_eq!(SampleBuf::from(vec![1.0, 2.0]), [1.0, 2.0]);
    }
}
