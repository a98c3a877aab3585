"""Plain text: paragraphs separated by blank lines are blocks; everything between them is kept."""

from __future__ import annotations

import re

from babelflow.documents import Block, Document, join_segments
from babelflow.tasks.formats import FormatOptions, Parsed
from babelflow.tasks.formats.encoding import decode_text, encode_text

_PARAGRAPH = re.compile(r"\S(?:.*\S)?(?:\r?\n[ \t]*\S(?:.*\S)?)*")


def parse(data: bytes, options: FormatOptions) -> Parsed:
    text, bom = decode_text(data)
    spans = [m.span() for m in _PARAGRAPH.finditer(text)]
    return Parsed([Block(text[a:b]) for a, b in spans], (text, spans, bom))


def render(doc: Document, blocks: list[Block | None], tgt: str) -> bytes:
    text, spans, bom = doc.skeleton
    texts = [new.text if new is not None else old.text for new, old in zip(blocks, doc.blocks)]
    return encode_text(join_segments(text, spans, texts), bom)
