"""Pandoc's Markdown as CommonMark sees it: the same text with pandoc's own syntax blanked or recast.

markdown-it knows CommonMark and GFM tables only. Pandoc documents also have header attributes
(`# Title {#id}`), fenced divs (`::: note`), definition lists (`:   definition`), table captions
(`Table: ...`) and grid, simple and multiline tables. `view` gives markdown-it a text of the same
length and lines in which that syntax is spaces, or a list marker where a definition or caption
starts, so every offset into it is an offset into the source: the blanked syntax lies outside every
block and is kept byte for byte, and definitions, captions and the content of divs are read as the
blocks pandoc reads, not as paragraphs or indented code. Simple and multiline tables stay as they
are: their layout is in their text. A grid table's cells are documents of their own (`Grid`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Callable

# `{#id .class key=value}` or `{-}` at the end of a heading line
_ATTRIBUTES = re.compile(r"[ \t]+(\{[ \t]*(?:[#.][^{}\s]+|[\w-]+=[^{}]*|-)(?:[ \t]+[^{}]*)?\})[ \t]*#*[ \t]*$")
_ATX = re.compile(r" {0,3}#{1,6}[ \t]")
_SETEXT_UNDERLINE = re.compile(r" {0,3}(?:=+|-+)[ \t]*$")
# at any indentation: divs and definition lists nest in definitions and list items
_DIV_FENCE = re.compile(r"[ \t]*:{3,}.*$")
_DEFINITION = re.compile(r"[ \t]*([:~])[ \t]+\S")
# a grid table's border: `+---+---+`, `+===+`, with alignment colons
_GRID_BORDER = re.compile(r" {0,3}\+(?:[-=:]+\+)+[ \t]*$")
_GRID_ROW = re.compile(r" {0,3}[+|]")
_GRID_RULE = re.compile(r"[-=:]+")
# a simple or multiline table's column rule (`---- ------`), and the full-width rule around a multiline one
_COLUMNS = re.compile(r" {0,3}-{2,}(?:[ ]+-{2,})+[ \t]*$")
_FULL = re.compile(r" {0,3}-{3,}[ \t]*$")
# a caption's `Table:` whose text starts where a list item's can, past a marker put in its 4th column
_CAPTION = re.compile(r"[Tt]able:(?= {1,2}\S)")


def view(raw: str, lines: list[tuple[int, int]], kept: set[int]) -> tuple[str, list[tuple[int, int]]]:
    """`raw` with pandoc syntax outside code and HTML blocks (`kept` line numbers) recast for
    CommonMark, and the first and end line of each grid table; `lines` are each line's start and end
    (before its line break)."""
    out = list(raw)
    texts = [raw[start:end] for start, end in lines]
    grids: list[tuple[int, int]] = []

    def blank(start: int, end: int) -> None:
        out[start:end] = " " * (end - start)

    n = 0
    while n < len(lines):
        start, end = lines[n]
        line = texts[n]
        if n in kept:
            n += 1
            continue
        if _GRID_BORDER.match(line):  # blanked: a cell holds blocks that no line view can show
            first = n
            while n < len(lines) and n not in kept and _GRID_ROW.match(texts[n]):
                blank(*lines[n])
                n += 1
            grids.append((first, n))
            continue
        last = _dash_table(texts, n) if n == 0 or not texts[n - 1].strip() else n
        if last > n and not kept.intersection(range(n, last)):
            for m in range(n, last):
                blank(*lines[m])
            n = last
            continue
        heading = _ATX.match(line) or (
            n + 1 < len(lines) and line.strip() and _SETEXT_UNDERLINE.match(texts[n + 1])
        )
        attributes = _ATTRIBUTES.search(line) if heading else None
        if attributes:
            blank(start + attributes.start(1), start + attributes.end(1))
        elif _DIV_FENCE.match(line):
            blank(start, end)
        elif m := _DEFINITION.match(line):
            out[start + m.start(1)] = "-"
        elif (n == 0 or not texts[n - 1].strip()) and _CAPTION.match(line):
            out[start : start + 6] = "   -  "
        n += 1
    return "".join(out), grids


def kept_lines(tokens: list[Any]) -> set[int]:
    """Lines of fenced code and HTML blocks, as CommonMark reads the source: pandoc syntax there is text."""
    return {n for tok in tokens if tok.type in ("fence", "html_block") and tok.map for n in range(*tok.map)}


def _dash_table(texts: list[str], n: int) -> int:
    """The end line of a pandoc simple or multiline table that starts at line `n`, or `n`: a header
    line over a column rule, down to a blank line; a full rule, header lines and a column rule, down
    to a full rule; or a column rule down to the same rule; the last two followed by a blank line."""
    if n + 2 >= len(texts) or not texts[n].strip() or not texts[n + 1].strip():
        return n
    if _COLUMNS.match(texts[n]):
        return _closing(texts, n, lambda line: line.rstrip() == texts[n].rstrip()) or n
    if _FULL.match(texts[n]):
        header = next((m for m in range(n + 1, len(texts)) if not texts[m].strip() or _COLUMNS.match(texts[m])), n)
        return (header > n + 1 and _COLUMNS.match(texts[header]) and _closing(texts, header, _FULL.match)) or n
    if _COLUMNS.match(texts[n + 1]) and texts[n + 2].strip():
        return next((m for m in range(n + 2, len(texts)) if not texts[m].strip()), len(texts))
    return n


def _closing(texts: list[str], n: int, rule: Callable[[str], Any]) -> int | None:
    """The line after the first `rule` below line `n`, if a blank line or the end follows it."""
    m = next((m for m in range(n + 1, len(texts)) if rule(texts[m])), None)
    return m + 1 if m is not None and (m + 1 == len(texts) or not texts[m + 1].strip()) else None


@dataclass(frozen=True)
class Grid:
    """A grid table cut at its column borders: the text of its cells, and its lines laid out again
    around new text, each column as wide as its widest new line needs, border lines widened with it."""

    indent: str
    lines: tuple[tuple[str, ...], ...]  # each line's pieces between its column borders
    borders: tuple[bool, ...]  # whether each line is a border (`+---+`), else a row line (`|   |`)
    tails: tuple[str, ...]  # what follows each line's last border

    @classmethod
    def cut(cls, lines: list[str]) -> Grid | None:
        """None for a table whose lines do not all have their borders where its first line has them
        (cells spanning columns, tabs): such a table is kept as written."""
        indent = lines[0][: len(lines[0]) - len(lines[0].lstrip(" "))]
        columns = [i for i, ch in enumerate(lines[0]) if ch == "+"]
        cut, borders, tails = [], [], []
        for line in lines:
            found = _pieces(line, columns) if line.startswith(indent) and "\t" not in line else None
            if found is None:
                return None
            pieces, marks, tail = found
            border = marks == {"+"} and all(_GRID_RULE.fullmatch(p) for p in pieces)
            if not (border or marks == {"|"}) or tail.strip():
                return None
            cut.append(pieces)
            borders.append(border)
            tails.append(tail)
        if not (borders[0] and borders[-1]):
            return None
        return cls(indent, tuple(cut), tuple(borders), tuple(tails))

    def rows(self) -> list[list[int]]:
        """The row lines between each two borders."""
        out: list[list[int]] = []
        for n, border in enumerate(self.borders):
            if not border:
                if self.borders[n - 1]:
                    out.append([])
                out[-1].append(n)
        return out

    def cells(self) -> list[str]:
        """Each cell's text, row by row, its padding on the right cut."""
        return ["\n".join(self.lines[n][col].rstrip(" ") for n in row)
                for row in self.rows() for col in range(len(self.lines[0]))]

    def layout(self, texts: list[str | None]) -> list[str]:
        """The table's lines with each cell's new text (None: as it was); a new line always keeps a
        space before the border after it."""
        new = iter(texts)
        rows: dict[int, tuple[list[int], list[tuple[list[str], bool]]]] = {}  # by first line: lines, cells
        for row in self.rows():
            cells = []
            for col in range(len(self.lines[0])):
                text = next(new)
                cells.append(([self.lines[n][col] for n in row], False) if text is None else (text.split("\n"), True))
            rows[row[0]] = (row, cells)
        widths = [len(piece) for piece in self.lines[0]]
        for _, cells in rows.values():
            for col, (lines, changed) in enumerate(cells):
                widths[col] = max([widths[col]] + [_width(line) + 1 for line in lines if changed])
        out: list[str] = []
        for n, pieces in enumerate(self.lines):
            if self.borders[n]:
                out.append(self._line("+", [_widen(p, w) for p, w in zip(pieces, widths)], self.tails[n]))
            elif n in rows:
                row, cells = rows[n]
                for k in range(max(len(lines) for lines, _ in cells)):
                    padded = [_pad(lines[k] if k < len(lines) else "", w) for (lines, _), w in zip(cells, widths)]
                    out.append(self._line("|", padded, self.tails[row[k]] if k < len(row) else ""))
        return out

    def _line(self, mark: str, pieces: list[str], tail: str) -> str:
        return self.indent + mark + mark.join(pieces) + mark + tail


def _pieces(line: str, columns: list[int]) -> tuple[list[str], set[str], str] | None:
    """`line` cut at the display columns `columns`, which must each hold a `+` or `|`: the pieces
    between them, the characters there, and what follows the last."""
    pieces: list[str] = []
    marks: set[str] = set()
    piece: list[str] = []
    col = at = 0
    for ch in line:
        if at < len(columns) and col == columns[at]:
            if ch not in "+|":
                return None
            marks.add(ch)
            if at:
                pieces.append("".join(piece))
            piece, at = [], at + 1
        else:
            piece.append(ch)
        col += _width(ch)
        if at < len(columns) and col > columns[at]:
            return None
    return (pieces, marks, "".join(piece)) if at == len(columns) else None


def _widen(rule: str, width: int) -> str:
    """A border piece as wide as `width`, its alignment colons kept at its ends."""
    return rule[:-1] + ("=" if "=" in rule else "-") * (width - len(rule)) + rule[-1]


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _width(text: str) -> int:
    """Display width, as a grid table's borders are aligned: wide (CJK) characters take two columns."""
    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
