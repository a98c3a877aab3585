"""Bytes to Documents: pick the format by extension, parse, assign the source language."""

from __future__ import annotations

import hashlib
from typing import Iterator, Sequence

from babelflow.documents import Document, DocumentError
from babelflow.connectors.sources import Source, open_source
from babelflow.tasks.detect import RunLanguages, assign_languages
from babelflow.filetypes import EXTENSIONS, STREAMING, format_of
from babelflow.tasks.formats import FormatOptions, module


def read_document(source: Source, options: FormatOptions, src_lang: str, max_size: int, targets: Sequence[str],
                  languages: RunLanguages) -> Iterator[Document]:
    """The document in parts: one part for a whole-file format, parts of rows for a corpus.

    Detection (`src_lang` auto) needs the document's targets (a guess must never copy it into one
    untranslated) and what it learnt from the run's earlier documents (`languages`).

    A whole-file document is held in memory, so one over `max_size` bytes is refused before it is
    read; corpora are streamed, in flat memory, whatever their size.
    """
    fmt = format_of(source.relpath)
    if fmt is None:
        raise DocumentError(f"unsupported format; babelflow reads {', '.join(sorted(EXTENSIONS))}")
    whole = fmt not in STREAMING and not (fmt == "txt" and options.lines)
    if whole and source.size > max_size:
        raise DocumentError(_too_large(source.size, max_size))
    doc_id = hashlib.sha256(f"{source.url}\0{source.size}\0{source.version}".encode()).hexdigest()[:20]
    try:
        with open_source(source.url) as f:
            if whole:
                data = f.read(max_size + 1)  # the listed size can be missing or stale (HTTP, a growing file)
                if len(data) > max_size:
                    raise DocumentError(_too_large(len(data), max_size, at_least=True))
                _check_not_empty(data)
                parts = [module(fmt).parse(data, options)]
            else:
                _check_not_empty(f.read(1))
                f.seek(0)
                parts = module(fmt).read_parts(f, options)
            first = 0
            for parsed in parts:
                doc = Document(source.url, source.relpath, fmt, parsed.blocks, parsed.skeleton, doc_id=doc_id,
                               first_block=first)
                assign_languages(doc, src_lang, targets, languages)
                yield doc
                first += len(parsed.blocks)
    except OSError as exc:
        raise DocumentError(f"cannot read: {exc}") from exc


def _check_not_empty(data: bytes) -> None:
    if not data:
        raise DocumentError("empty file (0 bytes): nothing to translate")


def _too_large(size: int, limit: int, at_least: bool = False) -> str:
    return (f"{'over ' if at_least else ''}{size / 1e6:.1f} MB, larger than the document size limit of"
            f" {limit / 1e6:.1f} MB (raise it with --max-document-size or max_document_size)")
