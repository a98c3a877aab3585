"""Parquet corpora: the text column is translated into `<column>_<lang>`; all else carried through."""

from __future__ import annotations

import io

from babelflow.documents import Block, Document, DocumentError
from tasks.formats import FormatOptions, Parsed
from tasks.formats.table import cell_blocks, cell_texts, output_column


def parse(data: bytes, options: FormatOptions) -> Parsed:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(pa.BufferReader(data))
    except (pa.ArrowException, OSError) as exc:
        raise DocumentError(f"not a readable Parquet file: {exc}") from exc
    column = options.text_column
    if column not in table.column_names:
        raise DocumentError(f"no column {column!r} (columns: {', '.join(table.column_names)}); use --text-column")
    kind = table.schema.field(column).type
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        raise DocumentError(f"column {column!r} is {kind}, not text")
    return Parsed(cell_blocks(table.column(column).to_pylist(), column), (table, column))


def render(doc: Document, blocks: list[Block | None], tgt: str) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table, column = doc.skeleton
    name = output_column(column, tgt)
    if name in table.column_names:
        table = table.drop_columns([name])
    table = table.append_column(name, pa.array(cell_texts(blocks), type=pa.string()))
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()
