"""JSON Lines corpora: each object gets `<column>_<lang>`; every other key is kept as it was."""

from __future__ import annotations

import json

from babelflow.documents import Block, Document, DocumentError
from tasks.formats import FormatOptions, Parsed
from tasks.formats.encoding import decode_text, encode_text
from tasks.formats.table import cell_blocks, cell_texts, output_column


def parse(data: bytes, options: FormatOptions) -> Parsed:
    text, bom = decode_text(data)
    column = options.text_column
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DocumentError(f"line {number}: invalid JSON ({exc.msg})") from exc
        if not isinstance(record, dict):
            raise DocumentError(f"line {number}: expected a JSON object, got {type(record).__name__}")
        if column not in record:
            raise DocumentError(f"line {number}: no key {column!r}; use --text-column")
        records.append(record)
    return Parsed(cell_blocks([r[column] for r in records], column), (records, column, bom))


def render(doc: Document, blocks: list[Block | None], tgt: str) -> bytes:
    records, column, bom = doc.skeleton
    name = output_column(column, tgt)
    lines = [json.dumps({**r, name: t}, ensure_ascii=False) for r, t in zip(records, cell_texts(blocks))]
    return encode_text("".join(line + "\n" for line in lines), bom)
