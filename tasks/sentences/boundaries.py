"""Sentence ends inside one unit of text (a line, or lines that wrap one sentence), found in one pass.

Every run of terminal punctuation followed by whitespace is a candidate; the words on either side
decide, by the rules of pragmatic_segmenter's Golden Rules (abbreviations, initials, numbers, inline
lists, ellipses, quotations, references). Candidates are positions in the text itself, never in a
rewritten copy, so the spans index the text exactly.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator

from babelflow.tasks.sentences.languages import Language

Span = tuple[int, int]

# Unicode's sentence terminators (Sentence_Break STerm and ATerm, in the Basic Multilingual Plane) besides "."
# and "…": these need whitespace after them; the second set, of scripts written without spaces, does not.
_TERMINAL = "!?։؝؞؟۔܀܁܂߹࠷࠹࠽࠾।॥።፧፨᙮᜵᜶᠃᠉᥄᥅᪨᪩᪪᪫᭚᭛᭞᭟᭽᭾᰻᰼᱾᱿․‼‽⁇⁈⁉⸮⸼⹓⹔꓿꘎꘏꛳꛷꡶꡷꣎꣏꤯꧈꧉꩝꩞꩟꫰꫱꯫﹒﹖﹗"
_FULLWIDTH = "。！？｡．။។៕"
_CLOSING = "\"'”’“‘»›)]}」』）】〉》"  # “ and ‘ close German quotations
_OPENING = "\"'“‘„«‹([{「『（【〈《¿¡"
_DASHES = "-–—―"
_CLOSERS = rf"(?:[{re.escape(_CLOSING)}]|[ \u00a0\u202f]+[»›])*"  # French sets » off by a space
_CANDIDATE = re.compile(
    rf"(?P<spaced>\.(?: \.){{2,}}){_CLOSERS}(?=\s|$)"
    rf"|(?P<stop>[.…{_TERMINAL}]+){_CLOSERS}(?=\s|$)"
    # a reference after the period: "martyr.[1] The", "a consultation.11 12 Take"
    rf"|(?P<ref>\.)(?<=[^\d\s]\.)(?:(?:\[\d{{1,3}}(?:[,–-] ?\d{{1,3}})*\])+(?=\s)|\d{{1,3}}(?: \d{{1,3}})?(?=\s+[A-Z]))"
    # speech broken off: "we're doing our best, afore she comes, to--" At this moment"
    rf"|-(?<=\w-)-[\"”’']+(?=\s)|—(?<=\w—)[\"”’']+(?=\s)"
    # no space after the period: "Hello world.Today is", but not "Jane.Doe@example.com" nor a domain
    rf"|(?P<glued>\.)(?<=[^\W_]\.)(?=[^\W\d_]{{2}})"
    rf"|(?P<cjk>[{_FULLWIDTH}]+)(?P<cjk_closers>[」』）】〉》”’)\]]*)"
)
_FIRST = re.compile(rf"[.…{_TERMINAL}{_FULLWIDTH}]|--|—")  # where a candidate can start: found 10x faster
_SPACE = re.compile(r"\s+")
_TOKEN = re.compile(r"\S+")
_MULTI_PERIOD = re.compile(r"(?:[^\W\d_]{1,3}\.)+[^\W\d_]{1,3}")
_UNIT = re.compile(r"[\dº°]\s?[^\W\d_]$")
_AM_PM = re.compile(r"[ap]\.m", re.IGNORECASE)
_EXCLAMATION_WORDS = frozenset(
    "!Xũ !Kung ǃʼOǃKung !Xuun !Kung-Ekoka ǃHu ǃKhung ǃKu ǃung ǃXo ǃXû ǃXung ǃXũ !Xun Yahoo! Y!J Yum!".split())

# Quotations and parentheses hold their own sentences: "'Well!' thought Alice, 'after such a fall as
# this! How brave they'll think me!'" is one. An apostrophe inside ("they'll") does not close a quote.
_ENCLOSED = re.compile(
    r'"[^"\n]{0,2000}"|“[^”\n]{0,2000}”|«[^»\n]{0,2000}»|„[^“”\n]{0,2000}[“”]|「[^」\n]{0,2000}」'
    r'|『[^』\n]{0,2000}』|《[^》\n]{0,2000}》|\([^()\n]{0,2000}\)|（[^（）\n]{0,2000}）|\[[^\[\]\n]{0,2000}\]'
    r"|'(?<![^\s(\[]')(?:[^'\n]|'\w){0,2000}'(?!\w)|‘(?<![^\s(\[]‘)(?:[^’\n]|’\w){0,2000}’"
)

# A list written inline: "1. The first item 2. The second item", "(a) ... (b) ...", "• 9. ... • 10. ...".
# Markers count up by one with the same delimiter; each starts a segment of its own. A capital letter
# and a period is an initial ("John A. Smith"), never a marker.
_MARKER = re.compile(
    r"(?<!\S)(?P<bullet>[•⁃]\s?)?(?P<open>\()?(?P<value>\d{1,3}|[a-z]|[ivx]{1,4}|[A-Z](?=\)))"
    r"(?P<delim>\.\)|\.|\))(?=\s)"
)
_BULLET = re.compile(r"(?<=\s)[•⁃](?=\s?\S)")
# Cheap tests before the real one: a marker at the start of the unit, or after a space, or a bullet.
_LIST_START = re.compile(r"\(?(?:\d{1,3}|[a-zA-Z]|[ivx]{1,4})[.)]")
_LISTY_PAIRS = (". ", ") ", ".\t", ")\t", ".\n", ")\n", "•", "⁃")
_LIST_INSIDE = re.compile(  # each branch starts with a literal character: the engine skips to those
    r"[•⁃]|[.)](?:(?<=[\s(][0-9a-zA-Z][.)])|(?<=[\s(]\d\d[.)])|(?<=[\s(]\d\d\d[.)])|(?<=[\s(][ivx]{2}[.)])"
    r"|(?<=[\s(][ivx]{3}[.)])|(?<=[\s(][ivx]{4}[.)]))")
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10}


def sentence_spans(text: str, start: int, end: int, lang: Language) -> list[Span]:
    """Stripped sentence spans of `text[start:end]`, one unit."""
    unit = text[start:end]
    listy = _LIST_START.match(unit) or any(c in unit for c in _LISTY_PAIRS) and _LIST_INSIDE.search(unit)
    cuts, kept = _list_markers(text, start, end) if listy else (set(), set())
    enclosed: list[Span] | None = None
    for m in _candidates(text, start, end):
        if m.start() in kept or not _ends_sentence(text, m, start, end, lang):
            continue
        if enclosed is None:
            enclosed = [e.span() for e in _ENCLOSED.finditer(text, start, end)]
            opens = [a for a, _ in enclosed]
        i = bisect_left(opens, m.start()) - 1  # the enclosure opened last before the candidate, if any
        if i < 0 or m.end() >= enclosed[i][1]:
            cuts.add(_cut(text, m, start, end))
    if not cuts:
        s = start + len(unit) - len(unit.lstrip())
        stripped = len(unit.strip())
        return [(s, s + stripped)] if stripped else []
    spans: list[Span] = []
    pos = start
    for cut in sorted(cuts | {end}):
        piece = text[pos:cut]
        stripped = piece.strip()
        if stripped:
            s = pos + len(piece) - len(piece.lstrip())
            spans.append((s, s + len(stripped)))
        pos = cut
    return spans


def _candidates(text: str, start: int, end: int) -> Iterator[re.Match[str]]:
    pos = start
    for first in _FIRST.finditer(text, start, end):
        if first.start() >= pos and (m := _CANDIDATE.match(text, first.start(), end)):
            pos = m.end()
            yield m


def _word_before(text: str, pos: int) -> str:
    """The word that ends at `pos`, without its opening quotes or brackets."""
    before = text[max(0, pos - 64) : pos]
    return before.rsplit(None, 1)[-1].lstrip(_OPENING) if before and not before[-1].isspace() else ""


def _cut(text: str, m: re.Match[str], start: int, end: int) -> int:
    """Where the sentence ends: after the match, after the straight quote that closes after an ideographic
    stop ("…嗎？"), or after the period that a spaced ellipsis follows ("compounds. . . . The practice":
    the ellipsis opens the next sentence)."""
    if m["cjk"] and _closing_straight_quote(text, m, start):
        return m.end() + 1
    spaced = m["spaced"]
    if spaced and len(spaced) > 5 and m.start() > 0 and not text[m.start() - 1].isspace() \
            and text[m.end() : end].strip():
        return m.start() + 1
    return m.end()


def _list_markers(text: str, start: int, end: int) -> tuple[set[int], set[int]]:
    """Where inline list items start, and the positions of their markers' periods (not sentence ends)."""
    markers = list(_MARKER.finditer(text, start, end))
    cuts: set[int] = {m.start() for m in _BULLET.finditer(text, start, end)}
    kept: set[int] = set()
    if markers and markers[0].start() == start:
        kept.add(markers[0].start("delim"))
    chain: list[re.Match[str]] = []
    listed = False  # a list follows a list: "1) a 2) b 1. c 2. d"
    for m in markers:
        if chain and _follows(chain[-1], m):
            chain.append(m)
            continue
        listed = _take(text, start, chain, cuts, kept, listed)
        chain = [m]
    _take(text, start, chain, cuts, kept, listed)
    return cuts, kept


