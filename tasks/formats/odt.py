"""OpenDocument: text (.odt), presentations (.odp) and spreadsheets (.ods), one text model for all three.
The document is what its mimetype says, whatever its extension (an .ods that is an .odt is translated as
text); its body must hold that, and a drawing, a chart, a formula or a package of another type is refused.

Text: every paragraph and heading of the body (lists, tables, sections, notes, comments, text boxes and
shapes, index bodies as they are written), of the headers and footers (styles.xml), and the properties a
reader sees (title, subject, description, keywords) is a block; so are the texts a reader meets outside
paragraphs: an image's title and description, an index's title template, the entries and keys of index
marks, a link's tooltip, and the text of hidden-text and conditional-text fields.

Presentations: every paragraph of the slides (text boxes, shapes, grouped shapes, table cells) and of their
speaker notes (presentation:notes), the header, footer and fixed date the slides show (presentation:*-decl),
shapes' titles and descriptions, and the properties. Master pages are templates (their placeholders' text
is a prompt the editor shows) and stay as they are, whatever they hold, as PowerPoint's layouts and masters
do in pptx. Slide names
(draw:page/@draw:name) stay too: LibreOffice shows them only in the slide pane and navigator, never on a
slide, and links to a slide (xlink:href="#name") and custom shows name slides by them.

Spreadsheets: the text of every cell that holds a string (office:value-type string, or none), its
annotations, the shapes and text boxes on its sheets, the headers and footers of its page styles
(styles.xml), the input help and error messages of content validations, and the properties. What a formula
can see stays as it is, so that no result changes: cells with a formula (their text is the last result),
cells of a number, percentage, currency, date, time or truth value (their text is the value formatted:
Calc shows the value), sheet names, named ranges and expressions, validation lists; and a cell showing a
string that a formula, a condition or a validation list spells out (`of:=IF([.A1]="Yes";1;0)` keeps "Yes")
or that a filter or a pivot table names. A spreadsheet has no shared strings: the same text in many cells
is translated per cell (the translation cache makes it the same). Calc holds a string cell's
office:string-value where it has one, so it is written in step with the paragraph it repeats.

A paragraph is flattened as docx_paragraph does for Word: its inline elements with text (text:span,
text:a, text:meta) are spans, one ref each, outer before inner; text:s, text:tab and text:line-break
are the characters they stand for; everything else (bookmarks, reference and index marks, fields,
notes, frames, comments, soft page breaks, change marks) is an inline object, kept verbatim and moved
with the text. Fields that show text (a page number, a cross-reference) read as words of the sentence.
The paragraph is written back element by element from the projected spans.

White space is read as LibreOffice reads it (xmloff's XMLTextImportHelper::InsertString): a literal
space, tab or newline shows as one space, and not at all at the start of a paragraph or after another
space; text:s, text:tab, text:line-break, fields and frames end a run of spaces, marks do not. Calc reads
a cell's own paragraphs otherwise (ScXMLCellTextParaContext): every character as it is written. It is
written back as LibreOffice writes it (XMLTextParagraphExport::exportCharacterData): a space after a
character that is no space is literal, every other one (at the start, after a space, even with an
object between) goes into one text:s, so that a translation keeps every space it has, in either reading.

Hidden text is translated and its condition kept: text:hidden-paragraph hides its paragraph only while
its condition holds, and text:hidden-text shows its string-value while its condition does not, so a
reader of the translated document sees either text as soon as the condition changes; leaving them in
the source language would hand that reader untranslated text.

The target's language goes in the attributes of its script class (fo:language for Latin, Cyrillic...,
style:language-asian for Chinese, Japanese and Korean, style:language-complex for right-to-left and
Indic scripts) of the default style of the document's text (of paragraphs; in a presentation, of shapes; in
a spreadsheet, of cells) and of every style that named a language of that class; bold, italic and size set
for Latin text only reach the target's class too. Into a right-to-left language that default style (not a
spreadsheet's: its cells read in their sheet's direction), and every paragraph, table, section and page set
left to right, read right to left (style:writing-mode="rl-tb", as LibreOffice marks them), and so does
every sheet of a spreadsheet (style:writing-mode in the table-properties of its automatic style, as
LibreOffice marks a right-to-left sheet); from one, left to right. LibreOffice lays a paragraph aligned at
start (or left, or unaligned) out on the left whatever its direction, in Writer as in Impress, so where the
text's direction turns, every paragraph's alignment is mirrored (start and end, left and right; a paragraph
that says it reads in the new direction already keeps its own), as pptx mirrors PowerPoint's: a paragraph
aligned at its start stays at its start. A spreadsheet's cells keep theirs, as they do when a sheet is turned in Calc.

Deleted text and cells of tracked changes (text:tracked-changes, table:tracked-changes) are kept as they
were, as Word's deleted runs are; embedded objects (charts, formulas: Object N/), settings and the
thumbnail are copied unchanged.
"""

