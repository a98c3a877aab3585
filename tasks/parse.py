"""Bytes to Documents: pick the format by extension, parse, assign the source language."""

from __future__ import annotations

import hashlib
from typing import Iterator

from babelflow.documents import Document, DocumentError
from connectors.sinks import safe_relpath
from connectors.sources import Source, open_source
from tasks.detect import assign_languages
from tasks.formats import EXTENSIONS, STREAMING, FormatOptions, format_of, module


def read_document(source: Source, options: FormatOptions, src_lang: str) -> Iterator[Document]:
    """The document in parts: one part for a whole-file format, parts of rows for a corpus."""
    fmt = format_of(source.relpath)
    if fmt is None:
        raise DocumentError(f"unsupported format; babelflow reads {', '.join(sorted(EXTENSIONS))}")
    relpath = safe_relpath(source.relpath)
    doc_id = hashlib.sha256(f"{source.url}\0{source.size}\0{source.version}".encode()).hexdigest()[:20]
    try:
        with open_source(source.url) as f:
            parts = module(fmt).read_parts(f, options) if fmt in STREAMING else [module(fmt).parse(f.read(), options)]
            first = 0
            for parsed in parts:
                doc = Document(source.url, relpath, fmt, parsed.blocks, parsed.skeleton, doc_id=doc_id, first_block=first)
                assign_languages(doc, src_lang)
                yield doc
                first += len(parsed.blocks)
    except OSError as exc:
        raise DocumentError(f"cannot read: {exc}") from exc
