"""Word units for alignments: what markup attaches to and what a tag may never cut."""

from __future__ import annotations

import re

from babelflow.documents import Alignment

# Ideographs and kana are one unit each (those scripts put no spaces between words); elsewhere a
# word is a run of letters and digits, and each punctuation mark is its own unit.
_UNITS = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[^\W\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[^\w\s]")


def word_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _UNITS.finditer(text)]


def monotone_alignment(source: str, target: str) -> Alignment:
    """Word i of the target to the word at the same relative position in the source."""
    src, tgt = word_spans(source), word_spans(target)
    if not src:
        return []
    return [(*src[min(len(src) - 1, i * len(src) // len(tgt))], t0, t1) for i, (t0, t1) in enumerate(tgt)]


def align_from_attention(source: str, target: str, src_offsets, tgt_offsets, attention) -> Alignment:
    """Each target word aligns to the source word its tokens attend to most (special tokens excluded).

    `attention[t][s]`: weight of source token s for target token t, offsets as the tokenizer gives them.
    """
    src_words, tgt_words = word_spans(source), word_spans(target)
    if not src_words or not tgt_words:
        return []
    src_word_of = [_word_of(span, src_words) for span in src_offsets]
    weights = [[0.0] * len(src_words) for _ in tgt_words]
    for t, span in enumerate(tgt_offsets):
        w = _word_of(span, tgt_words)
        if w is None:
            continue
        for s, sw in enumerate(src_word_of):
            if sw is not None:
                weights[w][sw] += float(attention[t][s])
    out: Alignment = []
    for w, (t0, t1) in enumerate(tgt_words):
        if any(weights[w]):
            best = max(range(len(src_words)), key=weights[w].__getitem__)
            out.append((*src_words[best], t0, t1))
    return out


def _word_of(span: tuple[int, int], words: list[tuple[int, int]]) -> int | None:
    """The word a token's characters overlap most; None for special tokens and bare spaces."""
    a, b = span
    best, overlap = None, 0
    for index, (w0, w1) in enumerate(words):
        if w0 >= b:
            break
        size = min(b, w1) - max(a, w0)
        if size > overlap:
            best, overlap = index, size
    return best
