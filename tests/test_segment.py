"""The segmenter the pipeline uses, through its function and through `babelflow segment`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from babelflow.documents import join_segments
from babelflow.tasks.segment import MAX_SEGMENT_CHARS, split_sentences

DATA = Path(__file__).parent / "segmentation"  # where each case comes from: segmentation/README.md

CASES = {
    "en": (
        "Dr. Smith paid $3.50 for it.  He said \"Stop!\" Then he left.\n"
        "The U.S. economy grew 2.5% in Q3. It was e.g. better than expected.",
        ["Dr. Smith paid $3.50 for it.", "He said \"Stop!\"", "Then he left.",
         "The U.S. economy grew 2.5% in Q3.", "It was e.g. better than expected."],
    ),
    "de": (
        "Am 3. Okt. 2020 kam er z. B. an. Dann ging er.  Es kostete 3,50 Euro.",
        ["Am 3. Okt. 2020 kam er z. B. an.", "Dann ging er.", "Es kostete 3,50 Euro."],
    ),
    "fr": (
        "M. Dupont est là. Il a 3,5 ans. « Bonjour ! » dit-il. Et vous ?",
        ["M. Dupont est là.", "Il a 3,5 ans.", "« Bonjour ! » dit-il.", "Et vous ?"],
    ),
    "zh": ("你好。我很好！你呢？好的", ["你好。", "我很好！", "你呢？", "好的"]),
    "ja": ("こんにちは。元気です！本当ですか？はい", ["こんにちは。", "元気です！", "本当ですか？", "はい"]),
    "hi": ("यह एक वाक्य है। यह दूसरा है। क्या यह तीसरा है?", ["यह एक वाक्य है।", "यह दूसरा है।", "क्या यह तीसरा है?"]),
    "ar": ("هل أنت بخير؟ نعم، شكرا. وأنت؟", ["هل أنت بخير؟", "نعم، شكرا.", "وأنت؟"]),
}


@pytest.mark.parametrize("lang", sorted(CASES))
def test_sentences_per_language(lang: str) -> None:
    text, expected = CASES[lang]
    spans = split_sentences(text, lang)
    assert [text[a:b] for a, b in spans] == expected
    assert join_segments(text, spans, [text[a:b] for a, b in spans]) == text


def test_whitespace_between_sentences_stays_with_the_block() -> None:
    text = "  First one.\t Second one.\r\n\r\n   Third one.   "
    spans = split_sentences(text, "en")
    assert [text[a:b] for a, b in spans] == ["First one.", "Second one.", "Third one."]
    assert join_segments(text, spans, ["A", "B", "C"]) == "  A\t B\r\n\r\n   C   "


def test_line_breaks_split_units_but_not_wrapped_sentences() -> None:
    text = "A wrapped sentence\nthat goes on. Next.\n- item one\n- item two\nTitle"
    spans = split_sentences(text, "en")
    assert [text[a:b] for a, b in spans] == [
        "A wrapped sentence\nthat goes on.", "Next.", "- item one", "- item two", "Title"]


@settings(max_examples=300, deadline=None)
@given(st.text(), st.sampled_from(["en", "de", "zh", "ja", "hi", "ar", "ru"]))
def test_any_text_round_trips(text: str, lang: str) -> None:
    spans = split_sentences(text, lang)
    assert all(text[a:b] == text[a:b].strip() and b > a for a, b in spans)
    assert all(b1 <= a2 for (_, b1), (a2, _) in zip(spans, spans[1:]))
    assert join_segments(text, spans, [text[a:b] for a, b in spans]) == text
    bounds = [0, *(x for span in spans for x in span), len(text)]
    gaps = [text[bounds[i] : bounds[i + 1]] for i in range(0, len(bounds), 2)]
    assert all(not gap.strip() for gap in gaps), "only whitespace may fall between segments"


# Golden Rules no rule set passes whole; pySBD fails these too.
KNOWN_FAILURES = {
    # "At 5 a.m. Mr. Smith went" goes on, "at 6 P.M. Mr. Smith then went" ends: the same words either way.
    "pragmatic_segmenter/README.md#en-18",
    # 52 cases run together; "...night in the city. features" needs the line breaks the concatenation lost.
    "pySBD/tests/lang/test_english_clean.py#TESTS_WITH_CLEAN[69]",
    # Arabic split at every comma, and at colons: the UD Arabic paragraphs (PUD) keep "قال ثاقب: ..." whole,
    # and splitting at colons takes their F1 from 0.99 to 0.91.
    "pragmatic_segmenter/README.md#ar-1",
    "pragmatic_segmenter/README.md#ar-4",
    "pragmatic_segmenter/README.md#ar-5",
}
# Boundary F1 on the UD paragraphs (tests/segmentation/ud), at least what each language scored when
# the rules were written (pySBD and spaCy's sentencizer score at most this on each; see the README).
UD_F1 = {"ar": 0.99, "de": 0.96, "en": 0.99, "es": 0.99, "fr": 1.0, "hi": 1.0, "it": 0.98, "ja": 1.0, "ko": 0.99,
         "ru": 1.0, "tr": 0.98, "vi": 0.96, "zh": 0.99}
_WS = re.compile(r"\s+")


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _key(sentences: list[str]) -> list[str]:
    """Sentences without whitespace: the cases expect hard-wrapped lines joined, segments keep them."""
    return [k for k in (_WS.sub("", s) for s in sentences) if k]


def test_golden_rules() -> None:
    cases = _rows(DATA / "golden_rules.jsonl")
    failed = {}
    for case in cases:
        got = [case["text"][a:b] for a, b in split_sentences(case["text"], case["lang"])]
        if _key(got) != _key(case["sentences"]):
            failed[case["id"]] = (case["sentences"], got)
    unexpected = {k: v for k, v in failed.items() if k not in KNOWN_FAILURES}
    assert not unexpected, "\n".join(f"{k}\n  expected {e}\n  got      {g}" for k, (e, g) in unexpected.items())
    assert len(cases) >= 350


def _ends(sentences: list[str]) -> set[int]:
    """Sentence ends but the last, as offsets in the non-whitespace characters of the paragraph."""
    ends, pos = set(), 0
    for k in _key(sentences):
        pos += len(k)
        ends.add(pos)
    return ends - {pos}


@pytest.mark.parametrize("lang", sorted(UD_F1))
def test_universal_dependencies_paragraphs(lang: str) -> None:
    hits = found = gold = 0
    for paragraph in _rows(DATA / "ud" / f"{lang}.jsonl"):
        text = paragraph["text"]
        got, want = _ends([text[a:b] for a, b in split_sentences(text, lang)]), _ends(paragraph["sentences"])
        hits, found, gold = hits + len(got & want), found + len(got), gold + len(want)
    f1 = 2 * hits / (found + gold) if found + gold else 1.0
    assert f1 >= UD_F1[lang]


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(" \n\r\t.!?…。！？:;,-—()[]«»\"'“”‘’•⁃aAbBiIvxU S1290é")), max_size=200),
       st.sampled_from(["en", "de", "ar", "fa", "ja", "uk", "es"]))
def test_punctuation_heavy_text_round_trips(text: str, lang: str) -> None:
    """Every rule's corner (lists, quotes, ellipses, references, glued periods, line breaks) keeps the text."""
    spans = split_sentences(text, lang)
    assert all(0 < b - a <= MAX_SEGMENT_CHARS and text[a:b] == text[a:b].strip() for a, b in spans)
    assert all(b1 <= a2 for (_, b1), (a2, _) in zip(spans, spans[1:]))
    assert join_segments(text, spans, [text[a:b] for a, b in spans]) == text
    covered = "".join(text[a:b] for a, b in spans)
    assert _WS.sub("", covered) == _WS.sub("", text), "no character outside a segment but whitespace"


