"""Parquet corpora: the text column is translated into `<column>_<lang>`; all else carried through."""

from __future__ import annotations

from typing import BinaryIO, Iterator

from babelflow.documents import DocumentError
from babelflow.tasks.formats import FormatOptions, Parsed
from babelflow.tasks.formats.table import ROWS, TableWriter, cell_blocks, check_text_column, records  # noqa: F401 (records: this format's)


def read_parts(f: BinaryIO, options: FormatOptions) -> Iterator[Parsed]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        reader = pq.ParquetFile(f)
    except (pa.ArrowException, OSError) as exc:
        raise DocumentError(f"not a readable Parquet file: {exc}") from exc
    schema = reader.schema_arrow
    column = options.text_column
    check_text_column(schema, column)
    first = 0
    try:
        for batch in reader.iter_batches(batch_size=ROWS):
            table = pa.Table.from_batches([batch], schema)
            yield Parsed(cell_blocks(table.column(column).to_pylist(), column, first), (table, column))
            first += table.num_rows
    except (pa.ArrowException, OSError) as exc:
        raise DocumentError(f"unreadable Parquet data after row {first}: {exc}") from exc
    if first == 0:
        yield Parsed([], (schema.empty_table(), column))


class Writer(TableWriter):
    def open(self, schema):
        import pyarrow.parquet as pq

        return pq.ParquetWriter(self.f, schema)
