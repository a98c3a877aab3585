"""--part I/N: drivers side by side on one destination give what one run gives, and runs without
--part (or with another N) take over what parts wrote."""

from __future__ import annotations

import shutil
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from conftest import REPO, corpus

from babelflow.connectors.sinks import destination_lock
from babelflow.tasks.partition import Layout, part_of

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> Path:
    """Documents of every kind: examples, and real Word, web and Markdown files."""
    root = tmp_path_factory.mktemp("sources")
    shutil.copytree(REPO / "examples" / "docs", root, dirs_exist_ok=True)
    for kind, count in (("docx", 4), ("html", 3), ("md", 3)):
        for path in sorted(corpus(kind).iterdir())[:count]:
            shutil.copy(path, root / path.name)
    return root


def command(src: Path, dest: Path, *extra: str) -> list[str]:
    return ["translate", str(src), "--to", "fr,de", "--from", "en", "--engine", "pseudo", "--out", str(dest), *extra]


def started(src: Path, dest: Path, *extra: str, prefect_api: str) -> subprocess.Popen:
    """A driver of its own, to run beside others."""
    return subprocess.Popen([sys.executable, "-m", "babelflow.cli", *command(src, dest, *extra)],
                            env={**os.environ, "PREFECT_API_URL": prefect_api}, cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen) -> str:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    return out


@pytest.fixture
def translate(cli):
    """Run a translation in this process; its summary line."""
    def run(src: Path, dest: Path, *extra: str) -> str:
        code, out, err = cli(*command(src, dest, *extra))
        assert code == 0, err
        return out

    return run


def outputs(dest: Path) -> dict[str, bytes]:
    return {str(p.relative_to(dest)): p.read_bytes() for p in sorted(dest.glob("[a-z][a-z]/**/*")) if p.is_file()}


def segments(dest: Path) -> list[tuple]:
    rows = ds.dataset(dest / "segments", format="parquet").to_table().to_pylist()
    return sorted(tuple(r.values()) for r in rows)


def manifest(dest: Path) -> list[tuple]:
    """Every manifest file's rows, with outputs relative to DEST, without timings and cache hits: parts
    side by side share one cache, so a sentence two parts' documents share is translated by whichever
    part reaches it first and is a cache hit for the other."""
    rows = []
    for path in sorted(dest.glob("manifest*.parquet")):
        for row in pq.read_table(path).to_pylist():
            row.pop("seconds")
            row.pop("n_cached")
            row["output"] = row["output"] and str(Path(row["output"]).relative_to(dest))
            rows.append(tuple(row.items()))
    return sorted(rows, key=repr)


@pytest.fixture(scope="module")
def whole(sources, tmp_path_factory, prefect_api) -> Path:
    from babelflow.cli import main

    dest = tmp_path_factory.mktemp("whole")
    assert main(command(sources, dest)) == 0
    return dest


def test_parts_side_by_side_give_one_run_and_a_run_without_parts_then_skips_everything(
        sources, whole, tmp_path, prefect_api, translate):
    dest = tmp_path / "parts"
    assert len({part_of(str(p), 2) for p in sources.rglob("*") if p.is_file()}) == 2  # both parts have work
    procs = [started(sources, dest, "--part", f"{i}/2", prefect_api=prefect_api) for i in range(2)]
    said = [finish(p) for p in procs]
    counts = [int(s.split("part ")[1].split(" of ")[0].split(": ")[1]) for s in said]
    assert sum(counts) == len(list(sources.rglob("*.*"))) and min(counts) > 0
    assert sorted(p.name for p in dest.glob("manifest*")) == ["manifest-0-of-2.parquet", "manifest-1-of-2.parquet"]

    assert outputs(dest) == outputs(whole)
    assert segments(dest) == segments(whole)
    assert manifest(dest) == manifest(whole)

    said = translate(sources, dest)
    assert " 0 ok, 0 failed, " in said and "0 segments" in said
    rows = pq.read_table(dest / "manifest.parquet").to_pylist()
    assert rows and {r["status"] for r in rows} == {"skipped"}
    assert [p.name for p in dest.glob("manifest*")] == ["manifest.parquet"]
    assert sorted(p.name for p in (dest / ".babelflow").glob("state*")) == ["state.parquet"]
    assert segments(dest) == segments(whole)
    assert outputs(dest) == outputs(whole)


def test_parts_after_a_run_without_parts_split_what_it_wrote_and_skip_it(sources, whole, tmp_path, translate,
                                                                        prefect_api):
    dest = tmp_path / "dest"
    translate(sources, dest)
    before = segments(dest)
    said = translate(sources, dest, "--part", "2/3")
    assert " 0 ok, 0 failed, " in said
    assert sorted(p.name for p in dest.glob("manifest*")) == [f"manifest-{i}-of-3.parquet" for i in range(3)]
    assert sorted(p.name for p in (dest / ".babelflow").glob("state*")) == [f"state-{i}-of-3.parquet" for i in range(3)]
    assert all("-of-3-" in p.name for p in (dest / "segments").iterdir())
    assert segments(dest) == before
    pairs = [(r[0], r[4]) for r in manifest(whole)]
    assert [(r[0], r[4]) for r in manifest(dest)] == pairs  # the whole run's rows, one file per part

    # A whole run's manifest again, for the first of parts 0 and 1, started side by side, to adopt while the
    # other waits for it
    (dest / "manifest.parquet").write_bytes((whole / "manifest.parquet").read_bytes())
    procs = [started(sources, dest, "--part", f"{i}/3", prefect_api=prefect_api) for i in (0, 1)]
    for proc in procs:
        assert " 0 ok, 0 failed, " in finish(proc)
    assert segments(dest) == before
    rows = manifest(dest)
    assert [(r[0], r[4]) for r in rows] == pairs and {r[5] for r in rows} == {("status", "skipped")}