from __future__ import annotations

import io
import itertools
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any, Iterator

from babelflow.documents import Block, Document, DocumentError, Span
from babelflow.languages import MBART50, bcp47, is_rtl, script, sets_direction
from babelflow.tasks.formats import FormatOptions, Parsed
from babelflow.tasks.formats.docx_paragraph import xml_text
from babelflow.tasks.formats.office import other_office
from babelflow.tasks.formats.package import open_package, read_xml, repackage, serialize_xml
from babelflow.tasks.formats.spans import nest

_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
_FO = "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
_SVG = "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
_FIELD = "urn:openoffice:names:experimental:ooo-ms-interop:xmlns:field:1.0"
_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_PRESENTATION = "urn:oasis:names:tc:opendocument:xmlns:presentation:1.0"
_CALCEXT = "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"
_DC, _META = "http://purl.org/dc/elements/1.1/", "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
_XML_ID = "{http://www.w3.org/XML/1998/namespace}id"


def _t(name: str) -> str:
    return f"{{{_TEXT}}}{name}"


def _s(name: str) -> str:
    return f"{{{_STYLE}}}{name}"


def _tb(name: str) -> str:
    return f"{{{_TABLE}}}{name}"


_CONTENT, _STYLES, _META_PART = "content.xml", "styles.xml", "meta.xml"
_PARAGRAPHS = frozenset((_t("p"), _t("h")))
_S, _TAB, _LINE_BREAK, _A, _C = _t("s"), _t("tab"), _t("line-break"), _t("a"), _t("c")
# Inline elements whose text is part of the paragraph: a span each. A split one is copied per piece.
_WRAPPERS = frozenset(map(_t, ("span", "a", "meta")))
# Objects LibreOffice reads through, white-space state and all (xmloff CreateSpanContext): marks of a
# position or a range, which show nothing.
_MARKS = frozenset([*map(_t, (
    "bookmark", "bookmark-start", "bookmark-end", "reference-mark", "reference-mark-start", "reference-mark-end",
    "toc-mark", "toc-mark-start", "toc-mark-end", "user-index-mark", "user-index-mark-start", "user-index-mark-end",
    "alphabetical-index-mark", "alphabetical-index-mark-start", "alphabetical-index-mark-end",
    "change", "change-start", "change-end")),
    *(f"{{{_FIELD}}}{n}" for n in ("fieldmark", "fieldmark-start", "fieldmark-separator", "fieldmark-end"))])
# Objects with text of their own that LibreOffice reads like a span (its white-space state runs through them).
_THROUGH = frozenset(map(_t, ("ruby", "meta-field")))
# Objects with text that is no word of the sentence: a note's citation and body, a heading's number.
_NOT_WORDS = frozenset(map(_t, ("note", "number")))
_MAX_SPACES = 10_000  # text:c of a real document; a larger one would be a memory bomb
_RUN = re.compile(r"( +|\t|\n)")

# Texts a reader sees that are attributes: of fields that show one text or another, of the entries index
# marks make (and the headings they are grouped under), of a link's tooltip.
_ATTRIBUTES = {
    _t("hidden-text"): (_t("string-value"),),
    _t("conditional-text"): (_t("string-value-if-true"), _t("string-value-if-false")),
    _t("toc-mark"): (_t("string-value"),), _t("user-index-mark"): (_t("string-value"),),
    _t("alphabetical-index-mark"): (_t("string-value"), _t("key1"), _t("key2")),
    _A: (f"{{{_OFFICE}}}title",),
    _tb("help-message"): (_tb("title"),), _tb("error-message"): (_tb("title"),),  # a spreadsheet's input help
}
# Texts a reader sees that are elements: an image's or a shape's title and description, an index's title, the
# header, footer and fixed date a presentation's slides show.
_ELEMENT_TEXTS = frozenset((f"{{{_SVG}}}title", f"{{{_SVG}}}desc", _t("index-title-template"),
                            *(f"{{{_PRESENTATION}}}{n}-decl" for n in ("header", "footer", "date-time"))))
