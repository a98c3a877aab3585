"""Degenerate translations are flagged, counted, and kept, retried or failed as `--on-suspect` says."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import pyarrow.parquet as pq
import pytest

from babelflow.documents import Alignment, Translation, exact_alignment
from babelflow.tasks.engines import ENGINES, EngineSpec, register
from babelflow.tasks.suspect import suspect


class LoopyEngine:
    """Test-only: loops on sentences with LOOP and says nothing for SILENT, unless it decodes like a
    retry (no repeated n-grams); every call is counted."""

    calls: list[tuple[int, int]] = []

    def __init__(self, spec: EngineSpec) -> None:
        self.spec = spec

    def translate(self, texts: Sequence[str], src: str, tgt: str) -> list[Translation]:
        LoopyEngine.calls.append((self.spec.beams, len(texts)))
        retry = self.spec.no_repeat_ngram > 0
        out = []
        for text in texts:
            if "SILENT" in text:
                out.append(Translation(""))
            elif "LOOP" in text and not retry:
                out.append(Translation("la " * 30))
            else:
                out.append(Translation(text.upper()))
        return out

    def align(self, sources: Sequence[str], targets: Sequence[str], src: str, tgt: str) -> list[Alignment]:
        return [exact_alignment(len(t)) for t in targets]


@pytest.fixture
def loopy(tmp_path):
    register("loopy", LoopyEngine)
    LoopyEngine.calls = []
    src = tmp_path / "src"
    src.mkdir()
    (src / "fine.txt").write_text("A normal sentence here. Another normal one.")
    (src / "loop.txt").write_text("This one will LOOP forever. This one is fine.")
    (src / "silent.txt").write_text("Here the model goes SILENT on us. But not here.")
    yield src
    del ENGINES["loopy"]


def _run(cli, src: Path, dest: Path, *extra: str) -> tuple[int, str, dict[str, dict], list[dict]]:
    code, out, err = cli("translate", src, "--to", "fr", "--from", "en", "--out", dest, "--engine", "loopy", *extra)
    rows = {Path(r["source"]).name: r for r in pq.read_table(dest / "manifest.parquet").to_pylist()}
    segments = pq.read_table(dest / "segments").to_pylist()
    return code, out + err, rows, segments


def test_suspects_are_kept_and_flagged_by_default(cli, loopy, tmp_path) -> None:
    code, out, rows, segments = _run(cli, loopy, tmp_path / "out")
    assert code == 0, out
    assert {name: r["n_suspect"] for name, r in rows.items()} == {"fine.txt": 0, "loop.txt": 1, "silent.txt": 1}
    assert "2 suspect" in out
    flagged = {s["source_text"]: s["suspect"] for s in segments if s["suspect"]}
    assert flagged == {"This one will LOOP forever.": "repeats", "Here the model goes SILENT on us.": "empty"}
    assert "la la la" in (tmp_path / "out" / "fr" / "loop.txt").read_text()


def test_retry_translates_suspects_again_and_caches_the_retries(cli, loopy, tmp_path) -> None:
    dest = tmp_path / "out"
    code, out, rows, segments = _run(cli, loopy, dest, "--on-suspect", "retry")
    assert code == 0, out
    assert {name: r["n_suspect"] for name, r in rows.items()} == {"fine.txt": 0, "loop.txt": 0, "silent.txt": 1}
    assert (dest / "fr" / "loop.txt").read_text() == "THIS ONE WILL LOOP FOREVER. THIS ONE IS FINE."
    assert [beams for beams, _ in LoopyEngine.calls] == [1, 4], "one pass, then one retry pass with beams"
    assert LoopyEngine.calls[1][1] == 2, "only the two suspects are retried"

    LoopyEngine.calls = []
    code, out, rows, _ = _run(cli, loopy, dest, "--on-suspect", "retry", "--force")
    assert code == 0 and LoopyEngine.calls == [], "both passes come from their caches"
    assert (dest / "fr" / "loop.txt").read_text() == "THIS ONE WILL LOOP FOREVER. THIS ONE IS FINE."


def test_fail_fails_only_the_documents_with_suspects(cli, loopy, tmp_path) -> None:
    dest = tmp_path / "out"
    code, out, rows, _ = _run(cli, loopy, dest, "--on-suspect", "fail")
    assert code == 1
    assert rows["fine.txt"]["status"] == "ok" and (dest / "fr" / "fine.txt").exists()
    for name, reason in (("loop.txt", "repeats"), ("silent.txt", "empty")):
        assert rows[name]["status"] == "error" and f"1 suspect translations (first: {reason}" in rows[name]["error"]
        assert not (dest / "fr" / name).exists()


def test_retry_with_the_tiny_model(cli, tmp_path, tiny_model) -> None:
    """The real engine decodes a retry differently (beams, no repeated 3-grams), from the same loaded model."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("The quick brown fox jumps over the lazy dog. It was a sunny day!")
    runs = {}
    for mode in ("keep", "retry"):
        code, out, err = cli("translate", src, "--to", "de", "--from", "en", "--out", tmp_path / mode,
                             "--model", tiny_model, "--on-suspect", mode)
        assert code == 0, err
        runs[mode] = pq.read_table(tmp_path / mode / "segments").to_pylist()
    kept, retried = runs["keep"], runs["retry"]
    assert [s["source_text"] for s in kept] == [s["source_text"] for s in retried]
    assert any(s["suspect"] for s in kept), "random weights loop or run long"
    for k, r in zip(kept, retried):
        if not k["suspect"]:
            assert r["translated_text"] == k["translated_text"]
        elif not r["suspect"]:
            assert r["translated_text"] != k["translated_text"]


@pytest.mark.parametrize("source,translation,src,tgt,reason", [
    ("The cat sat on the mat.", "Le chat était assis sur le tapis.", "en_XX", "fr_XX", None),
    ("The cat sat on the mat.", "", "en_XX", "fr_XX", "empty"),
    ("The cat sat on the mat.", "Le chat le chat le chat le chat le chat.", "en_XX", "fr_XX", "repeats"),
    ("He laughed: ha ha ha ha ha!", "Il a ri : ha ha ha ha ha !", "en_XX", "fr_XX", None),
    ("OK.", "D'accord.", "en_XX", "fr_XX", None),
    ("The meeting will be held at noon in the main hall.", "Non.", "en_XX", "fr_XX", "too short"),
    ("Yes.", "Oui " + "vraiment " * 20, "en_XX", "fr_XX", "too long"),
    ("The meeting will be held at noon in the main hall.", "会议将于中午在主厅举行。", "en_XX", "zh_CN", None),
    ("会议将于中午在主厅举行。", "The meeting will be held at noon in the main hall.", "zh_CN", "en_XX", None),
])
def test_suspect_rules(source: str, translation: str, src: str, tgt: str, reason: str | None) -> None:
    assert suspect(source, translation, src, tgt) == reason
