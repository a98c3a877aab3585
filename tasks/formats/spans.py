"""What renderers of marked-up formats share: cutting a block into pieces of uniform markup, and
walking them through the wrapper elements they go in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator

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


def nest(root: Any, text: str, spans: list[Span], inside: dict[int, tuple[int, ...]],
         chain: Callable[[tuple[int, ...]], tuple[int, ...]],
         open_wrapper: Callable[[Any, int], Any]) -> Iterator[tuple[Any, Piece]]:
    """Each piece with the element it is written in, for XML formats whose inline markup is nested
    wrapper elements (Word runs' hyperlinks and fields, OpenDocument spans and links).

    `chain(refs)` orders a piece's refs as the wrappers nest; `open_wrapper(parent, ref)` appends a copy
    of wrapper `ref` to `parent`. Copies stay open while consecutive pieces share them, so a wrapper is
    split only where the translation splits it. An object at the edge of a wrapper it sat in
    (`inside`: object ref -> wrapper refs) stays inside it.
    """
    stack: list[tuple[int, Any]] = []  # open wrapper copies: (ref, element)
    ranges: dict[int, list[tuple[int, int]]] = {}
    for a, b, ref in spans:
        if b > a:
            ranges.setdefault(ref, []).append((a, b))
    for piece in pieces(text, spans):
        refs = set(piece.refs)
        if piece.atom is not None:
            refs |= {r for r in inside.get(piece.atom, ()) if any(a <= piece.start <= b for a, b in ranges.get(r, ()))}
        wrappers = chain(tuple(sorted(refs)))
        depth = 0
        while depth < min(len(stack), len(wrappers)) and stack[depth][0] == wrappers[depth]:
            depth += 1
        del stack[depth:]
        for ref in wrappers[depth:]:
            stack.append((ref, open_wrapper(stack[-1][1] if stack else root, ref)))
        yield (stack[-1][1] if stack else root), piece
