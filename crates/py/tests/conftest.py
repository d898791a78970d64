"""Shared fixtures: the `gar` binary, short test inputs, a float-WAV reader.

The inputs are cut from the committed CC0 recording testdata/stereo_guit_em9_44k.flac
(nothing outside the repository), written as 32-bit float WAV so that the command
line and gar.render read exactly the same samples.
"""

import json
import os
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

import gar

REPO = Path(__file__).resolve().parents[3]
FLAC = REPO / "testdata" / "stereo_guit_em9_44k.flac"


def gar_binary() -> Path:
    """GAR_BIN, else target/release/gar, else target/debug/gar."""
    env = os.environ.get("GAR_BIN")
    if env:
        return Path(env)
    for profile in ("release", "debug"):
        p = REPO / "target" / profile / "gar"
        if p.exists():
            return p
    pytest.fail("no gar binary: run `cargo build --release -p gar` (or set GAR_BIN)")


def run_cli(*args, check=True):
    """Runs `gar ARGS...`; returns the CompletedProcess."""
    r = subprocess.run(
        [str(gar_binary()), *map(str, args)], capture_output=True, text=True
    )
    if check and r.returncode != 0:
        raise AssertionError(f"gar {' '.join(map(str, args))} failed: {r.stderr}")
    return r


def write_wav_f32(path: Path, x: np.ndarray, sr: int) -> None:
    """(channels, frames) float32 -> a 32-bit float WAV (format 3)."""
    x = np.asarray(x, dtype="<f4")
    c, n = x.shape
    data = x.T.tobytes()
    fmt = struct.pack("<HHIIHH", 3, c, sr, sr * c * 4, c * 4, 32)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(data)) + data
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)


def read_wav_f32(path: Path):
    """A 32-bit float WAV (plain or WAVE_FORMAT_EXTENSIBLE) -> ((channels, frames), sr)."""
    b = Path(path).read_bytes()
    assert b[:4] == b"RIFF" and b[8:12] == b"WAVE"
    i, fmt, data = 12, None, None
    while i + 8 <= len(b):
        cid, size = b[i : i + 4], struct.unpack("<I", b[i + 4 : i + 8])[0]
        chunk = b[i + 8 : i + 8 + size]
        if cid == b"fmt ":
            fmt = struct.unpack("<HHIIHH", chunk[:16])
            if fmt[0] == 0xFFFE:
                assert struct.unpack("<H", chunk[24:26])[0] == 3, "not float"
        elif cid == b"data":
            data = chunk
        i += 8 + size + (size & 1)
    tag, c, sr, _, _, bits = fmt
    assert bits == 32 and tag in (3, 0xFFFE), f"not 32-bit float: {fmt}"
    x = np.frombuffer(data, dtype="<f4").reshape(-1, c).T
    return np.ascontiguousarray(x), sr


@pytest.fixture(scope="session")
def source():
    """The committed recording, decoded: ((2, frames) float32, 44100)."""
    x, sr = gar.load(FLAC)
    return x, sr


@pytest.fixture(scope="session")
def inputs(tmp_path_factory, source):
    """Short float-WAV inputs: stereo 3 s, mono 2 s, stereo 1.5 s."""
    x, sr = source
    d = tmp_path_factory.mktemp("inputs")
    files = {
        "stereo": (x[:, sr : sr * 4], d / "stereo.wav"),
        "mono": (x[:1, sr * 2 : sr * 4], d / "mono.wav"),
        "short": (x[:, sr * 5 : sr * 5 + sr * 3 // 2], d / "short.wav"),
    }
    for arr, p in files.values():
        write_wav_f32(p, arr, sr)
    return {k: p for k, (_, p) in files.items()}


def cli_flags(params: dict) -> list:
    """Keyword arguments -> the command line's flags (the table's flag names)."""
    table = {p["id"]: p["flag"] for p in gar.parameters()}
    out = []
    for k, v in params.items():
        if k == "preset":
            out += ["--preset", str(v)]
        else:
            out += [table[k], str(v)]
    return out


def without_paths(report: dict) -> dict:
    """A report without the input and output labels (they name different things)."""
    r = json.loads(json.dumps(report))
    for k in ("input", "output"):
        if r.get(k):
            r[k].pop("path")
    return r
