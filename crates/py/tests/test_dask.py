"""gar on a Dask cluster: two worker processes on loopback, one task per file, seeds
derived from a base seed and each file's path (as `gar batch --seed` derives them),
and a corrupt file whose failure is reported without losing the other files."""

import json
from pathlib import Path

import pytest

import gar
from conftest import run_cli

distributed = pytest.importorskip("distributed")

BASE_SEED = 2024


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2,
        processes=True,
        threads_per_worker=1,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=40,
    ) as c, distributed.Client(c) as client:
        yield client


def test_client_map_render_file_with_per_file_seeds(cluster, tmp_path, inputs):
    root, out_root = tmp_path / "corpus", tmp_path / "renders"
    rels = ["a/stereo.wav", "b/c/mono.wav", "short.wav", "bad/corrupt.wav"]
    for rel in rels:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (out_root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rels[0]).write_bytes(inputs["stereo"].read_bytes())
    (root / rels[1]).write_bytes(inputs["mono"].read_bytes())
    (root / rels[2]).write_bytes(inputs["short"].read_bytes())
    (root / rels[3]).write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt this is not audio")
    srcs = [str(root / r) for r in rels]
    outs = [str(out_root / r) for r in rels]

    futures = cluster.map(
        gar.render_file, srcs, outs, seed=BASE_SEED, root=str(root), preset="cloud", pure=False
    )
    distributed.wait(futures, timeout=300)
    done = dict(zip(rels, futures))

    # Every good file finished, whatever happened to the bad one.
    bad = done.pop("bad/corrupt.wav")
    assert bad.status == "error"
    err = bad.exception()
    assert isinstance(err, gar.AudioError) and err.path.endswith("corrupt.wav")
    assert not (out_root / "bad/corrupt.wav").exists()
    for rel, f in done.items():
        assert f.status == "finished", rel
        report = f.result()
        seed = gar.file_seed(BASE_SEED, rel)
        assert report["seed"] == seed, rel
        # The same bytes as the command line with that seed.
        cli = tmp_path / ("cli-" + rel.replace("/", "-"))
        run_cli("render", root / rel, "-o", cli, "--preset", "cloud", "--seed", seed, "--quiet")
        assert (out_root / rel).read_bytes() == cli.read_bytes(), rel
    # The same files as `gar batch` over the same folder with the same base seed
    # (which reports the corrupt file and goes on: exit status 1).
    batch_out = tmp_path / "batch"
    r = run_cli("batch", root, "--out-dir", batch_out, "--preset", "cloud", "--seed", BASE_SEED,
                "--quiet", check=False)
    assert r.returncode == 1, r.stderr
    for rel in done:
        assert (batch_out / rel).read_bytes() == (out_root / rel).read_bytes(), rel
    # Seeds differ per file and do not depend on the order of the list.
    assert len({gar.file_seed(BASE_SEED, r) for r in rels}) == len(rels)
    again = cluster.map(
        gar.render_file,
        srcs[:3][::-1],
        [str(tmp_path / f"again{i}.wav") for i in range(3)],
        seed=BASE_SEED,
        root=str(root),
        preset="cloud",
        pure=False,
    )
    for f, rel in zip(again, rels[:3][::-1]):
        assert f.result()["seed"] == gar.file_seed(BASE_SEED, rel)
    assert len(cluster.scheduler_info()["workers"]) == 2
