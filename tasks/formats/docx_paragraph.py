"""One Word paragraph (w:p) as block text with spans, and back: its runs rebuilt from projected spans.

Refs, in this order: the inline wrappers around text (hyperlinks, content controls, tracked insertions,
smart tags, simple fields), outer before inner; then one per distinct run format (w:rPr), so runs that
Word split without a change of formatting project as one; then the inline objects (drawings, bookmarks,
note and comment references, field codes, deleted text...), kept verbatim and moved with the text.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from babelflow.documents import Block, Span
from babelflow.tasks.formats.spans import nest

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


def w(name: str) -> str:
    return f"{{{W}}}{name}"


_R, _RPR, _PPR, _T, _FLDCHAR = w("r"), w("rPr"), w("pPr"), w("t"), w("fldChar")
_SDT, _SDT_CONTENT, _LANG = w("sdt"), w("sdtContent"), w("lang")
# Inline containers of runs: a translation that splits their text gets one copy per piece.
_WRAPPERS = frozenset(map(w, ("hyperlink", "ins", "moveTo", "smartTag", "customXml", "sdt", "fldSimple", "dir", "bdo")))
# Their own properties, copied into every copy and never read as content.
_WRAPPER_PROPERTIES = frozenset(map(w, ("sdtPr", "sdtEndPr", "smartTagPr", "customXmlPr", "fldData")))
# Run content that reads as a character. A break of any type is "\n" so that the segmenter sees the
# lines it separates (an address, a title on two lines) instead of words glued together.
_CHARS = {w("tab"): "\t", w("br"): "\n", w("cr"): "\n", w("noBreakHyphen"): "\u2011", w("softHyphen"): "\u00ad"}
_ELEMENTS = {"\t": w("tab"), "\n": w("br"), "\u2011": w("noBreakHyphen"), "\u00ad": w("softHyphen")}
_LINE_BREAKS = frozenset((w("br"), w("cr")))
_SPECIAL = re.compile("([\t\n\u2011\u00ad])")
_NOT_XML = re.compile("[^\t\n\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# w:rPr children that the schema puts after w:lang (w14 and other extensions come last as well).
_AFTER_LANG = frozenset(map(w, ("eastAsianLayout", "specVanish", "oMath", "rPrChange")))


@dataclass
class _Node:
    """A piece of paragraph content in document order: translatable text, or an object kept as is."""

    chain: tuple[Any, ...]  # enclosing wrappers, outermost first
    run: Any = None  # the w:r it sits in; None for paragraph-level content
    text: str = ""
    element: Any = None
    code: bool = False  # inside a field code (w:fldChar begin .. separate)


@dataclass
class _Format:
    run: Any  # the first run with this w:rPr: its attributes and properties are copied
    # Its w:br / w:cr in order: the n-th "\n" written in this format copies the n-th (page breaks stay pages).
    line_breaks: list[Any] = field(default_factory=list)


@dataclass
class Paragraph:
    text: str
    spans: list[Span]
    wrappers: dict[int, Any]
    outer: dict[int, frozenset[int]]  # wrapper ref -> the wrapper refs around it in the source
    formats: dict[int, _Format]
    objects: dict[int, list[tuple[Any, Any]]]  # ref -> (element, its run or None)
    inside: dict[int, frozenset[int]]  # object ref -> the wrapper refs it sat in
    dominant: int | None  # the format of most characters: for text the projection left unformatted


class _Reader:
    """Walks paragraph content in document order; complex fields span runs, so their state is kept here."""

    def __init__(self) -> None:
        self.fields: list[bool] = []  # per open field: still in its code

    def in_code(self) -> bool:
        return any(self.fields)

    def content(self, container: Any, chain: tuple[Any, ...]) -> list[_Node]:
        nodes: list[_Node] = []
        for child in container:
            if child.tag == _R:
                nodes += self.run(child, chain)
            elif child.tag in _WRAPPERS:
                nodes += self.wrapper(child, chain)
            elif child.tag != _PPR and child.tag not in _WRAPPER_PROPERTIES:
                nodes.append(_Node(chain, element=child, code=self.in_code()))
        return nodes

    def wrapper(self, element: Any, chain: tuple[Any, ...]) -> list[_Node]:
        """A wrapper without text of its own (a linked image, an empty control) is one object."""
        before = list(self.fields)
        content = element.find(_SDT_CONTENT) if element.tag == _SDT else element
        inner = self.content(content, (*chain, element)) if content is not None else []
        if any(n.text for n in inner) or self.fields != before:
            return inner
        return [_Node(chain, element=element, code=self.in_code())]

    def run(self, run: Any, chain: tuple[Any, ...]) -> list[_Node]:
        nodes = []
        for child in run:
            if child.tag == _RPR:
                continue
            was = self.in_code()
            if child.tag == _FLDCHAR:
                self.field_char(child.get(w("fldCharType")))
            code = was or self.in_code()
            if code or (child.tag != _T and child.tag not in _CHARS):
                nodes.append(_Node(chain, run, element=child, code=code))
            elif child.tag != _T or child.text:
                nodes.append(_Node(chain, run, child.text if child.tag == _T else _CHARS[child.tag], child))
        return nodes

    def field_char(self, kind: str | None) -> None:
        if kind == "begin":
            self.fields.append(True)
        elif kind == "separate" and self.fields:
            self.fields[-1] = False
        elif kind == "end" and self.fields:
            self.fields.pop()


def _format_key(run: Any) -> bytes:
    from lxml import etree

    rpr = run.find(_RPR)
    return etree.tostring(rpr, method="c14n", exclusive=True) if rpr is not None and len(rpr) else b""


def read_paragraph(p: Any) -> Paragraph:
    nodes = _Reader().content(p, ())
    texts = [n for n in nodes if n.text]
    wrapper_refs: dict[Any, int] = {}
    for node in texts:
        for element in node.chain:
            wrapper_refs.setdefault(element, len(wrapper_refs))
    format_refs: dict[bytes, int] = {}
    format_of: dict[Any, int] = {}  # run -> its format's ref
    formats: dict[int, _Format] = {}
    for node in texts:
        if node.run not in format_of:
            format_of[node.run] = format_refs.setdefault(_format_key(node.run), len(wrapper_refs) + len(format_refs))
        fmt = formats.setdefault(format_of[node.run], _Format(node.run))
        if node.element.tag in _LINE_BREAKS:
            fmt.line_breaks.append(node.element)

    ranges: dict[int, list[list[int]]] = {}
    objects: dict[int, list[tuple[Any, Any]]] = {}
    inside: dict[int, frozenset[int]] = {}
    points: list[Span] = []
    parts: list[str] = []
    pos = 0
    in_field_code = False
    for node in nodes:
        if node.text:
            end = pos + len(node.text)
            for ref in (*(wrapper_refs[e] for e in node.chain), format_of[node.run]):
                spans = ranges.setdefault(ref, [])
                if spans and spans[-1][1] == pos:
                    spans[-1][1] = end
                else:
                    spans.append([pos, end])
            parts.append(node.text)
            pos = end
        elif node.code and in_field_code:  # a field code is one object, however many runs it takes
            objects[points[-1][2]].append((node.element, node.run))
            inside[points[-1][2]] &= {wrapper_refs[e] for e in node.chain if e in wrapper_refs}
        else:
            ref = len(wrapper_refs) + len(format_refs) + len(objects)
            objects[ref] = [(node.element, node.run)]
            inside[ref] = frozenset(wrapper_refs[e] for e in node.chain if e in wrapper_refs)
            points.append((pos, pos, ref))
        in_field_code = node.code and not node.text

    sizes = {ref: sum(b - a for a, b in ranges[ref]) for ref in formats}
    return Paragraph(
        text="".join(parts),
        spans=[(a, b, ref) for ref in sorted(ranges) for a, b in ranges[ref]] + points,
        wrappers={ref: e for e, ref in wrapper_refs.items()},
        outer={ref: frozenset(wrapper_refs[a] for a in e.iterancestors() if a in wrapper_refs)
               for e, ref in wrapper_refs.items()},
        formats=formats,
        objects=objects,
        inside=inside,
        dominant=max(sizes, key=lambda r: (sizes[r], -r)) if sizes else None,
    )


def xml_text(text: str) -> str:
    """Text without the characters XML cannot hold (control characters a model may emit)."""
    return _NOT_XML.sub("", text)


def set_lang(rpr: Any, attributes: dict[str, str]) -> None:
    """Set w:lang in run properties, where the schema wants it."""
    lang = rpr.find(_LANG)
    if lang is None:
        lang = rpr.makeelement(_LANG, {})
        later = next((c for c in rpr if not isinstance(c.tag, str) or c.tag in _AFTER_LANG
                      or not c.tag.startswith(f"{{{W}}}")), None)
        if later is None:
            rpr.append(lang)
        else:
            later.addprevious(lang)
    for name, value in attributes.items():
        lang.set(w(name), value)


def write_paragraph(p: Any, block: Block, lang: dict[str, str]) -> None:
    """Replace the paragraph's content (all but w:pPr) with runs for the translated block."""
    para = read_paragraph(p)
    for child in list(p):
        if child.tag != _PPR:
            p.remove(child)
    _Writer(para, lang).write(p, block.text, block.spans)


