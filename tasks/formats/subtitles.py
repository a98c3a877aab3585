"""Subtitles, SubRip (.srt) and WebVTT (.vtt, told by its `WEBVTT` header): the text of each cue is
translated; cue numbers, timings, cue settings and identifiers, NOTE, STYLE and REGION blocks and the
header are kept byte for byte, as is every cue a translation leaves unchanged.

A cue is never split or merged, but a sentence that runs over several cues is translated whole: the
cues that continue one sentence are one block, each cue boundary a zero-width inline object that
projection places in the translation (after what the last word before it became), and rendering cuts
the translation there, back into the same cues. Cues continue a sentence when the first does not end
one and nothing says a new utterance begins (see `_continues`).

A line break inside a cue is layout, not meaning (subtitlers break for length and balance), so it is
a space in the block's text and an inline object projected like the others; rendering keeps the
projected breaks when they give the cue its source's line count with no line longer than
`max(42, the source's longest)`, and otherwise breaks the translation anew, by length.

Inline tags (SRT's <i> <b> <u> <s> <font>, WebVTT's <c> <i> <b> <u> <v> <lang> <ruby> <rt>) are spans;
WebVTT timestamps, SRT's `{\\an8}` overrides, unknown and stray tags are objects written back as read.
"""

from __future__ import annotations

import html
import re
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass, field, replace

from babelflow.documents import Block, Document, DocumentError, Span, has_letters
from babelflow.languages import is_rtl
from babelflow.tasks.formats import FormatOptions, Parsed
from babelflow.tasks.formats.encoding import decode_text, encode_text
from babelflow.tasks.formats.spans import pieces

