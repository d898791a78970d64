#!/usr/bin/env bash
# Installs the Debian packages that CI's optional checks need, if missing:
# libasound2-dev (ALSA headers, for `cargo build --features play`).
set -euo pipefail
need=()
for p in libasound2-dev pkg-config; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
