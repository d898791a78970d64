#!/usr/bin/env python3
"""gar batch throughput (issue 14): 200 pieces of 3 s cut from the committed recordings,
rendered with `gar batch --jobs 1`, `--jobs 2`, and a shell loop calling `gar render`
once per file; median wall time of --runs runs each, and the peak memory (max RSS of
one process, from /usr/bin/time -v or getrusage) of each.

    cargo build --release -p gar && cargo build --release -p gar-run --example cut_pieces
    python3 bench/batch_bench.py [--runs 3] [--count 200] [--preset self-remix]

Needs nothing outside the repository (the inputs are testdata/stereo_guit_em9_44k.flac
and the built-in demo sound)."""
import argparse, os, shutil, statistics, subprocess, sys, time, resource

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GAR = os.path.join(ROOT, "target", "release", "gar")
CUT = os.path.join(ROOT, "target", "release", "examples", "cut_pieces")
INPUTS = [os.path.join(ROOT, "testdata", "stereo_guit_em9_44k.flac"),
          os.path.join(ROOT, "crates", "cli", "assets", "demo_tabla_glass_cc0_6s_44k_stereo.flac")]


def timed(cmd, shell=False):
    t = time.perf_counter()
    subprocess.run(cmd, check=True, shell=shell, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--preset", default="self-remix")
    ap.add_argument("--work", default=os.path.join(ROOT, "target", "bench", "batch"))
    a = ap.parse_args()
    pieces = os.path.join(a.work, "in")
    if not os.path.isdir(pieces) or sum(len(f) for _, _, f in os.walk(pieces)) != a.count:
        shutil.rmtree(pieces, ignore_errors=True)
        subprocess.run([CUT, pieces, str(a.count), "3"] + INPUTS, check=True)
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(pieces) for f in fs)
    out = os.path.join(a.work, "out")
    flags = ["--preset", a.preset, "--seed", "1", "-q"]

    def fresh():
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)

    loop = os.path.join(a.work, "loop.sh")
    with open(loop, "w") as f:
        f.write("set -e\n")
        for i, p in enumerate(files):
            f.write(f"'{GAR}' render '{p}' -o '{out}/{i}.wav' {' '.join(flags)}\n")
    cases = {
        "batch --jobs 1": lambda: timed([GAR, "batch", pieces, "--out-dir", out, "--jobs", "1"] + flags),
        "batch --jobs 2": lambda: timed([GAR, "batch", pieces, "--out-dir", out, "--jobs", "2"] + flags),
        "shell loop of gar render": lambda: timed(["bash", loop]),
    }
    res = {k: [] for k in cases}
    for _ in range(a.runs):
        for k, f in cases.items():  # interleaved, so that machine noise hits every case
            fresh()
            res[k].append(f())
    peak = {}
    for jobs in ("1", "2"):
        fresh()
        r = subprocess.run(["/usr/bin/time", "-v", GAR, "batch", pieces, "--out-dir", out, "--jobs", jobs] + flags,
                           capture_output=True, text=True, check=True)
        kb = next(int(l.split(":")[1]) for l in r.stderr.splitlines() if "Maximum resident" in l)
        peak[jobs] = kb / 1024
    base = statistics.median(res["batch --jobs 1"])
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"# {time.strftime('%Y-%m-%d')} {os.cpu_count()} cores, {cpu}; {a.count} files of 3 s "
          f"(44.1 kHz stereo), --preset {a.preset}, median of {a.runs} runs")
    print("| how | median s | files/s | throughput vs --jobs 1 |")
    print("|---|---|---|---|")
    for k, ts in res.items():
        m = statistics.median(ts)
        print(f"| {k} | {m:.2f} | {a.count / m:.1f} | {base / m:.2f}x |")
    print(f"\npeak memory (max RSS): --jobs 1 {peak['1']:.0f} MiB, --jobs 2 {peak['2']:.0f} MiB")


if __name__ == "__main__":
    sys.exit(main())
