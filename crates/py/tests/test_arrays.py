"""Shapes, dtypes and layouts in and out; the GIL is released while gar works."""

import threading
import time

import numpy as np
import pytest

import gar


@pytest.fixture(scope="module")
def clip(source):
    x, sr = source
    return np.ascontiguousarray(x[:, : sr * 2]), sr


def test_float64_is_float32(clip):
    x, sr = clip
    a, ra = gar.render(x, sr, seed=1)
    b, rb = gar.render(x.astype(np.float64), sr, seed=1)
    assert a.dtype == b.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    assert ra == rb


def test_one_d_in_one_d_out(clip):
    x, sr = clip
    mono = x[0].copy()
    out, rep = gar.render(mono, sr, seed=2)
    assert out.shape == (sr * 2,) and rep["output"]["channels"] == 1
    two_d, _ = gar.render(mono[None, :], sr, seed=2)
    assert two_d.shape == (1, sr * 2)
    np.testing.assert_array_equal(out, two_d[0])


@pytest.mark.parametrize(
    "channels, extra, shape",
    [
        (2, {}, (2, None)),
        (2, {"channels": "mono"}, (1, None)),
        (2, {"channels": "independent"}, (2, None)),
        (1, {"spread": 0.5}, (2, None)),
        (1, {"duration_s": 1.25}, (1, 55125)),
    ],
)
def test_output_shapes(clip, channels, extra, shape):
    x, sr = clip
    out, rep = gar.render(x[:channels], sr, seed=3, **extra)
    frames = shape[1] or x.shape[1]
    assert out.shape == (shape[0], frames)
    assert rep["output"]["channels"] == shape[0] and rep["output"]["frames"] == frames
    assert np.isfinite(out).all() and np.abs(out).max() > 0.1


def test_non_contiguous_inputs_give_the_same_output(clip):
    x, sr = clip
    ref, _ = gar.render(x, sr, seed=4)
    fortran = np.asfortranarray(x)
    assert not fortran.flags["C_CONTIGUOUS"]
    strided = np.repeat(x, 2, axis=1)[:, ::2]
    assert not strided.flags["C_CONTIGUOUS"]
    frames_channels = np.ascontiguousarray(x.T)  # (frames, 2), as soundfile gives it
    for arr in (fortran, strided, frames_channels.T, x.tolist()):
        out, _ = gar.render(arr, sr, seed=4)
        np.testing.assert_array_equal(out, ref)


def test_input_is_not_modified(clip):
    x, sr = clip
    before = x.copy()
    gar.render(x, sr, seed=5)
    np.testing.assert_array_equal(x, before)


def test_non_finite_samples_are_zero_with_a_warning(clip):
    x, sr = clip
    bad = x.copy()
    bad[0, 100:110] = np.nan
    bad[1, 5] = np.inf
    zeroed = x.copy()
    zeroed[0, 100:110] = 0
    zeroed[1, 5] = 0
    out, rep = gar.render(bad, sr, seed=6)
    ref, _ = gar.render(zeroed, sr, seed=6)
    np.testing.assert_array_equal(out, ref)
    assert rep["warnings"][0] == (
        "<array>: 11 non-finite samples (NaN or infinity) in the input were treated as 0"
    )


def test_bad_arrays(clip):
    x, sr = clip
    with pytest.raises(TypeError, match="float"):
        gar.render((x * 32767).astype(np.int16), sr)
    with pytest.raises(ValueError, match=r"samples\.T"):
        gar.render(np.ascontiguousarray(x.T), sr)
    with pytest.raises(ValueError, match="shape"):
        gar.render(x[None], sr)
    with pytest.raises(gar.GarError, match="at least 50 ms"):
        gar.render(x[:, :100], sr)


def test_the_gil_is_released_while_gar_renders(source):
    x, sr = source
    counts = [0]
    stop = threading.Event()

    def count():
        while not stop.is_set():
            counts[0] += 1

    t = threading.Thread(target=count)
    t.start()
    time.sleep(0.05)
    before = counts[0]
    start = time.perf_counter()
    gar.render(x, sr, seed=7, preset="slabs")
    elapsed = time.perf_counter() - start
    during = counts[0] - before
    stop.set()
    t.join()
    # Held for the whole call, the GIL would let the counter advance only at the very
    # start (a switch interval, 5 ms); released, it runs throughout.
    assert elapsed > 0.02
    assert during > 1000, f"{during} increments in {elapsed:.3f} s"


def test_load_gives_channels_by_frames(source):
    x, sr = source
    assert x.dtype == np.float32 and x.shape[0] == 2 and sr == 44100
    assert 9.9 < x.shape[1] / sr < 10.1


def test_threads_render_at_once_with_the_results_of_one_at_a_time(clip):
    x, sr = clip
    seeds = [11, 12, 13, 14]
    alone = [gar.render(x, sr, seed=s, preset="shimmer")[0] for s in seeds]
    results = {}

    def work(s):
        results[s] = gar.render(x, sr, seed=s, preset="shimmer")[0]

    threads = [threading.Thread(target=work, args=(s,)) for s in seeds]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s, a in zip(seeds, alone):
        np.testing.assert_array_equal(results[s], a)
