#!/usr/bin/env python3
"""Reference values from librosa for gar's attention drivers (docs/algorithm.md,
section 15), on synthetic sustained signals that gar's test rebuilds sample for
sample (crates/core/tests/librosa.rs): no Python is needed to run that test.

Run (once; the output is committed):
    python3 -m venv /tmp/venv11 && /tmp/venv11/bin/pip install 'librosa==0.11.*' numpy soundfile
    /tmp/venv11/bin/python bench/librosa_reference.py   # writes testdata/librosa/reference.json

Framing: 44.1 kHz, n_fft = frame_length = 2048, hop 512, center=True, so librosa's
frame t covers samples [512 t - 1024, 512 t + 1024): gar's candidate i (grain
2048 samples, candidate hop 512 samples) is frame i + 2. librosa windows with the
periodic Hann window (gar: the half-sample-shifted one of section 4), floors power
bins at 1e-10 for the flatness (gar: 1e-20), and uses YIN's window W = 1024 (gar:
L - tau_max = 1166): the same quantities, framed alike, not bit-identical.
"""
import json
import os
import sys

import numpy as np
import librosa

SR = 44100
N = 2 * SR
N_FFT = 2048
HOP = 512


def lcg_noise(n, seed):
    """Uniform noise in [-1, 1) from the 32-bit LCG x' = 1664525 x + 1013904223
    (mod 2^32), value x' / 2^31 - 1: the test computes the same numbers."""
    out = np.empty(n, dtype=np.float64)
    x = seed & 0xFFFFFFFF
    for i in range(n):
        x = (1664525 * x + 1013904223) & 0xFFFFFFFF
        out[i] = x / 2147483648.0 - 1.0
    return out


def harmonic(f0, partials, n):
    t = np.arange(n, dtype=np.float64) / SR
    return sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, partials + 1))


def one_pole(x, a):
    """y[n] = (1 - a) x[n] + a y[n-1]."""
    y = np.empty_like(x)
    acc = 0.0
    for i, v in enumerate(x):
        acc = (1 - a) * v + a * acc
        y[i] = acc
    return y


# name -> (the recipe the test rebuilds, the samples)
def signals():
    return {
        # A harmonic tone with a little noise (so that no power bin meets a floor).
        "harmonic_220": 0.3 * harmonic(220.0, 8, N) + 0.01 * lcg_noise(N, 1),
        "harmonic_110": 0.3 * harmonic(110.0, 12, N) + 0.01 * lcg_noise(N, 2),
        "harmonic_587": 0.3 * harmonic(587.33, 4, N) + 0.01 * lcg_noise(N, 3),
        "sine_1500": 0.5 * harmonic(1500.0, 1, N) + 0.01 * lcg_noise(N, 4),
        "white_noise": 0.3 * lcg_noise(N, 5),
        "lowpass_noise": one_pole(0.5 * lcg_noise(N, 6), 0.9),
    }


def main():
    out_dir = os.path.join(os.path.dirname(__file__), "..", "testdata", "librosa")
    os.makedirs(out_dir, exist_ok=True)
    doc = {
        "librosa_version": librosa.__version__,
        "numpy_version": np.__version__,
        "sr": SR,
        "n": N,
        "n_fft": N_FFT,
        "hop": HOP,
        "note": "frame t is centred on sample 512 t; gar's candidate i is frame i + 2",
        "signals": {},
    }
    for name, x in signals().items():
        y = x.astype(np.float32)
        cen = librosa.feature.spectral_centroid(y=y, sr=SR, n_fft=N_FFT, hop_length=HOP)[0]
        flat = librosa.feature.spectral_flatness(y=y, n_fft=N_FFT, hop_length=HOP)[0]
        f0 = librosa.yin(y, fmin=50, fmax=2000, sr=SR, frame_length=N_FFT, hop_length=HOP)
        r = lambda a: [float(f"{v:.7g}") for v in a]
        doc["signals"][name] = {"centroid": r(cen), "flatness": r(flat), "yin_f0": r(f0)}
        print(f"{name}: {len(cen)} frames, centroid {np.median(cen):.1f} Hz, "
              f"flatness {np.median(flat):.4f}, f0 {np.median(f0):.2f} Hz", file=sys.stderr)
    with open(os.path.join(out_dir, "reference.json"), "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