def _number(value: str, roman: bool) -> int:
    if value.isdigit():
        return int(value)
    if roman:
        return _ROMAN.get(value, 0)
    return ord(value) if len(value) == 1 else 0


def _follows(prev: re.Match[str], m: re.Match[str]) -> bool:
    if (prev["delim"], prev["open"]) != (m["delim"], m["open"]) or prev["value"].isdigit() != m["value"].isdigit():
        return False
    a, b = prev["value"], m["value"]
    return any(_number(b, roman) == _number(a, roman) + 1 and _number(a, roman) for roman in (False, True))


def _take(text: str, start: int, chain: list[re.Match[str]], cuts: set[int], kept: set[int],
          listed: bool) -> bool:
    """A chain of two or more markers is a list if it opens the unit or follows a sentence, a colon or
    another list ("for 1. above, ... and for 2. above" is not a list). Whether it is one."""
    if len(chain) < 2:
        return False
    before = text[start : chain[0].start()].rstrip()
    if before and before[-1] not in ".!?:;" and not listed:
        return False
    for m in chain:
        cuts.add(m.start())
        kept.add(m.start("delim"))
    return True


def _closing_straight_quote(text: str, m: re.Match[str], start: int) -> bool:
    """Whether a '"' right after the match closes a quotation (an odd number of them before it in the unit)."""
    return text[m.end() : m.end() + 1] == '"' and text.count('"', start, m.end()) % 2 == 1


