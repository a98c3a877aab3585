"""What the corpus formats share: one block per row (the text column's cell), read and written in
parts of ROWS rows, so memory stays flat however large the corpus."""

from __future__ import annotations

from babelflow.documents import Block, DocumentError

ROWS = 50_000


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
    return f"{column}_{tgt.split('_')[0]}"


def with_translations(table, column: str, tgt: str, blocks: list[Block | None]):
    """An Arrow table with its `<column>_<lang>` column (replaced if a previous run added one)."""
    import pyarrow as pa

    name = output_column(column, tgt)
    if name in table.column_names:
        table = table.drop_columns([name])
    return table.append_column(name, pa.array(cell_texts(blocks), type=pa.string()))
