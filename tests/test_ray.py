"""`--runner ray` on a Ray cluster the tests start: the same outputs as the local runner, one model load
per replica, a killed replica's shards done elsewhere, and back-translation reproducible on it.

Ray binds to the machine's interface address, which tests must not use: the head and every command
that talks to it run in a network namespace of their own, where loopback is the only interface (this
needs root, as CI has; elsewhere these tests skip and say why), with a Prefect server of their own (the
session's is on the host's loopback)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import REPO, running_prefect_server

RAY_PORT = 6399
WORDS = "river mountain quiet city bright morning old friend letter garden window summer road".split()


@pytest.fixture(scope="module")
def ray_cluster(tmp_path_factory):
    """A network namespace holding a Ray head and a Prefect server on its 127.0.0.1, the head with 2 CPUs;
    yields a function that runs a command inside it. Both are stopped and the namespace ended afterwards."""
    holder = subprocess.Popen(["unshare", "-n", "sh", "-c", "ip link set lo up && exec sleep 3600"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    if holder.poll() is not None:
        pytest.skip(f"no network namespace for the Ray head (needs root): {holder.stderr.read().strip()}")
    within = ("nsenter", f"--net=/proc/{holder.pid}/ns/net")
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}

    def inside(*command: str, timeout: float = 600) -> subprocess.CompletedProcess:
        return subprocess.run([*within, *map(str, command)], env=env, cwd=REPO, capture_output=True, text=True,
                              timeout=timeout)

    ray = str(Path(sys.executable).parent / "ray")
    try:
        with running_prefect_server(tmp_path_factory.mktemp("ray-prefect"), within) as url:
            env["PREFECT_API_URL"] = url
            started = inside(ray, "start", "--head", "--port", RAY_PORT, "--num-cpus", "2", "--include-dashboard",
                             "false", "--disable-usage-stats", timeout=180)
            assert started.returncode == 0, started.stdout + started.stderr
            inside.popen = lambda command: subprocess.Popen(  # type: ignore[attr-defined]
                [*within, *map(str, command)], env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True)
            yield inside
    finally:
        inside(ray, "stop", "--force", timeout=120)
        holder.kill()
        holder.wait()


def _babelflow(*args) -> list[str]:
    return [sys.executable, "-m", "babelflow.cli", *map(str, args)]


def _on_ray(*args) -> list[str]:
    return _babelflow(*args, "--runner", "ray", "--ray-address", f"127.0.0.1:{RAY_PORT}")


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> Path:
    """Documents and a corpus, in shards small enough that every replica gets some."""
    root = tmp_path_factory.mktemp("ray-sources")
    src = root / "src"
    src.mkdir()
    n = 0
    for doc in range(6):
        sentences = []
        for _ in range(8):
            sentences.append(f"The {' '.join(WORDS[(n * 7 + k * 3) % len(WORDS)] for k in range(3 + n % 4))} number {n}.")
            n += 1
        (src / f"doc{doc}.txt").write_text(" ".join(sentences) + "\n")
    (src / "page.md").write_text("# A title\n\nSome **bold** text and a [link](https://example.org).\n")
    (src / "rows.jsonl").write_text("".join(f'{{"text": "Row {i} of the corpus is here."}}\n' for i in range(20)))
    (root / "run.yaml").write_text("shard_tokens: 64\n")
    return root


def _outputs(dest: Path) -> dict[str, bytes]:
    return {str(p.relative_to(dest)): p.read_bytes() for p in sorted((dest / "fr").rglob("*")) if p.is_file()}


def _segments(dest: Path) -> list[tuple]:
    rows = pq.read_table(dest / "segments").to_pylist()
    return sorted((r["source"], r["segment_index"], r["source_text"], r["translated_text"]) for r in rows)


def _manifest(dest: Path) -> list[tuple]:
    rows = pq.read_table(dest / "manifest.parquet").to_pylist()
    return sorted((r["source"], r["status"], r["n_segments"]) for r in rows)


def _translate(sources: Path, dest: Path, model: Path) -> list:
    return ["translate", sources / "src", "--to", "fr", "--from", "en", "--out", dest, "--model", model,
            "--config", sources / "run.yaml"]


@pytest.fixture(scope="module")
def local(sources, tiny_model, prefect_api) -> Path:
    dest = sources / "local"
    done = subprocess.run(_babelflow(*_translate(sources, dest, tiny_model)), capture_output=True, text=True,
                          cwd=REPO, env={**os.environ, "PREFECT_API_URL": prefect_api}, timeout=600)
    assert done.returncode == 0, done.stderr
    return dest


def test_ray_gives_the_local_outputs_with_one_model_load_per_replica(ray_cluster, sources, local, tiny_model,
                                                                       tmp_path) -> None:
    dest = tmp_path / "ray"
    done = ray_cluster(*_on_ray(*_translate(sources, dest, tiny_model), "--workers", "2"))
    assert done.returncode == 0, done.stderr
    assert "(2 loads)" in done.stdout, done.stdout
    assert _outputs(dest) == _outputs(local)
    assert _segments(dest) == _segments(local)
    assert _manifest(dest) == _manifest(local)


def _replica_pids() -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and b"ray::Replica" in (proc / "cmdline").read_bytes():
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def test_a_killed_replica_has_its_shards_done_elsewhere(ray_cluster, sources, local, tiny_model, tmp_path) -> None:
    dest = tmp_path / "ray"
    run = ray_cluster.popen(_on_ray(*_translate(sources, dest, tiny_model), "--workers", "2"))
    cache = dest / ".babelflow" / "cache"
    deadline = time.monotonic() + 300
    while not (list(cache.glob("*/part-*.parquet")) and len(_replica_pids()) == 2):
        assert run.poll() is None, run.stderr.read()[-3000:]
        assert time.monotonic() < deadline, "no shard finished"
        time.sleep(0.05)
    os.kill(_replica_pids()[0], signal.SIGKILL)
    out, err = run.communicate(timeout=600)
    assert run.returncode == 0, err
    assert "a worker process died" in err
    assert _outputs(dest) == _outputs(local)
    segments = _segments(dest)
    assert segments == _segments(local) and len(set(segments)) == len(segments), "every segment exactly once"


def test_back_translation_on_ray_is_the_local_dataset(ray_cluster, sources, tiny_model, tmp_path, cli) -> None:
    args = ["back-translate", sources / "src" / "rows.jsonl", "--from", "en", "--to", "fr", "--model", tiny_model,
            "--method", "topk", "--n", "2", "--seed", "3", "--no-filter", "language", "--no-filter", "ratio"]
    code, _, err = cli(*args, "--out", tmp_path / "local")
    assert code == 0, err
    done = ray_cluster(*_on_ray(*args, "--out", tmp_path / "ray", "--workers", "2"))
    assert done.returncode == 0, done.stderr

    def rows(dest: Path) -> list[tuple]:
        table = pq.read_table(dest / "data")
        return sorted((r["id"], r["sample_index"], r["synthetic_source"]) for r in table.to_pylist())

    assert rows(tmp_path / "ray") == rows(tmp_path / "local")


def test_ctrl_c_cancels_the_ray_work_and_leaves_no_replica(ray_cluster, sources, tiny_model, tmp_path) -> None:
    dest = tmp_path / "ray"
    run = ray_cluster.popen(_on_ray(*_translate(sources, dest, tiny_model), "--workers", "2"))
    deadline = time.monotonic() + 300
    while len(_replica_pids()) < 2:
        assert run.poll() is None, run.stderr.read()[-3000:]
        assert time.monotonic() < deadline, "no replica started"
        time.sleep(0.05)
    run.send_signal(signal.SIGINT)
    _, err = run.communicate(timeout=60)
    assert run.returncode == 130, err
    deadline = time.monotonic() + 30
    while _replica_pids():
        assert time.monotonic() < deadline, "replicas left running after the interrupt"
        time.sleep(0.2)
