"""gar: Granular Attention Re-synthesis.

A sound re-synthesises itself from its own most salient moments: candidate grains are
cut from the source and scored, a ReLU gate removes the weak ones, a softmax with
sharpness ``alpha`` turns the survivors' scores into probabilities, and each output hop
draws a grain from them. numpy in, numpy out; the GIL is released while gar works.

Parameters are keyword arguments named as the parameter table's ids
(``gar.parameters()``): ``grain_ms=40``, ``alpha=12``, ``channels="mono"``,
``dc_block=False``. Parameters marked ``varies`` take an envelope over the output's
time: text such as ``"1..40@exp"`` or ``"0:1, 0.5:30@exp, 1:2"``, or a list of
``(time, value)`` / ``(time, value, shape)`` tuples, where a number time is a fraction
of the output and text such as ``"10s"`` or ``"1500ms"`` is absolute.

Reports are the dicts the command line's ``--report`` writes (key names are a
contract); for arrays, ``input.path`` and ``output.path`` are ``"<array>"``.
"""

import os
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

__version__: str

#: A file path: text or any os.PathLike.
_PathLike = Union[str, "os.PathLike[str]"]
#: A point of an envelope: (time, value) or (time, value, shape).
_Point = Union[Tuple[Union[float, str], float], Tuple[Union[float, str], float, str]]
#: A parameter's value: a number, text (a word, an envelope, a mix), a switch, a list
#: of envelope points, a list of driver names, a {driver: weight} mix, or None (unset).
_Value = Union[float, int, str, bool, Sequence[_Point], Sequence[str], Dict[str, float], None]
#: A report: the command line's --report JSON as Python objects.
_Report = Dict[str, Any]

class GarError(Exception):
    """Anything gar refuses or fails to do."""

class ParamError(GarError, ValueError):
    """A parameter gar cannot use.

    ``param`` is the parameter's name as the keyword argument spells it (``"grain_ms"``,
    ``"preset"``, ``"bits"``, ``"root"``...), or None when the request as a whole is at
    fault.
    """

    param: Optional[str]
    def __init__(self, message: str, param: Optional[str] = ...) -> None: ...

class AudioError(GarError, OSError):
    """A sound file that cannot be read (missing, not audio, corrupt) or written.

    ``path`` names the file.
    """

    path: Optional[str]
    def __init__(self, message: str, path: Optional[str] = ...) -> None: ...

def render(
    samples: npt.ArrayLike,
    sample_rate: int,
    preset: Union[str, int, None] = None,
    seed: Optional[int] = None,
    *,
    params_file: Optional[_PathLike] = None,
    **params: _Value,
) -> Tuple[npt.NDArray[np.float32], _Report]:
    """Renders ``samples`` and returns ``(out, report)``.

    ``samples``: shape ``(frames,)`` or ``(channels, frames)`` (not ``(frames,
    channels)``: pass ``x.T``), float32 or float64, full scale 1.0. A C-contiguous
    float32 array is read in place (not copied: do not modify it from another thread
    during the call); anything else is converted to float32 once. NaN and infinity
    are treated as 0 (with a warning in the report).

    ``out``: float32; 1-D when ``samples`` was 1-D and the output has one channel,
    otherwise ``(channels, frames)`` (a spread makes a mono source stereo;
    ``channels="mono"`` makes any source one channel).

    ``preset``: a name (``"cloud"``) or the original's number (1-8); ``seed``: None
    or 0 draws one (the report's ``seed`` tells which). ``params_file``: a TOML or
    JSON params file, or a report, read before the keywords (which override it).

    Raises ParamError for a parameter, GarError when the source is too short or the
    run needs more memory than ``GAR_MAX_MEMORY`` allows.
    """

def analyze(
    samples: Union[npt.ArrayLike, _PathLike],
    sample_rate: Optional[int] = None,
    preset: Union[str, int, None] = None,
    seed: Optional[int] = None,
    *,
    params_file: Optional[_PathLike] = None,
    **params: _Value,
) -> _Report:
    """Analyses and plans without rendering: the report of ``gar analyze``.

    ``samples`` is an array (then ``sample_rate`` is required) or a sound file's path
    (then the sample rate is the file's). The output-level parameters (``normalize``,
    ``peak_db``, ``lufs``, ``dc_block``) are refused: nothing is rendered.
    """

def render_file(
    input: _PathLike,
    output: _PathLike,
    preset: Union[str, int, None] = None,
    seed: Optional[int] = None,
    *,
    root: Optional[_PathLike] = None,
    bits: str = "24",
    overwrite: bool = False,
    report: Optional[_PathLike] = None,
    save_params: Optional[_PathLike] = None,
    plot: Optional[_PathLike] = None,
    csv: Optional[_PathLike] = None,
    params_file: Optional[_PathLike] = None,
    **params: _Value,
) -> _Report:
    """Renders the file ``input`` into the WAV file ``output``, as ``gar render INPUT
    -o OUTPUT`` does (the same bytes), and returns the report.

    ``bits``: ``"16"``, ``"24"`` or ``"32f"``. The WAV is written beside its target
    and renamed into place: complete or not at all. An existing ``output`` is refused
    unless ``overwrite``; the input is never written. The output's folder must exist.

    ``root`` with ``seed``: the file's seed is ``file_seed(seed, input relative to
    root)``, the per-file seed of ``gar batch --seed``, so that one call per file (a
    loop, ``client.map`` on a Dask cluster) gives every file its own reproducible seed.

    ``report`` (a JSON file), ``save_params`` (a TOML params file), ``plot`` (a PNG or
    SVG picture) and ``csv`` (a prefix for two CSV tables) write what ``gar render``'s
    flags of those names write, committed together with the WAV (all or none).

    Raises AudioError for a file that cannot be read or written, ParamError for a
    parameter, GarError for the rest (an output that exists, not enough memory).
    """

def load(path: _PathLike) -> Tuple[npt.NDArray[np.float32], int]:
    """Decodes a sound file (WAV, FLAC, MP3, Ogg Vorbis, AIFF) as gar does.

    Returns ``(samples, sample_rate)``, ``samples`` float32 of shape ``(channels,
    frames)``.
    """

def presets() -> List[Dict[str, Any]]:
    """Every preset with its values (``gar presets --json``'s ``presets``)."""

def parameters() -> List[Dict[str, Any]]:
    """The parameter table (``gar presets --json``'s ``parameters``): id, flag, kind,
    unit, range, min, max, default, varies, group, doc, choices, the presets' values.
    The ids are the keyword arguments of render, analyze and render_file."""

def file_seed(seed: int, rel_path: str) -> int:
    """The seed of the file at ``rel_path`` (relative to the input root, e.g.
    ``"drums/kick.wav"``; ``\\`` is read as ``/``, a leading ``./`` is dropped) in a
    many-file run with base seed ``seed``, as ``gar batch --seed`` derives it:
    ``splitmix64(seed ^ splitmix64(fnv1a64(rel_path)))``, 1 if that is 0. Depends only
    on the two arguments."""