def _ends_sentence(text: str, m: re.Match[str], start: int, end: int, lang: Language) -> bool:
    if m["cjk"]:
        after = m.end() + _closing_straight_quote(text, m, start)
        closed = after > m.end("cjk")
        # 「…。」と言った: a quotation closed after its stop, then more of the sentence
        return not (closed and after < end and not text[after].isspace() and text[after] not in _OPENING)
    gap = _SPACE.match(text, m.end(), end)
    after = gap.end() if gap else m.end()
    if after >= end:
        return False  # the unit ends here anyway
    nxt = _TOKEN.match(text, after, end)[0]
    dashed = nxt[0] in _DASHES and nxt.strip(_DASHES) == ""
    if dashed:
        dash = _SPACE.match(text, after + len(nxt), end)  # "and -- voila! -- you have", "? - Posted like"
        nxt = _TOKEN.match(text, dash.end(), end)[0] if dash and dash.end() < end else nxt
    if nxt[0] in ",;:":
        return False  # ",,Das weiß ich" (a typewritten „) or a stray space before a comma
    head = nxt.lstrip(_OPENING)
    first = head[:1]
    if first.islower() and (dashed or not (m["stop"] and m["stop"][-1] in "?？" and m.end() == m.end("stop"))):
        return False  # "'Well!' thought Alice", "Were Jane and co. at"; not "кім? не?"
    if m["spaced"]:
        return len(m["spaced"]) > 5  # ". . ." leaves words out; ". . . ." also ends the sentence
    if m["glued"]:
        return _glued_ends_sentence(text, m, end)
    stop = m["stop"]
    if stop is None:
        return True
    if text[m.start() - 1 : m.start()] in "[(" and m.start() > 0:
        return False  # "[...]": words left out of a quotation
    word = _word_before(text, m.start())
    if stop != ".":
        if text[m.end("stop") : m.end("stop") + 1] == "'":
            return False  # an exclamation or question quoted in single quotes is part of its sentence
        return not first.isdigit() and not ("!" in stop and word + stop in _EXCLAMATION_WORDS)
    if nxt[0] == "(" and word.lower() in lang.abbreviations:
        return False  # "Company A Inc. (“Company A”)"
    if m.end() > m.start() + 1:
        return True  # a quotation or parenthesis closes after the period
    return _period_ends_sentence(word, head, lang, _UNIT.search(text, max(0, m.start() - 8), m.start()) is not None)


