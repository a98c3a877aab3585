"""Session-wide set-up: offline hub, a throwaway Prefect home and server, the tiny model."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

_HOME = tempfile.mkdtemp(prefix="babelflow-tests-")
os.environ.update(
    HF_HUB_OFFLINE="1",
    HF_HOME=os.path.join(_HOME, "hf"),
    PREFECT_HOME=os.path.join(_HOME, "prefect"),
    PREFECT_SERVER_ANALYTICS_ENABLED="false",
    DO_NOT_TRACK="1",
    PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="120",
    PREFECT_LOGGING_LEVEL="WARNING",
    TOKENIZERS_PARALLELISM="false",
)

import pytest  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))

from tiny_model import build_tiny_model  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"


@pytest.fixture(scope="session", autouse=True)
def prefect_api() -> str:
    """One temporary Prefect server for the whole session; subprocesses get its URL."""
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield PREFECT_API_URL.value()


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny-mbart"))


@pytest.fixture
def cli(capsys):
    """Run `babelflow ARGS` in this process; returns (exit code, stdout, stderr)."""
    from babelflow.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def cli_process(prefect_api):
    """Run `babelflow ARGS` as a separate process against the session's Prefect server."""

    def run(*args: str, timeout: float = 300, **env: str) -> subprocess.CompletedProcess:
        environ = {**os.environ, "PREFECT_API_URL": prefect_api, **env}
        return subprocess.run(
            [sys.executable, "-m", "babelflow.cli", *map(str, args)],
            capture_output=True, text=True, timeout=timeout, env=environ, cwd=REPO,
        )

    return run
