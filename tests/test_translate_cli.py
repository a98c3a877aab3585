"""`babelflow translate` end to end: real files in, documents, segments and manifest out."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

SEGMENT_COLUMNS = {"doc_id", "source", "segment_index", "src_lang", "tgt_lang", "source_text",
                   "translated_text", "engine", "model"}
MANIFEST_COLUMNS = {"source", "tgt_lang", "status", "error", "output", "n_segments", "n_chars", "seconds"}

TEXT_A = (
    "The quick brown fox jumps over the lazy dog. It was a sunny day!\n\n"
    "  Indented paragraph with Dr. Smith.  Two spaces before this one.\r\n"
    "\n\n\n- a list item\n- another item\n\n"
    + " ".join(["the lazy dog was sleeping in the sun while the fox jumped over it again"] * 12)
    + "\n"
)
TEXT_B = "It was a sunny day!\n\nThe quick brown fox jumps over the lazy dog.\n"


def make_sources(root: Path) -> Path:
    (root / "notes").mkdir(parents=True)
    (root / "notes" / "a.txt").write_text(TEXT_A, newline="")
    (root / "b.txt").write_text(TEXT_B)
    table = pa.table({
        "id": [1, 2, 3, 4],
        "text": ["The fox jumps. The dog sleeps.", None, "It was a sunny day!", ""],
        "score": [0.5, 1.5, None, 2.0],
        "tags": [["a"], [], None, ["b", "c"]],
    })
    pq.write_table(table, root / "corpus.parquet")
    with open(root / "rows.jsonl", "w") as f:
        for i, text in enumerate(["The fox jumps.", "The dog sleeps!"]):
            f.write(json.dumps({"id": i, "text": text, "nested": {"k": [i]}}) + "\n")
    (root / "rows.csv").write_text("id,text,note\n007,The fox jumps.,keep me\n2,\"Quoted, with comma.\",x\n")
    return root


def read_segments(dest: Path) -> pa.Table:
    return pq.read_table(dest / "segments")


@pytest.fixture
def sources(tmp_path) -> Path:
    return make_sources(tmp_path / "src")


def test_text_and_corpora_into_two_languages(cli, sources, tmp_path, tiny_model) -> None:
    dest = tmp_path / "out"
    code, out, err = cli("translate", sources, "--to", "fr,de", "--from", "en", "--out", dest, "--model", tiny_model)
    assert code == 0, err
    assert "5 documents x 2 languages: 10 ok, 0 failed" in out

    manifest = pq.read_table(dest / "manifest.parquet")
    assert MANIFEST_COLUMNS <= set(manifest.column_names)
    rows = manifest.to_pylist()
    assert len(rows) == 10 and {r["status"] for r in rows} == {"ok"}
    assert {(Path(r["output"]).relative_to(dest).as_posix()) for r in rows} == {
        f"{lang}/{name}" for lang in ("fr", "de")
        for name in ("notes/a.txt", "b.txt", "corpus.parquet", "rows.jsonl", "rows.csv")
    }

    segments = read_segments(dest)
    assert SEGMENT_COLUMNS <= set(segments.column_names)
    assert set(segments.column("engine").to_pylist()) == {"hf"}
    assert set(segments.column("model").to_pylist()) == {str(tiny_model)}
    by_doc = {}
    for r in rows:
        by_doc.setdefault(r["source"], set()).add(r["n_segments"])
    assert segments.num_rows == 2 * sum(n.pop() for n in by_doc.values())
    seg_rows = segments.to_pylist()
    assert all(r["translated_text"] for r in seg_rows), "the tiny model gives non-empty output"
    same_text = {}
    for r in seg_rows:  # a text seen in several documents was translated once
        same_text.setdefault((r["tgt_lang"], r["source_text"]), set()).add(r["translated_text"])
    assert all(len(v) == 1 for v in same_text.values())

    for lang in ("fr", "de"):
        translated = (dest / lang / "notes" / "a.txt").read_bytes().decode()
        source_sep = re.split(r"\S[^\n]*", TEXT_A)  # paragraph and line structure, whitespace included
        assert re.split(r"\S[^\n]*", translated)[0] == source_sep[0]
        assert translated.count("\n\n") == TEXT_A.count("\n\n") and "\r\n" in translated
        pos = 0
        for r in seg_rows:
            if r["source"].endswith("a.txt") and r["tgt_lang"].startswith(lang):
                pos = translated.index(r["translated_text"], pos)
        original = pq.read_table(sources / "corpus.parquet")
        out_table = pq.read_table(dest / lang / "corpus.parquet")
        assert out_table.column_names == original.column_names + [f"text_{lang}"]
        assert out_table.select(original.column_names).equals(original)
        cells = out_table.column(f"text_{lang}").to_pylist()
        assert cells[1] is None and cells[3] == "" and cells[0] and cells[2]
        lines = [json.loads(line) for line in (dest / lang / "rows.jsonl").read_text().splitlines()]
        assert [line["nested"] for line in lines] == [{"k": [0]}, {"k": [1]}]
        assert all(line[f"text_{lang}"] for line in lines)
        csv_lines = (dest / lang / "rows.csv").read_text().splitlines()
        assert csv_lines[0] == f"id,text,note,text_{lang}"
        assert csv_lines[1].startswith("007,The fox jumps.,keep me,")


def test_long_paragraph_sentence_is_translated_whole(cli, sources, tmp_path, tiny_model) -> None:
    dest = tmp_path / "out"
    code, _, err = cli("translate", sources / "notes", "--to", "fr", "--from", "en", "--out", dest, "--model", tiny_model)
    assert code == 0, err
    longest = max(read_segments(dest).to_pylist(), key=lambda r: len(r["source_text"]))
    assert longest["source_text"] == TEXT_A.strip().splitlines()[-1]
    assert len(longest["translated_text"]) > 200, "every piece of an over-long segment is translated"


def test_unreadable_documents_fail_alone(cli, sources, tmp_path) -> None:
    (sources / "binary.txt").write_bytes(b"\x00\x01\x02PNG\x00" * 100)
    (sources / "broken.parquet").write_bytes(b"PAR1 not really parquet")
    (sources / "slides.key").write_bytes(b"PK\x03\x04")
    (sources / "nocol.jsonl").write_text('{"body": "no text key"}\n')
    dest = tmp_path / "out"
    code, out, err = cli("translate", sources, "--to", "fr,de", "--from", "en", "--out", dest, "--engine", "pseudo")
    assert code == 1
    rows = pq.read_table(dest / "manifest.parquet").to_pylist()
    assert len(rows) == 9 * 2
    failed = {(Path(r["source"]).name, r["tgt_lang"]): r["error"] for r in rows if r["status"] == "error"}
    assert {name for name, _ in failed} == {"binary.txt", "broken.parquet", "slides.key", "nocol.jsonl"}
    assert "binary" in failed[("binary.txt", "fr_XX")]
    assert "Parquet" in failed[("broken.parquet", "de_DE")]
    assert "unsupported format" in failed[("slides.key", "fr_XX")]
    assert "'text'" in failed[("nocol.jsonl", "fr_XX")]
    assert "FAILED" in err and "4 failed" not in out and "8 failed" in out
    assert not (dest / "fr" / "binary.txt").exists()
    assert (dest / "fr" / "b.txt").read_text() != TEXT_B and len((dest / "fr" / "b.txt").read_text()) == len(TEXT_B)


def test_auto_detects_the_source_language_per_document(cli, tmp_path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "en.txt").write_text("The weather is lovely today and we are going to the beach with our friends.")
    french = "Il fait très beau aujourd'hui et nous allons à la plage avec nos amis."
    (src / "fr.txt").write_text(french)
    dest = tmp_path / "out"
    code, _, err = cli("translate", src, "--to", "fr", "--out", dest, "--engine", "pseudo")
    assert code == 0, err
    langs = {Path(r["source"]).name: r["src_lang"] for r in pq.read_table(dest / "manifest.parquet").to_pylist()}
    assert langs == {"en.txt": "en_XX", "fr.txt": "fr_XX"}
    assert (dest / "fr" / "fr.txt").read_text() == french, "a document already in the target language is kept"


def test_identity_round_trip_from_a_config_file(cli, sources, tmp_path) -> None:
    config = tmp_path / "run.yaml"
    config.write_text(f"sources: [{sources}]\nto: [fr]\nfrom: en\nout: out\nengine: identity\n")
    code, _, err = cli("translate", "--config", config)
    assert code == 0, err
    for name in ("notes/a.txt", "b.txt"):
        assert (tmp_path / "out" / "fr" / name).read_bytes() == (sources / name).read_bytes()


def test_config_errors_are_usage_errors(cli, tmp_path) -> None:
    config = tmp_path / "run.yaml"
    config.write_text("sources: [x]\nto: [fr]\nout: out\nengnie: identity\n")
    code, _, err = cli("translate", "--config", config)
    assert code == 2 and "engnie" in err
    code, _, err = cli("translate", tmp_path / "missing", "--to", "fr", "--out", tmp_path / "o", "--engine", "identity")
    assert code == 2 and "no such file" in err


def test_missing_model_fails_fast_and_says_what_to_do(cli, sources, tmp_path) -> None:
    start = time.monotonic()
    code, _, err = cli("translate", sources, "--to", "fr", "--out", tmp_path / "o", "--model", tmp_path / "nowhere")
    assert code == 2 and "nowhere" in err and "does not exist" in err
    code, _, err = cli("translate", sources, "--to", "fr", "--out", tmp_path / "o", "--model", "acme/no-such-model")
    assert code == 2 and "acme/no-such-model" in err and "--model DIR" in err
    assert time.monotonic() - start < 10
    assert not (tmp_path / "o").exists()


def test_unreachable_hub_fails_fast(cli_process, sources, tmp_path) -> None:
    start = time.monotonic()
    result = cli_process("translate", sources, "--to", "fr", "--out", tmp_path / "o", "--model", "acme/no-such-model",
                         HF_HUB_OFFLINE="0", HF_ENDPOINT="http://127.0.0.1:9")
    assert result.returncode == 2, result.stderr
    assert "acme/no-such-model" in result.stderr and "could not be downloaded" in result.stderr
    assert time.monotonic() - start < 30


def test_two_worker_processes_give_identical_outputs(cli, cli_process, sources, tmp_path, tiny_model) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    args = ["translate", sources, "--to", "fr,de", "--from", "en", "--model", tiny_model]
    code, _, err = cli(*args, "--out", one, "--workers", "1")
    assert code == 0, err
    result = cli_process(*args, "--out", two, "--workers", "2")
    assert result.returncode == 0, result.stderr
    for path in sorted(p for p in one.rglob("*") if p.is_file() and p.suffix != ".parquet"):
        assert (two / path.relative_to(one)).read_bytes() == path.read_bytes(), path
    assert read_segments(one).equals(read_segments(two))
    for lang in ("fr", "de"):
        assert pq.read_table(one / lang / "corpus.parquet").equals(pq.read_table(two / lang / "corpus.parquet"))


def test_rerun_is_answered_by_the_cache(cli, sources, tmp_path, tiny_model) -> None:
    dest = tmp_path / "out"
    args = ["translate", sources, "--to", "fr", "--from", "en", "--out", dest, "--model", tiny_model]
    code, first, err = cli(*args)
    assert code == 0, err
    before = {p: p.read_bytes() for p in (dest / "fr").rglob("*") if p.is_file()}
    (sources / "new.txt").write_text("A brand new sentence about the fox.")
    code, second, err = cli(*args, "--force")
    assert code == 0, err
    assert " 1 unique texts translated," in second, "only the new sentence goes to the model"
    assert all(p.read_bytes() == data for p, data in before.items() if p.suffix != ".parquet")
    rows = {Path(r["source"]).name: r for r in pq.read_table(dest / "manifest.parquet").to_pylist()}
    assert rows["new.txt"]["n_cached"] == 0
    assert all(r["n_cached"] == r["n_segments"] > 0 for name, r in rows.items() if name != "new.txt")


def test_incremental_runs_translate_only_what_changed(cli, sources, tmp_path) -> None:
    dest = tmp_path / "out"
    args = ["translate", sources, "--to", "fr,de", "--from", "en", "--out", dest, "--engine", "pseudo"]
    assert cli(*args)[0] == 0
    segments_before = read_segments(dest).num_rows
    (sources / "b.txt").write_text("Changed text.\n")
    (sources / "rows.csv").unlink()
    (sources / "added.txt").write_text("Added today.")
    code, out, err = cli(*args)
    assert code == 0, err
    status = {(Path(r["source"]).name, r["tgt_lang"]): r["status"] for r in pq.read_table(dest / "manifest.parquet").to_pylist()}
    assert {k for k, v in status.items() if v == "ok"} == {(n, t) for n in ("b.txt", "added.txt") for t in ("fr_XX", "de_DE")}
    assert {k[0] for k, v in status.items() if v == "skipped"} == {"a.txt", "corpus.parquet", "rows.jsonl"}
    assert "GONE" in err and "rows.csv" in err and "2 unchanged" not in out and "6 unchanged" in out
    assert (dest / "fr" / "rows.csv").exists(), "nothing is deleted without --prune"
    segments = read_segments(dest)
    assert {Path(s).name for s in segments.column("source").to_pylist()} == {
        "a.txt", "b.txt", "corpus.parquet", "rows.jsonl", "rows.csv", "added.txt"}
    assert segments.num_rows == segments_before - 2 * 2 + 2 * 2, "b.txt's two rows per language replaced by one"

    code, out, err = cli(*args, "--prune")
    assert code == 0 and "PRUNED" in err and not (dest / "fr" / "rows.csv").exists()
    assert "rows.csv" not in {Path(s).name for s in read_segments(dest).column("source").to_pylist()}
    code, out, _ = cli(*args)
    assert "GONE" not in out and "10 unchanged" in out


def test_large_corpora_stream_through_in_parts(cli, tmp_path) -> None:
    from babelflow.tasks.formats.table import ROWS

    rows = 2 * ROWS + 123
    src = tmp_path / "src"
    src.mkdir()
    texts = [f"Row number {i} is here." if i % 1000 else None for i in range(rows)]
    pq.write_table(pa.table({"id": list(range(rows)), "text": texts}), src / "big.parquet")
    with open(src / "big.jsonl", "w") as f:
        for i in range(rows):
            f.write(json.dumps({"id": i, "text": f"Line {i % 5000}."}) + "\n")
    dest = tmp_path / "out"
    code, out, err = cli("translate", src, "--to", "de", "--from", "en", "--out", dest, "--engine", "pseudo")
    assert code == 0, err
    table = pq.read_table(dest / "de" / "big.parquet")
    assert table.num_rows == rows and table.column("id").to_pylist() == list(range(rows))
    got = table.column("text_de").to_pylist()
    assert [g is None for g in got] == [t is None for t in texts]
    assert got[ROWS + 1] == "Ŕóŵ ñúɱƀéŕ {} íš ĥéŕé.".format(ROWS + 1)
    lines = (dest / "de" / "big.jsonl").read_text().splitlines()
    assert len(lines) == rows and json.loads(lines[-1])["id"] == rows - 1
    manifest = {Path(r["source"]).name: r for r in pq.read_table(dest / "manifest.parquet").to_pylist()}
    assert manifest["big.parquet"]["n_segments"] == rows - len(range(0, rows, 1000))
    segments = pq.read_table(dest / "segments", columns=["source", "block_index", "segment_index"]).to_pylist()
    parquet_blocks = [r["block_index"] for r in segments if r["source"].endswith("big.parquet")]
    assert parquet_blocks == [i for i in range(rows) if i % 1000]
    unique = sum(t is not None for t in texts) + 5000
    assert f" {unique} unique texts translated" in out, "a text repeated across parts is translated once"


def test_a_corpus_that_breaks_midway_fails_whole(cli, tmp_path) -> None:
    from babelflow.tasks.formats.table import ROWS

    src = tmp_path / "src"
    src.mkdir()
    lines = [json.dumps({"text": f"Line {i}."}) for i in range(ROWS + 10)] + ["{not json"]
    (src / "broken.jsonl").write_text("\n".join(lines) + "\n")
    (src / "fine.txt").write_text("Fine.")
    dest = tmp_path / "out"
    code, _, _ = cli("translate", src, "--to", "de", "--from", "en", "--out", dest, "--engine", "identity")
    assert code == 1
    rows = {Path(r["source"]).name: r for r in pq.read_table(dest / "manifest.parquet").to_pylist()}
    assert rows["broken.jsonl"]["status"] == "error" and f"line {ROWS + 11}" in rows["broken.jsonl"]["error"]
    assert not (dest / "de" / "broken.jsonl").exists(), "no partial output that looks complete"
    assert not [p for p in (dest / "de").iterdir() if p.name.endswith(".tmp")]
    assert rows["fine.txt"]["status"] == "ok"


def test_prune_keeps_outputs_a_moved_source_folder_wrote_again(cli, tmp_path) -> None:
    old = tmp_path / "old" / "docs"
    old.mkdir(parents=True)
    (old / "a.txt").write_text("Moved, not gone.")
    dest = tmp_path / "out"
    assert cli("translate", old, "--to", "fr", "--from", "en", "--out", dest, "--engine", "identity")[0] == 0
    new = tmp_path / "new" / "docs"
    new.parent.mkdir()
    old.rename(new)
    code, out, err = cli("translate", new, "--to", "fr", "--from", "en", "--out", dest, "--engine", "identity", "--prune")
    assert code == 0, err
    assert "PRUNED" in err and (dest / "fr" / "a.txt").read_text() == "Moved, not gone."


def test_segments_a_killed_close_left_twice_come_back_once(cli, tmp_path) -> None:
    """A run killed inside the segments writer's close leaves copies of carried rows beside the originals."""
    import shutil

    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("One sentence. Two sentences.")
    (src / "b.txt").write_text("Three.")
    dest = tmp_path / "out"
    args = ["translate", src, "--to", "fr", "--from", "en", "--out", dest, "--engine", "identity"]
    assert cli(*args)[0] == 0
    before = sorted(map(str, pq.read_table(dest / "segments").to_pylist()))
    part = next((dest / "segments").glob("part-*.parquet"))
    shutil.copy(part, part.with_name("part-0123456789ab-00000.parquet"))
    assert cli(*args)[0] == 0
    assert sorted(map(str, pq.read_table(dest / "segments").to_pylist())) == before
