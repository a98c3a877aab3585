"""Bytes to text for text-based formats: UTF-8 first, then a detector, never a silent guess."""

from __future__ import annotations

import codecs

from babelflow.documents import DocumentError


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
