"""Engines through their public interface, with the tiny random model."""

from __future__ import annotations

import random
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from babelflow.tasks.engines import EngineSpec, load_engine
from babelflow.tasks.engines.words import word_spans


def _sentences(n: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    words = "the quick brown fox jumps over lazy dog it was a sunny day".split()
    return [" ".join(rng.choice(words) for _ in range(rng.randint(1, 25))).capitalize() + "." for _ in range(n)]


@pytest.fixture(scope="module")
def mbart(tiny_model):
    return load_engine(EngineSpec("hf", str(tiny_model), max_batch_tokens=256))


def test_batched_equals_one_at_a_time(mbart) -> None:
    texts = _sentences(60)
    batched = [t.text for t in mbart.translate(texts, "en_XX", "fr_XX")]
    single = [mbart.translate([t], "en_XX", "fr_XX")[0].text for t in texts]
    assert batched == single
    assert len(set(batched)) > 40, "the tiny model should give varied output"


def test_translation_is_deterministic_and_depends_on_target(mbart) -> None:
    texts = _sentences(8, seed=2)
    fr = [t.text for t in mbart.translate(texts, "en_XX", "fr_XX")]
    assert fr == [t.text for t in mbart.translate(texts, "en_XX", "fr_XX")]
    assert fr != [t.text for t in mbart.translate(texts, "en_XX", "de_DE")]


def test_long_segment_is_split_not_truncated(mbart) -> None:
    long = " ".join(_sentences(40, seed=3)).replace(".", "")
    assert len(mbart.text.tokenizer(long)["input_ids"]) > 4 * mbart.text.max_input
    pieces = mbart.text.pieces(long)
    assert len(pieces) >= 4
    assert all(len(mbart.text.tokenizer(p, add_special_tokens=False)["input_ids"]) <= mbart.text.max_input for p in pieces)
    assert "".join(pieces).replace(" ", "") == long.replace(" ", ""), "every character is kept"
    whole = mbart.translate([long], "en_XX", "fr_XX")[0].text
    parts = [t.text for t in mbart.translate(pieces, "en_XX", "fr_XX")]
    assert whole == " ".join(p for p in parts if p)


def test_unspaced_target_joins_pieces_without_spaces(mbart) -> None:
    long = " ".join(_sentences(20, seed=4)).replace(".", "")
    pieces = mbart.text.pieces(long)
    parts = [t.text for t in mbart.translate(pieces, "en_XX", "ja_XX")]
    assert mbart.translate([long], "en_XX", "ja_XX")[0].text == "".join(parts)


@given(st.text())
def test_pseudo_keeps_length_and_changes_every_ascii_letter(text: str) -> None:
    out = load_engine(EngineSpec("pseudo")).translate([text], "en_XX", "fr_XX")[0].text
    assert len(out) == len(text)
    for a, b in zip(text, out):
        if a in string.ascii_letters:
            assert b != a and not b.isascii() and b.isalpha()
        else:
            assert b == a


def test_pseudo_letters_are_distinct_and_deterministic() -> None:
    engine = load_engine(EngineSpec("pseudo"))
    out = engine.translate([string.ascii_letters], "en_XX", "de_DE")[0].text
    assert len(set(out)) == 52
    assert out == engine.translate([string.ascii_letters], "fr_XX", "ja_XX")[0].text


def test_identity_returns_input() -> None:
    texts = ["Hello.", "", "  x  "]
    assert [t.text for t in load_engine(EngineSpec("identity")).translate(texts, "en_XX", "fr_XX")] == texts


def test_mbart_alignment_covers_every_target_word_and_is_batch_independent(mbart) -> None:
    sources = _sentences(12, seed=5) + ["今天天气很好！"]
    targets = [t.text for t in mbart.translate(sources, "en_XX", "fr_XX")]
    batched = mbart.align(sources, targets, "en_XX", "fr_XX")
    assert batched == [mbart.align([s], [t], "en_XX", "fr_XX")[0] for s, t in zip(sources, targets)]
    for source, target, alignment in zip(sources, targets, batched):
        assert [(t0, t1) for *_, t0, t1 in alignment] == word_spans(target)
        assert all((s0, s1) in word_spans(source) for s0, s1, *_ in alignment)
    assert mbart.model.config._attn_implementation == "sdpa", "generation goes back to the fast attention"


def test_mbart_alignment_of_an_over_long_segment_is_monotone(mbart) -> None:
    long = " ".join(_sentences(30, seed=6))
    target = mbart.translate([long], "en_XX", "fr_XX")[0].text
    alignment = mbart.align([long], [target], "en_XX", "fr_XX")[0]
    starts = [s0 for s0, *_ in alignment]
    assert starts == sorted(starts) and len(alignment) == len(word_spans(target))


@pytest.fixture(scope="module")
def ct2(tiny_model):
    return load_engine(EngineSpec("ct2", str(tiny_model), max_batch_tokens=256))


def test_ct2_is_converted_once_beside_the_model(ct2, tiny_model) -> None:
    converted = tiny_model.parent / f"{tiny_model.name}.ct2-int8"
    stamp = (converted / "model.bin").stat().st_mtime_ns
    load_engine(EngineSpec("ct2", str(tiny_model), max_batch_tokens=512))
    assert (converted / "model.bin").stat().st_mtime_ns == stamp


def test_ct2_batched_equals_one_at_a_time_and_splits_long_segments(ct2) -> None:
    texts = _sentences(40, seed=7)
    batched = [t.text for t in ct2.translate(texts, "en_XX", "de_DE")]
    assert batched == [ct2.translate([t], "en_XX", "de_DE")[0].text for t in texts]
    long = " ".join(_sentences(30, seed=8)).replace(".", "")
    pieces = ct2.text.pieces(long)
    assert len(pieces) > 2
    assert ct2.translate([long], "en_XX", "de_DE")[0].text == " ".join(
        p for p in (t.text for t in ct2.translate(pieces, "en_XX", "de_DE")) if p)


def test_ct2_alignment_covers_every_target_word(ct2) -> None:
    sources = _sentences(6, seed=9)
    targets = [t.text for t in ct2.translate(sources, "en_XX", "fr_XX")]
    for source, target, alignment in zip(sources, targets, ct2.align(sources, targets, "en_XX", "fr_XX")):
        assert [(t0, t1) for *_, t0, t1 in alignment] == word_spans(target)
        assert all((s0, s1) in word_spans(source) for s0, s1, *_ in alignment)
