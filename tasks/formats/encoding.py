"""Bytes to text for text-based formats: UTF-8 first (stray bytes in it read as cp1252), then a
detector, never a silent guess."""

from __future__ import annotations

import codecs
import io
import re
import unicodedata
from typing import BinaryIO, TextIO

from babelflow.documents import DocumentError

_SAMPLE = 65536
# Legacy encodings, most used first: the tie-break between equally good readings.
_COMMON = [codecs.lookup(name).name for name in (
    "cp1252", "cp1251", "cp932", "gb18030", "cp949", "big5", "euc_jp", "cp1250", "cp1253", "cp1254", "cp1256",
    "cp1255", "koi8_r", "cp874", "cp1258", "cp1257", "iso8859_2", "iso8859_15", "mac_roman",
)]
_CLOSE = 0.2  # readings within this much of the cleanest one's chaos are candidates
_WORD = re.compile(r"\w+")
_INSIDE_LATIN = re.compile(r"[A-Za-z]([^\x00-\x7f]+)(?=[A-Za-z])")
_MIXED_CASE = re.compile(r"[a-zà-ÿα-ωа-я][A-ZÀ-ÞΑ-ΩА-Я]")


def decode_text(data: bytes) -> tuple[str, bool]:
    """The text and whether it began with a UTF-8 byte order mark (kept on output)."""
    bom = data.startswith(codecs.BOM_UTF8)
    body = data[len(codecs.BOM_UTF8):] if bom else data
    encoding, errors = _reading(body, final=True)
    return body.decode(encoding, errors), bom and encoding == "utf-8"


def encode_text(text: str, bom: bool) -> bytes:
    return (codecs.BOM_UTF8 if bom else b"") + text.encode("utf-8")


def open_text(f: BinaryIO) -> tuple[TextIO, bool]:
    """A text stream over a seekable binary file, in the encoding its first 64 KiB show.

    Returns the stream and whether it began with a UTF-8 byte order mark (kept on output).
    """
    sample = f.read(_SAMPLE)
    bom = sample.startswith(codecs.BOM_UTF8)
    encoding, errors = _reading(sample, final=len(sample) < _SAMPLE)
    f.seek(0)
    encoding = "utf-8-sig" if encoding == "utf-8" else encoding
    return io.TextIOWrapper(f, encoding=encoding, errors=errors, newline=""), bom


def _reading(data: bytes, final: bool) -> tuple[str, str]:
    """The encoding and error handler for text that is (or, unless `final`, starts with) `data`:
    UTF-8, its stray bytes read as cp1252, unless it is another encoding altogether."""
    if b"\x00" in data[:_SAMPLE] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise DocumentError("binary content (NUL bytes), not text")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=final)
    except UnicodeDecodeError:
        if not _mostly_utf8(data):
            return _detect(data).encoding, "strict"
    return "utf-8", _STRAY


def _stray_bytes(error: UnicodeDecodeError) -> tuple[str, int]:
    """Bytes that are not UTF-8 inside UTF-8 text (a Windows text pasted into it, a log written by two
    programs) read as cp1252, else Latin-1: no byte is lost, and the rest is not misread."""
    chunk = error.object[error.start : error.end]
    return "".join(_cp1252_or_latin1(b) for b in chunk), error.end


def _cp1252_or_latin1(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return chr(byte)


_STRAY = "babelflow-stray-bytes"
codecs.register_error(_STRAY, _stray_bytes)
_ESCAPED = re.compile("[\udc80-\udcff]")


def _mostly_utf8(data: bytes) -> bool:
    """UTF-8 with a few stray bytes, rather than another encoding: one stray byte must not make a
    detector read the whole text as, say, Arabic cp1256 (which it does)."""
    invalid = len(_ESCAPED.findall(data.decode("utf-8", errors="surrogateescape")))
    non_ascii = len(data.translate(None, bytes(range(128))))
    return invalid <= 0.1 * non_ascii and invalid < non_ascii


def _detect(data: bytes):
    """charset-normalizer's best reading of `data`, corrected where its chaos measure is weak.

    On short text several readings look about equally clean (French in cp1252 reads cleanest as
    Baltic cp1257: `garçon` as `garēon`). Among those, the one with the fewest signs of a wrong
    decoding wins (symbols among letters, case changing inside a word), then the most common encoding.
    """
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if not matches:
        raise DocumentError("not valid UTF-8 and no text encoding could be detected")
    close = [m for m in matches if m.chaos <= matches[0].chaos + _CLOSE]
    if len(close) == 1:
        return close[0]
    sample = data[:_SAMPLE]

    def score(match) -> tuple[float, int]:
        names = {codecs.lookup(name).name for name in match.could_be_from_charset}
        common = min((_COMMON.index(name) for name in names if name in _COMMON), default=len(_COMMON))
        return -round(_oddness(sample.decode(match.encoding, errors="replace")), 2), -common

    return max(close, key=score)


def _oddness(text: str) -> float:
    """Signs of a wrong decoding per word that has a byte outside ASCII (ASCII reads the same in every
    candidate): symbols where letters should be, case changing mid-word, a letter of another script
    inside a Latin word (`bient๔t`: cp1252's `ô` read as Thai)."""
    words = [w for w in _WORD.findall(text) if not w.isascii()]
    mixed = sum(1 for w in words if _MIXED_CASE.search(w))
    symbols = sum(1 for c in text if not c.isascii() and unicodedata.category(c) in ("So", "Sk", "Sm", "Co", "Cn"))
    foreign = sum(1 for m in _INSIDE_LATIN.finditer(text)
                  if any(not unicodedata.name(c, "").startswith("LATIN") for c in m[1]))
    return (mixed + symbols + foreign) / max(1, len(words))
