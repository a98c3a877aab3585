"""Writing a translated Markdown block: escaped text, delimiters that still delimit, breaks kept safe;
and a translated link title, in delimiters that still delimit it."""

from __future__ import annotations

import re
import string
import unicodedata
from dataclasses import dataclass
from typing import Any

from babelflow.documents import Block, Span
from babelflow.tasks.formats.spans import Piece, pieces

_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# what would start a block at a line start: heading, quote, list item (or pandoc definition), fence,
# thematic break or setext underline, an HTML block that may interrupt a paragraph
_LINE_START = re.compile(
    r"#{1,6}(?=[ \t]|$)|>|[-+*:~](?=[ \t]|$)|([-*_=])(?:[ \t]*\1)*[ \t]*$|~~~|```|<(?=[/!?A-Za-z])"
    r"|[0-9]{1,9}(?=[.)](?:[ \t]|$))"
)
# a heading's closing sequence: `#`s after a space at the end of its text
_CLOSING_HASHES = re.compile(r"(?:(?<=[ \t])|^)#+[ \t]*$")
# characters that may be read as inline markup, so are escaped where markdown-it would read them so
_INLINE_MARKUP = set("\\*[]<~")
# a line break and the container prefix (`> `, indentation) that markdown-it strips from the next line
_PREFIX = re.compile(r"(\r\n|\r|\n)[ \t>]*")
_TAG = {"*": "em", "_": "em", "**": "strong", "__": "strong", "~~": "s"}
_OTHER_DELIMITER = {"*": "_", "_": "*", "**": "__", "__": "**", "~~": "~~"}
_DELIMITER_TOKENS = {f"{tag}_{side}" for tag in _TAG.values() for side in ("open", "close")}
_TITLE_CLOSE = {'"': '"', "'": "'", "(": ")"}


def as_html(delimiter: str, inner: str) -> str:
    """Emphasis written with HTML tags, which need no particular neighbours."""
    return f"<{_TAG[delimiter]}>{inner}</{_TAG[delimiter]}>"


@dataclass(frozen=True)
class Element:
    """Emphasis, strikethrough or a link; a link's close is `](dest "title")` or `][label]`."""

    open: str
    close: str
    delimited: bool  # `*`, `_`, `~~` runs, which must touch the text they wrap
    at: int = -1  # where `close` is in the source, when it is the source's: a title in it may be rewritten


@dataclass(frozen=True)
class Object:
    """Source written back as is: inline code, HTML, an image, an autolink, a `soft` or `hard` break."""

    source: str
    kind: str
    parents: tuple[int, ...]  # elements it sits in, in the source
    delimiters: tuple[str, ...] = ()  # emphasis tokens inside it (`*`code`*` kept whole)
    emphasis: str = ""  # the delimiter of the emphasis it is, when it is one without text of its own
    at: int = -1  # where `source` is in the source: an alt text or title in it may be rewritten

    @property
    def html(self) -> str:
        """The same with HTML tags for its outer emphasis (`<em>`code`</em>`), if it is one."""
        width = len(self.emphasis)
        return as_html(self.emphasis, self.source[width:-width]) if width else ""


@dataclass(frozen=True)
class Region:
    """Where a block's inline content lies in the raw text, and what its refs stand for."""

    start: int
    end: int
    context: str  # paragraph, heading, cell, alt (an image's text) or title: what escaping must guard against
    before_rule: bool  # followed by a line that could make a `|` in it a table header
    markup: tuple[Element | Object, ...]  # by ref
    spelled: tuple[tuple[str, str], ...] = ()  # characters the source wrote escaped or as references
    in_row: bool = False  # in a table row, where a `|` ends the cell
    suffix: str = ""  # written after it: `][label` for an image whose text was its reference's label


def delimiter_tokens(md: Any, text: str, env: dict) -> list[str]:
    """The emphasis and strikethrough tokens markdown-it reads in `text`, in order."""
    return [t.type for t in md.parseInline(text, env)[0].children if t.type in _DELIMITER_TOKENS]


