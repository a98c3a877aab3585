"""Sentence segmentation by character offsets, so that joining segments with the
whitespace between them gives back the block byte for byte."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right

from babelflow.documents import Block, Document, Segment
from babelflow.languages import iso
from babelflow.tasks.sentences.boundaries import Span, sentence_spans
from babelflow.tasks.sentences.languages import language

# No segment is longer: a "sentence" with no end (a 50 MB line without punctuation, a minified blob)
# is cut at whitespace, else anywhere, so every later stage works on bounded pieces. mBART-50 takes
# up to 1024 tokens, about 4,000 characters of prose; engines split further by tokens where needed.
MAX_SEGMENT_CHARS = 4096
_SPACE = re.compile(r"\s+")
_JOINERS = "\u200d\ufe0e\ufe0f"  # zero-width joiner, variation selectors: part of the character before

# A line break starts a new unit (list item, heading, menu entry, verse) unless it wraps a sentence:
# one break, before a lowercase letter or punctuation that cannot start a sentence, after a line
# that ends in a space (a soft wrap) or reads as prose (long, or several words: not "features" over
# "contact manager"); or a break between two ideographs of a sentence that has not ended.
_LINE_BREAK = re.compile(r"(?<![^\S\r\n])[^\S\r\n]*(?:\r\n?|\n)\s*(?=\S)")  # from the first blank: linear time
_LETTERS = re.compile(r"[^\W\d_]{1,2}(?=\s|$)")
_END_IN_LINE = re.compile(r"[.!?。！？]\s")
_CONTINUATION = re.compile(r"[a-zà-ÿ\u0100-\u024f\u0430-\u045f,;:()\]}.!?]")
_IDEOGRAPHIC = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_SENTENCE_END = "。！？.!?」』）)"
_PROSE_LINE = (40, 3)  # characters, words
_STAND_IN = "Xxx"  # a word as the segmenter sees it: capitalised, not an initial ("to `a`. Then" ends at ".")


def split_sentences(text: str, lang: str) -> list[Span]:
    """Sentence spans over `text`; every span is stripped, so whitespace stays with the block."""
    rules = language(iso(lang) if lang else "en")
    spans: list[Span] = []
    for start, end in _units(text):
        for sentence in sentence_spans(text, start, end, rules):
            spans.extend(_bounded(text, *sentence))
    return spans


def _units(text: str) -> list[Span]:
    if "\n" not in text and "\r" not in text:
        return [(0, len(text))]
    units: list[Span] = []
    start = line = 0
    for m in _LINE_BREAK.finditer(text):
        brk = m.group()
        if brk.count("\n") + brk.count("\r") - brk.count("\r\n") > 1 or not _wraps(text, m, line):
            units.append((start, m.start()))
            start = m.end()
        line = m.end()
    units.append((start, len(text)))
    return units


def _wraps(text: str, m: re.Match[str], line_start: int) -> bool:
    """Whether the single line break `m`, ending the line that starts at `line_start`, falls inside a sentence."""
    if m.start() == 0:
        return False
    last, nxt = text[m.start() - 1], text[m.end()]
    soft = m.group()[0] not in "\r\n"
    if not soft and _IDEOGRAPHIC.match(nxt) and _IDEOGRAPHIC.match(last):
        return True  # "これは父の\n家です。"
    if m.start() - line_start <= 2 and _LETTERS.fullmatch(text, line_start, m.start()) and _LETTERS.match(text, m.end()):
        return True  # letters set one or two a line, as PDFs extract vertical text: "W\nA\nRN\nI\nNG"
    if not _CONTINUATION.match(nxt) or last in _SENTENCE_END and nxt.isalpha():
        return False
    if soft or not nxt.isalpha():
        return nxt != "(" or soft  # "up to 400 yd \n( 365.8 m )", not "Trophy\n(6 3/4\" ...)"
    tail = _END_IN_LINE.split(text[line_start : m.start()])[-1]  # "night in the city. features": "features"
    return len(tail) >= _PROSE_LINE[0] or len(tail.split()) >= _PROSE_LINE[1]


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


def segment_document(doc: Document) -> list[Segment]:
    """Every sentence of every translatable block, in reading order."""
    segments = []
    for index, block in enumerate(doc.blocks):
        if not block.translatable:
            continue
        lang = block.lang or doc.src_lang or "en_XX"
        for start, end in _sentences(block, lang):
            marked = any(a < end and b > start if b > a else start < a <= end or a == start and r in block.words
                         for a, b, r in block.spans)
            segments.append(Segment(index, start, end, block.text[start:end], lang, marked))
    return segments


def _sentences(block: Block, lang: str) -> list[Span]:
    """Sentence spans of the block, an inline object read as a word (inline code) standing in as one:
    "Done. `ls` lists files." is two sentences, its hole "Done.  lists files." reads as one."""
    points = sorted(a for a, b, r in block.spans if a == b and r in block.words)
    if not points:
        return split_sentences(block.text, lang)
    pieces, pos = [], 0
    for point in points:
        pieces += [block.text[pos:point], _STAND_IN]
        pos = point
    filled = "".join(pieces) + block.text[pos:]
    ends = [point + (k + 1) * len(_STAND_IN) for k, point in enumerate(points)]  # each stand-in's end in `filled`

    def back(x: int) -> int:
        """A cut inside a stand-in (only a bounded piece's cut could fall there) goes to its point."""
        k = bisect_right(ends, x)
        return x - k * len(_STAND_IN) if k == len(points) or x <= ends[k] - len(_STAND_IN) else points[k]

    return [(back(start), back(end)) for start, end in split_sentences(filled, lang)]
