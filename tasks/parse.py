"""Bytes to Document: pick the format by extension, parse, assign the source language."""

from __future__ import annotations

from babelflow.documents import Document, DocumentError
from connectors.sinks import safe_relpath
from connectors.sources import Source, read_bytes
from tasks.detect import assign_languages
from tasks.formats import EXTENSIONS, FormatOptions, format_of, module


def parse_document(source: Source, options: FormatOptions, src_lang: str) -> Document:
    fmt = format_of(source.relpath)
    if fmt is None:
        raise DocumentError(f"unsupported format; babelflow reads {', '.join(sorted(EXTENSIONS))}")
    relpath = safe_relpath(source.relpath)
    try:
        data = read_bytes(source.url)
    except OSError as exc:
        raise DocumentError(f"cannot read: {exc}") from exc
    parsed = module(fmt).parse(data, options)
    doc = Document(source.url, relpath, fmt, parsed.blocks, parsed.skeleton, doc_id=Document.make_id(source.url, data))
    assign_languages(doc, src_lang)
    return doc
