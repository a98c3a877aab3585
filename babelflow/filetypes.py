"""Which files babelflow reads, by extension, and which of them are corpora: known to the connectors
(naming a web page), the parser and the writers alike."""

from __future__ import annotations

from pathlib import PurePosixPath

EXTENSIONS = {
    ".txt": "txt", ".parquet": "parquet", ".jsonl": "jsonl", ".csv": "csv",
    ".html": "html", ".htm": "html", ".xhtml": "xhtml", ".md": "markdown", ".markdown": "markdown",
    ".docx": "docx", ".arrow": "arrow", ".json": "hf_metadata", ".pptx": "pptx", ".xlsx": "xlsx", ".odt": "odt",
    ".odp": "odt", ".ods": "odt",
    ".srt": "subtitles", ".vtt": "subtitles", ".epub": "epub",
}
# Corpora: blocks are independent records (each gets its own source language under --from auto),
# read and written in parts.
STREAMING = {"parquet", "jsonl", "csv", "arrow"}


def format_of(path: str) -> str | None:
    return EXTENSIONS.get(PurePosixPath(path).suffix.lower())
