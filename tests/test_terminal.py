"""What a user sees at the terminal: quiet runs, one-sentence usage errors, counts that mean one
thing, pipes closed early, and links that leave the source folder."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import REPO


def _docs(src: Path) -> Path:
    src.mkdir(parents=True, exist_ok=True)
    (src / "a.txt").write_text("The first sentence. The second one.\n\nThe first sentence.")
    (src / "b.md").write_text("# Title\n\nThe second one. A third, **bold** sentence.\n")
    return src


def test_a_run_prints_the_summary_alone_and_verbose_brings_prefect_back(cli_process, tmp_path) -> None:
    src = _docs(tmp_path / "src")
    quiet = cli_process("translate", src, "--to", "fr,de", "--from", "en", "--out", tmp_path / "q", "--engine", "pseudo")
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == "", "no Prefect lines, no task lines, no server URL"
    assert quiet.stdout.count("\n") == 1 and "all accounted for" in quiet.stdout
    verbose = cli_process("translate", src, "--to", "fr", "--from", "en", "--out", tmp_path / "v", "--engine",
                          "pseudo", "-v")
    assert verbose.returncode == 0, verbose.stderr
    assert "translate_shard" in verbose.stderr and "Finished in state Completed" in verbose.stderr


def test_the_summary_names_each_count_and_skipped_rows_claim_none(cli, tmp_path) -> None:
    src = _docs(tmp_path / "src")
    dest = tmp_path / "out"
    code, first, err = cli("translate", src, "--to", "fr,de", "--from", "en", "--out", dest, "--engine", "pseudo")
    assert code == 0, err
    rows = len(pq.read_table(dest / "segments"))
    assert rows == 2 * 6
    assert f"(6 segments, {rows} segment translations written: 8 unique texts translated, 0 from cache," in first
    assert "model loaded in" in first
    (src / "c.txt").write_text("The second one.")
    code, second, err = cli("translate", src, "--to", "fr,de", "--from", "en", "--out", dest, "--engine", "pseudo")
    assert "(1 segments, 2 segment translations written: 0 unique texts translated, 2 from cache," in second
    manifest = {(Path(r["source"]).name, r["tgt_lang"]): r for r in pq.read_table(dest / "manifest.parquet").to_pylist()}
    skipped = manifest[("a.txt", "fr_XX")]
    assert skipped["status"] == "skipped" and skipped["output"]
    assert skipped["n_segments"] is None and skipped["n_chars"] is None and skipped["seconds"] is None
    assert manifest[("c.txt", "de_DE")]["n_segments"] == 1


@pytest.mark.parametrize("args, message", [
    (["translate", "missing-folder", "--to", "fr", "--out", "out"], "missing-folder: no such file or directory"),
    (["translate", ".", "--to", "fr", "--out", "out", "--engine", "nope"], "unknown engine 'nope'"),
    (["translate", ".", "--out", "out"], "no target language: pass --to"),
    (["translate", ".", "--to", "fr"], "no destination: pass --out DEST"),
    (["translate", "--to", "fr", "--out", "out"], "no SOURCE given"),
])
def test_usage_errors_are_one_sentence_before_any_server_starts(tmp_path, args, message) -> None:
    """No Prefect API is configured here, so a server start would show (and take seconds)."""
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "babelflow.cli", *args], capture_output=True, text=True,
                            cwd=tmp_path, env=env, timeout=120)
    assert result.returncode == 2
    assert result.stderr.startswith("babelflow: error: ") and message in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert time.monotonic() - started < 20 and not (tmp_path / "out").exists()


def test_output_into_a_closed_pipe_ends_quietly() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "babelflow.cli", "languages"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=REPO)
    proc.stdout.close()  # as `| head` does once it has its lines
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 141 and err == b""


def test_links_out_of_the_source_folder_are_not_followed(cli, tmp_path) -> None:
    outside = tmp_path / "secret"
    outside.mkdir()
    (outside / "passwd.txt").write_text("root:x:0:0:root:/root:/bin/bash")
    src = _docs(tmp_path / "src")
    (src / "leak.txt").symlink_to(outside / "passwd.txt")
    (src / "inside.txt").symlink_to(src / "a.txt")
    (src / "sub").mkdir()
    (src / "sub" / "d.txt").write_text("In a folder.")
    (src / "alias").symlink_to(src / "sub")
    dest = tmp_path / "out"
    code, out, err = cli("translate", src, "--to", "fr", "--from", "en", "--out", dest, "--engine", "identity")
    assert code == 1
    rows = {Path(r["source"]).name: r for r in pq.read_table(dest / "manifest.parquet").to_pylist()}
    assert rows["leak.txt"]["status"] == "error"
    assert f"a symbolic link to {outside / 'passwd.txt'}, outside the source folder" in rows["leak.txt"]["error"]
    assert rows["inside.txt"]["status"] == "ok", "a link that stays in the folder is followed"
    assert "alias" not in rows and rows["d.txt"]["status"] == "ok", "a linked folder is read where it really is"
    assert not any("root:x" in p.read_text() for p in dest.rglob("*.txt"))
    (src / "a.txt").write_text("Changed since.")
    os.utime(src / "a.txt", (time.time() + 10, time.time() + 10))
    cli("translate", src, "--to", "fr", "--from", "en", "--out", dest, "--engine", "identity")
    rows = {Path(r["source"]).name: r for r in pq.read_table(dest / "manifest.parquet").to_pylist()}
    assert rows["inside.txt"]["status"] == "ok", "a change to a link's target is seen"
    assert (dest / "fr" / "inside.txt").read_text() == "Changed since."