def test_segment_command_is_the_pipeline_segmenter() -> None:
    lines = [json.dumps({"text": CASES[lang][0]}) for lang in ("en", "zh")]
    result = subprocess.run(
        [sys.executable, "-m", "babelflow.cli", "segment", "--lang", "en"],
        input="\n".join(lines) + "\n", capture_output=True, text=True, check=True,
    )
    got = [json.loads(line)["sentences"] for line in result.stdout.splitlines()]
    assert got[0] == CASES["en"][1]
    assert got[1] == [CASES["zh"][0][a:b] for a, b in split_sentences(CASES["zh"][0], "en")]


def _through_the_pipeline(text: str, engine: str) -> str:
    """Plain text parsed, segmented, translated, reassembled and rendered, as the flow does it."""
    from babelflow.documents import Document
    from babelflow.tasks.detect import assign_languages
    from babelflow.tasks.engines import EngineSpec, load_engine
    from babelflow.tasks.formats import FormatOptions, txt
    from babelflow.tasks.reassemble import reassemble
    from babelflow.tasks.segment import segment_document

    parsed = txt.parse(text.encode("utf-8"), FormatOptions())
    doc = Document("mem://doc.txt", "doc.txt", "txt", parsed.blocks, parsed.skeleton)
    assign_languages(doc, "en_XX")
    segments = segment_document(doc)
    translations = load_engine(EngineSpec(engine)).translate([s.text for s in segments], "en_XX", "fr_XX")
    blocks, lost = reassemble(doc, segments, translations)
    assert lost == 0
    return txt.render(doc, blocks, "fr_XX").decode("utf-8")


# Any text a file can hold: no NUL (that is binary), no lone surrogates (not encodable).
_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=400)
_PROSE = st.lists(st.sampled_from(["Hello there.", "Dr. Who?", " ", "\n", "\n\n", "e.g. this", "Ünïcödé!", "数字。",
                                   "\t", "3.5%", "«Oui»", "\r\n", "-"]), max_size=40).map("".join)


@settings(max_examples=200, deadline=None)
@given(st.one_of(_TEXT, _PROSE))
def test_identity_through_segmentation_and_reassembly_returns_any_text(text: str) -> None:
    assert _through_the_pipeline(text, "identity") == text


@settings(max_examples=200, deadline=None)
@given(st.one_of(_TEXT, _PROSE))
def test_pseudo_through_segmentation_and_reassembly_keeps_length_and_non_letters(text: str) -> None:
    out = _through_the_pipeline(text, "pseudo")
    assert len(out) == len(text)
    for before, after in zip(text, out):
        assert (after != before) if before.isascii() and before.isalpha() else (after == before)
