"""CSV corpora with a header row: values are kept as the exact strings they were."""

from __future__ import annotations

import csv
import io

from babelflow.documents import Block, Document, DocumentError
from tasks.formats import FormatOptions, Parsed
from tasks.formats.encoding import decode_text, encode_text
from tasks.formats.table import cell_blocks, cell_texts, output_column


def parse(data: bytes, options: FormatOptions) -> Parsed:
    text, bom = decode_text(data)
    try:
        dialect = csv.Sniffer().sniff(text[:65536], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text, newline=""), dialect))
    if not rows:
        raise DocumentError("empty CSV: no header row")
    header, body = rows[0], rows[1:]
    column = options.text_column
    if column not in header:
        raise DocumentError(f"no column {column!r} (columns: {', '.join(header)}); use --text-column")
    index = header.index(column)
    for number, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise DocumentError(f"row {number}: {len(row)} fields, the header has {len(header)}")
    terminator = "\r\n" if "\r\n" in text[:65536] else "\n"
    skeleton = (header, body, column, dialect.delimiter, terminator, bom)
    return Parsed(cell_blocks([row[index] for row in body], column), skeleton)


def render(doc: Document, blocks: list[Block | None], tgt: str) -> bytes:
    header, body, column, delimiter, terminator, bom = doc.skeleton
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=terminator)
    writer.writerow([*header, output_column(column, tgt)])
    for row, translation in zip(body, cell_texts(blocks)):
        writer.writerow([*row, translation if translation is not None else ""])
    return encode_text(out.getvalue(), bom)
