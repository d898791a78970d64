"""gar.render on a 60 s array against the command line's decode-free stages.

The 60 s stereo input is the committed recording (testdata/stereo_guit_em9_44k.flac,
10 s) repeated six times. The command line renders it from a 32-bit float WAV with
GAR_PROFILE=1 and reports each stage's time; its `prepare` + `render` (no decode, no
encode) is the same work as one gar.render call, which is timed whole (argument
checks, the array borrowed, prepare, render, the output copied into a numpy array,
the report converted to a dict). Medians over --runs runs of each, alternating.

    python crates/py/bench/bench_render.py [--runs 31] [--gar target/release/gar]
"""

import argparse
import os
import re
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import gar

REPO = Path(__file__).resolve().parents[3]


def write_wav_f32(path, x, sr):
    x = np.asarray(x, dtype="<f4")
    c, _ = x.shape
    data = x.T.tobytes()
    fmt = struct.pack("<HHIIHH", 3, c, sr, sr * c * 4, c * 4, 32)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(data)) + data
    Path(path).write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)


def cli_stages(binary, src, out, flags):
    env = dict(os.environ, GAR_PROFILE="1")
    r = subprocess.run(
        [binary, "render", src, "-o", out, "--bits", "32f", "--force", "--quiet", *flags],
        capture_output=True, text=True, env=env, check=True,
    )
    ms = dict(
        (m.group(1), float(m.group(2)))
        for m in re.finditer(r"gar: (\S+(?: \S+)*?)\s+([\d.]+) ms", r.stderr)
    )
    if "render" not in ms:
        sys.exit(f"no render stage in the profile (streamed?): {r.stderr}")
    return ms["prepare"] + ms["render"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=31)
    ap.add_argument("--gar", default=str(REPO / "target" / "release" / "gar"))
    a = ap.parse_args()
    x, sr = gar.load(REPO / "testdata" / "stereo_guit_em9_44k.flac")
    x = np.ascontiguousarray(np.tile(x, (1, 7))[:, : 60 * sr])
    cases = [
        ("custom", {"seed": 7}, ["--seed", "7"]),
        ("cloud", {"preset": "cloud", "seed": 7}, ["--preset", "cloud", "--seed", "7"]),
    ]
    print(f"input: {x.shape[0]} channels x {x.shape[1]} frames = {x.shape[1] / sr:.1f} s at {sr} Hz; "
          f"{a.runs} runs each; {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as d:
        src, out = os.path.join(d, "in60.wav"), os.path.join(d, "out.wav")
        write_wav_f32(src, x, sr)
        for name, kw, flags in cases:
            gar.render(x, sr, **kw)  # warm-up (page cache, thread pool)
            cli_stages(a.gar, src, out, flags)
            py, cli = [], []
            for _ in range(a.runs):
                t = time.perf_counter()
                gar.render(x, sr, **kw)
                py.append((time.perf_counter() - t) * 1000)
                cli.append(cli_stages(a.gar, src, out, flags))
            mp, mc = statistics.median(py), statistics.median(cli)
            print(f"{name:8} gar.render {mp:8.1f} ms   CLI prepare+render {mc:8.1f} ms   "
                  f"ratio {mp / mc:.2f}x (target <= 1.2x)")


if __name__ == "__main__":
    main()
