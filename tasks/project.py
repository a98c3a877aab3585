"""Projection of inline markup onto a translation through a word alignment.

The detag-and-project method of Mozilla's Bergamot translator: sentences are translated without
markup, then each target unit (a word, or a character for exact alignments) takes the markup of the
source unit it is aligned to; units the alignment leaves out take what their neighbours share, so a
span over the whole sentence covers the whole translation and a word is never cut by a tag.
"""

from __future__ import annotations

from babelflow.documents import Alignment, Span


def project(src: str, spans: list[Span], tgt: str, alignment: Alignment) -> tuple[list[Span], int]:
    """Spans over `tgt`, and how many source spans found no place in it."""
    ranged = [s for s in spans if s[1] > s[0]]
    refs_at: list[frozenset[int] | None] = [None] * len(tgt)
    for s0, s1, t0, t1 in alignment:
        refs = frozenset(r for a, b, r in ranged if 2 * (min(b, s1) - max(a, s0)) > s1 - s0)
        for t in range(t0, min(t1, len(tgt))):
            refs_at[t] = refs
    _fill_gaps(refs_at)

    out: list[Span] = []
    placed: set[int] = set()
    for ref in sorted({r for _, _, r in ranged}):
        start = None
        for t, refs in enumerate([*refs_at, frozenset()]):
            if ref in refs and start is None:
                start = t
            elif ref not in refs and start is not None:
                out.append((start, t, ref))
                placed.add(ref)
                start = None
    lost = len({r for _, _, r in ranged} - placed)
    for pos, _, ref in (s for s in spans if s[1] == s[0]):
        at = place_point(pos, len(tgt), alignment)
        out.append((at, at, ref))
    return out, lost


def _fill_gaps(refs_at: list[frozenset[int] | None]) -> None:
    """Unaligned characters take the markup their nearest aligned neighbours share."""
    left: list[frozenset[int] | None] = []
    last = None
    for refs in refs_at:
        last = refs if refs is not None else last
        left.append(last)
    right = None
    for t in range(len(refs_at) - 1, -1, -1):
        if refs_at[t] is not None:
            right = refs_at[t]
            continue
        before = left[t]
        refs_at[t] = (before & right) if before is not None and right is not None else (before or right or frozenset())


def place_point(pos: int, tgt_len: int, alignment: Alignment) -> int:
    """Where a point of the source (an inline object, a placeholder the engine dropped) goes in the
    translation: after the translation of the source unit just before it, or where a point of the
    alignment puts it (an inline object's placeholder, tasks/protect)."""
    anchored = [a[2] for a in alignment if a[0] == a[1] == pos]
    if anchored:
        return min(anchored[0], tgt_len)
    if pos == 0:
        return 0
    before = [a for a in alignment if a[1] <= pos]
    if before:
        end = max(a[1] for a in before)
        return min(max(a[3] for a in before if a[1] == end), tgt_len)
    after = [a for a in alignment if a[0] >= pos]
    if after:
        start = min(a[0] for a in after)
        return min(a[2] for a in after if a[0] == start)
    return 0 if pos == 0 else tgt_len
