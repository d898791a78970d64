//! numpy arrays in and out.
//!
//! In: shape `(frames,)` (mono) or `(channels, frames)`, any float dtype. A
//! C-contiguous float32 array is borrowed as it is (no copy); anything else is
//! converted once to float32 by `numpy.ascontiguousarray`. Non-finite samples are
//! replaced by 0 (and samples beyond +-1e20 clamped), as the decoder does for a
//! float file, with the same warning; only then is a copy made.
//!
//! Out: float32, `(frames,)` when the input was 1-D and the output has one
//! channel, otherwise `(channels, frames)`.

use crate::errors::Fail;
use numpy::{PyArray2, PyArrayDyn, PyArrayMethods, PyReadonlyArrayDyn, PyUntypedArrayMethods};
use pyo3::prelude::*;

/// The input array, borrowed (or converted once).
pub struct Input<'py> {
    array: PyReadonlyArrayDyn<'py, f32>,
    pub channels: usize,
    pub frames: usize,
    /// Whether the caller gave a 1-D array.
    pub one_d: bool,
}

impl<'py> Input<'py> {
    /// Checks and borrows `obj` (converting it to contiguous float32 if needed).
    pub fn new(obj: &Bound<'py, PyAny>) -> PyResult<Input<'py>> {
        let py = obj.py();
        let np = py.import("numpy")?;
        let arr = np.call_method1("asarray", (obj,))?;
        let kind: String = arr.getattr("dtype")?.getattr("kind")?.extract()?;
        if kind != "f" {
            let dtype = arr.getattr("dtype")?.str()?.to_string();
            return Err(Fail::Type(format!(
                "samples must be floating point (float32 or float64, full scale = 1.0), got \
                 dtype {dtype}; convert integer samples first, e.g. x / 32768.0 for int16"
            ))
            .into_py(py));
        }
        // The same object when it is already C-contiguous float32.
        let arr = np.call_method1("ascontiguousarray", (arr, np.getattr("float32")?))?;
        let array: PyReadonlyArrayDyn<'py, f32> = arr.cast::<PyArrayDyn<f32>>()?.readonly();
        let shape = array.shape().to_vec();
        let (channels, frames, one_d) = match shape[..] {
            [n] => (1, n, true),
            [c, n] => (c, n, false),
            _ => {
                return Err(Fail::Value(format!(
                    "samples must have shape (frames,) or (channels, frames), got an array \
                     of shape {shape:?}"
                ))
                .into_py(py));
            }
        };
        if channels == 0 {
            return Err(Fail::Param {
                message: format!("samples of shape {shape:?} have no channel"),
                param: None,
            }
            .into_py(py));
        }
        if !one_d && channels > frames {
            return Err(Fail::Value(format!(
                "samples of shape ({channels}, {frames}) look like (frames, channels); gar \
                 takes (channels, frames): pass samples.T"
            ))
            .into_py(py));
        }
        Ok(Input {
            array,
            channels,
            frames,
            one_d,
        })
    }

    /// The whole interleaving-free block: channel after channel.
    pub fn data(&self) -> &[f32] {
        self.array
            .as_slice()
            .expect("ascontiguousarray gives a contiguous array")
    }
}

/// Finite, bounded samples for the engine: the caller's own memory when it is
/// already clean, else a fixed copy and the number of non-finite samples replaced.
pub fn clean(data: &[f32]) -> (Option<Vec<f32>>, u64) {
    use rayon::prelude::*;
    let max = gar_io::MAX_SAMPLE_MAGNITUDE;
    // Branch-free per block (vectorised), blocks in parallel; NaN fails the
    // comparison and takes the slow path.
    let ok = data
        .par_chunks(1 << 16)
        .all(|b| b.iter().fold(true, |ok, x| ok & (x.abs() <= max)));
    if ok {
        return (None, 0);
    }
    let mut nonfinite = 0;
    let fixed = data
        .iter()
        .map(|&x| {
            if !x.is_finite() {
                nonfinite += 1;
                0.0
            } else {
                x.clamp(-max, max)
            }
        })
        .collect();
    (Some(fixed), nonfinite)
}

/// `data` (channel after channel) as one slice per channel.
pub fn rows(data: &[f32], channels: usize, frames: usize) -> Vec<&[f32]> {
    (0..channels)
        .map(|c| &data[c * frames..(c + 1) * frames])
        .collect()
}

/// `data` as one mutable slice per channel.
pub fn rows_mut(mut data: &mut [f32], channels: usize, frames: usize) -> Vec<&mut [f32]> {
    let mut v = Vec::with_capacity(channels);
    for _ in 0..channels {
        let (row, rest) = data.split_at_mut(frames);
        v.push(row);
        data = rest;
    }
    v
}

/// A new `(channels, frames)` float32 array (zeroed, to be overwritten).
pub fn output(py: Python<'_>, channels: usize, frames: usize) -> Bound<'_, PyArray2<f32>> {
    PyArray2::<f32>::zeros(py, [channels, frames], false)
}

/// The output in the input's layout: 1-D for a 1-D input rendered to one channel.
pub fn shaped<'py>(arr: Bound<'py, PyArray2<f32>>, one_d: bool) -> PyResult<Bound<'py, PyAny>> {
    let (c, n) = (arr.shape()[0], arr.shape()[1]);
    if one_d && c == 1 {
        arr.call_method1("reshape", (n,))
    } else {
        Ok(arr.into_any())
    }
}
