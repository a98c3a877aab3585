"""The flow against a real `prefect server start` on loopback, as a team with a server runs it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory):
    home = tmp_path_factory.mktemp("prefect-server")
    port = _free_port()
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_UI_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    log = open(home / "server.log", "wb")
    prefect = Path(sys.executable).parent / "prefect"
    proc = subprocess.Popen(
        [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((home / "server.log").read_text()[-3000:])
            time.sleep(0.5)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def test_run_is_recorded_with_its_summary_artifact(prefect_server, tmp_path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("One sentence. Two sentences.\n\nA paragraph.")
    (src / "bad.txt").write_bytes(b"\x00\xff" * 10)
    env = {**os.environ, "PREFECT_API_URL": prefect_server}
    result = subprocess.run(
        [sys.executable, "-m", "babelflow.cli", "translate", str(src), "--to", "de", "--from", "en",
         "--out", str(tmp_path / "out"), "--engine", "pseudo"],
        capture_output=True, text=True, timeout=300, env=env,
    )
    assert result.returncode == 1, result.stderr

    flows = httpx.post(f"{prefect_server}/flows/filter", json={}).json()
    flow_id = next(f["id"] for f in flows if f["name"] == "translate_documents")
    runs = httpx.post(f"{prefect_server}/flow_runs/filter", json={"flows": {"id": {"any_": [flow_id]}}}).json()
    assert [r["state_type"] for r in runs] == ["COMPLETED"]
    tasks = httpx.post(f"{prefect_server}/task_runs/filter",
                       json={"flow_runs": {"id": {"any_": [runs[0]["id"]]}}}).json()
    assert [t["name"].split("-")[0] for t in tasks] == ["translate_shard"], "one task per shard, not per segment"
    artifacts = httpx.post(f"{prefect_server}/artifacts/filter",
                           json={"artifacts": {"key": {"any_": ["translation-summary", "translation-failures"]}}}).json()
    by_key = {a["key"]: json.loads(a["data"]) for a in artifacts}
    summary = by_key["translation-summary"][0]
    assert (summary["documents"], summary["ok"], summary["failed"], summary["segments"]) == (2, 1, 1, 3)
    assert [row["source"].endswith("bad.txt") for row in by_key["translation-failures"]] == [True]