_PROPERTIES = frozenset((f"{{{_DC}}}title", f"{{{_DC}}}subject", f"{{{_DC}}}description", f"{{{_META}}}keyword"))
_SHOWING = frozenset((_t("hidden-text"), _t("conditional-text")))  # fields whose text is one of their values
_TRACKED = frozenset((_t("tracked-changes"), _tb("tracked-changes")))  # deleted text and cells, kept as they were
_CELLS = frozenset((_tb("table-cell"), _tb("covered-table-cell")))
_FORMULA, _STRING_VALUE, _VALUE_TYPE = _tb("formula"), f"{{{_OFFICE}}}string-value", f"{{{_OFFICE}}}value-type"
# Attributes that hold a formula or a condition (of cells, named expressions, validations, conditional formats):
# the strings they spell out are compared with cell text.
_FORMULAS = frozenset((_FORMULA, _tb("expression"), _tb("condition"), _s("condition"), f"{{{_CALCEXT}}}value"))
# Attributes whose value is cell text: a filter's value, a pivot table's field (the header of its source).
_CELL_NAMES = frozenset((_tb("value"), _tb("source-field-name")))
_LITERAL = re.compile(r'"((?:[^"]|"")*)"')

# Language attributes of style:text-properties, per script class: language, country,
# script and the BCP-47 tag that stands for them where they cannot say it.
_LANGUAGE = {
    "western": (f"{{{_FO}}}language", f"{{{_FO}}}country", f"{{{_FO}}}script", _s("rfc-language-tag")),
    "asian": (_s("language-asian"), _s("country-asian"), _s("script-asian"), _s("rfc-language-tag-asian")),
    "complex": (_s("language-complex"), _s("country-complex"), _s("script-complex"), _s("rfc-language-tag-complex")),
}
# Properties a right-to-left or Asian run takes from its class's twin: bold, italic and size set for
# Latin text only would not reach the translation.
_TWINS = (("font-weight", f"{{{_FO}}}font-weight"), ("font-style", f"{{{_FO}}}font-style"),
          ("font-size", f"{{{_FO}}}font-size"))
# Regions of the mBART-50 codes whose suffix is none (XX) or not the language's (ar_AR).
_REGIONS = {"ar_AR": "SA", "en_XX": "US", "es_XX": "ES", "fr_XX": "FR", "ja_XX": "JP", "nl_XX": "NL",
            "pt_XX": "BR", "tl_XX": "PH"}
_EAST_ASIAN = {"Hans", "Hant", "Jpan", "Hang", "Kore"}
# Scripts LibreOffice lays out as complex text (CTL) beside right-to-left ones: Indic and Southeast Asian.
_COMPLEX = {"Deva", "Beng", "Gujr", "Guru", "Orya", "Taml", "Telu", "Knda", "Mlym", "Sinh", "Thai", "Laoo",
            "Khmr", "Mymr", "Tibt"}
_MODES = {"lr-tb": "rl-tb", "rl-tb": "lr-tb", "lr": "rl", "rl": "lr"}
_ALIGNS = (f"{{{_FO}}}text-align", f"{{{_FO}}}text-align-last")
_MIRRORED = {"start": "end", "end": "start", "left": "right", "right": "left"}

_MIMETYPE = "application/vnd.oasis.opendocument."


@dataclass(frozen=True)
class _Kind:
    """What a type of OpenDocument (the element office:body holds, and its mimetype's last word) keeps where."""

    masters: bool  # its master pages (styles.xml) hold headers and footers, not a presentation's templates
    default: str  # family of the default style its text takes language and direction from (cells: language only)


_KINDS = {"text": _Kind(True, "paragraph"), "presentation": _Kind(False, "graphic"),
          "spreadsheet": _Kind(True, "table-cell")}


@dataclass(frozen=True)
class _Skeleton:
    data: bytes
    kind: str  # a key of _KINDS
    literals: frozenset[str] | None  # a spreadsheet's strings that cells showing them keep (_literals); else None
    # Per part: (unit index in _units(part), block index), for the units with text.
    parts: tuple[tuple[str, tuple[tuple[int, int], ...]], ...]


def parse(data: bytes, options: FormatOptions) -> Parsed:
    package = open_package(data, "OpenDocument")
    _check_package(package)
    roots = {name: read_xml(package, name) for name in (_CONTENT, _STYLES, _META_PART) if name in package.NameToInfo}
    kind = _kind(package, roots[_CONTENT])
    literals = _literals(roots.values()) if kind == "spreadsheet" else None
    blocks: list[Block] = []
    parts = []
    for name, root in roots.items():
        placed = []
        for index, unit in enumerate(_units(root, name, kind, literals)):
            block = _read_unit(unit)
            if block.text.strip():
                placed.append((index, len(blocks)))
                blocks.append(block)
        parts.append((name, tuple(placed)))
    return Parsed(blocks, _Skeleton(data, kind, literals, tuple(parts)))


