#!/usr/bin/env bash
# The whole test suite, the README's one test command: cargo's tests (every crate),
# then the Python module's (pytest, the Dask test included: scripts/test-python.sh
# makes a virtual environment with the pinned tools from PyPI), then the studio's
# browser test (crates/studio/e2e/run.sh: Debian's chromium, playwright-core from npm).
# Needs cargo, python3 with pip, node with npm, and apt for chromium if it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace
bash scripts/test-python.sh
bash crates/studio/e2e/run.sh
