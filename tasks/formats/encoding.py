"""Bytes to text for text-based formats: UTF-8 first, then a detector, never a silent guess."""

from __future__ import annotations

import codecs
import io
from typing import BinaryIO, TextIO

from babelflow.documents import DocumentError

_SAMPLE = 65536


def decode_text(data: bytes) -> tuple[str, bool]:
    """The text and whether it began with a UTF-8 byte order mark (kept on output)."""
    bom = data.startswith(codecs.BOM_UTF8)
    if bom:
        data = data[len(codecs.BOM_UTF8):]
    if b"\x00" in data[:8192] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise DocumentError("binary content (NUL bytes), not text")
    try:
        return data.decode("utf-8"), bom
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise DocumentError("not valid UTF-8 and no text encoding could be detected")
    return str(best), False


def encode_text(text: str, bom: bool) -> bytes:
    return (codecs.BOM_UTF8 if bom else b"") + text.encode("utf-8")


def open_text(f: BinaryIO) -> tuple[TextIO, bool]:
    """A text stream over a seekable binary file, in the encoding its first 64 KiB show.

    Returns the stream and whether it began with a UTF-8 byte order mark (kept on output).
    """
    sample = f.read(_SAMPLE)
    bom = sample.startswith(codecs.BOM_UTF8)
    if b"\x00" in sample and not sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise DocumentError("binary content (NUL bytes), not text")
    encoding = "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=len(sample) < _SAMPLE)
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(sample).best()
        if best is None:
            raise DocumentError("not valid UTF-8 and no text encoding could be detected") from None
        encoding = best.encoding
    f.seek(0)
    return io.TextIOWrapper(f, encoding=encoding, newline=""), bom
