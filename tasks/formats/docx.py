"""Word documents: every paragraph of the body, headers, footers, notes, comments, text boxes and the
glossary (the placeholder text of content controls) is a block, and so are the core properties a reader
sees in the title bar and the file's properties (title, subject, description, keywords).

The zip package is the source of truth and is read with lxml. Only the parts whose text was translated,
and the styles part (the document's default language), are rewritten; every other member is copied
unchanged, in the same order, with the same compression. Into a right-to-left language every text part
is rewritten, so that all its paragraphs, runs, tables and sections read right to left (docx_direction);
from a right-to-left source into a left-to-right language they, and the styles, read left to right again.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import Any

from babelflow.documents import Block, Document, DocumentError
from babelflow.languages import is_rtl, script, sets_direction
from babelflow.tasks.formats import FormatOptions, Parsed
from babelflow.tasks.formats.office import language_tag, main_part, read_properties, write_properties
from babelflow.tasks.formats.package import open_package, read_xml, related, repackage, serialize_xml
from babelflow.tasks.formats.docx_direction import clear_direction, complex_script_twins, set_direction
from babelflow.tasks.formats.docx_paragraph import read_paragraph, set_lang, w, write_paragraph

_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_P, _TEXTBOX = w("p"), w("txbxContent")
# Relationship types (by their last path segment) of the parts besides the body that hold text.
_TEXT_PARTS = ("header", "footer", "footnotes", "endnotes", "comments", "glossaryDocument")

_EAST_ASIAN = {"Hans", "Hant", "Jpan", "Hang", "Kore"}
# Scripts Word formats as complex script (beside right-to-left ones): Indic and Southeast Asian.
_COMPLEX = {"Deva", "Beng", "Gujr", "Guru", "Orya", "Taml", "Telu", "Knda", "Mlym", "Sinh", "Thai", "Laoo",
            "Khmr", "Mymr", "Tibt"}


@dataclass(frozen=True)
class _Skeleton:
    data: bytes
    # Per text part: (paragraph index in the part, block index). VML fallbacks of text boxes that
    # repeat their DrawingML choice are not blocks of their own: they are written from the same block.
    parts: tuple[tuple[str, tuple[tuple[int, int], ...]], ...]
    styles: str | None
    properties: tuple[str, tuple[tuple[str, int], ...]] | None  # core properties part: (element tag, block index)


def parse(data: bytes, options: FormatOptions) -> Parsed:
    package = open_package(data, "DOCX")
    main = main_part(package, "DOCX")
    blocks: list[Block] = []
    parts = []
    for name in [main, *related(package, main, _TEXT_PARTS)]:
        root = read_xml(package, name)
        if name == main and root.tag != w("document"):
            raise DocumentError(f"{main} is not a WordprocessingML document (Strict Open XML is not supported)")
        paragraphs = list(root.iter(_P))
        mirrors = _mirrors(root, paragraphs)
        block_of: dict[int, int] = {}
        for index, p in enumerate(paragraphs):
            if index not in mirrors:
                para = read_paragraph(p)
                block_of[index] = len(blocks)
                blocks.append(Block(para.text, para.spans, translatable=bool(para.text.strip())))
        placed = [(i, block_of[i]) for i in block_of] + [(i, block_of[_origin(i, mirrors)]) for i in mirrors]
        parts.append((name, tuple(placed)))
    styles = next(iter(related(package, main, ("styles",))), None)
    if styles:
        read_xml(package, styles)  # a broken styles part fails the document here, not once per target language
    return Parsed(blocks, _Skeleton(data, tuple(parts), styles, read_properties(package, blocks)))


def render(doc: Document, blocks: list[Block | None], tgt: str) -> bytes:
    skeleton: _Skeleton = doc.skeleton
    package = zipfile.ZipFile(io.BytesIO(skeleton.data))
    lang = _lang_attributes(tgt)
    rtl = is_rtl(tgt)
    direction = sets_direction(doc.src_lang, tgt)
    changed: dict[str, bytes] = {}
    for name, placed in skeleton.parts:
        todo = sorted(((i, blocks[b]) for i, b in placed if blocks[b] is not None), key=lambda t: t[0])
        if not todo and not direction:
            continue
        root = read_xml(package, name)
        paragraphs = list(root.iter(_P))
        for index, block in reversed(todo):  # text boxes first: their paragraphs move with their anchor
            write_paragraph(paragraphs[index], block, lang)
        if direction:
            set_direction(root, rtl)
        changed[name] = serialize_xml(root)
    if skeleton.styles:
        root = read_xml(package, skeleton.styles)
        set_lang(_default_run_properties(root), lang)
        if rtl:
            for rpr in root.iter(w("rPr")):
                complex_script_twins(rpr)
        elif direction:  # no style or default keeps the paragraphs of a right-to-left source right to left
            clear_direction(root)
        changed[skeleton.styles] = serialize_xml(root)
    if skeleton.properties:
        changed.update(write_properties(package, skeleton.properties, blocks))
    return repackage(package, changed)


def _mirrors(root: Any, paragraphs: list[Any]) -> dict[int, int]:
    """Paragraphs of an mc:Fallback text box -> the same paragraphs in the mc:Choice it stands in for."""
    index = {p: i for i, p in enumerate(paragraphs)}
    out: dict[int, int] = {}
    for alternate in root.iter(f"{{{_MC}}}AlternateContent"):
        choice, fallback = alternate.find(f"{{{_MC}}}Choice"), alternate.find(f"{{{_MC}}}Fallback")
        if choice is None or fallback is None:
            continue
        chosen, fallen = list(choice.iter(_TEXTBOX)), list(fallback.iter(_TEXTBOX))
        if len(chosen) != len(fallen):
            continue
        for a, b in zip(chosen, fallen):
            ours, theirs = list(a.iter(_P)), list(b.iter(_P))
            if len(ours) == len(theirs) and all(_same(x, y) for x, y in zip(ours, theirs)):
                out.update((index[y], index[x]) for x, y in zip(ours, theirs))
    return out


def _same(a: Any, b: Any) -> bool:
    x, y = read_paragraph(a), read_paragraph(b)
    return (x.text, x.spans) == (y.text, y.spans)


def _origin(index: int, mirrors: dict[int, int]) -> int:
    while index in mirrors:
        index = mirrors[index]
    return index


def _lang_attributes(tgt: str) -> dict[str, str]:
    """The one w:lang attribute for the target's script: w:eastAsia (Chinese, Japanese, Korean), w:bidi
    (complex scripts) or w:val (Latin, Cyrillic, Greek...). The others name the language of text in the
    other scripts (a Latin brand name in Hindi), and w:val="ar-SA" makes LibreOffice change the font."""
    name = language_tag(tgt)
    written = script(tgt)
    return {"eastAsia" if written in _EAST_ASIAN else "bidi" if is_rtl(tgt) or written in _COMPLEX else "val": name}


def _default_run_properties(styles: Any) -> Any:
    """w:styles/w:docDefaults/w:rPrDefault/w:rPr, created where missing (each comes first in its parent)."""
    parent = styles
    for name in ("docDefaults", "rPrDefault", "rPr"):
        child = parent.find(w(name))
        if child is None:
            child = parent.makeelement(w(name), {})
            parent.insert(0, child)
        parent = child
    return parent
