"""Errors are Python exceptions that say what was wrong; parameter errors name the
parameter (`.param`, the keyword argument's name)."""

import pickle

import numpy as np
import pytest

import gar


@pytest.fixture(scope="module")
def clip(source):
    x, sr = source
    return np.ascontiguousarray(x[:, : sr]), sr


@pytest.mark.parametrize(
    "kwargs, param, words",
    [
        ({"bogus": 1}, "bogus", "unknown parameter 'bogus'"),
        ({"grain_ms": -3}, "grain_ms", "grain_ms must be > 0, got -3"),
        ({"grain_ms": float("nan")}, "grain_ms", "finite"),
        ({"alpha": "1.."}, "alpha", "alpha"),
        ({"alpha": [(0, 1), (1,)]}, "alpha", "point 1 has 1 items"),
        ({"alpha": 3, "diversity": 20}, "diversity", "cannot be given together"),
        ({"score": "nope"}, "score", "nope"),
        ({"channels": "stereo"}, "channels", "expected linked, mono, independent"),
        ({"cand_hop_ms": "1..2"}, "cand_hop_ms", "cannot change over time"),
        ({"dc_block": "maybe"}, "dc_block", "on or off"),
        ({"preset": "nope"}, "preset", "unknown preset 'nope'"),
        ({"wet": object()}, "wet", "expected a number or an envelope"),
    ],
)
def test_bad_parameters_raise_param_error_naming_them(clip, kwargs, param, words):
    x, sr = clip
    with pytest.raises(gar.ParamError) as e:
        gar.render(x, sr, **kwargs)
    assert e.value.param == param
    assert words in str(e.value)
    assert isinstance(e.value, ValueError) and isinstance(e.value, gar.GarError)


def test_analyze_refuses_output_level_parameters(clip):
    x, sr = clip
    with pytest.raises(gar.ParamError) as e:
        gar.analyze(x, sr, normalize="loudness")
    assert e.value.param == "normalize"
    with pytest.raises(TypeError):
        gar.analyze(x)  # no sample rate


def test_exceptions_survive_pickling():
    e = pickle.loads(pickle.dumps(gar.ParamError("alpha: bad", "alpha")))
    assert type(e) is gar.ParamError and e.param == "alpha" and str(e) == "alpha: bad"
    a = pickle.loads(pickle.dumps(gar.AudioError("x.wav: missing", "x.wav")))
    assert type(a) is gar.AudioError and a.path == "x.wav" and str(a) == "x.wav: missing"
    assert isinstance(a, OSError)


def test_missing_and_corrupt_inputs_raise_audio_error(tmp_path):
    with pytest.raises(gar.AudioError) as e:
        gar.render_file(tmp_path / "nope.wav", tmp_path / "out.wav")
    assert "nope.wav" in str(e.value) and e.value.path == str(tmp_path / "nope.wav")
    bad = tmp_path / "corrupt.wav"
    bad.write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunk")
    with pytest.raises(gar.AudioError):
        gar.render_file(bad, tmp_path / "out.wav")
    assert not (tmp_path / "out.wav").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["corrupt.wav"], "a temporary file was left"


def test_existing_output_and_the_input_are_never_overwritten(tmp_path, inputs):
    out = tmp_path / "out.wav"
    out.write_bytes(b"keep")
    with pytest.raises(gar.AudioError, match="already exists; pass overwrite=True"):
        gar.render_file(inputs["short"], out, seed=1)
    assert out.read_bytes() == b"keep"
    gar.render_file(inputs["short"], out, seed=1, overwrite=True)
    assert out.read_bytes()[:4] == b"RIFF"
    src = tmp_path / "src.wav"
    src.write_bytes(inputs["short"].read_bytes())
    with pytest.raises(gar.GarError):
        gar.render_file(src, src, seed=1, overwrite=True)
    assert src.read_bytes() == inputs["short"].read_bytes()


def test_bad_bits(tmp_path, inputs):
    with pytest.raises(gar.ParamError) as e:
        gar.render_file(inputs["short"], tmp_path / "o.wav", bits="8")
    assert e.value.param == "bits"
