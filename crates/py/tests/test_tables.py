"""gar.presets(), gar.parameters() and gar.file_seed against the command line and the
documented formula."""

import json

import gar
from conftest import run_cli

M = (1 << 64) - 1


def test_presets_and_parameters_are_gar_presets_json():
    doc = json.loads(run_cli("presets", "--json").stdout)
    assert gar.presets() == doc["presets"]
    assert gar.parameters() == doc["parameters"]
    ids = [p["id"] for p in gar.parameters()]
    assert ids[:4] == ["grain_ms", "hop_ms", "cand_hop_ms", "alpha"]
    assert {p["id"] for p in gar.presets()} >= {"cloud", "custom", "motif-extract"}


def test_every_parameter_id_is_a_keyword(source):
    x, sr = source
    clip = x[:, :sr]
    _, report = gar.render(clip, sr, seed=1)
    for p in gar.parameters():
        if p["id"] in report["params"]:
            # Its own value back in gives the same run.
            kw = {p["id"]: report["params"][p["id"]]}
            if p["id"] == "duration_s":
                continue
            _, again = gar.render(clip, sr, seed=1, **kw)
            assert again["params"] == report["params"], p["id"]


def _fnv1a64(b: bytes) -> int:
    h = 0xCBF29CE484222325
    for x in b:
        h = ((h ^ x) * 0x100000001B3) & M
    return h


def _splitmix64(z: int) -> int:
    z = (z + 0x9E3779B97F4A7C15) & M
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return z ^ (z >> 31)


def _file_seed(seed: int, rel: str) -> int:
    rel = rel.replace("\\", "/")
    while rel.startswith("./"):
        rel = rel[2:]
    s = _splitmix64(seed ^ _splitmix64(_fnv1a64(rel.encode())))
    return s or 1


def test_file_seed_is_the_documented_formula():
    # Pinned in gar-core (seeds.rs): the batch command uses the same function.
    assert gar.file_seed(42, "drums/kick.wav") == 12_927_396_807_397_334_437
    for seed in (0, 1, 42, 2**63, M):
        for rel in ("a.wav", "drums/kick.wav", "./x/y.flac", "x\\y.flac", "é/ü.wav", ""):
            assert gar.file_seed(seed, rel) == _file_seed(seed, rel), (seed, rel)
    assert gar.file_seed(42, "./drums/kick.wav") == gar.file_seed(42, "drums\\kick.wav")
    assert gar.file_seed(42, "drums/kick.wav") != gar.file_seed(43, "drums/kick.wav")