def render(doc: Document, blocks: list[Block | None], tgt: str) -> bytes:
    skeleton: _Skeleton = doc.skeleton
    package = zipfile.ZipFile(io.BytesIO(skeleton.data))
    mode = ("rl-tb" if is_rtl(tgt) else "lr-tb") if sets_direction(doc.src_lang, tgt) else None
    turns = is_rtl(tgt) != bool(doc.src_lang and is_rtl(doc.src_lang))  # the text's direction changes
    kind = _KINDS[skeleton.kind]
    sheets = skeleton.kind == "spreadsheet"  # cells read in their sheet's direction, aligned as they were
    changed: dict[str, bytes] = {}
    for name, placed in skeleton.parts:
        root = read_xml(package, name)
        units = _units(root, name, skeleton.kind, skeleton.literals)
        todo = [(units[i], blocks[b]) for i, b in placed if blocks[b] is not None]
        for unit, block in reversed(todo):  # inner paragraphs (notes, text boxes) first: they move with their anchor
            _write_unit(unit, block)
        if name == _META_PART and not todo:
            continue
        if name != _META_PART:
            _set_language(root, tgt, kind.default if name == _STYLES else None)
        if mode and name != _META_PART:
            _set_direction(root, mode, kind.default if name == _STYLES and not sheets else None,
                           mirror=turns and not sheets)
            if sheets and name == _CONTENT:
                _turn_sheets(root, mode)
        changed[name] = serialize_xml(root)
    return repackage(package, changed)


def _check_package(package: zipfile.ZipFile) -> None:
    """An encrypted package is refused with a message that says so, not as XML that does not parse."""
    manifest = "META-INF/manifest.xml"
    if manifest in package.NameToInfo and b"encryption-data" in package.read(manifest):
        raise DocumentError("a password-protected (encrypted) OpenDocument file: its content cannot be read")
    if _CONTENT not in package.NameToInfo:
        raise DocumentError(f"no content.xml in the package: not an OpenDocument file{other_office(package, 'ODF')}")


def _kind(package: zipfile.ZipFile, content: Any) -> str:
    """What the document is: what its mimetype says (what its body holds where it has none), which its body must
    hold. A drawing, a chart or a formula is refused, and so is any other package that calls itself an .odt."""
    body = content.find(f"{{{_OFFICE}}}body")
    held = [child.tag.rsplit("}", 1)[-1] for child in body if isinstance(child.tag, str)] if body is not None else []
    if "mimetype" in package.NameToInfo:
        mimetype = package.read("mimetype").decode("utf-8", "replace").strip()
        kind = mimetype.removeprefix(_MIMETYPE)
        if not mimetype.startswith(_MIMETYPE) or kind not in _KINDS:
            raise DocumentError(f"its mimetype is {mimetype[:100]!r}: not an OpenDocument text, presentation or "
                                "spreadsheet")
    else:
        kind = held[0] if len(held) == 1 and held[0] in _KINDS else "text, presentation or spreadsheet"
    if held != [kind]:
        raise DocumentError(f"not an OpenDocument {kind}: its body holds {', '.join(held) or 'nothing'}")
    return kind


def _literals(roots: Any) -> frozenset[str]:
    """The strings a spreadsheet's formulas, conditions and validation lists spell out ("Yes" in
    of:=IF([.A1]="Yes";1;0)) and its filters and pivot tables name, casefolded as Calc compares them: a cell
    showing one keeps it, or a formula's result, a list, a filter or a pivot table would change."""
    from lxml import etree

    out: set[str] = set()
    for root in roots:
        for element in root.iter(etree.Element):
            for name, value in element.items():
                if name in _FORMULAS and '"' in value:
                    out.update(m.group(1).replace('""', '"').casefold() for m in _LITERAL.finditer(value))
                elif name in _CELL_NAMES:
                    out.add(value.casefold())
    return frozenset(out)


# --- units: what holds text in a part ---------------------------------------------------------------


@dataclass(frozen=True)
class _Unit:
    element: Any
    attribute: str | None = None  # the attribute that holds the text; None for the element's own text
    paragraph: bool = False
    collapse: bool = True  # a paragraph's white space collapses; not in a spreadsheet's cell (_Reader)


