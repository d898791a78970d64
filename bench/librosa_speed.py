#!/usr/bin/env python3
"""librosa 0.11's time for the descriptors that gar's `--drivers all` computes
(BENCHMARKS.md, "Attention drivers"): spectral_centroid, spectral_flatness,
zero_crossing_rate, onset_strength and yin (fmin 50, fmax 2000), each with its
default frames, on one file, measured in one run. Each function is called once
on the first second of the file before the timing, so numba's first-call
compilation (librosa's yin and onset code are jitted) is excluded.

    /tmp/venv11/bin/python bench/librosa_speed.py target/bench/bench_input_10min.wav
"""
import sys
import time

import numpy as np
import soundfile as sf
import librosa


def main():
    path = sys.argv[1]
    y, sr = sf.read(path, dtype="float32", always_2d=True)
    y = np.ascontiguousarray(y.mean(axis=1))
    calls = {
        "spectral_centroid": lambda z: librosa.feature.spectral_centroid(y=z, sr=sr),
        "spectral_flatness": lambda z: librosa.feature.spectral_flatness(y=z),
        "zero_crossing_rate": lambda z: librosa.feature.zero_crossing_rate(z),
        "onset_strength": lambda z: librosa.onset.onset_strength(y=z, sr=sr),
        "yin": lambda z: librosa.yin(z, fmin=50, fmax=2000, sr=sr),
    }
    for f in calls.values():  # warm-up: numba compiles on the first call
        f(y[:sr])
    total = 0.0
    print(f"{path}: {len(y) / sr:.1f} s at {sr} Hz; librosa {librosa.__version__}, numpy {np.__version__}")
    for name, f in calls.items():
        t = time.perf_counter()
        f(y)
        dt = time.perf_counter() - t
        total += dt
        print(f"  {name:<20} {dt:7.2f} s")
    print(f"  {'total':<20} {total:7.2f} s")


if __name__ == "__main__":
    main()
