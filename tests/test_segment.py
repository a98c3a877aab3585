"""The segmenter the pipeline uses, through its function and through `babelflow segment`."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tasks.segment import join_segments, split_sentences

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


def test_segment_command_is_the_pipeline_segmenter() -> None:
    lines = [json.dumps({"text": CASES[lang][0]}) for lang in ("en", "zh")]
    result = subprocess.run(
        [sys.executable, "-m", "babelflow.cli", "segment", "--lang", "en"],
        input="\n".join(lines) + "\n", capture_output=True, text=True, check=True,
    )
    got = [json.loads(line)["sentences"] for line in result.stdout.splitlines()]
    assert got[0] == CASES["en"][1]
    assert got[1] == [CASES["zh"][0][a:b] for a, b in split_sentences(CASES["zh"][0], "en")]
