"""OpenDocument text (.odt): every paragraph and heading of the body (lists, tables, sections, notes,
comments, text boxes and shapes, index bodies as they are written), of the headers and footers
(styles.xml), and the properties a reader sees (title, subject, description, keywords) is a block; so
are the texts a reader meets outside paragraphs: an image's title and description, an index's title
template, the entries and keys of index marks, a link's tooltip, and the text of hidden-text and
conditional-text fields.

A paragraph is flattened as docx_paragraph does for Word: its inline elements with text (text:span,
text:a, text:meta) are spans, one ref each, outer before inner; text:s, text:tab and text:line-break
are the characters they stand for; everything else (bookmarks, reference and index marks, fields,
notes, frames, comments, soft page breaks, change marks) is an inline object, kept verbatim and moved
with the text. Fields that show text (a page number, a cross-reference) read as words of the sentence.
The paragraph is written back element by element from the projected spans.

White space is read as LibreOffice reads it (xmloff's XMLTextImportHelper::InsertString): a literal
space, tab or newline shows as one space, and not at all at the start of a paragraph or after another
space; text:s, text:tab, text:line-break, fields and frames end a run of spaces, marks do not. It is
written back as LibreOffice writes it (XMLTextParagraphExport::exportCharacterData): a space after a
character that is no space is literal, every other one (at the start, after a space, even with an
object between) goes into one text:s, so that a translation keeps every space it has.

Hidden text is translated and its condition kept: text:hidden-paragraph hides its paragraph only while
its condition holds, and text:hidden-text shows its string-value while its condition does not, so a
reader of the translated document sees either text as soon as the condition changes; leaving them in
the source language would hand that reader untranslated text.

The target's language goes in the attributes of its script class (fo:language for Latin, Cyrillic...,
style:language-asian for Chinese, Japanese and Korean, style:language-complex for right-to-left and
Indic scripts) of the default paragraph style and of every style that named a language of that class;
bold, italic and size set for Latin text only reach the target's class too. Into a right-to-left
language the default paragraph style, and every paragraph, table, section and page set left to right,
read right to left (style:writing-mode="rl-tb", as LibreOffice marks them); from one, left to right.

Deleted text of tracked changes (text:tracked-changes) is kept as it was, as Word's deleted runs are;
embedded objects (charts, formulas: Object N/), settings and the thumbnail are copied unchanged.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any, Iterator

from babelflow.documents import Block, Document, DocumentError, Span
from babelflow.languages import MBART50, bcp47, is_rtl, script, sets_direction
from babelflow.tasks.formats import FormatOptions, Parsed
from babelflow.tasks.formats.docx_paragraph import xml_text
from babelflow.tasks.formats.package import open_package, read_xml, repackage, serialize_xml
from babelflow.tasks.formats.spans import nest

_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
_FO = "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
_SVG = "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
_FIELD = "urn:openoffice:names:experimental:ooo-ms-interop:xmlns:field:1.0"
_DC, _META = "http://purl.org/dc/elements/1.1/", "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
_XML_ID = "{http://www.w3.org/XML/1998/namespace}id"


def _t(name: str) -> str:
    return f"{{{_TEXT}}}{name}"


def _s(name: str) -> str:
    return f"{{{_STYLE}}}{name}"


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
}
_ELEMENT_TEXTS = frozenset((f"{{{_SVG}}}title", f"{{{_SVG}}}desc", _t("index-title-template")))
_PROPERTIES = frozenset((f"{{{_DC}}}title", f"{{{_DC}}}subject", f"{{{_DC}}}description", f"{{{_META}}}keyword"))
_SHOWING = frozenset((_t("hidden-text"), _t("conditional-text")))  # fields whose text is one of their values
_TRACKED = _t("tracked-changes")

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


@dataclass(frozen=True)
class _Skeleton:
    data: bytes
    # Per part: (unit index in _units(part), block index), for the units with text.
    parts: tuple[tuple[str, tuple[tuple[int, int], ...]], ...]


def parse(data: bytes, options: FormatOptions) -> Parsed:
    package = open_package(data, "ODT")
    _check_package(package)
    roots = {name: read_xml(package, name) for name in (_CONTENT, _STYLES, _META_PART) if name in package.NameToInfo}
    _check_body(roots[_CONTENT])
    blocks: list[Block] = []
    parts = []
    for name, root in roots.items():
        placed = []
        for index, unit in enumerate(_units(root, name)):
            block = _read_unit(unit)
            if block.text.strip():
                placed.append((index, len(blocks)))
                blocks.append(block)
        parts.append((name, tuple(placed)))
    return Parsed(blocks, _Skeleton(data, tuple(parts)))


def render(doc: Document, blocks: list[Block | None], tgt: str) -> bytes:
    skeleton: _Skeleton = doc.skeleton
    package = zipfile.ZipFile(io.BytesIO(skeleton.data))
    mode = ("rl-tb" if is_rtl(tgt) else "lr-tb") if sets_direction(doc.src_lang, tgt) else None
    changed: dict[str, bytes] = {}
    for name, placed in skeleton.parts:
        root = read_xml(package, name)
        units = _units(root, name)
        todo = [(units[i], blocks[b]) for i, b in placed if blocks[b] is not None]
        for unit, block in reversed(todo):  # inner paragraphs (notes, text boxes) first: they move with their anchor
            _write_unit(unit, block)
        if name == _META_PART and not todo:
            continue
        if name != _META_PART:
            _set_language(root, tgt, default=name == _STYLES)
            if mode:
                _set_direction(root, mode, default=name == _STYLES)
        changed[name] = serialize_xml(root)
    return repackage(package, changed)


def _check_package(package: zipfile.ZipFile) -> None:
    """An encrypted package is refused with a message that says so, not as XML that does not parse."""
    manifest = "META-INF/manifest.xml"
    if manifest in package.NameToInfo and b"encryption-data" in package.read(manifest):
        raise DocumentError("a password-protected (encrypted) OpenDocument file: its content cannot be read")
    if _CONTENT not in package.NameToInfo:
        raise DocumentError("no content.xml in the package: not an OpenDocument file")


def _check_body(content: Any) -> None:
    """A spreadsheet, a presentation or a drawing is refused: its text is not in paragraphs of a body."""
    body = content.find(f"{{{_OFFICE}}}body")
    kinds = [child.tag.rsplit("}", 1)[-1] for child in body if isinstance(child.tag, str)] if body is not None else []
    if kinds != ["text"]:
        raise DocumentError(f"not an OpenDocument text: its body holds {', '.join(kinds) or 'nothing'}")


# --- units: what holds text in a part ---------------------------------------------------------------


@dataclass(frozen=True)
class _Unit:
    element: Any
    attribute: str | None = None  # the attribute that holds the text; None for the element's own text
    paragraph: bool = False


def _units(root: Any, name: str) -> list[_Unit]:
    """The part's texts in document order: the body (content.xml), headers and footers (styles.xml), the
    properties (meta.xml)."""
    if name == _META_PART:
        meta = root.find(f"{{{_OFFICE}}}meta")
        return [_Unit(e) for e in (meta if meta is not None else ()) if e.tag in _PROPERTIES and not len(e)]
    scope = root.find(f"{{{_OFFICE}}}body" if name == _CONTENT else f"{{{_OFFICE}}}master-styles")
    return list(_walk(scope)) if scope is not None else []


def _walk(element: Any) -> Iterator[_Unit]:
    for child in element:
        if child.tag == _TRACKED or not isinstance(child.tag, str):
            continue
        if child.tag in _PARAGRAPHS:
            yield _Unit(child, paragraph=True)
        elif child.tag in _ELEMENT_TEXTS and not len(child):
            yield _Unit(child)
        for attribute in _ATTRIBUTES.get(child.tag, ()):
            yield _Unit(child, attribute)
        yield from _walk(child)


def _read_unit(unit: _Unit) -> Block:
    if unit.paragraph:
        para = read_paragraph(unit.element)
        return Block(para.text, para.spans, words=para.words)
    if unit.attribute:
        return Block(unit.element.get(unit.attribute, ""))
    return Block(unit.element.text or "")


def _write_unit(unit: _Unit, block: Block) -> None:
    text = xml_text(block.text)
    if unit.paragraph:
        write_paragraph(unit.element, block)
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
    """Paragraph content in document order, its white space collapsed as LibreOffice reads it."""

    def __init__(self) -> None:
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


def read_paragraph(p: Any) -> Paragraph:
    nodes = _Reader().content(p, ())
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


def write_paragraph(p: Any, block: Block) -> None:
    """Replace the paragraph's content (its attributes stay) with the translated block."""
    para = read_paragraph(p)
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


