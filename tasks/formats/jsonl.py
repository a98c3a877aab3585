"""JSON Lines corpora: each object gets `<column>_<lang>`; every other key is kept as it was."""

from __future__ import annotations

import json
from typing import BinaryIO, Iterator

from babelflow.documents import Block, Document, DocumentError
from babelflow.tasks.formats import FormatOptions, Parsed
from babelflow.tasks.formats.encoding import open_text
from babelflow.tasks.formats.table import ROWS, cell_blocks, cell_texts, output_column


def read_parts(f: BinaryIO, options: FormatOptions) -> Iterator[Parsed]:
    text, bom = open_text(f)
    column = options.text_column
    records: list[dict] = []
    first = 0
    number = 0
    try:
        for number, line in enumerate(text, start=1):
            if not line.strip():
                continue
            records.append(_record(line, number, column))
            if len(records) == ROWS:
                yield Parsed(cell_blocks([r[column] for r in records], column, first), (records, column, bom))
                first += len(records)
                records = []
    except UnicodeDecodeError as exc:
        raise DocumentError(f"line {number + 1}: not valid text in the file's encoding ({exc.reason})") from exc
    if records or first == 0:
        yield Parsed(cell_blocks([r[column] for r in records], column, first), (records, column, bom))


def _record(line: str, number: int, column: str) -> dict:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise DocumentError(f"line {number}: invalid JSON ({exc.msg})") from exc
    if not isinstance(record, dict):
        raise DocumentError(f"line {number}: expected a JSON object, got {type(record).__name__}")
    if column not in record:
        raise DocumentError(f"line {number}: no key {column!r}; use --text-column")
    return record


class Writer:
    def __init__(self, f: BinaryIO, tgt: str) -> None:
        self.f = f
        self.tgt = tgt
        self.started = False

    def write(self, doc: Document, blocks: list[Block | None]) -> None:
        records, column, bom = doc.skeleton
        if bom and not self.started:
            self.f.write(b"\xef\xbb\xbf")
        self.started = True
        name = output_column(column, self.tgt)
        for record, translation in zip(records, cell_texts(blocks)):
            self.f.write((json.dumps({**record, name: translation}, ensure_ascii=False) + "\n").encode("utf-8"))

    def close(self) -> None:
        pass


def records(doc: Document):
    """The part's objects as an Arrow table: a column per key any of them has (null where one lacks it)."""
    import pyarrow as pa

    records = doc.skeleton[0]
    keys = dict.fromkeys(k for r in records for k in r)
    try:
        return pa.table({k: pa.array([r.get(k) for r in records]) for k in keys})
    except (pa.ArrowException, ValueError, TypeError) as exc:
        raise DocumentError(f"its objects do not make one table (a key holds values of different types): {exc}") from exc
