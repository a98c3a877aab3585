"""What the corpus formats share: one block per row (the text column's cell), read and written in
parts of ROWS rows, so memory stays flat however large the corpus."""

from __future__ import annotations

from typing import BinaryIO

from babelflow.documents import Block, Document, DocumentError
from babelflow.languages import tag

ROWS = 50_000


def check_text_column(schema, column: str) -> None:
    """The text column of an Arrow schema exists and holds strings, or a clear error for the document."""
    import pyarrow as pa

    if column not in schema.names:
        raise DocumentError(f"no column {column!r} (columns: {', '.join(schema.names)}); use --text-column")
    kind = schema.field(column).type
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        raise DocumentError(f"column {column!r} is {kind}, not text")


def cell_blocks(values: list[object], column: str, first_row: int = 0) -> list[Block]:
    """Strings are translated; nulls stay null; anything else is an error, not a silent skip."""
    blocks = []
    for row, value in enumerate(values, start=first_row):
        if value is None:
            blocks.append(Block("", translatable=False))
        elif isinstance(value, str):
            blocks.append(Block(value))
        else:
            raise DocumentError(f"row {row}: column {column!r} holds {type(value).__name__}, not text")
    return blocks


def cell_texts(blocks: list[Block | None]) -> list[str | None]:
    """Translated cells; None where the cell was null."""
    return [b.text if b is not None else None for b in blocks]


def output_column(column: str, tgt: str) -> str:
    return f"{column}_{tag(tgt)}"


def with_translations(table, column: str, tgt: str, blocks: list[Block | None]):
    """An Arrow table with its `<column>_<lang>` column (replaced if a previous run added one)."""
    import pyarrow as pa

    name = output_column(column, tgt)
    if name in table.column_names:
        table = table.drop_columns([name])
    return table.append_column(name, pa.array(cell_texts(blocks), type=pa.string()))


class TableWriter:
    """What the Arrow-based corpus writers share: each part becomes a table with its translation
    column, appended to one file writer that the subclass opens for the first part's schema."""

    def __init__(self, f: BinaryIO, tgt: str) -> None:
        self.f = f
        self.tgt = tgt
        self.writer = None

    def write(self, doc: Document, blocks: list[Block | None]) -> None:
        table, column = doc.skeleton
        table = self.prepare(with_translations(table, column, self.tgt, blocks), column)
        if self.writer is None:
            self.writer = self.open(table.schema)
        self.writer.write_table(table)

    def prepare(self, table, column: str):
        return table

    def open(self, schema):
        raise NotImplementedError

    def close(self) -> None:
        self.writer.close()


def records(doc: Document):
    """The part's rows with all their columns, as an Arrow table: what outputs that carry a corpus's
    columns (back-translation) take them from."""
    return doc.skeleton[0]