def _set_language(root: Any, tgt: str, default: bool) -> None:
    """The target's language in the attributes of its script class: in the default paragraph style
    (styles.xml), and wherever a style names a language of that class already, so that no style says
    the translation is in the source language. The other classes keep theirs (Latin words in Arabic),
    and so does text marked as in no language (zxx: links, code), which is never spell-checked."""
    cls = _language_class(tgt)
    names = _LANGUAGE[cls]
    values = _language_values(tgt)
    targets = [p for p in root.iter(_s("text-properties"))
               if p.get(names[0]) not in (None, "zxx") or p.get(names[3]) not in (None, "zxx")]
    if default:
        targets.append(_properties(_default_paragraph_style(root), "text-properties"))
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


def _set_direction(root: Any, mode: str, default: bool) -> None:
    """Paragraphs, tables, sections and pages read in `mode` (lr-tb or rl-tb): the default paragraph style
    says so (styles.xml), and every horizontal writing mode set the other way turns."""
    attribute = _s("writing-mode")
    for element in root.iter():
        value = element.get(attribute) if isinstance(element.tag, str) else None
        if value in _MODES and not value.startswith(mode[:2]):
            element.set(attribute, _MODES[value])
    if default:
        _properties(_default_paragraph_style(root), "paragraph-properties").set(attribute, mode)


def _default_paragraph_style(styles: Any) -> Any:
    """office:styles/style:default-style of family paragraph, created where missing."""
    office_styles = styles.find(f"{{{_OFFICE}}}styles")
    if office_styles is None:
        office_styles = styles.makeelement(f"{{{_OFFICE}}}styles", {})
        styles.insert(_after(styles, ("font-face-decls",)), office_styles)
    for style in office_styles.iterfind(_s("default-style")):
        if style.get(_s("family")) == "paragraph":
            return style
    style = office_styles.makeelement(_s("default-style"), {_s("family"): "paragraph"})
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
    """The style's style:<kind> element, created in schema order (paragraph before text properties)."""
    found = style.find(_s(kind))
    if found is None:
        found = style.makeelement(_s(kind), {})
        earlier = {"paragraph-properties": ("graphic-properties",),
                   "text-properties": ("graphic-properties", "paragraph-properties")}[kind]
        style.insert(_after(style, earlier), found)
    return found
