"""CSV corpora with a header row: values are kept as the exact strings they were."""

from __future__ import annotations

import csv
import io
from typing import BinaryIO, Iterator

from babelflow.documents import Block, Document, DocumentError
from babelflow.tasks.formats import FormatOptions, Parsed
from babelflow.tasks.formats.encoding import open_text
from babelflow.tasks.formats.table import ROWS, cell_blocks, cell_texts, output_column


def read_parts(f: BinaryIO, options: FormatOptions) -> Iterator[Parsed]:
    text, bom = open_text(f)
    sample = text.read(65536)
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    terminator = "\r\n" if "\r\n" in sample else "\n"
    text.seek(0)
    reader = csv.reader(text, dialect)
    try:
        header = next(reader, None)
        if header is None:
            raise DocumentError("empty CSV: no header row")
        column = options.text_column
        if column not in header:
            raise DocumentError(f"no column {column!r} (columns: {', '.join(header)}); use --text-column")
        index = header.index(column)
        layout = (header, column, dialect.delimiter, terminator, bom)
        rows: list[list[str]] = []
        first = 0
        for row in reader:
            if len(row) != len(header):
                raise DocumentError(f"row {reader.line_num}: {len(row)} fields, the header has {len(header)}")
            rows.append(row)
            if len(rows) == ROWS:
                yield Parsed(cell_blocks([r[index] for r in rows], column, first), (layout, rows))
                first += len(rows)
                rows = []
    except (csv.Error, UnicodeDecodeError) as exc:
        raise DocumentError(f"row {reader.line_num}: {exc}") from exc
    if rows or first == 0:
        yield Parsed(cell_blocks([r[index] for r in rows], column, first), (layout, rows))


class Writer:
    def __init__(self, f: BinaryIO, tgt: str) -> None:
        self.f = f
        self.tgt = tgt
        self.started = False

    def write(self, doc: Document, blocks: list[Block | None]) -> None:
        (header, column, delimiter, terminator, bom), rows = doc.skeleton
        out = io.StringIO()
        writer = csv.writer(out, delimiter=delimiter, lineterminator=terminator)
        if not self.started:
            writer.writerow([*header, output_column(column, self.tgt)])
            self.f.write(b"\xef\xbb\xbf" if bom else b"")
            self.started = True
        for row, translation in zip(rows, cell_texts(blocks)):
            writer.writerow([*row, translation if translation is not None else ""])
        self.f.write(out.getvalue().encode("utf-8"))

    def close(self) -> None:
        pass


def records(doc: Document):
    """The part's rows as an Arrow table of strings, one column per header field."""
    import pyarrow as pa

    (header, *_), rows = doc.skeleton
    return pa.table({name: pa.array([r[i] for r in rows], pa.string()) for i, name in enumerate(header)})
