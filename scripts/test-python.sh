#!/usr/bin/env bash
# The Python tests (crates/py/tests, pytest, the Dask test included), from a fresh
# machine with python3 (3.9 or newer) and pip: makes a virtual environment
# (target/py-venv, or GAR_PY_VENV) with the pinned tools of
# crates/py/requirements-test.txt (from PyPI; reinstalled when that file changes),
# builds and installs the module into it (maturin develop --release), builds the gar
# binary the tests compare with (target/release/gar), and runs pytest. Arguments go to
# pytest (e.g. `scripts/test-python.sh -k dask -x`). Needs nothing outside the
# repository besides the package registry.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
venv=${GAR_PY_VENV:-target/py-venv}
case $venv in /*) ;; *) venv=$root/$venv ;; esac
req=crates/py/requirements-test.txt

python=${PYTHON:-}
if [ -z "$python" ]; then
    for p in python3.11 python3; do
        if command -v "$p" > /dev/null; then python=$p; break; fi
    done
fi
[ -n "$python" ] || { echo "test-python.sh: no python3 on PATH (set PYTHON)" >&2; exit 1; }

if [ ! -x "$venv/bin/python" ]; then
    echo "test-python.sh: creating $venv with $("$python" --version)"
    if ! "$python" -m venv "$venv"; then
        # Debian's python3 without python3-venv has no ensurepip: a venv without pip,
        # then pip installed into it by the system's pip (pip 22.3 or newer).
        echo "test-python.sh: python -m venv failed; trying --without-pip and the system pip"
        rm -rf "$venv"
        "$python" -m venv --without-pip "$venv"
        "$python" -m pip --python "$venv/bin/python" install --disable-pip-version-check --quiet pip
    fi
fi
stamp=$venv/.requirements-test.sha256
want=$(sha256sum "$req" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2> /dev/null || true)" != "$want" ]; then
    echo "test-python.sh: installing $req"
    "$venv/bin/python" -m pip install --disable-pip-version-check --quiet -r "$req"
    echo "$want" > "$stamp"
fi

cargo build --release --locked -p gar
# maturin develop installs into the active virtual environment.
(
    export VIRTUAL_ENV=$venv PATH=$venv/bin:$PATH
    cd crates/py
    maturin develop --release --locked --quiet
)
export GAR_BIN=$root/target/release/gar
exec "$venv/bin/python" -m pytest crates/py/tests -q -p no:cacheprovider "$@"
