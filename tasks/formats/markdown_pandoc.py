"""Pandoc's Markdown as CommonMark sees it: the same text with pandoc's own syntax blanked or recast.

markdown-it knows CommonMark and GFM tables only. Pandoc documents also have header attributes
(`# Title {#id}`), fenced divs (`::: note`), definition lists (`:   definition`) and grid tables.
`view` gives markdown-it a text of the same length and lines in which that syntax is spaces, or a
list marker where a definition starts, so every offset into it is an offset into the source: the
blanked syntax lies outside every block and is kept byte for byte, and definitions and the content
of divs are read as the blocks pandoc reads, not as paragraphs or indented code.
"""

from __future__ import annotations

import re
from typing import Any

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


def view(raw: str, lines: list[tuple[int, int]], kept: set[int]) -> str:
    """`raw` with pandoc syntax outside code and HTML blocks (`kept` line numbers) recast for
    CommonMark; `lines` are each line's start and end (before its line break)."""
    out = list(raw)

    def blank(start: int, end: int) -> None:
        out[start:end] = " " * (end - start)

    n = 0
    while n < len(lines):
        start, end = lines[n]
        line = raw[start:end]
        if n in kept:
            n += 1
            continue
        if _GRID_BORDER.match(line):  # kept whole: a cell holds blocks that no line view can show
            while n < len(lines) and n not in kept and _GRID_ROW.match(raw[lines[n][0] : lines[n][1]]):
                blank(*lines[n])
                n += 1
            continue
        heading = _ATX.match(line) or (
            n + 1 < len(lines) and line.strip() and _SETEXT_UNDERLINE.match(raw[lines[n + 1][0] : lines[n + 1][1]])
        )
        attributes = _ATTRIBUTES.search(line) if heading else None
        if attributes:
            blank(start + attributes.start(1), start + attributes.end(1))
        elif _DIV_FENCE.match(line):
            blank(start, end)
        elif m := _DEFINITION.match(line):
            out[start + m.start(1)] = "-"
        n += 1
    return "".join(out)


def kept_lines(tokens: list[Any]) -> set[int]:
    """Lines of fenced code and HTML blocks, as CommonMark reads the source: pandoc syntax there is text."""
    return {n for tok in tokens if tok.type in ("fence", "html_block") and tok.map for n in range(*tok.map)}