class _Writer:
    def __init__(self, para: Paragraph, lang: dict[str, str]) -> None:
        self.para = para
        self.lang = lang
        self.placed: set[int] = set()
        self.breaks: dict[int, int] = {}  # format ref -> line breaks written in it

    def write(self, p: Any, text: str, spans: list[Span]) -> None:
        for parent, piece in nest(p, text, spans, self.para.inside, self.chain, self.open_wrapper):
            if piece.atom is None:
                self.text_run(parent, piece.refs, text[piece.start:piece.end])
            elif piece.atom in self.para.objects:
                self.put_object(parent, piece.atom)
        for ref in self.para.objects:  # never drop an object the projection did not place
            if ref not in self.placed:
                self.put_object(p, ref)

    def chain(self, refs: tuple[int, ...]) -> list[int]:
        """Wrappers around a piece, outermost first; never a link inside another link the source did not have."""
        kept: list[int] = []
        for ref in refs:
            element = self.para.wrappers.get(ref)
            if element is not None and all(
                k in self.para.outer[ref] or self.para.wrappers[k].tag != element.tag for k in kept
            ):
                kept.append(ref)
        return kept

    def open_wrapper(self, parent: Any, ref: int) -> Any:
        from lxml import etree

        source = self.para.wrappers[ref]
        wrapper = etree.SubElement(parent, source.tag, dict(source.attrib))
        container = wrapper
        for child in source:
            if child.tag in _WRAPPER_PROPERTIES:
                wrapper.append(_detached_copy(child))
            elif child.tag == _SDT_CONTENT:
                container = etree.SubElement(wrapper, child.tag, dict(child.attrib))
        return container

    def text_run(self, parent: Any, refs: tuple[int, ...], text: str) -> None:
        """Where the projection gives a piece two formats, the one that is not the paragraph's usual wins."""
        from lxml import etree

        ref = min((r for r in refs if r in self.para.formats), key=lambda r: (r == self.para.dominant, r),
                  default=self.para.dominant)
        fmt = self.para.formats.get(ref) if ref is not None else None
        run = etree.SubElement(parent, _R, dict(fmt.run.attrib) if fmt else {})
        source_rpr = fmt.run.find(_RPR) if fmt else None
        rpr = _detached_copy(source_rpr) if source_rpr is not None else etree.Element(_RPR)
        run.append(rpr)
        set_lang(rpr, self.lang)
        for chunk in _SPECIAL.split(text):
            if chunk == "\n" and fmt and fmt.line_breaks:
                n = self.breaks[ref] = self.breaks.get(ref, -1) + 1
                run.append(_detached_copy(fmt.line_breaks[min(n, len(fmt.line_breaks) - 1)]))
            elif chunk in _ELEMENTS:
                etree.SubElement(run, _ELEMENTS[chunk])
            elif chunk := xml_text(chunk):
                t = etree.SubElement(run, _T)
                t.text = chunk
                if chunk[:1].isspace() or chunk[-1:].isspace() or "  " in chunk:
                    t.set(_XML_SPACE, "preserve")

    def put_object(self, parent: Any, ref: int) -> None:
        """The object itself the first time, a copy if the projection placed it twice."""
        from lxml import etree

        first = ref not in self.placed
        self.placed.add(ref)
        shell = last = None
        for element, run in self.para.objects[ref]:
            node = element if first else _detached_copy(element)
            node.tail = None
            if run is None:
                parent.append(node)
            else:
                if run is not last:
                    shell = etree.SubElement(parent, _R, dict(run.attrib))
                    rpr = run.find(_RPR)
                    if rpr is not None:
                        shell.append(_detached_copy(rpr))
                shell.append(node)
            last = run


def _detached_copy(element: Any) -> Any:
    node = copy.deepcopy(element)
    node.tail = None
    return node
