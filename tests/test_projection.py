"""Inline markup follows its words through reordering translations (the reassemble stage)."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import pyarrow.parquet as pq
import pytest

from babelflow.documents import Alignment, Block, Document, Translation
from babelflow.tasks.engines import ENGINES, EngineSpec, load_engine, register
from babelflow.tasks.engines.words import word_spans
from babelflow.tasks.reassemble import reassemble
from babelflow.tasks.segment import segment_document


class ReverseEngine:
    """Test-only: reverses the order of words, with the alignment that says so."""

    def translate(self, texts: Sequence[str], src: str, tgt: str) -> list[Translation]:
        return [Translation(" ".join(reversed(t.split()))) for t in texts]

    def align(self, sources: Sequence[str], targets: Sequence[str], src: str, tgt: str) -> list[Alignment]:
        out = []
        for source in sources:
            words = [(m, m + len(w)) for m, w in _positions(source)]
            target_pos, alignment = 0, []
            for a, b in reversed(words):
                alignment.append((a, b, target_pos, target_pos + b - a))
                target_pos += b - a + 1
            out.append(alignment)
        return out


def _positions(text: str) -> list[tuple[int, str]]:
    pos, out = 0, []
    for word in text.split():
        pos = text.index(word, pos)
        out.append((pos, word))
        pos += len(word)
    return out


@pytest.fixture
def reverse():
    register("reverse", lambda spec: ReverseEngine())
    yield load_engine(EngineSpec("reverse"))
    del ENGINES["reverse"]


def _translate(block: Block, engine) -> tuple[Block, int]:
    doc = Document("mem://doc", "doc.html", "html", [block], src_lang="en_XX")
    segments = segment_document(doc)
    texts = [s.text for s in segments]
    out = engine.translate(texts, "en_XX", "fr_XX")
    alignments = engine.align(texts, [t.text for t in out], "en_XX", "fr_XX")
    translations = [Translation(t.text, tuple(a) if s.marked else None) for t, a, s in zip(out, alignments, segments)]
    blocks, lost = reassemble(doc, segments, translations)
    return blocks[0], lost


def _marked(block: Block) -> dict[int, list[str]]:
    return {ref: [block.text[a:b] for a, b, r in block.spans if r == ref and b > a] for ref in {r for *_, r in block.spans}}


def test_spans_follow_their_words_when_the_order_changes(reverse) -> None:
    text = "Hello bold world and a link here"
    block = Block(text, [(6, 10, 0), (11, 16, 1), (6, 16, 2), (23, 27, 3)])  # bold, italic, outer, link
    out, lost = _translate(block, reverse)
    assert out.text == "here link a and world bold Hello"
    assert lost == 0
    got = _marked(out)
    assert got[0] == ["bold"] and got[1] == ["world"] and got[3] == ["link"]
    assert got[2] == ["world bold"], "the space between two marked words stays inside their span"


def test_a_span_over_the_whole_sentence_covers_the_whole_translation(reverse) -> None:
    text = "One two three."
    out, _ = _translate(Block(text, [(0, len(text), 7)]), reverse)
    assert out.spans == [(0, len(out.text), 7)]


def test_words_are_never_cut_and_objects_follow_the_word_before_them(reverse) -> None:
    text = "Press enter now"
    block = Block(text, [(6, 8, 1), (11, 11, 9)])  # `en` of `enter` marked; an image right after `enter`
    out, lost = _translate(block, reverse)
    assert out.text == "now enter Press"
    assert 1 not in _marked(out) and lost == 1, "a word takes the markup of most of its characters, or none"
    assert (9, 9, 9) in out.spans


def test_identity_keeps_every_span_exactly_across_sentences() -> None:
    text = "First sentence here.  Second one, bold <b>across</b> both."
    spans = [(6, 30, 0), (0, 5, 1), (40, 40, 2)]
    out, lost = _translate(Block(text, spans), load_engine(EngineSpec("identity")))
    assert (out.text, sorted(out.spans), lost) == (text, sorted(spans), 0)


def test_unplaceable_spans_are_counted(reverse) -> None:
    class Dropper(ReverseEngine):
        def translate(self, texts, src, tgt):
            return [Translation(t.split()[0]) for t in texts]

        def align(self, sources, targets, src, tgt):
            return [[(0, len(t), 0, len(t))] for t in targets]

    _, lost = _translate(Block("Keep drop", [(5, 9, 0)]), Dropper())
    assert lost == 1


def test_words_of_unspaced_scripts_are_characters() -> None:
    assert len(word_spans("今天天气很好！")) == 7
    assert [(a, b) for a, b in word_spans("Hello, world")] == [(0, 5), (5, 6), (7, 12)]


def test_markup_does_not_spread_into_an_unmarked_sentence(reverse) -> None:
    text = "Plain one here. Bold two here."
    out, _ = _translate(Block(text, [(16, 30, 0), (0, 0, 5)]), reverse)
    assert out.text == "here. one Plain here. two Bold"
    assert _marked(out)[0] == ["here. two Bold"]
    assert (0, 0, 5) in out.spans, "an object at the start of the block stays there"


def test_reordered_html_keeps_bold_italic_and_links_on_their_words(reverse, cli, tmp_path) -> None:
    from lxml import html

    src = tmp_path / "src"
    src.mkdir()
    (src / "page.html").write_text(
        '<html><body><p>Start <b>bold</b> then <i>italic</i> and <a href="https://x.test/">link</a> end</p></body></html>')
    code, _, err = cli("translate", src, "--to", "fr", "--from", "en", "--out", tmp_path / "out", "--engine", "reverse")
    assert code == 0, err
    p = html.fromstring((tmp_path / "out" / "fr" / "page.html").read_bytes()).find(".//p")
    assert p.text_content() == "end link and italic then bold Start"
    assert [(e.tag, e.text, e.get("href")) for e in p] == [
        ("a", "link", "https://x.test/"), ("i", "italic", None), ("b", "bold", None)]


def test_tiny_model_translates_formatted_documents_end_to_end(cli, tiny_model, tmp_path) -> None:
    import shutil

    from docx import Document as Docx
    from lxml import html

    from conftest import corpus

    src = tmp_path / "src"
    src.mkdir()
    for name in ("html/links-in-tables.html", "md/readability-README.md", "docx/par-hyperlinks.docx", "docx/fnt-color.docx"):
        shutil.copy(corpus(name), src / Path(name).name)
    code, _, err = cli("translate", src, "--to", "de", "--from", "en", "--out", tmp_path / "out", "--model", tiny_model)
    assert code == 0, err
    rows = pq.read_table(tmp_path / "out" / "manifest.parquet").to_pylist()
    assert {r["status"] for r in rows} == {"ok"} and all(r["n_segments"] > 0 for r in rows)
    out = tmp_path / "out" / "de"
    assert html.fromstring((out / "links-in-tables.html").read_bytes()).get("lang") == "de"
    Docx(str(out / "par-hyperlinks.docx"))
    assert (out / "readability-README.md").read_text() != (src / "readability-README.md").read_text()