_LINE = re.compile(r"([^\r\n]*)(\r\n|\r|\n|$)")
_HEADER = re.compile(r"WEBVTT(?:[ \t]|$)")
_VTT_BLOCK = re.compile(r"(?:NOTE|STYLE|REGION)(?:[ \t]|$)")
_NUMBER = re.compile(r"[ \t]*\d+[ \t]*")
_STAMP = r"(?:(\d+):)?(\d{1,2}):(\d{1,2})[,.](\d{1,3})"
_TIMING = re.compile(rf"[ \t]*{_STAMP}[ \t]*-->[ \t]*{_STAMP}(?:[ \t]+(.*?))?[ \t]*")
_TIME_LIKE = re.compile(r"[ \t]*(?:\d+:)?\d{1,2}:\d{2}[,.:]\d")  # a line that means to be a timing
_SRT_MARKUP = re.compile(r"<[ \t]*(/?)[ \t]*(i|b|u|s|font)\b[^>]*>|\{\\[^}]*\}", re.IGNORECASE)
_VTT_MARKUP = re.compile(r"<(/?)([^\s.>/]*)[^>]*>|&(?:#\d+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
_VTT_ELEMENTS = frozenset({"c", "i", "b", "u", "v", "lang", "ruby", "rt"})
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?[ \t]+([^>]*)>")
_VTT_ESCAPES = {"&": "&amp;", "<": "&lt;", "\u200e": "&lrm;", "\u200f": "&rlm;"}

# Joining cues into one sentence (see _continues). Within a spoken sentence, cues follow each other
# closely (subtitlers close short gaps to a couple of frames, and a speaker's pause inside a sentence
# is short); a pause of 2 s or more is a new utterance even without a full stop. A sentence is rarely
# over 300 characters (about 50 words, four full cues): a longer run without any sentence end is a
# file without punctuation (lyrics, some captions), where a missing full stop says nothing, and
# joining on would give the engine a scene.
_JOIN_GAP_MS = 2000
_JOIN_RUN = 300
_FINAL = ".!?…。！？؟‼⁇⁈⁉♪♫—"  # a cue ending so ends its sentence (♪: a lyric line; —: cut off)
_CLOSERS = "\"'”’»)]」』›"
_SENTENCE_END = re.compile(r"[.!?…。！？؟♪♫]+[\"'”’»)\]」』›]*\s")
_ELLIPSIS = ("...", "…")
_DIALOGUE = re.compile(r"[-–—](?=\s|[^\W\d_])")  # a new speaker's line
_LABEL = re.compile(r"[A-Z][A-Z0-9 .'-]*:\s")  # captions name a new speaker: "JOHN: ..."
_BRACKETED = re.compile(r"[\[(].*[\])]")  # a sound or action: "[door slams]", "(sighs)"

# Line layout: 42 characters a line and two lines a cue, Netflix's limits for most languages and about
# what broadcasters allow.
_LINE_LIMIT = 42
_MAX_LINES = 2
_NO_SPACES = re.compile(r"[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")
_RLM = "\u200f"
_SRT_LEAD = re.compile(rf"(?:{_SRT_MARKUP.pattern})*", re.IGNORECASE)
_SRT_TRAIL = re.compile(rf"(?:{_SRT_MARKUP.pattern})*\Z", re.IGNORECASE)


@dataclass(frozen=True)
class _Tag:
    """What a ref of a block stands for: an element (a span) written `open` ... `close` (`close` is ""
    where the source closed it by its parent's end tag or the cue's end), an object written `open`, a
    line break, or the start of cue number `cue` of the block."""

    kind: str  # "element", "object", "break", "cue"
    open: str = ""
    close: str = ""
    name: str = ""
    cue: int = 0  # which cue of the block it was read in


@dataclass(frozen=True)
class _CueText:
    """A cue's visible text, its markup, and what its layout was."""

    text: str
    spans: tuple[Span, ...]
    tags: tuple[_Tag, ...]
    spelled: tuple[tuple[str, str], ...]  # characters the source wrote as references: written so again
    lines: tuple[str, ...]  # each line's text, stripped


@dataclass(frozen=True)
class _Cue:
    """A cue's text in the decoded file, or text that belongs to no cue (timing None)."""

    start: int
    end: int
    eol: str
    timing: tuple[int, int] | None  # start and end in milliseconds
    settings: str
    voices: tuple[str, str]  # the WebVTT voice it starts and ends in, "" where none
    text: _CueText

    @property
    def line_count(self) -> int:
        return len(self.text.lines)

    @property
    def width(self) -> int:
        return max(map(len, self.text.lines))

    @property
    def dialogue(self) -> bool:
        """Lines after the first open with a dash: a speaker each."""
        return self.line_count > 1 and all(_DIALOGUE.match(line) for line in self.text.lines[1:])


@dataclass(frozen=True)
class _Run:
    """The cues of one block (indexes into the skeleton's cues) and what its refs stand for."""

    cues: tuple[int, ...]
    tags: tuple[_Tag, ...]
    spelled: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class _Line:
    number: int  # from 1, for messages
    start: int
    end: int  # end of its text, before the line end
    eol: str
    text: str


def parse(data: bytes, options: FormatOptions) -> Parsed:
    """A block per cue, or per run of cues that continue one sentence."""
    text, bom = decode_text(data)
    lines = _lines(text)
    vtt = bool(lines) and bool(_HEADER.match(lines[0].text))
    cues = [cue for group in _groups(lines, vtt) if (cue := _cue(group, vtt, group[0] is lines[0])) is not None]
    if cues and all(cue.timing is None for cue in cues):
        raise DocumentError(f"no cue timing (HH:MM:SS,mmm --> HH:MM:SS,mmm) found: not a "
                            f"{'WebVTT' if vtt else 'SubRip'} file")
    runs = _runs(cues)
    blocks, skeleton_runs = [], []
    for run in runs:
        block, tags, spelled = _join([cues[i].text for i in run])
        blocks.append(block)
        skeleton_runs.append(_Run(tuple(run), tags, spelled))
    return Parsed(blocks, (text, bom, vtt, tuple(cues), tuple(skeleton_runs)))


def _lines(text: str) -> list[_Line]:
    out: list[_Line] = []
    pos = 0
    while pos < len(text):
        m = _LINE.match(text, pos)
        out.append(_Line(len(out) + 1, pos, m.end(1), m.group(2), m.group(1)))
        pos = m.end()
    return out


def _groups(lines: list[_Line], vtt: bool) -> list[list[_Line]]:
    """Lines in blocks: blank lines part them, and so does a timing line after a cue's text (a missing
    blank line), taking an SRT cue number just before it along."""
    groups: list[list[_Line]] = []
    group: list[_Line] = []
    for line in lines:
        if not line.text.strip():
            if group:
                groups.append(group)
            group = []
            continue
        if "-->" in line.text and group and not _begins_cue(group, vtt, header=vtt and not groups):
            carried = 1 if not vtt and _NUMBER.fullmatch(group[-1].text) and any("-->" in g.text for g in group) else 0
            groups.append(group[: len(group) - carried])
            group = group[len(group) - carried :]
        group.append(line)
    if group:
        groups.append(group)
    return groups


def _begins_cue(group: list[_Line], vtt: bool, header: bool) -> bool:
    """Whether `group` is what comes before a cue's timing: its SRT number or WebVTT identifier."""
    return len(group) == 1 and not header and "-->" not in group[0].text and \
        (vtt or bool(_NUMBER.fullmatch(group[0].text)))


def _cue(group: list[_Line], vtt: bool, first: bool) -> _Cue | None:
    """The cue a block of lines is, or None for a block kept as written (header, NOTE, STYLE, REGION)."""
    head = group[0].text
    if vtt and (first or (_VTT_BLOCK.match(head) and "-->" not in head)):
        return None
    at = _timing_at(group, vtt)
    timing, settings = _timing(group[at]) if at is not None else (None, "")
    body = group[at + 1 :] if at is not None else group
    if not body:
        return None
    eol = body[0].eol or group[0].eol or "\n"
    raw = [line.text for line in body]
    voices = [m.group(1).strip() for line in raw for m in _VOICE.finditer(line)] if vtt else []
    return _Cue(body[0].start, body[-1].end, eol, timing, settings,
                (voices[0], voices[-1]) if voices else ("", ""), _read(raw, vtt))


def _timing_at(group: list[_Line], vtt: bool) -> int | None:
    """Which line of a block is its cue's timing: the first or, after a number or identifier, the
    second; None for text of no cue. A block that means to be a cue (an SRT number, a line that starts
    like a timing) has one, good or bad (_timing says which)."""
    at = next((i for i, line in enumerate(group[:2]) if "-->" in line.text), None)
    head = group[0].text
    numbered = not vtt and bool(_NUMBER.fullmatch(head))
    if at is not None or not (numbered or _TIME_LIKE.match(head)):
        return at
    if numbered and len(group) == 1:
        raise DocumentError(f"line {group[0].number}: cue {head.strip()} has no timing line")
    return 1 if numbered else 0


def _timing(line: _Line) -> tuple[tuple[int, int], str]:
    m = _TIMING.fullmatch(line.text)
    if m is None or any(int(m.group(i)) > 59 for i in (2, 3, 6, 7)):
        raise DocumentError(f"line {line.number}: malformed cue timing {line.text.strip()!r}"
                            " (expected HH:MM:SS,mmm --> HH:MM:SS,mmm)")
    return (_ms(*m.group(1, 2, 3, 4)), _ms(*m.group(5, 6, 7, 8))), m.group(9) or ""


def _ms(hours: str | None, minutes: str, seconds: str, fraction: str) -> int:
    return ((int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + int(fraction.ljust(3, "0"))


def _read(lines: list[str], vtt: bool) -> _CueText:
    """A cue's text: lines joined by a space, each break an object before it, tags as spans and
    objects; an element left open closes at the cue's end, as players read it."""
    reader = _Reader(vtt)
    shown = []
    for n, line in enumerate(lines):
        if n:
            reader.atom(_Tag("break"))
            reader.add(" ")
        before = len(reader.parts)
        reader.line(line.strip())  # spaces at a line's ends are layout, not text
        shown.append("".join(reader.parts[before:]).strip())
    reader.close_all()
    return _CueText("".join(reader.parts), tuple(reader.spans), tuple(reader.tags), tuple(reader.spelled.items()),
                    tuple(shown))


@dataclass
class _Reader:
    """Visible text and markup of a cue, read tag by tag."""

    vtt: bool
    parts: list[str] = field(default_factory=list)
    size: int = 0  # of the text so far
    spans: list[Span] = field(default_factory=list)
    tags: list[_Tag] = field(default_factory=list)
    spelled: dict[str, str] = field(default_factory=dict)
    open: list[tuple[int, int, int]] = field(default_factory=list)  # (ref, start, where its span goes)

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)

    def atom(self, tag: _Tag) -> None:
        self.spans.append((self.size, self.size, len(self.tags)))
        self.tags.append(tag)

    def line(self, line: str) -> None:
        pos = 0
        for m in (_VTT_MARKUP if self.vtt else _SRT_MARKUP).finditer(line):
            self.add(line[pos : m.start()])
            pos = m.end()
            written = m.group()
            if written.startswith("&"):
                self._reference(written)
            elif m.group(1):
                self._end(m.group(2).lower(), written)
            elif m.group(2) and (not self.vtt or m.group(2).lower() in _VTT_ELEMENTS):
                self.open.append((len(self.tags), self.size, len(self.spans)))
                self.tags.append(_Tag("element", written, name=m.group(2).lower()))
            else:
                self.atom(_Tag("object", written))  # a timestamp, an override, a tag players ignore
        self.add(line[pos:])

    def _reference(self, written: str) -> None:
        char = html.unescape(written)
        if char != written and len(char) == 1:
            self.spelled.setdefault(char, written)
        self.add(char)

    def _end(self, name: str, written: str) -> None:
        """An end tag closes its element and those opened inside it; one that closes nothing is kept."""
        at = next((i for i in range(len(self.open) - 1, -1, -1) if self.tags[self.open[i][0]].name == name), None)
        if at is None:
            self.atom(_Tag("object", written))
            return
        while len(self.open) > at + 1:
            self._close(self.open.pop(), "")
        self._close(self.open.pop(), written)

    def close_all(self) -> None:
        while self.open:
            self._close(self.open.pop(), "")

    def _close(self, item: tuple[int, int, int], written: str) -> None:
        ref, start, index = item
        if self.size > start:
            self.tags[ref] = replace(self.tags[ref], close=written)
            self.spans.append((start, self.size, ref))
            return
        self.tags[ref] = _Tag("object", self.tags[ref].open)  # an element with no text: kept as written
        self.spans.insert(index, (start, start, ref))
        if written:
            self.atom(_Tag("object", written))


def _runs(cues: list[_Cue]) -> list[list[int]]:
    """Cues with text, grouped into runs of cues that continue one sentence."""
    runs: list[list[int]] = []
    open_run = 0
    for i, cue in enumerate(cues):
        if not has_letters(cue.text.text):
            continue
        if runs and runs[-1][-1] == i - 1 and _continues(cues[i - 1], cue, open_run):
            runs[-1].append(i)
            open_run = _open_after(cue.text.text, open_run + 1)
        else:
            runs.append([i])
            open_run = _open_after(cue.text.text, 0)
    return runs


def _open_after(text: str, before: int) -> int:
    """How many characters of a run are past its last sentence end, once `text` is added to it."""
    tail = _SENTENCE_END.split(text)
    return len(tail[-1]) if len(tail) > 1 else before + len(text)


def _continues(a: _Cue, b: _Cue, open_run: int) -> bool:
    """Whether cue `b` goes on with the sentence cue `a` leaves open (`open_run` characters of it so far).

    It does when `a` ends with no sentence end and `b` follows closely, in the same place and voice,
    and does not open with what starts a new utterance (a dialogue dash, a speaker's label, a sound in
    brackets). A cue ending in an ellipsis goes on when the next opens with one or in lower case, as
    subtitlers carry a sentence over.
    """
    if a.timing is None or b.timing is None or not has_letters(a.text.text):
        return False
    gap = b.timing[0] - a.timing[1]
    if not 0 <= gap < _JOIN_GAP_MS or a.settings != b.settings or open_run + len(b.text.text) > _JOIN_RUN:
        return False
    if a.voices[1] and b.voices[0] and a.voices[1] != b.voices[0]:
        return False
    first = b.text.text.lstrip()
    if _DIALOGUE.match(first) or _LABEL.match(first) or _BRACKETED.fullmatch(b.text.lines[0]):
        return False
    if _BRACKETED.fullmatch(a.text.lines[-1]):
        return False
    end = a.text.text.rstrip().rstrip(_CLOSERS)
    if end.endswith(_ELLIPSIS):
        return first.startswith(_ELLIPSIS) or first[:1].islower()
    return bool(end) and not end.endswith("--") and end[-1] not in _FINAL


def _join(texts: list[_CueText]) -> tuple[Block, tuple[_Tag, ...], tuple[tuple[str, str], ...]]:
    """One block of consecutive cues: their texts joined by a space, a `cue` object at each join."""
    text, spans, tags, spelled = "", [], [], {}
    for k, part in enumerate(texts):
        if k:
            spans.append((len(text), len(text), len(tags)))
            tags.append(_Tag("cue", cue=k))
            text += " "
        shift, base = len(text), len(tags)
        spans += [(a + shift, b + shift, r + base) for a, b, r in part.spans]
        tags += [replace(t, cue=k) for t in part.tags]
        text += part.text
        spelled = {**dict(part.spelled), **spelled}
    return Block(text, spans), tuple(tags), tuple(spelled.items())


def render(doc: Document, blocks: list[Block | None], tgt: str) -> bytes:
    """The file with the text of each translated cue written anew; all else as it was."""
    text, bom, vtt, cues, runs = doc.skeleton
    rtl = is_rtl(tgt)
    writes: list[tuple[int, int, str]] = []
    for run, old, new in zip(runs, doc.blocks, blocks, strict=True):
        if new is None or (new.text == old.text and sorted(new.spans) == sorted(old.spans)):
            continue
        own = [cues[i] for i in run.cues]
        for cue, (a, b, spans) in zip(own, _cut(new, run.tags, own)):
            writes.append((cue.start, cue.end, _write_cue(new.text, a, b, spans, run, cue, vtt, rtl)))
    out, pos = [], 0
    for start, end, written in writes:
        out += [text[pos:start], written]
        pos = end
    out.append(text[pos:])
    return encode_text("".join(out), bom)


def _cut(new: Block, tags: tuple[_Tag, ...], cues: list[_Cue]) -> list[tuple[int, int, list[Span]]]:
    """The translation cut back into the block's cues: each cue's range (stripped) and its spans.

    The cuts are where projection put the cue boundaries (in order); where that leaves a cue without a
    word, the translation is cut in proportion to the cues' source lengths, at spaces."""
    found = sorted((r, a) for a, b, r in new.spans if a == b and tags[r].kind == "cue")
    points = [a for _, a in found]
    for k in range(1, len(points)):
        points[k] = max(points[k], points[k - 1])
    ranges = _ranges(new.text, points)
    if len(points) != len(cues) - 1 or not all(has_letters(new.text[a:b]) for a, b in ranges):
        points = _proportional(new.text, [len(c.text.text) for c in cues])
        ranges = _ranges(new.text, points)
    bounds = [0, *points, len(new.text)]
    out: list[tuple[int, int, list[Span]]] = [(a, b, []) for a, b in ranges]
    for s, e, r in new.spans:
        if tags[r].kind == "cue":
            continue
        if s == e:
            holding = [k for k in range(len(cues)) if bounds[k] <= s <= bounds[k + 1]]
            k = min(max(tags[r].cue, holding[0]), holding[-1])
            a, b, spans = out[k]
            spans.append((min(max(s, a), b) - a, min(max(s, a), b) - a, r))
            continue
        for a, b, spans in out:
            if min(e, b) > max(s, a):
                spans.append((max(s, a) - a, min(e, b) - a, r))
    return out


def _ranges(text: str, points: list[int]) -> list[tuple[int, int]]:
    """Text between consecutive points, without the whitespace at either end."""
    bounds = [0, *points, len(text)]
    out = []
    for x, y in zip(bounds, bounds[1:]):
        piece = text[x:y]
        a = x + len(piece) - len(piece.lstrip())
        out.append((a, max(a, x + len(piece.rstrip()))))
    return out


def _proportional(text: str, sizes: list[int]) -> list[int]:
    """Cut points at the breaks nearest to each cue's share of the text, each after the one before;
    with fewer breaks than cuts, the last cues are left empty."""
    breaks = [start for start, _ in _breaks(text, 0, len(text))]
    points: list[int] = []
    total, done = sum(sizes) or 1, 0
    for j, size in enumerate(sizes[:-1]):
        done += size
        target = len(text) * done / total
        later = len(sizes) - 2 - j  # cuts still to make after this one
        left = [p for p in breaks if not points or p > points[-1]]
        choices = left[: len(left) - later] if len(left) > later else left[:1]
        points.append(min(choices, key=lambda p: abs(p - target)) if choices else len(text))
    return points


def _breaks(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Where a line may break inside text[start:end]: its runs of whitespace, and between two characters
    of scripts written without spaces."""
    out = [(m.start(), m.end()) for m in re.finditer(r"\s+", text[start:end])]
    out += [(p, p) for p in range(1, end - start)
            if _NO_SPACES.match(text[start + p - 1]) and _NO_SPACES.match(text[start + p])]
    return sorted((a + start, b + start) for a, b in out if a > 0 and b < end - start)


def _write_cue(text: str, a: int, b: int, spans: list[Span], run: _Run, cue: _Cue, vtt: bool, rtl: bool) -> str:
    """One cue's translated text with its tags, broken into lines, in the source's line ends."""
    body = re.sub(r"[\r\n]", " ", text[a:b])
    breaks = _line_breaks(body, [s for s, e, r in spans if s == e and run.tags[r].kind == "break"], cue)
    body, spans = _broken(body, [s for s in spans if run.tags[s[2]].kind != "break"], breaks)
    written = _tagged(body, spans, run.tags, {**_VTT_ESCAPES, **dict(run.spelled)} if vtt else {})
    lines = written.split("\n")
    if rtl:
        lines = [_marked(line, shown, vtt) for line, shown in zip(lines, body.split("\n"))]
    return cue.eol.join(lines)


def _line_breaks(body: str, points: list[int], cue: _Cue) -> list[tuple[int, int]]:
    """Where the cue's lines break: where projection put its breaks when they give the source's line
    count and no line over the limit, else anew (_wrap)."""
    allowed = _breaks(body, 0, len(body))
    chosen = sorted({run for p in points for run in allowed if run[0] <= p <= run[1]})
    limit = max(_LINE_LIMIT, cue.width)
    if len(chosen) == cue.line_count - 1 and len(set(points)) == len(chosen) and \
            all(y - x <= limit for x, y in _spans_between(body, chosen)):
        return chosen
    return _wrap(body, allowed, cue, limit)


def _spans_between(body: str, breaks: list[tuple[int, int]]) -> list[tuple[int, int]]:
    bounds = [(0, 0), *breaks, (len(body), len(body))]
    return [(x[1], y[0]) for x, y in zip(bounds, bounds[1:])]


def _wrap(body: str, allowed: list[tuple[int, int]], cue: _Cue, limit: int) -> list[tuple[int, int]]:
    """Breaks for the translation laid out anew: a dialogue's lines at its dashes; else the source's line
    count (one more, up to two lines, when it does not fit within `limit`) with the longest line as
    short as it can be, lines filled from the last (the longer line at the bottom, as subtitlers set
    them)."""
    if cue.dialogue:
        dashes = [run for run in allowed if _DIALOGUE.match(body, run[1])]
        if len(dashes) == cue.line_count - 1:
            return dashes
    packed = _pack(body, allowed, limit)
    lines = max(cue.line_count, min(_MAX_LINES, len(packed) + 1)) if packed is not None else cue.line_count
    if lines == 1 or not allowed:
        return []
    low, high = 1, len(body)
    while low < high:
        width = (low + high) // 2
        fit = _pack(body, allowed, width)
        if fit is not None and len(fit) < lines:
            high = width
        else:
            low = width + 1
    return _pack(body, allowed, low) or []


def _pack(body: str, allowed: list[tuple[int, int]], width: int) -> list[tuple[int, int]] | None:
    """Breaks that fill lines of at most `width` from the last line up; None if a word is longer."""
    starts = [end for _, end in allowed]
    chosen: list[tuple[int, int]] = []
    end, limit = len(body), len(allowed)
    while end > width:
        k = bisect_left(starts, end - width, 0, limit)
        if k == limit:
            return None
        chosen.append(allowed[k])
        end, limit = allowed[k][0], k
    return chosen[::-1]


def _broken(body: str, spans: list[Span], breaks: list[tuple[int, int]]) -> tuple[str, list[Span]]:
    """The body with each break's whitespace made one newline (or a newline put in, between characters
    of a script without spaces), the spans moved with the text: a span starts after a newline and
    ends before it; an object at the end of a line stays there."""

    def moved(p: int, side: str) -> int:
        shift = 0
        for x, y in breaks:
            if p < x:
                break
            if p <= y:
                after = side == "start" or side == "object" and (p > x or x == y)
                return x - shift + after
            shift += y - x - 1
        return p - shift

    out, pos = [], 0
    for x, y in breaks:
        out += [body[pos:x], "\n"]
        pos = y
    out.append(body[pos:])
    ranged = [(moved(s, "start"), moved(e, "end"), r) for s, e, r in spans if e > s]
    objects = [(moved(s, "object"),) * 2 + (r,) for s, e, r in spans if e == s]
    return "".join(out), [s for s in ranged if s[1] > s[0]] + objects


def _tagged(body: str, spans: list[Span], tags: tuple[_Tag, ...], escapes: dict[str, str]) -> str:
    """The text with its markup written in, characters as `escapes` spells them: tags opened and closed
    between pieces, so any spans make well-formed markup; an element the source closed implicitly is
    closed so again where it can be."""
    out: list[str] = []
    stack: list[int] = []
    for piece in pieces(body, spans):
        refs = [r for r in piece.refs if tags[r].kind == "element"]
        keep = 0
        while keep < min(len(stack), len(refs)) and stack[keep] == refs[keep]:
            keep += 1
        out.append(_closing(stack[keep:], tags, at_end=False))
        stack = stack[:keep] + refs[keep:]
        out += [tags[r].open for r in refs[keep:]]
        if piece.atom is not None:
            out.append(tags[piece.atom].open)
        else:
            out.append("".join(escapes.get(c, c) for c in body[piece.start : piece.end]))
    out.append(_closing(stack, tags, at_end=True))
    return "".join(out)


def _closing(refs: list[int], tags: tuple[_Tag, ...], at_end: bool) -> str:
    """End tags for the elements `refs` (outermost first): one closed by its parent's end tag or the
    cue's end in the source needs none where that still closes it."""
    out = []
    for k in range(len(refs) - 1, -1, -1):
        tag = tags[refs[k]]
        out.append(tag.close or ("" if at_end or k > 0 else f"</{tag.name}>"))
    return "".join(out)


def _marked(line: str, shown: str, vtt: bool) -> str:
    """A line of a right-to-left translation, marked so players lay it out right to left.

    WebVTT gives each line the direction of its first strong character (unicode-bidi: plaintext): a
    line that opens with a left-to-right word or none starts with &rlm; (U+200F), the mark the standard
    offers, ahead of any tag (inside <ruby> it would be ruby text). SubRip has no rule, and libass (mpv,
    VLC, ffmpeg) lays every line out left to right, as VSFilter does: punctuation at either end of a
    right-to-left line lands on the wrong side unless a right-to-left character stands beyond it. So
    every line gets U+200F at both ends, inside the tags that open and close it, as Subtitle Edit's
    "fix RTL" marks every line (with an embedding, which a mark does not leave open)."""
    if not shown.strip():
        return line
    if vtt:
        strong = (unicodedata.bidirectional(c) for c in shown)
        first = next((kind for kind in strong if kind in ("L", "R", "AL")), None)
        return line if first in ("R", "AL") else "&rlm;" + line
    lead = _SRT_LEAD.match(line).end()
    trail = _SRT_TRAIL.search(line, lead).start()
    body = line[lead:trail]
    start = "" if body.startswith(_RLM) else _RLM
    end = "" if body.endswith(_RLM) else _RLM
    return line[:lead] + start + body + end + line[trail:]
