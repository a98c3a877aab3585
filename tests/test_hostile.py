"""A corpus of bad and hostile files, run through the CLI with good documents beside them: each bad one
gets its own clear error, the good ones are translated, and nothing is written outside DEST."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import corpus

GOOD = {
    "good.txt": "The first sentence. The second one.\n\nAnother paragraph here.\n",
    "good.md": "# Title\n\nSome *emphasis* and `code`.\n",
    "good.html": "<html><body><p>Hello <b>bold</b> world.</p></body></html>",
}


def _write(src: Path) -> dict[str, str]:
    """The hostile files, and the words their error must contain."""
    for name, text in GOOD.items():
        (src / name).write_text(text)
    shutil.copy(corpus("docx", "par-hyperlinks.docx"), src / "good.docx")
    (src / "latin1.txt").write_bytes("Le garçon mangeait déjà à Noël. Où êtes-vous allés ?".encode("cp1252"))
    (src / "utf16.txt").write_bytes("Hello from UTF-16. Every character counts.".encode("utf-16"))
    (src / "nowhitespace.txt").write_bytes(b"x" * 3_000_000)  # a 3 MB line: one "sentence", bounded pieces
    secret = src.parent / "secret.txt"
    secret.write_text("TOP SECRET")
    lol = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    (src / "entities.html").write_text(  # read as HTML: declarations are inert text, nothing is expanded
        f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}"><!ENTITY l0 "lol">{lol}]>'
        "<html><body><p>Leak &x; and laugh &l9; here.</p></body></html>")
    expected = {
        "png.txt": "binary content",
        "page.docx": "not a readable DOCX package",
        "truncated.docx": "not a readable DOCX package",
        "empty.txt": "empty file",
        "empty.html": "empty file",
        "empty.docx": "empty file",
        "huge.txt": "larger than the document size limit",
        "deep.html": "nested too deeply",
        "deep.md": "nested too deeply",
        "notes.pdf": "unsupported format",
        "line\nbreak.txt": "unsafe output name",
        "bell\x07.txt": "unsafe output name",
    }
    (src / "png.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    (src / "page.docx").write_text(GOOD["good.html"])
    docx = (src / "good.docx").read_bytes()
    (src / "truncated.docx").write_bytes(docx[: len(docx) // 2])
    for name in ("empty.txt", "empty.html", "empty.docx"):
        (src / name).write_bytes(b"")
    with open(src / "huge.txt", "wb") as f:  # 50 MB on one line, over the 10 MB limit the test sets
        f.write(b"All work and no play makes Jack a dull boy. " * (50_000_000 // 44))
    (src / "deep.html").write_text("<html><body>" + "<div>" * 10_000 + "<p>Deep.</p>" + "</div>" * 10_000 + "</body></html>")
    (src / "deep.md").write_text("*" * 10_000 + "deep" + "*" * 10_000 + "\n")
    (src / "notes.pdf").write_bytes(b"%PDF-1.7\n")
    for name in ("line\nbreak.txt", "bell\x07.txt"):
        (src / name).write_text("A name nobody should trust.")
    return expected


def test_hostile_corpus_fails_document_by_document(cli, tmp_path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    expected = _write(src)
    before = {p for p in tmp_path.rglob("*")}
    dest = tmp_path / "site" / "out"
    code, out, err = cli("translate", src, "--to", "fr,de", "--from", "en", "--out", dest, "--engine", "identity",
                         "--max-document-size", "10MB")
    assert code == 1, err
    rows = pq.read_table(dest / "manifest.parquet").to_pylist()
    inputs = [p for p in src.iterdir()]
    assert len(rows) == 2 * len(inputs), "every input has a row per target language"
    assert f"{len(inputs)} documents x 2 languages" in out and "accounted for" in out
    errors = {(Path(r["source"]).name, r["tgt_lang"]): r["error"] for r in rows if r["status"] == "error"}
    assert {name for name, _ in errors} == set(expected)
    for (name, _), error in errors.items():
        assert expected[name] in error, (name, error)
    ok = {Path(r["source"]).name for r in rows if r["status"] == "ok"}
    assert ok == {p.name for p in inputs} - set(expected)

    written = {p for p in tmp_path.rglob("*") if p.is_file()} - before
    assert all(p.is_relative_to(dest) for p in written), sorted(map(str, written))
    for lang in ("fr", "de"):
        for name in ("good.txt", "good.md"):
            assert (dest / lang / name).read_text() == GOOD[name], "identity gives the document back"
        assert "<p>Hello <b>bold</b> world.</p>" in (dest / lang / "good.html").read_text()
        assert (dest / lang / "good.docx").exists()
        assert not any((dest / lang / name).exists() for name in expected)
        assert (dest / lang / "latin1.txt").read_text(encoding="utf-8") == (src / "latin1.txt").read_bytes().decode("cp1252")
        assert (dest / lang / "utf16.txt").read_bytes() == "Hello from UTF-16. Every character counts.".encode()
        assert (dest / lang / "nowhitespace.txt").read_bytes() == b"x" * 3_000_000
        assert "Leak" in (dest / lang / "entities.html").read_text()
    everything = b"".join(p.read_bytes() for p in dest.rglob("*") if p.is_file())
    assert b"TOP SECRET" not in everything and b"lollollol" not in everything
    segments = pq.read_table(dest / "segments", columns=["source", "source_text"]).to_pylist()
    pieces = [len(s["source_text"]) for s in segments if s["source"].endswith("nowhitespace.txt")]
    assert sum(pieces) == 2 * 3_000_000 and max(pieces) <= 4096


@pytest.mark.parametrize("encoding,text", [
    ("cp1252", "Le garçon mangeait déjà à Noël. Où êtes-vous allés ?"),
    ("cp1252", "Café déjà vu. Le garçon mange à Noël, où est-il?"),
    ("cp1252", "Não há nada de errado com a situação atual, disse João."),
    ("cp1252", "Perché è così difficile? Però è già tardi, città!"),
    ("cp1250", "Příliš žluťoučký kůň úpěl ďábelské ódy."),
    ("cp1251", "Москва — столица России, крупнейший город страны."),
    ("cp1253", "Η Αθήνα είναι η πρωτεύουσα της Ελλάδας."),
    ("cp1256", "القاهرة هي عاصمة مصر وأكبر مدنها."),
    ("cp1252", "1\n00:00:03,000 --> 00:00:04,000\nLe café est prêt, garçon.\n\n2\n00:00:05,000 --> 00:00:06,000\nÀ bientôt !\n"),
    ("shift_jis", "これは日本語の文章です。東京は大きな都市です。"),
    ("gb18030", "这是一个中文句子。北京是首都。"),
])
def test_short_legacy_encoded_texts_are_read_right(encoding: str, text: str) -> None:
    from babelflow.tasks.formats.encoding import decode_text

    assert decode_text(text.encode(encoding)) == (text, False)
