"""Word units for alignments: what markup attaches to and what a tag may never cut."""

from __future__ import annotations

import re

from tasks.project import Alignment

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
