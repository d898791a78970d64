#!/usr/bin/env bash
# Browser end-to-end test of gar studio: installs Debian's chromium if missing,
# installs playwright-core from the lock file, builds gar, starts `gar studio`
# on the committed recording, and runs studio.test.mjs (screenshots and the
# timings go to target/studio-e2e/). Works on a clean clone and under CI=true.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium
fi
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
(cd "$root" && cargo build --release --quiet -p gar)
gar="$root/target/release/gar"
out="$root/target/studio-e2e"
mkdir -p "$out"
tmp="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
# A 60 s and a 10-minute file: the committed 10 s recording looped.
node "$here/loop_wav.mjs" "$root/testdata/stereo_guit_em9_44k.flac" "$gar" "$tmp"
"$gar" studio "$root/testdata/stereo_guit_em9_44k.flac" > "$tmp/studio.out" 2>&1 &
pid=$!
url=""
for _ in $(seq 1 100); do
  url="$(grep -o 'http://[^ ]*' "$tmp/studio.out" || true)"
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { cat "$tmp/studio.out"; exit 1; }
(cd "$root/target" && GAR="$gar" URL="$url" OUT="$out" TMP_DIR="$tmp" \
  LONG60="$tmp/guit_60s.wav" LONG600="$tmp/guit_10min.wav" node "$here/studio.test.mjs")
