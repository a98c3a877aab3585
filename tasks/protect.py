"""Protected text: what a model must copy, never translate (URLs, e-mail addresses, file paths,
@handles, #hashtags, template placeholders, reference marks, inline code), and glossary terms.

The engine sees each protected span as a numbered placeholder `[n]`: digits in brackets, which models
trained on web text copy as they copy Wikipedia's reference marks, and which `pseudo` and every script
leave alone. Every `[n]` already in the text is protected too, so a placeholder never meets its like.
The translation gets each span back byte for byte. A placeholder the engine dropped is put back where
an inline object would go (project.place_point: after what its source neighbour became), a repeated
one removed, and both counted, so nothing is lost or doubled silently. Inline code is no text of the
block (formats keep it as an inline object, tasks/project): its placeholder is written back as nothing
and tells projection where the object goes. A glossary term is protected the same way and written
back as the glossary says for the target (a term is not inflected: the model never saw it), so the
cache keeps the sentence with its placeholders: changing a term's translation retranslates nothing,
adding or removing a term retranslates the sentences that contain it.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import replace

from babelflow.config import PROTECTED
from babelflow.documents import Document, Segment, Translation
from babelflow.tasks.glossary import Glossary, GlossaryError, load_glossary
from babelflow.tasks.project import place_point

_URL_TAIL = r"""(?:[^\s<>"'()]|\([^\s<>"'()]*\))*(?:[^\s<>"'().,;:!?\]}*_]|\([^\s<>"'()]*\))"""  # () in pairs
_PATTERNS: dict[str, str] = {
    "urls": rf"\b(?:https?|ftp)://{_URL_TAIL}|\bwww\.[\w-]+(?:\.[\w-]+)+(?:/{_URL_TAIL})?",
    "emails": r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b",
    "paths": r"(?<![\w/.])(?:~|\.{1,2})?/(?:[\w.-]+/)+[\w.-]*\w|\b[A-Za-z]:\\(?:[\w.-]+\\)*[\w.-]*\w",
    "handles": r"(?<![\w@.])@[A-Za-z_]\w{0,38}\b",
    "hashtags": r"(?<![\w#&])#[^\W\d_]\w*",
    "placeholders": r"\{\{.*?\}\}|\$\{[^{}\s]+\}|\{[A-Za-z_][\w.]*\}|\{\d+\}"
                    r"|%(?:\d+\$)?[-+0#]*\d*(?:\.\d+)?[sdifxXeEgGc](?!\w)|%\([A-Za-z_]\w*\)[sdif]",
}
assert set(_PATTERNS) | {"code"} == set(PROTECTED)
_MARK = r"\[\d+\]"  # always protected: the placeholder's own form
_MAYBE = re.compile(r"[@/\\#{%\[]|www\.")  # a character every kind needs: most sentences have none, found 10x faster
_PLACEHOLDER = re.compile(r"[\[［] ?(\d+) ?[\]］]")  # as an engine may write it back


class Protection:
    """The kinds of text a run protects, and its glossary's terms (protected, then written as the
    glossary says)."""

    def __init__(self, kinds: list[str], glossary: Glossary | None = None) -> None:
        self.kinds = [f"(?:{_PATTERNS[k]})" for k in kinds if k in _PATTERNS]
        self.code = "code" in kinds  # inline objects read as words (Block.words)
        self.glossary = glossary
        # What outputs depend on beside the engine: a run with other kinds or another glossary redoes them.
        self.key = f"protect={','.join(kinds)}" + (f" glossary={glossary.digest}" if glossary else "")
        self._pattern = re.compile("|".join([*self.kinds, _MARK]))

    def find(self, text: str, src_lang: str) -> list[tuple[int, int]]:
        """Where `text` has something to protect: leftmost first, a glossary term before any other kind
        at the same place (a term inside a URL is part of the URL)."""
        terms = self.glossary.find(text, src_lang) if self.glossary else []
        found = sorted([*((start, 0, end) for start, end in terms),
                        *((m.start(), 1, m.end()) for m in self._pattern.finditer(text))])
        out: list[tuple[int, int]] = []
        for start, _, end in found:
            if not out or start >= out[-1][1]:
                out.append((start, end))
        return out

    def protect(self, segments: list[Segment], doc: Document) -> list[Segment]:
        """Each segment with protected spans gets the text its engine sees (`masked`) and the spans (`kept`).
        A match that markup starts or ends inside (a link over half a URL, an image within it) is left to
        the engine: a placeholder is one unit, and the markup could not find its place in it."""
        out = []
        for seg in segments:
            block = doc.blocks[seg.block]
            words = [a - seg.start for a, b, r in block.spans
                     if a == b and r in block.words and seg.start <= a <= seg.end] if self.code else []
            if self.glossary is None and not words and not _MAYBE.search(seg.text):
                out.append(seg)
                continue
            edges = {x - seg.start for a, b, _ in block.spans for x in (a, b) if seg.start < x < seg.end}
            found = [(start, end, seg.text[start:end]) for start, end in self.find(seg.text, seg.src_lang)
                     if not any(start < x < end for x in edges)]
            found = sorted(found + [(x, x, "") for x in words])
            pieces, pos = [], 0
            for n, (start, end, _) in enumerate(found, 1):
                pieces += [seg.text[pos:start], f"[{n}]"]
                pos = end
            masked = "".join(pieces) + seg.text[pos:]
            # a mark left in place ("[<a>1</a>]") would read as a placeholder: then protect nothing here
            unique = found and len(_PLACEHOLDER.findall(masked)) == len(found)
            out.append(replace(seg, masked=masked, kept=tuple(k for _, _, k in found)) if unique else seg)
        return out

    def restore(self, seg: Segment, translation: Translation, tgt: str) -> tuple[Translation, int, list[str]]:
        """The translation with the segment's protected spans back (glossary terms as the glossary says
        for `tgt`), how many placeholders the engine dropped or repeated (each repaired), and the
        glossary terms applied."""
        if not seg.kept:
            return translation, 0, []
        written, hits = [], []
        for text in seg.kept:
            term = self.glossary.target(text, seg.src_lang, tgt) if text and self.glossary else None
            written.append(text if term is None else term)
            if term is not None:
                hits.append(text)
        restored, repaired = _put_back(seg, translation, written)
        return restored, repaired, hits


def run_protection(kinds: list[str], glossary: str | None) -> Protection:
    """A run's protection, its glossary read from a path or URL."""
    if glossary is None:
        return Protection(kinds)
    from babelflow.connectors.sources import open_source

    try:
        with open_source(glossary) as f:
            data = f.read()
    except OSError as exc:
        raise GlossaryError(f"glossary {glossary}: {exc}") from None
    return Protection(kinds, load_glossary(data, glossary))


def _put_back(seg: Segment, translation: Translation, written: list[str]) -> tuple[Translation, int]:
    """Placeholder n of the translation replaced by written[n - 1]; dropped ones added, repeated ones
    removed. An inline object's placeholder becomes an alignment point (pos, pos, t, t): the object goes at t."""
    text = translation.text
    pieces: list[tuple[int, int, str]] = []  # (start, end, what goes there) in the translation
    seen: set[int] = set()
    objects: dict[int, int] = {}  # inline object's placeholder: where the translation has it
    repaired = 0
    for m in _PLACEHOLDER.finditer(text):
        n = int(m.group(1))
        if 1 <= n <= len(written):
            if not seg.kept[n - 1] and n not in seen:
                objects[n] = m.start()
            pieces.append((m.start(), m.end(), "" if n in seen else written[n - 1]))
            repaired += n in seen
            seen.add(n)
    source = [m.span() for m in _PLACEHOLDER.finditer(seg.masked)]
    for n in sorted(set(range(1, len(written) + 1)) - seen):
        at = place_point(source[n - 1][0], len(text), translation.alignment or [])
        pad = "" if not written[n - 1] or at == 0 or text[at - 1].isspace() else " "
        pieces.append((at, at, pad + written[n - 1]))
        repaired += 1
    pieces.sort(key=lambda p: p[:2])
    out, pos = [], 0
    for start, end, new in pieces:
        out += [text[pos:start], new]
        pos = end
    restored = "".join(out) + text[pos:]
    alignment = translation.alignment
    if alignment is not None:
        src = _Shifts([(s, e, len(k)) for (s, e), k in zip(source, seg.kept)])
        tgt = _Shifts([(s, e, len(new)) for s, e, new in pieces])
        alignment = [(src.start(s0), src.end(s1), tgt.start(t0), tgt.end(t1)) for s0, s1, t0, t1 in alignment]
        alignment += [(src.start(source[n - 1][0]),) * 2 + (tgt.start(t),) * 2 for n, t in objects.items()]
    return Translation(restored, alignment), repaired


class _Shifts:
    """Offsets through replacements: (start, end) pieces of the old text, sorted, each now `length`
    long. A point inside a piece goes to the piece's start (a range start) or end (a range end)."""

    def __init__(self, pieces: list[tuple[int, int, int]]) -> None:
        self.starts = [s for s, _, _ in pieces]
        self.pieces = []
        moved = 0
        for s, e, length in pieces:
            self.pieces.append((s, e, s + moved, s + moved + length))
            moved += length - (e - s)

    def _map(self, x: int, end: bool) -> int:
        i = bisect_right(self.starts, x) - 1
        if i < 0:
            return x
        s, e, new_s, new_e = self.pieces[i]
        if x >= e:
            return new_e + x - e
        return new_e if end and x > s else new_s

    def start(self, x: int) -> int:
        return self._map(x, False)

    def end(self, x: int) -> int:
        return self._map(x, True)