def _units(root: Any, name: str, kind: str, literals: frozenset[str] | None) -> list[_Unit]:
    """The part's texts in document order: the body (content.xml), headers and footers (styles.xml; a
    presentation's master pages are templates), the properties (meta.xml)."""
    if name == _META_PART:
        meta = root.find(f"{{{_OFFICE}}}meta")
        return [_Unit(e) for e in (meta if meta is not None else ()) if e.tag in _PROPERTIES and not len(e)]
    if name == _STYLES and not _KINDS[kind].masters:
        return []
    scope = root.find(f"{{{_OFFICE}}}body" if name == _CONTENT else f"{{{_OFFICE}}}master-styles")
    return list(_walk(scope, literals)) if scope is not None else []


def _walk(element: Any, literals: frozenset[str] | None, own: bool = True) -> Iterator[_Unit]:
    """`literals`: a spreadsheet's (_literals), None in a text or a presentation; `own`: whether the element's
    paragraphs are text of its own, not a spreadsheet cell's value (_is_text)."""
    for child in element:
        if child.tag in _TRACKED or not isinstance(child.tag, str):
            continue
        if child.tag in _PARAGRAPHS:
            if own:
                yield _Unit(child, paragraph=True, collapse=literals is None or element.tag not in _CELLS)
        elif child.tag in _ELEMENT_TEXTS and not len(child):
            yield _Unit(child)
        for attribute in _ATTRIBUTES.get(child.tag, ()):
            yield _Unit(child, attribute)
        yield from _walk(child, literals, literals is None or child.tag not in _CELLS or _is_text(child, literals))


def _is_text(cell: Any, literals: frozenset[str]) -> bool:
    """Whether a spreadsheet cell's paragraphs are text to translate: not what a formula computed, not a number,
    date, time or truth value formatted (Calc shows its value, whatever the paragraphs say), not a string that a
    formula, a list, a filter or a pivot table names. Calc holds a string cell's office:string-value where it
    has one, else its paragraphs, a line each."""
    if cell.get(_FORMULA) is not None or cell.get(_VALUE_TYPE, "string") != "string":
        return False
    if not literals:
        return True
    value = cell.get(_STRING_VALUE)
    if value is None:
        value = "\n".join(read_paragraph(p, collapse=False).text for p in cell.iterchildren(_t("p")))
    return value.casefold() not in literals


def _read_unit(unit: _Unit) -> Block:
    if unit.paragraph:
        para = read_paragraph(unit.element, unit.collapse)
        return Block(para.text, para.spans, words=para.words)
    if unit.attribute:
        return Block(unit.element.get(unit.attribute, ""))
    return Block(unit.element.text or "")


def _write_unit(unit: _Unit, block: Block) -> None:
    text = xml_text(block.text)
    if unit.paragraph:
        # A spreadsheet's string cell holds its office:string-value, not its paragraph: kept in step where it was.
        cell = unit.element.getparent()
        shown = cell.get(_STRING_VALUE) is not None and cell.get(_STRING_VALUE) == read_paragraph(
            unit.element, unit.collapse).text
        write_paragraph(unit.element, block, unit.collapse)
        if shown:
            cell.set(_STRING_VALUE, text)
    elif unit.attribute:
        # A field shows its value as its text as well: kept in step where it was.
        if unit.element.tag in _SHOWING and unit.element.text == unit.element.get(unit.attribute):
            unit.element.text = text
        unit.element.set(unit.attribute, text)
    else:
        unit.element.text = text


# --- a paragraph as block text with spans ------------------------------------------------------------


@dataclass
class _Node:
    """A piece of paragraph content in document order: text, or an object kept as is."""

    chain: tuple[Any, ...]  # enclosing wrappers, outermost first
    text: str = ""
    element: Any = None  # the object; for "\t" and "\n", the text:tab or text:line-break


@dataclass
class Paragraph:
    text: str
    spans: list[Span]
    words: frozenset[int]  # objects that read as words (fields that show text)
    wrappers: dict[int, Any]
    outer: dict[int, frozenset[int]]  # wrapper ref -> the wrapper refs around it in the source
    objects: dict[int, Any]
    inside: dict[int, frozenset[int]]  # object ref -> the wrapper refs it sat in
    chars: dict[str, list[Any]] = field(default_factory=dict)  # "\t", "\n" -> their source elements, in order


