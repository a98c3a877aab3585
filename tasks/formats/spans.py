"""What renderers of marked-up formats share: cutting a block into pieces of uniform markup."""

from __future__ import annotations

from dataclasses import dataclass

from babelflow.documents import Span


@dataclass(frozen=True)
class Piece:
    """text[start:end] under `refs` (outermost first); an inline object when `atom` is set (start == end)."""

    start: int
    end: int
    refs: tuple[int, ...]
    atom: int | None = None


def pieces(text: str, spans: list[Span]) -> list[Piece]:
    """Maximal pieces of `text` covered by the same refs, with inline objects where they are anchored.

    Spans may overlap in any way and a ref may have several spans (a translation can split a link);
    renderers open and close elements between pieces, so any input renders to well-formed output.
    Objects anchored at the same point keep their order in `spans`; an object sits inside the spans
    that strictly contain its point.
    """
    ranged = [s for s in spans if s[1] > s[0]]
    atoms = [s for s in spans if s[1] == s[0]]
    cuts = sorted({0, len(text), *(s[0] for s in ranged), *(s[1] for s in ranged), *(a[0] for a in atoms)})
    out: list[Piece] = []
    for a, b in zip(cuts, cuts[1:] + [None]):
        for pos, _, ref in atoms:
            if pos == a:
                out.append(Piece(a, a, tuple(sorted({r for s, e, r in ranged if s < a < e})), ref))
        if b is not None and b > a:
            out.append(Piece(a, b, tuple(sorted({r for s, e, r in ranged if s <= a and b <= e}))))
    return out