def write_block(region: Region, block: Block, md: Any, env: dict) -> str:
    """The Markdown of a translated block, with a backslash or entity only where it is needed.

    Every character that could be read as markup is an escape candidate; the block is written with
    none escaped if markdown-it then reads it as with all escaped, else each candidate is dropped in
    turn while the reading stays the same, so the author's text gets no escapes it does not need.
    Line starts, table cells and heading ends are guarded by rule: an inline parse cannot see them.
    """
    full = _write(region, block, md, env, None)
    if not full.candidates:
        return full.markdown
    alt = region.context == "alt"
    reference = _reading(md, full.markdown, env, alt)
    bare = _write(region, block, md, env, frozenset()).markdown
    if _reading(md, bare, env, alt) == reference:
        return bare
    escaped = frozenset(range(full.candidates))
    for candidate in range(full.candidates):
        trial = escaped - {candidate}
        if _reading(md, _write(region, block, md, env, trial).markdown, env, alt) == reference:
            escaped = trial
    return _write(region, block, md, env, escaped).markdown


def _reading(md: Any, text: str, env: dict, alt: bool) -> list[tuple]:
    """The inline tokens markdown-it reads in a written block, its container prefixes removed as
    the block parser removes them, an image's text read inside an image (where a `]` can end it);
    text is compared whole, not token by token."""
    out: list[tuple] = []

    def read(tokens: list[Any]) -> None:
        for tok in tokens:
            if tok.type == "text" and out and out[-1][0] == "text":
                out[-1] = ("text", out[-1][1] + tok.content, ())
            elif tok.type == "image":  # its content is its source: not part of what it reads as
                out.append((tok.type, "", tuple(sorted(tok.attrs.items()))))
                read(tok.children or [])
                out.append(("image_end", "", ()))
            else:
                out.append((tok.type, tok.content, tuple(sorted(tok.attrs.items()))))

    read(md.parseInline(_PREFIX.sub(r"\1", f"![{text}]()" if alt else text), env)[0].children)
    return out


def write_title(region: Region, text: str, delimiter: str) -> str:
    """A link title in the source's `delimiter`, or if the translation holds that, in one it does
    not hold, else escaped; a `\\` or `&` is escaped only where it would escape or begin a reference,
    and line breaks, which would lose the next line's container prefix, are spaces."""
    spelled = dict(region.spelled)
    text = re.sub(r"\r\n|\r|\n", " ", text)
    plain = set(text) - spelled.keys()
    delimiter = next((d for d in (delimiter, *_TITLE_CLOSE) if not {d, _TITLE_CLOSE[d]} & plain), delimiter)
    close = _TITLE_CLOSE[delimiter]
    out = []
    for i, ch in enumerate(text):
        if ch in spelled:
            out.append(spelled[ch])
        elif ch == "|" and region.before_rule:
            out.append(f"&#{ord(ch)};")
        elif ch in (delimiter, close) or (ch == "|" and region.in_row) or (ch == "&" and _ENTITY.match(text, i)) or (
            ch == "\\" and text[i + 1 : i + 2] in ("", *string.punctuation)
        ):
            out.append("\\" + ch)
        else:
            out.append(ch)
    return delimiter + "".join(out) + close


def _write(region: Region, block: Block, md: Any, env: dict, escaped: frozenset[int] | None) -> _Writer:
    """The block written with the escape candidates in `escaped` (all when None) escaped."""
    writer = _Writer(region, escaped)
    stack: list[int] = []
    for piece in pieces(block.text, block.spans):
        obj = region.markup[piece.atom] if piece.atom is not None else None
        refs = _object_refs(piece, obj, block.spans) if obj else piece.refs
        keep = 0
        while keep < min(len(stack), len(refs)) and stack[keep] == refs[keep]:
            keep += 1
        while len(stack) > keep:
            writer.close(stack.pop())
        for ref in refs[keep:]:
            writer.open(ref)
            stack.append(ref)
        if obj:
            writer.object(obj)
        else:
            writer.text(block.text[piece.start : piece.end])
    while stack:
        writer.close(stack.pop())
    writer.markdown = writer.result(md, env)
    return writer


def _object_refs(piece: Piece, obj: Object, spans: list[Span]) -> tuple[int, ...]:
    """An object at the very edge of an element it was in stays inside it (`[`code` text](url)`)."""
    edge = {r for s, e, r in spans if s < e and r in obj.parents and piece.start in (s, e)}
    return tuple(sorted({*piece.refs, *edge}))