class _Reader:
    """Paragraph content in document order, its white space collapsed as LibreOffice reads it; in a spreadsheet's
    cell, as it is: Calc reads a cell's characters as they are written (its ScXMLCellTextParaContext)."""

    def __init__(self, collapse: bool) -> None:
        self.collapse = collapse
        self.ignore = True  # a literal space here shows nothing: at the start, after a space

    def content(self, container: Any, chain: tuple[Any, ...]) -> list[_Node]:
        nodes = self.chars(container.text, chain)
        for child in container:
            nodes += self.child(child, chain)
            nodes += self.chars(child.tail, chain)
        return nodes

    def child(self, element: Any, chain: tuple[Any, ...]) -> list[_Node]:
        tag = element.tag
        if tag in _WRAPPERS:  # a wrapper without text of its own (a linked image, an empty span) is one object
            inner = self.content(element, (*chain, element))
            return inner if any(n.text for n in inner) else [_Node(chain, element=element)]
        if tag == _S:
            self.ignore = False
            return [_Node(chain, " " * _spaces(element))]
        if tag in (_TAB, _LINE_BREAK):
            self.ignore = False
            return [_Node(chain, "\t" if tag == _TAB else "\n", element)]
        if tag in _THROUGH:
            self.content(element, chain)
        elif tag not in _MARKS and isinstance(tag, str):
            self.ignore = False
        return [_Node(chain, element=element)]

    def chars(self, text: str | None, chain: tuple[Any, ...]) -> list[_Node]:
        if not self.collapse:
            return [_Node(chain, text)] if text else []
        out = []
        for char in text or "":
            if char in " \t\n\r":
                if not self.ignore:
                    out.append(" ")
                self.ignore = True
            else:
                out.append(char)
                self.ignore = False
        return [_Node(chain, "".join(out))] if out else []


def _spaces(element: Any) -> int:
    value = element.get(_C, "1")
    if not value.isdigit() or int(value) > _MAX_SPACES:
        raise DocumentError(f"text:s with text:c={value!r}: not a count of spaces up to {_MAX_SPACES}")
    return max(int(value), 1)


def read_paragraph(p: Any, collapse: bool = True) -> Paragraph:
    nodes = _Reader(collapse).content(p, ())
    wrapper_refs: dict[Any, int] = {}
    for node in nodes:
        if node.text:
            for element in node.chain:
                wrapper_refs.setdefault(element, len(wrapper_refs))
    ranges: dict[int, list[list[int]]] = {}
    objects: dict[int, Any] = {}
    inside: dict[int, frozenset[int]] = {}
    chars: dict[str, list[Any]] = {}
    points: list[Span] = []
    parts: list[str] = []
    pos = 0
    for node in nodes:
        if node.text:
            end = pos + len(node.text)
            for ref in (wrapper_refs[e] for e in node.chain):
                spans = ranges.setdefault(ref, [])
                if spans and spans[-1][1] == pos:
                    spans[-1][1] = end
                else:
                    spans.append([pos, end])
            if node.element is not None:
                chars.setdefault(node.text, []).append(node.element)
            parts.append(node.text)
            pos = end
        else:
            ref = len(wrapper_refs) + len(objects)
            objects[ref] = node.element
            inside[ref] = frozenset(wrapper_refs[e] for e in node.chain if e in wrapper_refs)
            points.append((pos, pos, ref))
    return Paragraph(
        text="".join(parts),
        spans=[(a, b, ref) for ref in sorted(ranges) for a, b in ranges[ref]] + points,
        words=frozenset(ref for ref, element in objects.items() if _reads_as_word(element)),
        wrappers={ref: e for e, ref in wrapper_refs.items()},
        outer={ref: frozenset(wrapper_refs[a] for a in e.iterancestors() if a in wrapper_refs)
               for e, ref in wrapper_refs.items()},
        objects=objects,
        inside=inside,
        chars=chars,
    )


def _reads_as_word(element: Any) -> bool:
    """A field that shows text (a page number, a cross-reference, a date): the engine sees a placeholder
    there, not a hole in the sentence."""
    return (isinstance(element.tag, str) and element.tag.startswith(f"{{{_TEXT}}}")
            and element.tag not in _NOT_WORDS | _WRAPPERS and bool("".join(element.itertext()).strip()))


# --- and back ------------------------------------------------------------------------------------------


def write_paragraph(p: Any, block: Block, collapse: bool = True) -> None:
    """Replace the paragraph's content (its attributes stay) with the translated block."""
    para = read_paragraph(p, collapse)
    p.text = None
    for child in list(p):
        p.remove(child)
    _Writer(para).write(p, block.text, block.spans)


