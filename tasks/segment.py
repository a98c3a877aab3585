"""Sentence segmentation by character offsets, so that joining segments with the
whitespace between them gives back the block byte for byte."""

from __future__ import annotations

import re
import unicodedata

from babelflow.documents import Document, Segment
from babelflow.languages import iso

Span = tuple[int, int]

# No segment is longer: a "sentence" with no end (a 50 MB line without punctuation, a minified blob)
# is cut at whitespace, else anywhere, so every later stage works on bounded pieces. mBART-50 takes
# up to 1024 tokens, about 4,000 characters of prose; engines split further by tokens where needed.
MAX_SEGMENT_CHARS = 4096
_SPACE = re.compile(r"\s+")
_JOINERS = "\u200d\ufe0e\ufe0f"  # zero-width joiner, variation selectors: part of the character before

# A line break starts a new unit (list item, heading, verse) unless the next line reads as the
# continuation of a hard-wrapped sentence: it starts with a lowercase letter, digit or opening
# punctuation that cannot start a sentence.
_LINE_BREAK = re.compile(r"(?<![ \t])[ \t]*\r?\n[ \t]*(?=\S)")  # starts a run of blanks: linear time
_CONTINUATION = re.compile(r"[a-zà-ÿ\u0100-\u024f\u0430-\u045f,;:)\]}]")

# Splits sentencex makes that are not sentence ends: the next piece starts in lowercase
# (`U.S. is`, `e.g. this`), or a number or title abbreviation precedes a name or a date.
_LOWER_START = re.compile(r"^[\"'«“‘(\[]*[a-zà-ÿ\u0100-\u024f\u0430-\u045f]")
_ORDINAL_DATE = re.compile(r"(?:^|\s)\d{1,2}\.$")
_MONTHS = {
    "de": r"Jan|Feb|März|Mär|Apr|Mai|Jun|Jul|Aug|Sep|Okt|Nov|Dez",
    "da": r"jan|feb|mar|apr|maj|jun|jul|aug|sep|okt|nov|dec",
    "fi": r"tammi|helmi|maalis|huhti|touko|kesä|heinä|elo|syys|loka|marras|joulu",
    "cs": r"led|úno|bře|dub|kvě|čer|srp|zář|říj|lis|pro",
    "pl": r"sty|lut|mar|kwi|maj|cze|lip|sie|wrz|paź|lis|gru",
}
_TITLES = {
    "fr": {"M.", "MM.", "Mme.", "Mlle.", "Dr.", "Pr.", "St.", "Ste.", "Me.", "cf.", "p.", "av.", "J.-C."},
    "en": {"Mr.", "Mrs.", "Ms.", "Dr.", "Prof.", "St.", "Jr.", "Sr.", "vs.", "No.", "Fig.", "Vol."},
    "de": {"Hr.", "Fr.", "Dr.", "Prof.", "St.", "Nr.", "Abs.", "Art.", "bzw.", "vgl."},
    "es": {"Sr.", "Sra.", "Srta.", "Dr.", "Dra.", "Ud.", "Uds.", "pág."},
    "it": {"Sig.", "Sig.ra", "Dott.", "Prof.", "pag."},
    "pt": {"Sr.", "Sra.", "Dr.", "Dra.", "pág."},
    "nl": {"dhr.", "mevr.", "Dr.", "blz.", "nr."},
}


def split_sentences(text: str, lang: str) -> list[Span]:
    """Sentence spans over `text`; every span is stripped, so whitespace stays with the block."""
    code = iso(lang) if lang else "en"
    spans: list[Span] = []
    for start, end in _units(text):
        for sentence in _sentences(text, start, end, code):
            spans.extend(_bounded(text, *sentence))
    return spans


def _units(text: str) -> list[Span]:
    units: list[Span] = []
    start = 0
    for m in _LINE_BREAK.finditer(text):
        if _CONTINUATION.match(text, m.end()):
            continue
        units.append((start, m.start()))
        start = m.end()
    units.append((start, len(text)))
    return units


def _sentences(text: str, start: int, end: int, code: str) -> list[Span]:
    import sentencex

    chunk = text[start:end]
    if not chunk.strip():
        return []
    pieces = list(sentencex.segment(code, chunk))
    if "".join(pieces) != chunk:  # never trust a segmenter to keep every character
        pieces = [chunk]
    spans: list[Span] = []
    pos = start
    for piece in pieces:
        stripped = piece.strip()
        if stripped:
            s = pos + (len(piece) - len(piece.lstrip()))
            spans.append((s, s + len(stripped)))
        pos += len(piece)
    return _merge_false_breaks(text, spans, code)


def _bounded(text: str, start: int, end: int) -> list[Span]:
    """The span in pieces of at most MAX_SEGMENT_CHARS, cut at the last whitespace of the second half
    of each piece, else between two characters that do not combine; pieces are stripped like spans."""
    pieces: list[Span] = []
    while end - start > MAX_SEGMENT_CHARS:
        limit = start + MAX_SEGMENT_CHARS
        space = None
        for space in _SPACE.finditer(text, start + MAX_SEGMENT_CHARS // 2, limit + 1):
            pass
        if space is not None:
            cut, resume = space.start(), space.end()
        else:
            cut = limit
            while cut > start + 1 and (unicodedata.combining(text[cut]) or text[cut] in _JOINERS
                                       or text[cut - 1] == "\u200d"):
                cut -= 1
            resume = cut
        piece = text[start:cut].rstrip()
        if piece:
            pieces.append((start, start + len(piece)))
        start = resume
        while start < end and text[start].isspace():
            start += 1
    if start < end:
        pieces.append((start, end))
    return pieces


def _merge_false_breaks(text: str, spans: list[Span], code: str) -> list[Span]:
    titles = _TITLES.get(code, set())
    months = re.compile(rf"^(?:{_MONTHS[code]})", re.IGNORECASE) if code in _MONTHS else None
    merged: list[Span] = []
    for span in spans:
        if merged:
            prev = text[merged[-1][0] : merged[-1][1]]
            nxt = text[span[0] : span[1]]
            last_word = prev.rsplit(None, 1)[-1]
            if (
                _LOWER_START.match(nxt)
                or last_word in titles
                or (months and _ORDINAL_DATE.search(prev) and months.match(nxt))
            ):
                merged[-1] = (merged[-1][0], span[1])
                continue
        merged.append(span)
    return merged


def segment_document(doc: Document) -> list[Segment]:
    """Every sentence of every translatable block, in reading order."""
    segments = []
    for index, block in enumerate(doc.blocks):
        if not block.translatable:
            continue
        lang = block.lang or doc.src_lang or "en_XX"
        for start, end in split_sentences(block.text, lang):
            marked = any(a < end and b > start if b > a else start < a <= end for a, b, _ in block.spans)
            segments.append(Segment(index, start, end, block.text[start:end], lang, marked))
    return segments
