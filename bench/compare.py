#!/usr/bin/env python3
"""gar end-to-end benchmark against a sox pass-through of the same file.

Builds the 10-minute input (a 60 s file repeated ten times) and a 60-minute one,
then times, in ONE run and alternating, `sox IN OUT` and
`gar render IN -o OUT --preset P` for every preset. Prints medians, the ratio
gar / sox, peak RSS (from /usr/bin/time -v) and, for a stereo version of the
10-minute file, the render stage with 1 and 2 threads.

    python3 bench/compare.py [--runs 5] [--skip-60] [--work DIR] [--input FILE]

The 60 s file is, by default, built from the two CC0 recordings committed in the
repository, exactly as bench/input.rs defines it (the same samples as the criterion
benches): 44.1 kHz 16-bit mono, the mono mix floor((l + r) / 2) of
testdata/stereo_guit_em9_44k.flac followed by that of
crates/cli/assets/demo_tabla_glass_cc0_6s_44k_stereo.flac, repeated and cut at
2,646,000 frames; written to WORK/bench_input_60s_44k_mono.wav. `--input FILE` uses
another 60 s 16-bit mono WAV instead, e.g. long_mix_60s_44k_mono.wav from the team's
corpus (not in the repository; nothing here needs it), on which the BENCHMARKS.md figures
up to issue 9 were measured (the original's times below were measured on that file).

Needs sox and /usr/bin/time (installed from Debian's packages if missing).
"""
import argparse, array, json, os, platform, re, shutil, statistics, subprocess, sys, time, wave

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The committed CC0 recordings of the default input, in the order they repeat (bench/input.rs).
SOURCES = [os.path.join(ROOT, "testdata", "stereo_guit_em9_44k.flac"),
           os.path.join(ROOT, "crates", "cli", "assets", "demo_tabla_glass_cc0_6s_44k_stereo.flac")]
SAMPLE_RATE = 44100
FRAMES = 60 * SAMPLE_RATE
# The file the original's times (below) were measured on.
ORIGINAL_INPUT = "long_mix_60s_44k_mono.wav"
PRESETS = ["self-remix", "crystallize", "motif-extract", "onset-harvest", "shimmer", "slabs", "cloud"]


def ensure_tools():
    missing = [p for p, exe in (("sox", "sox"), ("time", "/usr/bin/time")) if not shutil.which(exe)]
    if missing:
        subprocess.run(["apt-get", "install", "-y", *missing], check=True, stdout=subprocess.DEVNULL)


