"""Crashes and interruptions through the real CLI in a subprocess: a run killed midway, a worker
process killed while its parent lives, Ctrl-C. Each rerun finishes what was left and nothing else."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import REPO

WORDS = "river mountain quiet city bright morning old friend letter garden window summer road".split()


def _write_corpus(src: Path, documents: int) -> None:
    """Documents of 15 distinct sentences each."""
    src.mkdir(parents=True)
    n = 0
    for doc in range(documents):
        sentences = []
        for _ in range(15):
            words = [WORDS[(n * 7 + k * 3) % len(WORDS)] for k in range(4 + n % 5)]
            sentences.append(f"The {' '.join(words)} number {n}.")
            n += 1
        (src / f"doc{doc:03d}.txt").write_text(" ".join(sentences) + "\n")


DOCUMENTS = 28
SENTENCES = 15 * DOCUMENTS


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """28 documents, and a config that cuts their 420 sentences into shards of 20 to 50: enough for a
    kill to land midway, few enough that a run is not mostly per-shard overhead (each shard is a Prefect
    task and a model call decoding to the length cap, whatever its size)."""
    root = tmp_path_factory.mktemp("resume")
    _write_corpus(root / "src", DOCUMENTS)
    (root / "run.yaml").write_text("shard_tokens: 512\n")
    return root


def _command(corpus: Path, dest: Path, model: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "babelflow.cli", "translate", str(corpus / "src"), "--to", "fr", "--from", "en",
            "--out", str(dest), "--model", str(model), "--config", str(corpus / "run.yaml"), *extra]


def _start(command: list[str], prefect_api: str) -> subprocess.Popen:
    env = {**os.environ, "PREFECT_API_URL": prefect_api}
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)


def _cached_rows(dest: Path) -> int:
    parts = list((dest / ".babelflow" / "cache").glob("*/part-*.parquet"))
    return sum(pq.read_metadata(p).num_rows for p in parts)


def _wait_for_cache(proc: subprocess.Popen, dest: Path, rows: int, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while _cached_rows(dest) < rows:
        assert proc.poll() is None, "the run ended before it could be interrupted: " + proc.stderr.read()[-2000:]
        assert time.monotonic() < deadline
        time.sleep(0.05)


def _translated(out: str) -> tuple[int, int]:
    """(translated, from cache) from the summary line."""
    summary = next(line for line in out.splitlines() if "accounted for" in line)
    translated = int(summary.split(" unique texts translated,")[0].rsplit(" ", 1)[1])
    cached = int(summary.split(" from cache")[0].rsplit(" ", 1)[1])
    return translated, cached


def _outputs(dest: Path) -> dict[str, bytes]:
    return {str(p.relative_to(dest)): p.read_bytes() for p in sorted((dest / "fr").rglob("*")) if p.is_file()}


def _segments(dest: Path) -> list[tuple]:
    rows = pq.read_table(dest / "segments").to_pylist()
    return sorted((r["source"], r["segment_index"], r["source_text"], r["translated_text"]) for r in rows)


@pytest.fixture(scope="module")
def reference(corpus, tiny_model, prefect_api) -> Path:
    dest = corpus / "reference"
    proc = _start(_command(corpus, dest, tiny_model), prefect_api)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    assert _translated(out) == (SENTENCES, 0)
    return dest


def test_killed_run_resumes_without_translating_anything_twice(corpus, reference, tiny_model, prefect_api, tmp_path) -> None:
    dest = tmp_path / "out"
    command = _command(corpus, dest, tiny_model)
    proc = _start(command, prefect_api)
    _wait_for_cache(proc, dest, 100)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    done = _cached_rows(dest)
    assert 100 <= done < SENTENCES, "killed midway"
    stale = dest / "fr" / f".doc00.txt.{'0' * 32}.tmp"  # as a kill in the middle of a write leaves it
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_text("half")

    proc = _start(command, prefect_api)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    assert _translated(out) == (SENTENCES - done, done), "no segment translated twice"
    assert _outputs(dest) == _outputs(reference)
    assert _segments(dest) == _segments(reference)
    assert not stale.exists(), "what the killed run left half-written is cleaned up"


def test_one_run_at_a_time_per_destination(cli, tmp_path) -> None:
    import fcntl

    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text("Hello.")
    dest = tmp_path / "out"
    (dest / ".babelflow").mkdir(parents=True)
    with open(dest / ".babelflow" / "lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        code, _, err = cli("translate", tmp_path / "src", "--to", "fr", "--out", dest, "--engine", "identity")
    assert code == 2 and "another babelflow run is writing to" in err
    assert not (dest / "fr").exists()
    code, _, err = cli("translate", tmp_path / "src", "--to", "fr", "--out", dest, "--engine", "identity")
    assert code == 0, err


def _workers_of(pid: int) -> list[int]:
    """Worker processes of the pool (spawned Python children), not the Prefect server."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, IndexError):
            continue
        if ppid == pid and b"multiprocessing" in cmdline and b"resource_tracker" not in cmdline:
            found.append(int(entry.name))
    return found


