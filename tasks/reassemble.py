"""Translated segments back into blocks, keeping every character between sentences."""

from __future__ import annotations

from itertools import groupby

from babelflow.documents import Document, Segment
from tasks.segment import join_segments


def reassemble(doc: Document, segments: list[Segment], translations: list[str]) -> list[str | None]:
    """One text per block (None where the block is not translatable)."""
    out: list[str | None] = [b.text if b.translatable else None for b in doc.blocks]
    pairs = zip(segments, translations, strict=True)
    for index, group in groupby(pairs, key=lambda p: p[0].block):
        items = list(group)
        spans = [(s.start, s.end) for s, _ in items]
        out[index] = join_segments(doc.blocks[index].text, spans, [t for _, t in items])
    return out