def mix_60s(dst):
    """Writes the default 60 s input (see the module docstring) as a 16-bit mono WAV."""
    pieces = []
    for src in SOURCES:
        raw = subprocess.run(["sox", src, "-t", "raw", "-e", "signed", "-b", "16", "-L", "-"],
                             check=True, capture_output=True).stdout
        s = array.array("h", raw)
        if sys.byteorder != "little":
            s.byteswap()
        pieces.append(array.array("h", ((s[i] + s[i + 1]) // 2 for i in range(0, len(s), 2))))
    out = array.array("h")
    k = 0
    while len(out) < FRAMES:
        out.extend(pieces[k % len(pieces)])
        k += 1
    del out[FRAMES:]
    if sys.byteorder != "little":
        out.byteswap()
    with wave.open(dst, "wb") as o:
        o.setnchannels(1)
        o.setsampwidth(2)
        o.setframerate(SAMPLE_RATE)
        o.writeframes(out.tobytes())


def repeat_wav(src, dst, times):
    if os.path.exists(dst):
        return
    with wave.open(src) as w:
        params, data = w.getparams(), w.readframes(w.getnframes())
    with wave.open(dst, "wb") as o:
        o.setparams(params)
        for _ in range(times):
            o.writeframes(data)


def timed(cmd, env=None):
    """Wall time (s), peak RSS (KB) and stderr of one run."""
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1))
    return wall, rss, p.stderr


def fresh(path):
    """Removes a previous output: gar fsyncs only when it replaces a file, sox never does."""
    if os.path.exists(path):
        os.remove(path)
    return path


def stage(stderr, name):
    m = re.search(rf"gar: {name}\s+([0-9.]+) ms", stderr)
    return float(m.group(1)) / 1000 if m else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--skip-60", action="store_true")
    ap.add_argument("--work", default=os.path.join(ROOT, "target", "bench"))
    ap.add_argument("--input", help="a 60 s 16-bit mono WAV to use instead of the default "
                    "mix of the committed CC0 recordings (e.g. the team corpus' long_mix_60s_44k_mono.wav)")
    a = ap.parse_args()
    ensure_tools()
    os.makedirs(a.work, exist_ok=True)
    if a.input:
        corpus = os.path.abspath(a.input)
        stem = os.path.splitext(os.path.basename(corpus))[0]
    else:
        corpus = os.path.join(a.work, "bench_input_60s_44k_mono.wav")
        mix_60s(corpus)
        stem = "bench_input"
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "gar"], cwd=ROOT, check=True)
    gar = os.path.join(ROOT, "target", "release", "gar")
    in10 = os.path.join(a.work, f"{stem}_10min.wav")
    in60 = os.path.join(a.work, f"{stem}_60min.wav")
    st10 = os.path.join(a.work, f"{stem}_10min_stereo.wav")
    repeat_wav(corpus, in10, 10)
    if not a.skip_60:
        repeat_wav(corpus, in60, 60)
    if not os.path.exists(st10):
        subprocess.run(["sox", in10, st10, "remix", "1", "1v-0.7"], check=True)
    out = os.path.join(a.work, "out.wav")
    env = dict(os.environ, GAR_PROFILE="1")

    # Issue 2: the original's times for the 60 s file, end to end.
    original = {"self-remix": 35.0, "onset-harvest": 52.0, "motif-extract": 132.0, "shimmer": 194.0}
    print(f"# 60 s input: {corpus}")
    if os.path.basename(corpus) == ORIGINAL_INPUT:
        print("## 60 s corpus file vs the original Praat script (its times from the issue)")
    else:
        print(f"## 60 s input vs the original Praat script (its times from the issue, measured on "
              f"{ORIGINAL_INPUT}, also 60 s; pass --input with that file for the like-for-like figure)")
    print("| preset | original s | gar median ms | speed-up |")
    print("|---|---|---|---|")
    for p, orig in original.items():
        ts = [timed([gar, "render", corpus, "-o", fresh(out), "--preset", p, "--seed", "1", "--quiet"])[0]
              for _ in range(max(a.runs, 7))]
        med = statistics.median(ts)
        print(f"| {p} | {orig:.0f} | {med*1000:.0f} | {orig/med:.0f}x |")
    print()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"# {time.strftime('%Y-%m-%d')}  {os.cpu_count()} cores, {cpu}, {platform.platform()}")
    print(f"# runs per cell: {a.runs} (median); sox: `sox IN OUT`; gar: `gar render IN -o OUT --preset P --seed 1 --quiet` (24-bit output; OUT removed before every run of either)")
    results = {}
    inputs = [("10 min", in10)] + ([] if a.skip_60 else [("60 min", in60)])
    for label, path in inputs:
        size_f32_mb = os.path.getsize(path) / 2 * 4 / 1e6
        sox_t, cells = [], {p: ([], []) for p in PRESETS}
        for r in range(a.runs):
            for p in PRESETS:  # alternate: sox, preset, sox, preset ...
                sox_t.append(timed(["sox", path, fresh(out)])[0])
                w, rss, _ = timed([gar, "render", path, "-o", fresh(out), "--preset", p, "--seed", "1", "--quiet"])
                cells[p][0].append(w)
                cells[p][1].append(rss)
        sox_med = statistics.median(sox_t)
        print(f"\n## {label} mono 44.1 kHz ({path}); decoded input as f32 = {size_f32_mb:.0f} MB; sox median {sox_med*1000:.0f} ms")
        print("| preset | gar median ms | gar / sox | peak RSS MB | RSS / (2.5 x input + 64 MB) |")
        print("|---|---|---|---|---|")
        for p in PRESETS:
            med = statistics.median(cells[p][0])
            rss = max(cells[p][1]) / 1024
            results.setdefault(p, {})[label] = med
            print(f"| {p} | {med*1000:.0f} | {med/sox_med:.2f} | {rss:.0f} | {rss/(2.5*size_f32_mb+64):.2f} |")
    if not a.skip_60:
        print("\n## Scaling: 60 min / 10 min (target <= 6.6)")
        for p in PRESETS:
            print(f"- {p}: {results[p]['60 min'] / results[p]['10 min']:.2f}")

    # Like for like: sox keeps the input's 16 bits; gar writes 24 by default.
    print("\n## 10 min, gar with `--bits 16` (the same output bytes as sox's)")
    print("| preset | gar median ms | sox median ms | gar / sox |")
    print("|---|---|---|---|")
    for p in ["self-remix", "shimmer"]:
        g16, sx = [], []
        for _ in range(a.runs):
            sx.append(timed(["sox", in10, fresh(out)])[0])
            g16.append(timed([gar, "render", in10, "-o", fresh(out), "--preset", p, "--seed", "1",
                              "--bits", "16", "--quiet"])[0])
        g, s_ = statistics.median(g16), statistics.median(sx)
        print(f"| {p} | {g*1000:.0f} | {s_*1000:.0f} | {g/s_:.2f} |")

    # The reference: the same two files through sox.
    sm, ss = [], []
    for _ in range(a.runs):
        sm.append(timed(["sox", in10, fresh(out)])[0])
        ss.append(timed(["sox", st10, fresh(out)])[0])
    sm, ss = statistics.median(sm), statistics.median(ss)
    print(f"\n## Stereo (10 min, linked) vs mono; render stage with 1 and 2 threads")
    print(f"sox on the same files: mono {sm*1000:.0f} ms, stereo {ss*1000:.0f} ms, stereo / mono {ss/sm:.2f}\n")
    print("| preset | mono e2e ms | stereo e2e ms | stereo / mono | render 1 thread ms | render 2 threads ms | speed-up |")
    print("|---|---|---|---|---|---|---|")
    for p in ["self-remix", "shimmer", "cloud"]:
        mono, st, r1, r2 = [], [], [], []
        for _ in range(a.runs):
            base = [gar, "render", None, "-o", out, "--preset", p, "--seed", "1", "--quiet"]
            base[2] = in10
            fresh(out)
            mono.append(timed(base)[0])
            base[2] = st10
            fresh(out)
            w, _, err = timed(base, env)
            st.append(w)
            r2.append(stage(err, "render"))
            fresh(out)
            _, _, err1 = timed(base, dict(env, RAYON_NUM_THREADS="1"))
            r1.append(stage(err1, "render"))
        m, s_, a1, a2 = (statistics.median(v) for v in (mono, st, r1, r2))
        print(f"| {p} | {m*1000:.0f} | {s_*1000:.0f} | {s_/m:.2f} | {a1*1000:.0f} | {a2*1000:.0f} | {a1/a2:.2f} |")


if __name__ == "__main__":
    main()
