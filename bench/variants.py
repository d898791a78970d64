#!/usr/bin/env python3
"""Times variants of one `gar render`, end to end, interleaved run by run.

    python3 bench/variants.py [--runs 7] [--gar target/release/gar] IN \\
        "rms=--preset self-remix --score rms" "centroid=--preset self-remix --score centroid"

Each variant is `LABEL=FLAGS` (or `LABEL@BINARY=FLAGS`, to compare two builds of gar in one
run, e.g. `old@/tmp/gar-old=--preset cloud`); every run is `gar render IN -o OUT --quiet --seed 1 FLAGS`
with OUT removed first (so no run replaces a file, which would add an fsync), the
variants alternating within each repetition. Prints, per variant, the median wall time,
the median CPU time (user + system of the child, from getrusage), both as ratios to the
first variant, and the load average before and after: on a shared machine only ratios
measured in one run mean much.
"""
import argparse, os, resource, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--gar", default=os.path.join(ROOT, "target", "release", "gar"))
    ap.add_argument("input")
    ap.add_argument("variants", nargs="+", help="LABEL=FLAGS")
    a = ap.parse_args()
    variants = []
    for v in a.variants:
        label, sep, flags = v.partition("=")
        if not sep:
            sys.exit(f"variants.py: {v!r} is not LABEL=FLAGS")
        label, _, binary = label.partition("@")
        variants.append((label, flags.split(), binary or a.gar))
    out = os.path.join(tempfile.mkdtemp(prefix="gar-variants-"), "out.wav")
    wall = {l: [] for l, _, _ in variants}
    cpu = {l: [] for l, _, _ in variants}
    load0 = os.getloadavg()
    for _ in range(a.runs):
        for label, flags, binary in variants:
            if os.path.exists(out):
                os.remove(out)
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            subprocess.run([binary, "render", a.input, "-o", out, "--quiet", "--seed", "1", *flags], check=True)
            t1 = time.perf_counter()
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            wall[label].append(t1 - t0)
            cpu[label].append((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime))
    load1 = os.getloadavg()
    os.remove(out)
    base = variants[0][0]
    bw, bc = statistics.median(wall[base]), statistics.median(cpu[base])
    print(f"# {a.input}, {a.runs} runs per variant (medians); load average {load0[0]:.2f} before, {load1[0]:.2f} after")
    print("| variant | flags | wall ms | ratio | CPU ms | ratio |")
    print("|---|---|---|---|---|---|")
    for label, flags, _ in variants:
        w, c = statistics.median(wall[label]), statistics.median(cpu[label])
        print(f"| {label} | `{' '.join(flags)}` | {w * 1000:.0f} | {w / bw:.2f} | {c * 1000:.0f} | {c / bc:.2f} |")


if __name__ == "__main__":
    main()
