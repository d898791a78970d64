//! A rendered output served as a WAV file without encoding it first: the
//! header is written once, and the sample bytes of any byte range are encoded
//! when the player (or a download) reads them, by gar-io's own encoder. Its
//! bytes depend only on their own samples, so a range is exactly the same
//! bytes as in the whole file `gar render` writes (the API tests check it).
//! This takes the encoding of a long output off the path from a change to a
//! playable result: the player needs only the first bytes to start.

use gar_core::SampleBuf;
use gar_io::{Bits, WavWriter};
use std::io::Read;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Frames encoded per step of a read.
const CHUNK: usize = 1 << 15;

/// Output buffers of renders no longer held, kept for the next render of the
/// same length. A render's output is tens of megabytes; fresh memory costs a
/// page fault and the kernel's zeroing per page (on the project machine, a
/// virtual one, more than the render itself: 60 s stereo rendered in 80 ms
/// into fresh buffers, 34 ms into reused ones), so the studio renders into
/// the buffers of an output it let go of when it can.
pub struct Pool {
    bufs: Mutex<Vec<SampleBuf>>,
    max_bytes: u64,
}

/// Buffers smaller than this (bytes) are not kept: fresh ones cost little.
const POOL_MIN_BYTES: usize = 1 << 20;

impl Pool {
    /// A pool holding at most `max_bytes` of buffers.
    pub fn new(max_bytes: u64) -> Pool {
        Pool {
            bufs: Mutex::new(Vec::new()),
            max_bytes,
        }
    }

    /// A buffer of `len` samples: a kept one (its contents are whatever the
    /// last output left there), or fresh zeros.
    pub fn take(&self, len: usize) -> SampleBuf {
        let mut g = crate::store::lock(&self.bufs);
        match g.iter().rposition(|b| b.len() == len) {
            Some(i) => g.remove(i),
            None => {
                drop(g);
                SampleBuf::zeroed(len)
            }
        }
    }

    /// Keeps `b` for a later render (the oldest kept go first past the limit).
    pub fn give(&self, b: SampleBuf) {
        if b.len() * 4 < POOL_MIN_BYTES || (b.len() * 4) as u64 > self.max_bytes {
            return;
        }
        let mut g = crate::store::lock(&self.bufs);
        g.push(b);
        while g.iter().map(|b| b.len() as u64 * 4).sum::<u64>() > self.max_bytes {
            g.remove(0);
        }
    }

    /// Memory kept, bytes.
    pub fn bytes(&self) -> u64 {
        crate::store::lock(&self.bufs)
            .iter()
            .map(|b| b.len() as u64 * 4)
            .sum()
    }
}

/// An output and how to write it.
pub struct Audio {
    /// The output, one buffer per channel (times `gain` is the file's samples).
    pub samples: Vec<SampleBuf>,
    pub gain: f32,
    pub bits: Bits,
    pub sample_rate: u32,
    header: Vec<u8>,
    data_bytes: u64,
    /// Where the buffers go when the output is let go of.
    pool: Option<Arc<Pool>>,
}

impl Drop for Audio {
    fn drop(&mut self) {
        if let Some(p) = &self.pool {
            for b in self.samples.drain(..) {
                p.give(b);
            }
        }
    }
}

fn bytes_per_sample(b: Bits) -> u64 {
    match b {
        Bits::I16 => 2,
        Bits::I24 => 3,
        Bits::F32 => 4,
    }
}

impl Audio {
    pub fn new(
        samples: Vec<SampleBuf>,
        gain: f32,
        bits: Bits,
        sample_rate: u32,
    ) -> Result<Audio, gar_io::EncodeError> {
        let frames = samples.first().map_or(0, |c| c.len());
        let mut header = Vec::new();
        WavWriter::new(
            &mut header,
            Path::new("output.wav"),
            sample_rate,
            samples.len(),
            frames,
            bits,
        )?;
        let data_bytes = frames as u64 * samples.len() as u64 * bytes_per_sample(bits);
        Ok(Audio {
            samples,
            gain,
            bits,
            sample_rate,
            header,
            data_bytes,
            pool: None,
        })
    }

