"""XHTML documents (.xhtml files, and EPUB's content documents): HTML in XML syntax, written back as XML.

Read with lxml, never loading a DTD; its HTML elements are renamed out of their namespace for the time
html.read_tree/write_tree read and write them (the same blocks, inline markup, attributes and kept
elements as a web page), then put back. The named HTML entities a document may use through the XHTML
DTD it names (&nbsp;), or without naming any (reading systems and browsers that parse it as HTML open
those), are read as the characters they stand for, and written as characters. Empty elements other than
void ones are written `<p></p>`, never `<p/>`, which a reader that parses XHTML as HTML takes for an
opening tag.

The root says the target language in xml:lang (and lang where it had one: XHTML 1.1 has none). When
the direction changes, the root gets dir, and CSS that sets a direction in style elements and attributes
is turned with it (turn_css). A .xhtml file that is not well-formed XML is read as the HTML page a
browser would make of it (tasks/formats/html).
"""

from __future__ import annotations

import html.entities
import re
from dataclasses import dataclass
from typing import Any

from babelflow.documents import Block, Document, DocumentError
from babelflow.languages import is_rtl, sets_direction, tag
from babelflow.tasks.formats import FormatOptions, Parsed
from babelflow.tasks.formats import html as html_format
from babelflow.tasks.formats.html import Places, read_tree, write_tree
from babelflow.tasks.formats.package import parse_xml, serialize_xml

_XHTML = "{http://www.w3.org/1999/xhtml}"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_NAMED = re.compile(rb"&([A-Za-z][A-Za-z0-9]*);")
_XML_ENTITIES = {b"amp", b"lt", b"gt", b"quot", b"apos"}
_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
# CSS declarations a change of direction turns; `flex-direction` and the like are other properties.
_DIRECTION = re.compile(rb"((?<![-\w])direction\s*:\s*)(?:ltr|rtl)\b", re.IGNORECASE)
_ALIGNMENT = re.compile(rb"((?<![-\w])text-align\s*:\s*)(left|right)\b", re.IGNORECASE)


@dataclass(frozen=True)
class _Skeleton:
    data: bytes
    places: Places


def parse(data: bytes, options: FormatOptions) -> Parsed:
    try:
        blocks, places = read(data, "the document")
    except DocumentError:
        return html_format.parse(data, options)
    return Parsed(blocks, _Skeleton(data, places))


def render(doc: Document, blocks: list[Block | None], tgt: str) -> bytes:
    if not isinstance(doc.skeleton, _Skeleton):
        return html_format.render(doc, blocks, tgt)
    return write(doc.skeleton.data, "the document", doc.skeleton.places, blocks, tgt, sets_direction(doc.src_lang, tgt))


def read(data: bytes, name: str) -> tuple[list[Block], Places]:
    """The blocks of XHTML document `name` (named in errors) and where each goes back."""
    return read_tree(_as_html(_load(data, name), name))


def write(data: bytes, name: str, places: Places, blocks: list[Block | None], tgt: str, turn: bool) -> bytes:
    """The document with its translated blocks; `turn`: the direction changes (sets_direction)."""
    root = _load(data, name)
    space = _XHTML if root.tag.startswith(_XHTML) else ""
    html_root = _as_html(root, name)
    write_tree(html_root, places, blocks, tgt)
    html_root.set(_XML_LANG, tag(tgt))
    if "lang" in html_root.attrib:
        html_root.set("lang", tag(tgt))
    if turn:
        _turn_styles(html_root, is_rtl(tgt))
    _as_xhtml(root, space)
    return serialize_xml(root)


def turn_css(css: bytes, rtl: bool) -> bytes:
    """CSS that sets a direction (LibreOffice's EPUBs set `direction: ltr` on the body, which wins over
    the root's dir) sets the target's; left and right alignment swap to stay at the start or end of a
    line, as DrawingML's do in PPTX. Everything else byte for byte."""
    css = _DIRECTION.sub(rb"\1" + (b"rtl" if rtl else b"ltr"), css)
    return _ALIGNMENT.sub(lambda m: m[1] + (b"right" if m[2].lower() == b"left" else b"left"), css)


def _load(data: bytes, name: str) -> Any:
    """The document as XML; one that uses HTML's named entities without a DTD that declares them is
    read with them as character references."""
    try:
        return parse_xml(data, name, doctype=True)
    except DocumentError:
        named = _NAMED.sub(_character_reference, data)
        if named == data:
            raise
        return parse_xml(named, name, doctype=True)


def _character_reference(m: re.Match) -> bytes:
    char = html.entities.html5.get(m[1].decode() + ";")
    return m[0] if char is None or m[1] in _XML_ENTITIES else "".join(f"&#{ord(c)};" for c in char).encode()


def _as_html(root: Any, name: str) -> Any:
    """The document with its XHTML elements renamed as html.py reads HTML (no namespace), named HTML
    entities replaced by their characters. _as_xhtml puts the namespace back."""
    from lxml import etree

    for entity in list(root.iter(etree.Entity)):
        char = html.entities.html5.get(entity.name + ";")
        if char is None:
            raise DocumentError(f"{name}: undefined entity &{entity.name};")
        _replace_with_text(entity, char + (entity.tail or ""))
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.startswith(_XHTML):
            el.tag = el.tag[len(_XHTML):]
    if root.tag != "html":
        raise DocumentError(f"{name}: not an XHTML document (its root is {root.tag})")
    return root


def _replace_with_text(node: Any, text: str) -> None:
    previous, parent = node.getprevious(), node.getparent()
    if previous is None:
        parent.text = (parent.text or "") + text
    else:
        previous.tail = (previous.tail or "") + text
    parent.remove(node)


def _as_xhtml(root: Any, space: str) -> None:
    """The HTML elements back in the namespace the document had them in (a document without one stays so)."""
    for el in root.iter():
        if isinstance(el.tag, str) and not el.tag.startswith("{"):
            if el.text is None and not len(el) and el.tag not in _VOID:
                el.text = ""
            el.tag = space + el.tag


def _turn_styles(root: Any, rtl: bool) -> None:
    for el in root.iter():
        if el.tag == "style" and el.text:
            el.text = turn_css(el.text.encode(), rtl).decode()
        if isinstance(el.tag, str) and el.get("style"):
            el.set("style", turn_css(el.get("style").encode(), rtl).decode())