class _Writer:
    """Opening delimiters wait for the text they open and trailing whitespace for the next event,
    so whitespace ends up outside `*`/`_`/`~~` runs, which must touch the text they wrap; a soft
    break is written only where the translation has a space, never at a line start.
    """

    def __init__(self, region: Region, escaped: frozenset[int] | None) -> None:
        self.region = region
        self.escaped = escaped  # which escape candidates to escape, by number; None: all
        self.candidates = 0  # escape candidates met so far
        self.markdown = ""  # the block, once done
        self.spelled = dict(region.spelled)
        self.guard: int | None = None  # index in `out` of a line start escaped in case the line ends there
        self.out: list[str] = []
        self.opening: list[int] = []  # delimited elements opened but not written yet
        self.written: dict[int, list[int]] = {}  # ref -> indexes in `out` of its written opens
        self.pairs: list[tuple[int, int]] = []  # (open index, close index) of delimiter runs
        self.expected: list[str] = []  # the delimiter tokens markdown-it should read
        self.kept: list[tuple[int, Object]] = []  # written objects that have an HTML spelling
        self.space = ""  # whitespace held until the next event
        self.brk: Object | None = None  # break waiting to see what follows it
        self.line_start = region.context != "alt"  # an image's text follows its `![`

    def open(self, ref: int) -> None:
        element = self.region.markup[ref]
        if element.delimited:
            self.opening.append(ref)
            return
        self._settle(False)
        self._put(element.open)

    def close(self, ref: int) -> None:
        element = self.region.markup[ref]
        if ref in self.opening:  # nothing was written inside it
            self.opening.remove(ref)
            return
        if not element.delimited:
            self._settle(False)
            self.out.append(element.close)
            return
        self.pairs.append((self.written[ref].pop(), len(self.out)))
        self.expected.append(_TAG[element.close] + "_close")
        self.out.append(element.close)

    def object(self, obj: Object) -> None:
        if obj.kind in ("soft", "hard"):
            if obj.kind == "hard" or not self.line_start:
                self.brk = obj
            return
        self._settle(False)
        self._put(obj.source)
        self.expected += obj.delimiters
        if obj.html:
            self.kept.append((len(self.out) - 1, obj))

    def text(self, text: str) -> None:
        """Whitespace the source spelled as a character reference (`&#9;`) is text, never trimmed."""
        text = text.replace("\r", " ").replace("\n", " ")
        blank = "".join({c for c in text if c.isspace()} - self.spelled.keys())
        self._settle(bool(text[:1]) and text[:1] in blank)
        if self.line_start:
            text = text.lstrip(blank)
        body = text.strip(blank)
        if not body:
            self.space += text
            return
        self.out.append(self.space + text[: len(text) - len(text.lstrip(blank))])
        self.space = ""
        escaped, whole_line = self._escape(body)
        self._put(escaped)
        self.guard = len(self.out) - 1 if whole_line else None
        self.space = text[len(text.rstrip(blank)) :]

    def _escape(self, text: str) -> tuple[str, bool]:
        """`text` with what would otherwise be read as markup escaped (a candidate: if `escaped` says so),
        and whether its line-start escape guards a thematic break or setext underline, which only
        a line with nothing else on it can be.

        A backtick is written as an entity: escaped, it could still close a code span opened in an
        object's source. So is a `|` that could make a table header: even escaped, it would.
        """
        out = []
        context = self.region.context
        closing = _CLOSING_HASHES.search(text) if context == "heading" else None
        for i, ch in enumerate(text):
            if ch in self.spelled:  # as the author wrote it: `&#9;`, `&nbsp;`, `\\*`
                out.append(self.spelled[ch])
                continue
            if ch == "|" and self.region.before_rule:
                out.append(f"&#{ord(ch)};")
                continue
            if (ch == "|" and self.region.in_row) or (closing and i >= closing.start() and ch == "#"):
                out.append("\\")
            elif (
                ch in _INLINE_MARKUP or ch == "`"
                or (ch == "_" and not (0 < i < len(text) - 1 and text[i - 1].isalnum() and text[i + 1].isalnum()))
                or (ch == "&" and _ENTITY.match(text, i))
            ) and self._candidate():
                if ch == "`":
                    out.append(f"&#{ord(ch)};")
                    continue
                out.append("\\")
            out.append(ch)
        escaped = "".join(out)
        if self.line_start:
            m = _LINE_START.match(text)
            cut = (m.end() if m.group()[0].isdigit() else 0) if m else 0
            if m and escaped[cut] == text[cut]:  # else already escaped as a candidate
                return escaped[:cut] + "\\" + escaped[cut:], bool(m.group(1)) and m.start(1) == 0
        return escaped, False

    def _candidate(self) -> bool:
        """Count an escape candidate; whether it is to be escaped."""
        self.candidates += 1
        return self.escaped is None or self.candidates - 1 in self.escaped

    def result(self, md: Any, env: dict) -> str:
        """Each delimiter pair with a character that can open and close where it stands, and as
        HTML tags if markdown-it still reads other emphasis than intended (the rule of 3, nesting)."""
        for start, end in self.pairs:
            mark = self.out[start]
            for candidate in (mark, _OTHER_DELIMITER[mark], None):
                if candidate is None:
                    self.out[start], self.out[end] = f"<{_TAG[mark]}>", f"</{_TAG[mark]}>"
                    break
                self.out[start] = self.out[end] = candidate
                if self._delimits(start, True) and self._delimits(end, False):
                    break
        text = "".join(self.out)
        if self.expected and delimiter_tokens(md, text, env) != self.expected:
            for start, end in self.pairs:
                tag = _TAG.get(self.out[start])
                if tag:
                    self.out[start], self.out[end] = f"<{tag}>", f"</{tag}>"
            for at, obj in self.kept:
                self.out[at] = obj.html
            text = "".join(self.out)
        return text

    def _delimits(self, index: int, opening: bool) -> bool:
        """CommonMark's flanking rules for the delimiter run that `out[index]` is part of."""
        mark = self.out[index][0]
        before, after = "".join(self.out[:index]), "".join(self.out[index + 1 :])
        while before.endswith(mark) and not _escaped(before, len(before) - 1):
            before = before[:-1]
        after = after.lstrip(mark)
        prev, nxt = (before[-1:] or " "), (after[:1] or " ")
        left = not nxt.isspace() and (not _punct(nxt) or prev.isspace() or _punct(prev))
        right = not prev.isspace() and (not _punct(prev) or nxt.isspace() or _punct(nxt))
        if mark != "_":
            return left if opening else right
        return left and (not right or _punct(prev)) if opening else right and (not left or _punct(nxt))

    def _settle(self, spaced: bool) -> None:
        """A pending break is written if a space follows it (it takes that space's place)."""
        brk, self.brk = self.brk, None
        if brk is None or not (spaced or brk.kind == "hard"):
            return
        self.space = ""
        self.guard = None
        if brk.kind == "soft":
            self.out[-1:] = [self.out[-1].rstrip(" \t")] if self.out else []
            self.out.append(brk.source.lstrip(" "))
        else:  # on an empty line, trailing spaces would make it blank: a backslash cannot
            self.out.append("\\" + brk.source.lstrip(" \\") if self.line_start else brk.source)
        self.line_start = True

    def _put(self, written: str) -> None:
        """Held whitespace, then the delimiters waiting for content, then the content."""
        if self.guard is not None and written.strip():  # the line goes on: no break or underline
            self.out[self.guard] = self.out[self.guard][1:]
            self.guard = None
        self.out.append(self.space)
        self.space = ""
        for waiting in self.opening:
            mark = self.region.markup[waiting].open
            self.written.setdefault(waiting, []).append(len(self.out))
            self.expected.append(_TAG[mark] + "_open")
            self.out.append(mark)
        self.opening = []
        last = next((i for i in range(len(self.out) - 1, -1, -1) if self.out[i]), None)
        if written.startswith("[") and last is not None and self.out[last].endswith("!"):
            if not _escaped(self.out[last], len(self.out[last]) - 1):  # `![` would make the link an image
                self.out[last] = self.out[last][:-1] + "\\!"
        self.out.append(written)
        self.line_start = False


def _punct(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "PS"


def _escaped(text: str, i: int) -> bool:
    """Whether text[i] follows an odd number of backslashes."""
    return (i - len(text[:i].rstrip("\\"))) % 2 == 1


