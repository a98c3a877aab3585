"""Schedules: `babelflow serve` against a real Prefect server, `babelflow run`, and prefect.yaml."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import yaml

from babelflow.config import load_config_file, validate_config
from conftest import REPO, prefect_call, stop_group



def _wait(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def test_served_config_has_its_cron_and_a_triggered_run_translates_only_new_files(prefect_server, tmp_path) -> None:
    src, out = tmp_path / "incoming", tmp_path / "translated"
    src.mkdir()
    (src / "old.txt").write_text("Already translated yesterday.")
    config = tmp_path / "nightly-docs.yaml"
    config.write_text(f"sources: [{src}]\nto: [fr]\nfrom: en\nout: {out}\nengine: pseudo\nschedule: '15 3 * * *'\n")
    env = {**os.environ, "PREFECT_API_URL": prefect_server}
    first = subprocess.run([sys.executable, "-m", "babelflow.cli", "run", str(config)], env=env, cwd=REPO,
                           capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    (src / "new.txt").write_text("Arrived tonight.")

    back = tmp_path / "nightly-bt.yaml"
    back.write_text(f"flow: back_translate\nsources: [{src}]\nfrom: en\nto: fr\nout: {tmp_path / 'bt'}\n"
                    "schedule: '0 4 * * *'\n")
    server = subprocess.Popen([sys.executable, "-m", "babelflow.cli", "serve", str(config), str(back)], env=env, cwd=REPO,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deployment = _wait(lambda: next((d for d in prefect_call(prefect_server, "POST", "/deployments/filter")
                                         if d["name"] == "nightly-docs"), None), 120, "the deployment")
        assert [s["schedule"]["cron"] for s in deployment["schedules"]] == ["15 3 * * *"]
        bt = _wait(lambda: next((d for d in prefect_call(prefect_server, "POST", "/deployments/filter")
                                 if d["name"] == "nightly-bt"), None), 60, "the back-translation deployment")
        flow = prefect_call(prefect_server, "GET", f"/flows/{bt['flow_id']}")
        assert (flow["name"], [s["schedule"]["cron"] for s in bt["schedules"]]) == ("back_translate", ["0 4 * * *"])
        run = prefect_call(prefect_server, "POST", f"/deployments/{deployment['id']}/create_flow_run",
                   idempotency_key=f"test-{tmp_path.name}")  # a retried create makes one run
        state = _wait(lambda: (r := prefect_call(prefect_server, "GET", f"/flow_runs/{run['id']}"))["state_type"]
                      in ("COMPLETED", "FAILED", "CRASHED") and r["state_type"], 240, "the triggered run")
        assert state == "COMPLETED"
    finally:
        stop_group(server, signal.SIGINT)
    rows = {Path(r["source"]).name: r["status"] for r in pq.read_table(out / "manifest.parquet").to_pylist()}
    assert rows == {"old.txt": "skipped", "new.txt": "ok"}
    assert (out / "fr" / "new.txt").read_text() == "Áŕŕíṽéď ťóñíĝĥť."


def test_serve_needs_a_schedule(cli, tmp_path) -> None:
    config = tmp_path / "adhoc.yaml"
    config.write_text(f"sources: [{tmp_path}]\nto: [fr]\nout: {tmp_path / 'o'}\n")
    code, _, err = cli("serve", config)
    assert code == 2 and "adhoc" in err


def test_prefect_yaml_deployments_are_valid_run_configs() -> None:
    spec = yaml.safe_load((REPO / "prefect.yaml").read_text())
    assert spec["deployments"]
    for deployment in spec["deployments"]:
        module, function = deployment["entrypoint"].split(":")
        config = validate_config(deployment["parameters"]["config"])
        assert (REPO / module).exists() and function == config.flow
        assert deployment["schedules"][0]["cron"]
    shipped = {p.stem: validate_config(load_config_file(str(p))) for p in (REPO / "configs").glob("*.yaml")}
    for deployment in spec["deployments"]:
        assert shipped[deployment["name"]].schedule == deployment["schedules"][0]["cron"]
