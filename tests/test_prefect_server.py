"""The flow against a real `prefect server start` on loopback, as a team with a server runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import prefect_call


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

    runs = [r for r in prefect_call(prefect_server, "POST", "/flow_runs/filter")
            if r["parameters"].get("config", {}).get("out") == str(tmp_path / "out")]
    assert [r["state_type"] for r in runs] == ["COMPLETED"]
    run_filter = {"flow_runs": {"id": {"any_": [runs[0]["id"]]}}}
    tasks = prefect_call(prefect_server, "POST", "/task_runs/filter", **run_filter)
    assert [t["name"].split("-")[0] for t in tasks] == ["translate_shard"], "one task per shard, not per segment"
    artifacts = prefect_call(prefect_server, "POST", "/artifacts/filter", artifacts={
        "key": {"any_": ["translation-summary", "translation-failures"]}, "flow_run_id": {"any_": [runs[0]["id"]]}})
    by_key = {a["key"]: json.loads(a["data"]) for a in artifacts}
    summary = by_key["translation-summary"][0]
    assert (summary["documents"], summary["ok"], summary["failed"], summary["segments"]) == (2, 1, 1, 3)
    assert [row["source"].endswith("bad.txt") for row in by_key["translation-failures"]] == [True]
