"""The Prefect API a command runs against: the one configured (`PREFECT_API_URL`), or a temporary
server of the command's own.

Prefect would start its temporary server in the terminal's process group, so a Ctrl-C killed the
server before the run could report that it was interrupted, and the run then hung on its retries.
This server runs in a session of its own, ends with the command however the command ends (also when
the command is killed), and is stopped only after the run's logs and events have been sent to it.
"""

from __future__ import annotations

import signal
import sys
from contextlib import contextmanager
from typing import Iterator

DRAIN_SECONDS = 2  # at most, for each of logs and events: well inside an interrupted run's grace (cli.py)


@contextmanager
def prefect_api() -> Iterator[None]:
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_API_URL, temporary_settings

    if PREFECT_API_URL.value():
        yield
        return
    server = _server_class(SubprocessASGIServer)()
    SubprocessASGIServer._instances[None] = server  # Prefect's own lookups find it, not a second one
    try:
        server.start()
        with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
            try:
                yield
            finally:
                _drain()
    finally:
        server.stop()


def _server_class(base: type) -> type:
    class TemporaryServer(base):
        def _run_uvicorn_command(self):
            import os
            import subprocess

            import prefect
            from prefect.settings import get_current_settings

            env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1",
                   "PREFECT__SERVER_FINAL": "1", **get_current_settings().to_environment_variables(exclude_unset=True)}
            command = [sys.executable, "-m", "uvicorn", "--app-dir", str(prefect.__module_path__.parent),
                       "--factory", "prefect.server.api.server:create_app", "--host", "127.0.0.1",
                       "--port", str(self.port), "--log-level", "error", "--lifespan", "on"]
            return subprocess.Popen(command, env=env, start_new_session=True, preexec_fn=_end_with_parent)

    return TemporaryServer


def _end_with_parent() -> None:
    """In the server process: SIGTERM when the command that started it dies, even by SIGKILL."""
    if sys.platform == "linux":
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _drain() -> None:
    """Send the logs and events still queued, while the server is there to take them."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        worker.drain_all(timeout=DRAIN_SECONDS)
