"""Core types that travel between stages. No Prefect, no torch."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Block:
    """A run of text a reader sees as continuous: a paragraph, a corpus cell."""

    text: str
    translatable: bool = True
    lang: str | None = None  # source language of this block when it differs per block (corpus rows)


@dataclass
class Document:
    source: str  # URL or path as listed by the connector
    relpath: str  # path under DEST/<lang>/
    format: str
    blocks: list[Block]
    skeleton: Any = None  # whatever the format needs to render back
    src_lang: str | None = None
    doc_id: str = ""

    @staticmethod
    def make_id(source: str, data: bytes) -> str:
        """Stable across runs: the same bytes at the same place get the same id."""
        h = hashlib.sha256(source.encode() + b"\0" + hashlib.sha256(data).digest())
        return h.hexdigest()[:20]


@dataclass(frozen=True)
class Segment:
    """A sentence of a block, by character offsets into `block.text`."""

    block: int
    start: int
    end: int
    text: str
    src_lang: str


@dataclass(frozen=True)
class Translation:
    text: str


@dataclass
class DocumentError(Exception):
    """A problem with one document; the run goes on without it."""

    message: str

    def __str__(self) -> str:
        return self.message


@dataclass
class Shard:
    """Unique texts of one language pair, sorted by length: the unit of work a worker pulls."""

    index: int
    src: str
    tgt: str
    texts: list[str] = field(default_factory=list)
    n_tokens: int = 0