def test_killed_worker_process_has_its_shards_retried(corpus, reference, tiny_model, prefect_api, tmp_path) -> None:
    dest = tmp_path / "out"
    proc = _start(_command(corpus, dest, tiny_model, "--workers", "2"), prefect_api)
    _wait_for_cache(proc, dest, 60)
    workers = _workers_of(proc.pid)
    assert len(workers) == 2, workers
    os.kill(workers[0], signal.SIGKILL)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    assert f"{DOCUMENTS} ok, 0 failed" in out
    assert "worker process died" in err
    assert _outputs(dest) == _outputs(reference)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_ctrl_c_stops_within_seconds_and_leaves_nothing_half_written(tiny_model, prefect_api, tmp_path, workers) -> None:
    """A small German shard, then one English shard of 3,000 sentences: the signal comes when the first
    is cached, and the second stops mid-batch rather than after it. The signal goes to the main process
    only, as a scheduler's SIGTERM does: the run itself stops the worker processes."""
    _write_corpus(tmp_path / "src", 200)
    (tmp_path / "src" / "de.txt").write_text("Der schnelle braune Fuchs springt über den faulen Hund.")
    dest = tmp_path / "out"
    command = [sys.executable, "-m", "babelflow.cli", "translate", str(tmp_path / "src"), "--to", "fr",
               "--out", str(dest), "--model", str(tiny_model), "--workers", workers]
    proc = _start(command, prefect_api)
    _wait_for_cache(proc, dest, 1)
    interrupted = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    # Seconds, not the English shard's whole time; 10 as in test_interrupts, since the suite's other
    # worker may hold a core meanwhile. The cache below says it stopped mid-shard.
    assert time.monotonic() - interrupted < 10, "stopped within seconds"
    assert proc.returncode == 130, err
    assert "interrupted" in err
    assert _cached_rows(dest) == 1, "the English shard was stopped, not finished"
    assert not list((dest / "fr").glob("doc*")) if (dest / "fr").exists() else True
    assert not list(dest.rglob("*.tmp"))
    assert not (dest / "manifest.parquet").exists()
    assert not _workers_of(proc.pid)


POISON_ENGINE = '''
import os, signal
from babelflow.tasks.engines import register
from babelflow.tasks.engines.identity import IdentityEngine


class PoisonEngine(IdentityEngine):
    """Kills its own process on any text with POISON, as the out-of-memory killer would."""

    def translate(self, texts, src, tgt):
        if any("POISON" in t for t in texts):
            os.kill(os.getpid(), signal.SIGKILL)
        return super().translate(texts, src, tgt)


register("poison", lambda spec: PoisonEngine())
'''


def test_a_shard_that_kills_every_worker_fails_alone(prefect_api, tmp_path) -> None:
    """Registered through sitecustomize, so that the CLI and its spawned workers all know the engine."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(POISON_ENGINE)
    _write_corpus(tmp_path / "src", 6)
    (tmp_path / "src" / "poison.txt").write_text("POISON " + "x" * 400 + ".")  # long: a shard of its own
    (tmp_path / "run.yaml").write_text("shard_tokens: 64\n")
    dest = tmp_path / "out"
    command = [sys.executable, "-m", "babelflow.cli", "translate", str(tmp_path / "src"), "--to", "fr", "--from", "en",
               "--out", str(dest), "--engine", "poison", "--workers", "2", "--config", str(tmp_path / "run.yaml")]
    env = {**os.environ, "PREFECT_API_URL": prefect_api, "PYTHONPATH": f"{site}{os.pathsep}{REPO}"}
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO, timeout=600)
    assert result.returncode == 1, result.stderr
    rows = {Path(r["source"]).name: r for r in pq.read_table(dest / "manifest.parquet").to_pylist()}
    assert "died 3 times translating it alone" in rows.pop("poison.txt")["error"]
    assert all(r["status"] == "ok" for r in rows.values()) and len(rows) == 6, "no other shard is blamed"
