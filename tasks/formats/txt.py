"""Plain text: paragraphs separated by blank lines are blocks (or, for corpora of one sentence per
line, each non-blank line); everything between them is kept."""

from __future__ import annotations

import re

from typing import BinaryIO, Iterator

from babelflow.documents import Block, Document, DocumentError, join_segments
from babelflow.tasks.formats import FormatOptions, Parsed
from babelflow.tasks.formats.encoding import decode_text, encode_text, open_text
from babelflow.tasks.formats.table import ROWS

_PARAGRAPH = re.compile(r"\S(?:.*\S)?(?:\r?\n[ \t]*\S(?:.*\S)?)*")
_LINE = re.compile(r"\S(?:.*\S)?")


def parse(data: bytes, options: FormatOptions) -> Parsed:
    text, bom = decode_text(data)
    spans = [m.span() for m in (_LINE if options.lines else _PARAGRAPH).finditer(text)]
    return Parsed([Block(text[a:b]) for a, b in spans], (text, spans, bom))


def render(doc: Document, blocks: list[Block | None], tgt: str) -> bytes:
    text, spans, bom = doc.skeleton
    texts = [new.text if new is not None else old.text for new, old in zip(blocks, doc.blocks)]
    return encode_text(join_segments(text, spans, texts), bom)


def read_parts(f: BinaryIO, options: FormatOptions) -> Iterator[Parsed]:
    """A corpus of one text per line, streamed in parts of ROWS lines; each part's skeleton is the line
    number of each of its blocks."""
    text, _ = open_text(f)
    blocks: list[Block] = []
    numbers: list[int] = []
    number = 0
    try:
        for number, line in enumerate(text, start=1):
            match = _LINE.search(line)
            if match:
                blocks.append(Block(match.group()))
                numbers.append(number)
            if len(blocks) == ROWS:
                yield Parsed(blocks, numbers)
                blocks, numbers = [], []
    except UnicodeDecodeError as exc:
        raise DocumentError(f"line {number + 1}: not valid text in the file's encoding ({exc.reason})") from exc
    if blocks or not numbers:
        yield Parsed(blocks, numbers)


def records(doc: Document):
    """A corpus read by lines: each row's line number."""
    import pyarrow as pa

    return pa.table({"line": pa.array(doc.skeleton, pa.int64())})
