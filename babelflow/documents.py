"""Core types that travel between stages. No Prefect, no torch."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


# (start, end, ref): the markup the format numbered `ref` covers text[start:end]. Formats number refs
# in document order, an element before its descendants, so sorting the refs that cover a character
# gives its markup from outermost to innermost. start == end marks an inline object that has no text
# of its own (an image, a line break, a field, inline code kept verbatim), anchored at that point.
Span = tuple[int, int, int]


@dataclass
class Block:
    """A run of text a reader sees as continuous: a paragraph, a heading, a cell, an attribute value."""

    text: str
    spans: list[Span] = field(default_factory=list)
    translatable: bool = True
    lang: str | None = None  # source language of this block when it differs per block (corpus rows)
    # Refs of inline objects read as words of the sentence (inline code, an autolink): the engine sees
    # a placeholder in their place (tasks/protect), not a hole that costs it the sentence's grammar.
    words: frozenset[int] = frozenset()


@dataclass
class Document:
    source: str  # URL or path as listed by the connector
    relpath: str  # path under DEST/<lang>/
    format: str
    blocks: list[Block]
    skeleton: Any = None  # whatever the format needs to render back
    src_lang: str | None = None
    src_lang_by: str | None = None  # how src_lang was decided: given, detected, fallback, none (no letters), mixed
    doc_id: str = ""
    first_block: int = 0  # a corpus is read in parts: where this part starts in the whole document


@dataclass(frozen=True, slots=True)
class Segment:
    """A sentence of a block, by character offsets into `block.text`."""

    block: int
    start: int
    end: int
    text: str
    src_lang: str
    marked: bool = False  # carries inline markup, so its translation needs a word alignment
    masked: str = ""  # the text its engine sees when it has protected spans (tasks/protect), else ""
    kept: tuple[str, ...] = ()  # those spans, placeholder n standing for kept[n - 1] ("" for an inline object)

    @property
    def source(self) -> str:
        """What the engine translates: the text, protected spans as placeholders."""
        return self.masked or self.text


Alignment = list[tuple[int, int, int, int]]  # (source start, source end, target start, target end)


def exact_alignment(length: int, offset_src: int = 0, offset_tgt: int = 0) -> Alignment:
    """Character-for-character alignment of two texts of the same length."""
    return [(offset_src + i, offset_src + i + 1, offset_tgt + i, offset_tgt + i + 1) for i in range(length)]


def has_letters(text: str) -> bool:
    """Text with no letter (numbers, punctuation, symbols) is in no language: nothing to detect or translate."""
    return any(c.isalpha() for c in text)


def join_segments(text: str, spans: list[tuple[int, int]], replacements: list[str]) -> str:
    """Put `replacements` in place of `spans`, keeping every character between them: why segments
    own no whitespace, and joining is exact."""
    out: list[str] = []
    pos = 0
    for (start, end), new in zip(spans, replacements, strict=True):
        out.append(text[pos:start])
        out.append(new)
        pos = end
    out.append(text[pos:])
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Translation:
    text: str
    # (source start, source end, target start, target end) character ranges; computed only for
    # segments whose markup must be projected.
    alignment: tuple[tuple[int, int, int, int], ...] | None = None
    score: float | None = None  # mean token log-probability, when the engine was asked for it


@dataclass
class DocumentError(Exception):
    """A problem with one document; the run goes on without it."""

    message: str

    def __str__(self) -> str:
        return self.message


def describe(exc: BaseException) -> str:
    """What went wrong with a document, for its manifest row: our messages as they are, others named."""
    if isinstance(exc, DocumentError):
        return exc.message
    if isinstance(exc, RecursionError):
        return "nested too deeply to process (deeper than Python's recursion limit)"
    if isinstance(exc, MemoryError):
        return "out of memory while processing this document"
    return f"{type(exc).__name__}: {exc}"


@dataclass
class Shard:
    """Unique texts of one language pair, sorted by length: the unit of work a worker pulls."""

    index: int
    src: str
    tgt: str
    texts: list[str] = field(default_factory=list)
    aligned: list[bool] = field(default_factory=list)  # per text: compute a word alignment
    n_tokens: int = 0
