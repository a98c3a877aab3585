"""Arrow IPC corpora, as Hugging Face `datasets` saves them (`save_to_disk`): read and written as
streams of record batches; the text column is translated into `<column>_<lang>`."""

from __future__ import annotations

import json
from typing import BinaryIO, Iterator

from babelflow.documents import DocumentError
from babelflow.tasks.formats import FormatOptions, Parsed
from babelflow.tasks.formats.table import ROWS, TableWriter, cell_blocks, check_text_column, output_column, records  # noqa: F401 (records: this format's)


def read_parts(f: BinaryIO, options: FormatOptions) -> Iterator[Parsed]:
    import pyarrow as pa

    try:
        reader = pa.ipc.open_file(f) if f.read(6) == b"ARROW1" else None
        if reader is None:
            f.seek(0)
            reader = pa.ipc.open_stream(f)
            batches = iter(reader)
        else:
            batches = (reader.get_batch(i) for i in range(reader.num_record_batches))
    except (pa.ArrowException, OSError) as exc:
        raise DocumentError(f"not a readable Arrow file: {exc}") from exc
    schema = reader.schema
    column = options.text_column
    check_text_column(schema, column)
    pending: list = []
    first = 0
    try:
        for batch in batches:
            pending.append(batch)
            if sum(b.num_rows for b in pending) >= ROWS:
                table = pa.Table.from_batches(pending, schema)
                yield Parsed(cell_blocks(table.column(column).to_pylist(), column, first), (table, column))
                first += table.num_rows
                pending = []
    except (pa.ArrowException, OSError) as exc:
        raise DocumentError(f"unreadable Arrow data after row {first}: {exc}") from exc
    if pending or first == 0:
        table = pa.Table.from_batches(pending, schema)
        yield Parsed(cell_blocks(table.column(column).to_pylist(), column, first), (table, column))


def with_feature(metadata: bytes, name: str) -> bytes:
    """`datasets` keeps its features in the schema metadata too: declare the new column there."""
    info = json.loads(metadata)
    features = info.get("info", {}).get("features")
    if isinstance(features, dict):
        features[name] = {"dtype": "string", "_type": "Value"}
    return json.dumps(info).encode()


class Writer(TableWriter):
    def prepare(self, table, column: str):
        metadata = dict(table.schema.metadata or {})
        if b"huggingface" in metadata:
            metadata[b"huggingface"] = with_feature(metadata[b"huggingface"], output_column(column, self.tgt))
        return table.replace_schema_metadata(metadata)

    def open(self, schema):
        import pyarrow as pa

        return pa.ipc.new_stream(self.f, schema)