def _glued_ends_sentence(text: str, m: re.Match[str], end: int) -> bool:
    """"Hello world.Today is": a period between a lowercase word and a capitalised one, but not inside an
    address, a domain or a file name ("Jane.Doe@example.com", "www.testurl.Awesome.com"), an
    abbreviation ("Ph.D.") nor after a list number ("1.Helado, 2.Carne")."""
    before = _word_before(text, m.start())
    after = _TOKEN.match(text, m.end(), end)[0].rstrip(".!?,;:")
    return (text[m.start() - 1].islower() or not before.isdigit() and before[-1:].isdigit()) \
        and after[:1].isupper() and after.isalpha() and len(after) > 1 \
        and not any(c in before for c in "./@:")


def _period_ends_sentence(word: str, head: str, lang: Language, unit: bool) -> bool:
    """Whether `word.` then a word starting with `head`'s first character (not lowercase) ends a sentence;
    `unit`: the word follows a number ("2º C.", "5 m."), so a single letter is a unit, not an initial."""
    low = word.lower()
    multi = _MULTI_PERIOD.fullmatch(word)
    if low in lang.prepositive or not multi and low.rsplit(".", 1)[-1] in lang.prepositive:
        return False  # "Mr. Smith", "Tuesday.Mr. Smith"
    number = word.lstrip("-–")
    if lang.ordinal_period and number.isdigit() and len(number) <= 2:
        return False  # "am 3. Oktober", "im 1. -3. Jahrhundert"
    if head[:1].isdigit():  # "p. 55", "Okt. 2020", "Abb. 3" go on; "es 2. 2 + 2 es 4", "kwamen. 81 procent" end
        short = word.isalpha() and (len(word) == 1 or len(word) <= 3 and word[0].isupper())
        return not (low in lang.number or low in lang.abbreviations or short or multi)
    if _AM_PM.fullmatch(word):
        return True  # "at 6 P.M. Travelers who"
    if multi:
        return head.rstrip(".,;:!?") in lang.starters  # "the E.U. How about", not "the U.S. Government"
    if len(word) == 1 and word.isalpha() and not unit:
        return word == "I" and head in lang.starters  # an initial ("Jonas E. Smith"), or "you and I. Did"
    if low in lang.abbreviations:
        if low == "co" and head in ("KG", "KGaA"):
            return False  # "GmbH & Co. KG", a company form
        return bool(lang.starters)  # English capitalises few words ("Co. It closed"); German nouns, "kath. Schule"
    return True