def test_nightly_parts_translate_what_changed_and_prune_what_disappeared_each_in_its_part(
        sources, tmp_path, translate):
    src, dest = tmp_path / "src", tmp_path / "dest"
    shutil.copytree(sources, src)
    for i in range(2):
        translate(src, dest, "--part", f"{i}/2")
    translated = {row[1] for row in segments(dest)}
    changed = src / "notes.md"
    changed.write_text(changed.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    other_part = [p for p in sorted(src.rglob("*")) if p.is_file() and part_of(str(p), 2) != part_of(str(changed), 2)]
    gone = other_part[0]  # empty only if all 15 sources hash to one part: 1 in 16,384 (the paths are tmp paths)
    assert all((dest / lang / gone.relative_to(src)).exists() for lang in ("fr", "de"))
    gone.unlink()

    said = {i: translate(src, dest, "--part", f"{i}/2", "--prune") for i in range(2)}
    assert " 2 ok, " in said[part_of(str(changed), 2)] and " 0 ok, " in said[part_of(str(gone), 2)]
    rows = ds.dataset(dest / "segments", format="parquet").to_table().to_pylist()
    keys = [(r["source"], r["tgt_lang"], r["segment_index"]) for r in rows]
    assert len(keys) == len(set(keys))  # nothing twice
    assert {r["source"] for r in rows} == translated - {str(gone)}
    assert any(r["source_text"] == "One more line." for r in rows if r["source"] == str(changed))
    assert not any((dest / lang / gone.relative_to(src)).exists() for lang in ("fr", "de"))


def test_changing_the_part_count_and_a_run_killed_while_adopting_keep_every_row_once(sources, tmp_path, translate):
    dest = tmp_path / "dest"
    translate(sources, dest)
    before = segments(dest)
    whole_files = {p: p.read_bytes() for p in [*dest.glob("segments/*"), dest / "manifest.parquet",
                                                dest / ".babelflow" / "state.parquet"]}
    translate(sources, dest, "--part", "1/3")  # parts 0 and 2 of 3 never run: their split files stay
    assert segments(dest) == before
    for path, data in whole_files.items():  # as a run killed after splitting, before removing, leaves them
        path.write_bytes(data)

    for i in range(2):
        said = translate(sources, dest, "--part", f"{i}/2")
        assert " 0 ok, 0 failed, " in said
    assert segments(dest) == before
    assert all("-of-2-" in p.name for p in (dest / "segments").iterdir())
    said = translate(sources, dest)
    assert " 0 ok, 0 failed, " in said and segments(dest) == before


def test_a_moved_folder_keeps_its_outputs_whichever_part_prunes_its_old_name(sources, tmp_path, translate):
    old, new, dest = tmp_path / "old", tmp_path / "new", tmp_path / "dest"
    shutil.copytree(sources, old)
    for i in range(2):
        translate(old, dest, "--part", f"{i}/2")
    written = outputs(dest)
    old.rename(new)
    moved = [p for p in new.rglob("*")
             if p.is_file() and part_of(str(p), 2) != part_of(str(old / p.relative_to(new)), 2)]
    assert moved, "some sources changed part with the move"
    for i in (1, 0):
        translate(new, dest, "--part", f"{i}/2", "--prune")
    assert outputs(dest) == written


def test_parts_on_an_object_store(s3, sources, translate):
    """No locks there: part 0 adopts what a run without --part wrote, then the others find it done."""
    dest = "s3://translated/parts"
    translate(sources, dest)
    before = s3.cat([p for p in s3.find("translated/parts/fr")])
    for i in range(2):
        said = translate(sources, dest, "--part", f"{i}/2")
        assert " 0 ok, 0 failed, " in said
    assert sorted(p.rsplit("/", 1)[1] for p in s3.glob("translated/parts/manifest*")) == [
        "manifest-0-of-2.parquet", "manifest-1-of-2.parquet"]
    assert all("-of-2-" in p for p in s3.find("translated/parts/segments"))
    assert s3.cat(list(before)) == before


def test_runs_that_would_write_the_same_files_are_refused(sources, tmp_path, cli):
    dest = tmp_path / "dest"
    with destination_lock(str(dest), Layout(str(dest), (0, 2))):
        for extra, busy in (((), "another babelflow run is writing"), (("--part", "0/2"), "--part 0/2"),
                            (("--part", "1/3"), "the same part count")):
            code, _, err = cli("translate", sources, "--to", "fr", "--from", "en", "--engine", "pseudo",
                               "--out", dest, *extra)
            assert code == 2 and busy in err, err
        code, out, err = cli("translate", sources, "--to", "fr", "--from", "en", "--engine", "pseudo",
                             "--out", dest, "--part", "1/2")
        assert code == 0, err
        assert "part 1/2:" in out


@pytest.mark.parametrize("part", ["2/2", "1/0", "1/-2", "a/b", "1"])
def test_a_part_that_does_not_exist_is_a_usage_error(part, sources, tmp_path, cli):
    code, _, err = cli("translate", sources, "--to", "fr", "--out", tmp_path / "dest", "--part", part)
    assert code == 2 and "--part" in err, err