    /// Gives the buffers back to `pool` when the output is let go of.
    pub fn recycled_into(mut self, pool: Arc<Pool>) -> Audio {
        self.pool = Some(pool);
        self
    }

    fn frames(&self) -> usize {
        self.samples.first().map_or(0, |c| c.len())
    }

    fn frame_bytes(&self) -> u64 {
        self.samples.len() as u64 * bytes_per_sample(self.bits)
    }

    /// The WAV file's length: header, samples, and the pad byte of an odd
    /// data chunk.
    pub fn len(&self) -> u64 {
        self.header.len() as u64 + self.data_bytes + (self.data_bytes & 1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Memory held, bytes.
    pub fn memory(&self) -> u64 {
        self.frames() as u64 * self.samples.len() as u64 * 4
    }

    /// The encoded bytes of frames `a..b`.
    fn encode(&self, a: usize, b: usize) -> Vec<u8> {
        let mut buf = Vec::new();
        let slices: Vec<&[f32]> = self.samples.iter().map(|c| &c[a..b]).collect();
        // A writer announcing the whole file: its header is dropped, its
        // blocks are the file's bytes for these frames.
        if let Ok(mut w) = WavWriter::new(
            &mut buf,
            Path::new("output.wav"),
            self.sample_rate,
            self.samples.len(),
            self.frames(),
            self.bits,
        ) && w.write_scaled(&slices, self.gain).is_err()
        {
            return Vec::new();
        }
        buf.split_off(self.header.len().min(buf.len()))
    }

    /// The whole file in memory.
    pub fn to_vec(self: &Arc<Self>) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.len() as usize);
        let _ = Reader::new(self.clone(), 0, self.len()).read_to_end(&mut v);
        v
    }
}

/// Reads bytes `pos..end` of an [`Audio`]'s WAV file.
pub struct Reader {
    audio: Arc<Audio>,
    pos: u64,
    end: u64,
    /// Encoded bytes starting at file offset `buf_at`.
    buf: Vec<u8>,
    buf_at: u64,
}

impl Reader {
    pub fn new(audio: Arc<Audio>, pos: u64, end: u64) -> Reader {
        Reader {
            audio,
            pos,
            end,
            buf: Vec::new(),
            buf_at: 0,
        }
    }
}

impl Read for Reader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.pos >= self.end || out.is_empty() {
            return Ok(0);
        }
        let a = &self.audio;
        let h = a.header.len() as u64;
        if self.pos < h {
            let n = ((h - self.pos) as usize)
                .min(out.len())
                .min((self.end - self.pos) as usize);
            out[..n].copy_from_slice(&a.header[self.pos as usize..self.pos as usize + n]);
            self.pos += n as u64;
            return Ok(n);
        }
        if self.pos >= h + a.data_bytes {
            // The pad byte.
            out[0] = 0;
            self.pos += 1;
            return Ok(1);
        }
        let in_buf = self.pos >= self.buf_at && self.pos < self.buf_at + self.buf.len() as u64;
        if !in_buf {
            let fb = a.frame_bytes();
            let f0 = ((self.pos - h) / fb) as usize;
            let f1 = (f0 + CHUNK).min(a.frames());
            self.buf = a.encode(f0, f1);
            self.buf_at = h + f0 as u64 * fb;
            if self.buf.is_empty() {
                return Err(std::io::Error::other("cannot encode the output"));
            }
        }
        let off = (self.pos - self.buf_at) as usize;
        let n = (self.buf.len() - off)
            .min(out.len())
            .min((self.end - self.pos) as usize);
        out[..n].copy_from_slice(&self.buf[off..off + n]);
        self.pos += n as u64;
        Ok(n)
    }
}
