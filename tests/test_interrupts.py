"""Ctrl-C and SIGTERM through the CLI, as a user and a scheduler send them: to the process, to its
whole process group, and typed in a real terminal; at start-up, while translating and while writing.

Each run starts its own temporary Prefect server (no API is configured), the way a user's first run
does. Every process of a run carries a marker in its environment, so that none left behind goes
unseen: server, workers, converters.
"""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import REPO

INTERRUPTED = "babelflow: interrupted."


def _environment(mark: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    return {**env, "BABELFLOW_TEST_RUN": mark}


def _marked(mark: str) -> list[int]:
    """Processes whose environment carries `mark`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if f"BABELFLOW_TEST_RUN={mark}".encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def _wait_until(condition, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the moment to interrupt never came"
        time.sleep(0.05)


def _corpus(src: Path, docs: int, sentences: int) -> Path:
    src.mkdir()
    for i in range(docs):
        (src / f"doc{i:03d}.txt").write_text(" ".join(
            f"Sentence {j} of document {i} is about the river and the market." for j in range(sentences)))
    return src


class Run:
    """The CLI as a child process, in its own session (as a shell runs a command), or on a terminal."""

    def __init__(self, args: list[str], mark: str, terminal: bool = False) -> None:
        command = [sys.executable, "-m", "babelflow.cli", *args]
        self.output = b""
        if terminal:
            self.pid, self.fd = pty.fork()
            if self.pid == 0:
                os.chdir(REPO)
                os.execve(sys.executable, command, _environment(mark))
            threading.Thread(target=self._drain, daemon=True).start()
        else:
            self.proc = subprocess.Popen(command, cwd=REPO, env=_environment(mark), stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, start_new_session=True)
            self.pid = self.proc.pid

    def _drain(self) -> None:
        while True:
            try:
                data = os.read(self.fd, 4096)
            except OSError:
                return
            if not data:
                return
            self.output += data

    def interrupt(self, how: str) -> None:
        if how == "terminal":
            os.write(self.fd, b"\x03")  # Ctrl-C as typed: the terminal signals its foreground group
        elif how == "group":
            os.killpg(self.pid, signal.SIGINT)
        else:
            os.kill(self.pid, {"process": signal.SIGINT, "sigterm": signal.SIGTERM}[how])

    def wait(self, timeout: float) -> tuple[int, str]:
        if hasattr(self, "proc"):
            out, err = self.proc.communicate(timeout=timeout)
            return self.proc.returncode, err.decode()
        deadline = time.monotonic() + timeout
        while (done := os.waitpid(self.pid, os.WNOHANG))[0] == 0:
            assert time.monotonic() < deadline, "still running"
            time.sleep(0.05)
        time.sleep(0.2)  # the last of the terminal's output
        return os.waitstatus_to_exitcode(done[1]), self.output.decode(errors="replace")


def _cache_parts(dest: Path) -> int:
    return len(list((dest / ".babelflow" / "cache").glob("*/part-*.parquet")))


CASES = [
    # how, engine, moment, workers, and whether the next run is checked to finish the work
    ("group", "pseudo", "start-up", "1", False),
    ("process", "pseudo", "parsing", "1", False),
    ("process", "pseudo", "writing", "1", False),
    ("group", "mbart", "translating", "2", True),
    ("sigterm", "ct2", "translating", "1", True),
    ("terminal", "mbart", "translating", "2", False),
]


@pytest.mark.parametrize("how, engine, moment, workers, resume", CASES, ids=["-".join(c[:4]) for c in CASES])
def test_an_interrupt_ends_the_run_in_seconds_and_the_next_run_finishes_it(
        tiny_model, prefect_api, tmp_path, how, engine, moment, workers, resume) -> None:
    many = engine == "pseudo"  # fast to translate: hundreds of documents make writing take seconds
    src = _corpus(tmp_path / "src", *((1, 150_000) if moment == "parsing" else (300, 80) if many else (8, 40)))
    dest = tmp_path / "out"
    # the model's 320 sentences in several shards: some in flight at the interrupt, few for the next run to finish
    (tmp_path / "run.yaml").write_text("shard_tokens: 1024\n" if not many else "{}\n")
    args = ["translate", str(src), "--to", "fr", "--from", "en", "--out", str(dest), "--engine", engine,
            "--model", str(tiny_model), "--workers", workers, "--config", str(tmp_path / "run.yaml")]
    mark = uuid.uuid4().hex
    run = Run(args, mark, terminal=how == "terminal")
    if moment == "start-up":
        time.sleep(1.5)
    elif moment == "parsing":  # one document of 10 MB: seconds of reading and segmenting, once the run has begun
        _wait_until(lambda: (dest / ".babelflow" / "lock").exists())
        time.sleep(1)
    elif moment == "translating":
        _wait_until(lambda: _cache_parts(dest) >= 1)
    else:
        _wait_until(lambda: any((dest / "fr").glob("doc*")) if (dest / "fr").exists() else False)
    run.interrupt(how)
    interrupted = time.monotonic()
    code, err = run.wait(timeout=60)
    assert time.monotonic() - interrupted < 10
    assert code == 130, err
    lines = [line.removeprefix("^C") for line in err.replace("\r", "\n").splitlines()  # the terminal echoes ^C
             if line.strip() and "translating" not in line]  # nor the progress bar
    assert len(lines) == 1 and lines[0].startswith(INTERRUPTED), err
    assert "run the same command again" in lines[0]
    time.sleep(0.5)
    assert not _marked(mark), "no server, worker or converter is left running"
    assert not (dest / "manifest.parquet").exists()
    if not resume:
        return
    again = subprocess.run([sys.executable, "-m", "babelflow.cli", *args], cwd=REPO, timeout=600, capture_output=True,
                           text=True, env={**_environment(mark), "PREFECT_API_URL": prefect_api})
    assert again.returncode == 0, again.stderr
    rows = pq.read_table(dest / "manifest.parquet").to_pylist()
    assert len(rows) == len(list(src.iterdir())) and {r["status"] for r in rows} == {"ok"}
    assert not _marked(mark)
