"""Translated segments back into blocks: the text between sentences kept, inline markup projected."""

from __future__ import annotations

from itertools import groupby

from babelflow.documents import Alignment, Block, Document, Segment, Translation, exact_alignment
from babelflow.tasks.project import project


def reassemble(doc: Document, segments: list[Segment], translations: list[Translation]) -> tuple[list[Block | None], int]:
    """One translated block per block (None where not translatable), and the number of spans lost."""
    out: list[Block | None] = [None] * len(doc.blocks)
    lost = 0
    by_block = {i: list(g) for i, g in groupby(zip(segments, translations, strict=True), key=lambda p: p[0].block)}
    for index, block in enumerate(doc.blocks):
        if not block.translatable:
            continue
        parts: list[str] = []
        alignment: Alignment = []
        pos = size = 0
        for seg, tr in [*by_block.get(index, []), (None, None)]:
            gap = block.text[pos : seg.start if seg else len(block.text)]
            if block.spans:
                alignment += exact_alignment(len(gap), pos, size)
            parts.append(gap)
            size += len(gap)
            if seg is None:
                break
            if block.spans and tr.alignment:
                alignment += [(seg.start + s0, seg.start + s1, size + t0, size + t1) for s0, s1, t0, t1 in tr.alignment]
            elif block.spans and tr.text:  # no markup touches it: one unit, so it takes none from its neighbours
                alignment.append((seg.start, seg.end, size, size + len(tr.text)))
            parts.append(tr.text)
            size += len(tr.text)
            pos = seg.end
        text = "".join(parts)
        spans, n_lost = project(block.text, block.spans, text, alignment) if block.spans else ([], 0)
        out[index] = Block(text, spans)
        lost += n_lost
    return out, lost