class _Writer:
    def __init__(self, para: Paragraph) -> None:
        self.para = para
        self.placed: set[int] = set()
        self.copied: set[int] = set()  # wrappers written once already: their copies take no xml:id
        self.written: dict[str, int] = {}  # "\t", "\n" -> how many written
        # Whether the last character written is a space (or none is): LibreOffice writes a space there as
        # text:s, whatever object came between, and reads a literal one there as nothing.
        self.after_space = True

    def write(self, p: Any, text: str, spans: list[Span]) -> None:
        for parent, piece in nest(p, text, spans, self.para.inside, self.chain, self.open_wrapper):
            if piece.atom is None:
                self.text(parent, text[piece.start:piece.end])
            elif piece.atom in self.para.objects:
                self.put_object(parent, piece.atom)
        for ref in self.para.objects:  # never drop an object the projection did not place
            self.put_object(p, ref)

    def chain(self, refs: tuple[int, ...]) -> list[int]:
        """Wrappers around a piece, outermost first; never a link inside another link the source did not have."""
        kept: list[int] = []
        for ref in refs:
            element = self.para.wrappers.get(ref)
            if element is not None and (element.tag != _A or all(
                    k in self.para.outer[ref] or self.para.wrappers[k].tag != _A for k in kept)):
                kept.append(ref)
        return kept

    def open_wrapper(self, parent: Any, ref: int) -> Any:
        """A copy of the wrapper's start tag; an xml:id stays with its first copy, as ids are unique."""
        from lxml import etree

        attributes = dict(self.para.wrappers[ref].attrib)
        if ref in self.copied:
            attributes.pop(_XML_ID, None)
        self.copied.add(ref)
        return etree.SubElement(parent, self.para.wrappers[ref].tag, attributes)

    def text(self, parent: Any, text: str) -> None:
        """Text as LibreOffice writes it: spaces that would not show as literal ones go in text:s."""
        from lxml import etree

        for chunk in _RUN.split(xml_text(text)):
            if chunk in ("\t", "\n"):
                self.char(parent, chunk)
            elif chunk.startswith(" "):
                count = len(chunk)
                if not self.after_space:
                    _append_text(parent, " ")
                    count -= 1
                if count:
                    etree.SubElement(parent, _S, {_C: str(count)} if count > 1 else {})
                self.after_space = True
            elif chunk:
                _append_text(parent, chunk)
                self.after_space = False

    def char(self, parent: Any, char: str) -> None:
        """The n-th tab or line break written copies the n-th of the source (its tab stop, its clear)."""
        from lxml import etree

        sources = self.para.chars.get(char, [])
        n = self.written[char] = self.written.get(char, -1) + 1
        attributes = dict(sources[n].attrib) if n < len(sources) else {}
        etree.SubElement(parent, _TAB if char == "\t" else _LINE_BREAK, attributes)
        self.after_space = False

    def put_object(self, parent: Any, ref: int) -> None:
        """The object itself, once: notes, bookmarks and frames carry names and ids that must stay unique."""
        if ref in self.placed:
            return
        self.placed.add(ref)
        element = self.para.objects[ref]
        element.tail = None
        parent.append(element)


def _append_text(parent: Any, text: str) -> None:
    if len(parent):
        parent[-1].tail = (parent[-1].tail or "") + text
    else:
        parent.text = (parent.text or "") + text


# --- language and direction -----------------------------------------------------------------------


def _language_class(tgt: str) -> str:
    written = script(tgt)
    return "asian" if written in _EAST_ASIAN else "complex" if is_rtl(tgt) or written in _COMPLEX else "western"


def _language_values(tgt: str) -> tuple[str, str | None, str | None, str | None]:
    """(language, country, script, BCP-47 tag) for text-properties, None for an attribute to remove, as
    LibreOffice writes them: the script only where no country implies it (zh-Hant), with the tag and no
    country; "none" for the country of a language without one (ast)."""
    subtags = bcp47(tgt).split("-")
    region = _REGIONS.get(tgt) or (tgt.split("_")[1] if tgt in MBART50 else None)
    written = next((s for s in subtags[1:] if len(s) == 4), None) if region is None else None
    if written:
        return subtags[0], None, written, f"{subtags[0]}-{written}"
    return subtags[0], region or "none", None, None


def _set_language(root: Any, tgt: str, default: str | None) -> None:
    """The target's language in the attributes of its script class: in the default style of the family
    `default` (styles.xml: of paragraphs, shapes or cells), and wherever a style names a language of that class
    already, so that no style says the translation is in the source language. The other classes keep theirs
    (Latin words in Arabic), and so does text marked as in no language (zxx: links, code), which is never
    spell-checked."""
    cls = _language_class(tgt)
    names = _LANGUAGE[cls]
    values = _language_values(tgt)
    targets = [p for p in root.iter(_s("text-properties"))
               if p.get(names[0]) not in (None, "zxx") or p.get(names[3]) not in (None, "zxx")]
    if default:
        targets.append(_properties(_default_style(root, default), "text-properties"))
    for properties in targets:
        for name, value in zip(names, values):
            if value is None:
                properties.attrib.pop(name, None)
            else:
                properties.set(name, value)
    if cls != "western":
        for properties in root.iter(_s("text-properties")):
            _twins(properties, cls)


