"""gar.render_file and gar.render against the `gar` binary: the same bytes, the same
samples, the same report, for the same parameters and seed."""

import json

import numpy as np
import pytest

import gar
from conftest import cli_flags, read_wav_f32, run_cli, without_paths

# (input, parameters): presets, envelopes, channel modes, level rules, drivers.
CASES = [
    ("stereo", dict(seed=7)),
    ("stereo", dict(preset="cloud", seed=11, alpha="1..40@exp")),
    ("stereo", dict(preset="motif-extract", seed=3, channels="mono", wet=70)),
    ("mono", dict(preset="shimmer", seed=5, spread=0.8, pitch_jitter_st=0.5)),
    ("stereo", dict(preset="4", seed=9, channels="independent", normalize="loudness")),
    ("short", dict(seed=2, score="rms:0.6,centroid:0.4", grain_ms="30..120", dc_block="off")),
    ("mono", dict(seed=4, diversity=40, duration_s=3.5, normalize="none")),
]


def ids(case):
    name, params = case
    return name + "-" + "-".join(f"{k}={v}" for k, v in params.items())


@pytest.mark.parametrize("case", CASES, ids=[ids(c) for c in CASES])
@pytest.mark.parametrize("bits", ["24", "16", "32f"])
def test_render_file_writes_the_cli_bytes_and_report(tmp_path, inputs, case, bits):
    name, params = case
    src = inputs[name]
    cli_wav, cli_json = tmp_path / "cli.wav", tmp_path / "cli.json"
    run_cli("render", src, "-o", cli_wav, "--bits", bits, "--report", cli_json, "--quiet",
            *cli_flags(params))
    py_wav = tmp_path / "py.wav"
    report = gar.render_file(src, py_wav, bits=bits, **params)
    assert py_wav.read_bytes() == cli_wav.read_bytes()
    cli = json.loads(cli_json.read_text())
    assert report["output"]["path"] == str(py_wav)
    assert report["input"] == cli["input"]
    assert without_paths(report) == without_paths(cli)


@pytest.mark.parametrize("case", CASES, ids=[ids(c) for c in CASES])
def test_render_array_gives_the_cli_samples_at_32f(tmp_path, inputs, case):
    name, params = case
    src = inputs[name]
    cli_wav, cli_json = tmp_path / "cli.wav", tmp_path / "cli.json"
    run_cli("render", src, "-o", cli_wav, "--bits", "32f", "--report", cli_json, "--quiet",
            *cli_flags(params))
    expected, sr = read_wav_f32(cli_wav)
    x, sr_in = read_wav_f32(src)
    out, report = gar.render(x, sr_in, **params)
    assert out.dtype == np.float32 and out.ndim == 2
    np.testing.assert_array_equal(out, expected)
    cli = json.loads(cli_json.read_text())
    assert report["input"]["path"] == "<array>" and report["output"]["path"] == "<array>"
    assert without_paths(report) == without_paths(cli)


def test_analyze_equals_cli_analyze_for_a_file_and_an_array(tmp_path, inputs):
    params = dict(preset="onset-harvest", seed=21, floor_db="-6..3")
    src = inputs["stereo"]
    cli_json = tmp_path / "a.json"
    run_cli("analyze", src, "--report", cli_json, "--quiet", *cli_flags(params))
    cli = json.loads(cli_json.read_text())
    from_file = gar.analyze(src, **params)
    assert from_file == cli
    assert "output" not in cli or cli["output"] is None
    x, sr = read_wav_f32(src)
    from_array = gar.analyze(x, sr, **params)
    assert without_paths(from_array) == without_paths(cli)


def test_envelope_tuples_are_the_envelope_text(inputs):
    x, sr = read_wav_f32(inputs["stereo"])
    a, ra = gar.render(x, sr, seed=8, alpha=[(0, 1), (0.5, 30, "exp"), ("2.5s", 2)])
    b, rb = gar.render(x, sr, seed=8, alpha="0:1, 0.5:30@exp, 2.5s:2")
    np.testing.assert_array_equal(a, b)
    assert ra["params"]["alpha"] == rb["params"]["alpha"] == "0:1, 0.5:30@exp, 2.5s:2"
    assert len(ra["plan"]["values"]["alpha"]) == ra["plan"]["hops"]


def test_numbers_and_text_give_the_same_run(inputs):
    x, sr = read_wav_f32(inputs["mono"])
    a, ra = gar.render(x, sr, seed=6, grain_ms=40, alpha=12.5, dc_block=False, drivers=["centroid", "pitch"])
    b, rb = gar.render(x, sr, seed=6, grain_ms="40", alpha="12.5", dc_block="off", drivers="centroid,pitch")
    np.testing.assert_array_equal(a, b)
    assert ra == rb
    assert set(ra["analysis"]["drivers"]) >= {"centroid", "pitch"}


def test_same_seed_same_output_and_no_seed_draws_one(inputs):
    x, sr = read_wav_f32(inputs["short"])
    a, ra = gar.render(x, sr, seed=123)
    b, _ = gar.render(x, sr, seed=123)
    np.testing.assert_array_equal(a, b)
    c, rc = gar.render(x, sr)
    assert rc["seed"] != 0 and ra["seed"] == 123
    d, _ = gar.render(x, sr, seed=rc["seed"])
    np.testing.assert_array_equal(c, d)


def test_params_file_then_keywords(tmp_path, inputs):
    x, sr = read_wav_f32(inputs["short"])
    _, first = gar.render(x, sr, preset="cloud", seed=5, alpha="8..2")
    saved = tmp_path / "run.json"
    saved.write_text(json.dumps(first))
    again, r2 = gar.render(x, sr, params_file=saved)
    ref, _ = gar.render(x, sr, preset="cloud", seed=5, alpha="8..2")
    np.testing.assert_array_equal(again, ref)
    drier, r3 = gar.render(x, sr, params_file=saved, wet=60)
    assert r3["params"]["wet"] == 60 and r3["params"]["alpha"] == "8..2"


def test_render_file_writes_the_cli_side_files(tmp_path, inputs):
    src = inputs["short"]
    params = dict(preset="crystallize", seed=17, alpha="2..20")
    cli, py = tmp_path / "cli", tmp_path / "py"
    cli.mkdir()
    py.mkdir()
    run_cli("render", src, "-o", cli / "o.wav", "--report", cli / "r.json", "--save-params",
            cli / "p.toml", "--plot", cli / "pic.png", "--csv", cli / "t", "--quiet",
            *cli_flags(params))
    report = gar.render_file(src, py / "o.wav", report=py / "r.json", save_params=py / "p.toml",
                             plot=py / "pic.png", csv=py / "t", **params)
    assert sorted(p.name for p in py.iterdir()) == sorted(p.name for p in cli.iterdir())
    for name in ("o.wav", "p.toml", "pic.png", "t.candidates.csv", "t.plan.csv"):
        assert (py / name).read_bytes() == (cli / name).read_bytes(), name
    assert json.loads((py / "r.json").read_text()) == report
    assert without_paths(report) == without_paths(json.loads((cli / "r.json").read_text()))
    # All or nothing: an existing picture stops the whole run before any file is written.
    again = tmp_path / "again.wav"
    with pytest.raises(gar.AudioError, match="pic.png"):
        gar.render_file(src, again, plot=py / "pic.png", **params)
    assert not again.exists()