def _twins(properties: Any, cls: str) -> None:
    """Bold, italic and size set for Latin text only, set for the target's script class as well."""
    for name, western in _TWINS:
        twin = _s(f"{name}-{cls}")
        if western in properties.attrib and twin not in properties.attrib:
            properties.set(twin, properties.get(western))


def _set_direction(root: Any, mode: str, default: str | None, mirror: bool) -> None:
    """Paragraphs, tables, sections and pages read in `mode` (lr-tb or rl-tb): the default style of the
    family `default` says so (styles.xml: of paragraphs, or of shapes, whose paragraphs a presentation's text
    is), and every horizontal writing mode set the other way turns. With `mirror` (the text's direction turns),
    so does the alignment of every paragraph that does not say it reads in `mode` already: LibreOffice lays
    start and left out on the left whatever the direction (Writer and Impress alike), so a paragraph aligned
    at its start would end up at its end."""
    attribute = _s("writing-mode")
    if default:
        properties = _properties(_default_style(root, default), "paragraph-properties")
        if mirror:  # unset, it is start: made explicit, to be mirrored with the rest
            properties.set(_ALIGNS[0], properties.get(_ALIGNS[0], "start"))
    for element in root.iter():
        value = element.get(attribute) if isinstance(element.tag, str) else None
        turns = value in _MODES and not value.startswith(mode[:2])
        if mirror and element.tag == _s("paragraph-properties") and (turns or value in (None, "page")):
            for name in _ALIGNS:
                if element.get(name) in _MIRRORED:
                    element.set(name, _MIRRORED[element.get(name)])
        if turns:
            element.set(attribute, _MODES[value])
    if default:
        properties.set(attribute, mode)


def _turn_sheets(content: Any, mode: str) -> None:
    """Every sheet reads in `mode`, as LibreOffice marks a right-to-left sheet: style:writing-mode in the
    table-properties of its automatic style, which a sheet without one gets."""
    spreadsheet = content.find(f"{{{_OFFICE}}}body/{{{_OFFICE}}}spreadsheet")
    automatic = content.find(f"{{{_OFFICE}}}automatic-styles")
    if automatic is None:
        automatic = content.makeelement(f"{{{_OFFICE}}}automatic-styles", {})
        content.insert(_after(content, ("scripts", "font-face-decls")), automatic)
    styles = {s.get(_s("name")): s for s in automatic.iterfind(_s("style")) if s.get(_s("family")) == "table"}
    for table in spreadsheet.iterfind(_tb("table")):
        style = styles.get(table.get(_tb("style-name")))
        if style is None:
            name = next(f"ta{i}" for i in itertools.count(1) if f"ta{i}" not in styles)
            style = styles[name] = automatic.makeelement(_s("style"), {_s("name"): name, _s("family"): "table"})
            automatic.append(style)
            table.set(_tb("style-name"), name)
        _properties(style, "table-properties").set(_s("writing-mode"), mode)


def _default_style(styles: Any, family: str) -> Any:
    """office:styles/style:default-style of the family, created where missing."""
    office_styles = styles.find(f"{{{_OFFICE}}}styles")
    if office_styles is None:
        office_styles = styles.makeelement(f"{{{_OFFICE}}}styles", {})
        styles.insert(_after(styles, ("font-face-decls",)), office_styles)
    for style in office_styles.iterfind(_s("default-style")):
        if style.get(_s("family")) == family:
            return style
    style = office_styles.makeelement(_s("default-style"), {_s("family"): family})
    office_styles.insert(0, style)
    return style


def _after(parent: Any, names: tuple[str, ...]) -> int:
    """Where a child goes that the schema puts after the children named (local names)."""
    index = 0
    for i, child in enumerate(parent):
        if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] in names:
            index = i + 1
    return index


def _properties(style: Any, kind: str) -> Any:
    """The style's style:<kind> element, created in schema order (graphic or cell, paragraph, text properties)."""
    found = style.find(_s(kind))
    if found is None:
        found = style.makeelement(_s(kind), {})
        earlier = {"table-properties": (), "paragraph-properties": ("graphic-properties", "table-cell-properties"),
                   "text-properties": ("graphic-properties", "table-cell-properties", "paragraph-properties")}[kind]
        style.insert(_after(style, earlier), found)
    return found
