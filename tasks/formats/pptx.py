"""PowerPoint presentations: every paragraph of the slides (shapes, placeholders, grouped shapes, table
cells), of their notes, of the titles and labels of their charts (c:rich: a chart's numbers, categories
and series names are cached cell values, never translated), of their SmartArt and of their comments is a
block, in slide order (a slide's comments after its notes); so are the core properties a reader sees
(title, subject, description, keywords), as in Word. A legacy comment (p:cm) holds plain text (p:text),
a modern one (PowerPoint 365: p188:cm) DrawingML paragraphs, and so does each of its replies, which come
after it. Comment authors (commentAuthors.xml, authors.xml) are names and stay as they are.

The zip package is the source of truth and is read with lxml. Only the parts whose text was translated,
and presentation.xml (the default language of new text), are rewritten; every other member is copied
unchanged, in the same order, with the same compression. Slide layouts and masters are templates and
stay as they are; so do the relationships, so hyperlinks (a:hlinkClick in run properties), pictures,
media, animations and transitions are kept.

SmartArt keeps its text twice: the data part (what PowerPoint edits and lays out) and a drawing part (the
last layout, which other readers show). A drawing paragraph that repeats a data paragraph is written from
the same block, and so is an mc:Fallback paragraph that repeats its mc:Choice.

Into a right-to-left language every paragraph of the text parts reads right to left (a:pPr rtl="1"; a
legacy comment's plain text has no direction to set) and every table's columns run right to left
(a:tblPr rtl="1"); from a right-to-left source into a left-to-right language they read left to right
again. DrawingML alignment is absolute (`l` is the left margin whatever the direction: PowerPoint writes a
right-to-left paragraph aligned at its start as rtl="1" algn="r", and LibreOffice lays `l` out on the left
of one), so a paragraph whose direction changes has its alignment mirrored to stay at its start or end:
`l` (its own, or what it inherits from its list style, layout, master or the presentation's defaults)
becomes `r` and the other way round; centred and justified text stay as they are.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import Any

from babelflow.documents import Block, Document, DocumentError
from babelflow.languages import is_rtl, sets_direction
from babelflow.tasks.formats import FormatOptions, Parsed
from babelflow.tasks.formats.docx_paragraph import xml_text
from babelflow.tasks.formats.drawingml import (P, a, chart_drawings, chart_paragraphs, layout, list_level,
                                               paragraph_level, place, read_paragraph, set_direction, set_lang,
                                               write_paragraphs)
from babelflow.tasks.formats.office import language_tag, main_part, other_office, read_properties, write_properties
from babelflow.tasks.formats.package import R_ID, open_package, read_xml, relationships, repackage, serialize_xml

_PML = "http://schemas.openxmlformats.org/presentationml/2006/main"
_P188 = "http://schemas.microsoft.com/office/powerpoint/2018/8/main"  # modern comments


def p(name: str) -> str:
    return f"{{{_PML}}}{name}"


def p188(name: str) -> str:
    return f"{{{_P188}}}{name}"


# Parts with text, by the relationship type (its last path segment) from a slide, in block order. Legacy
# and modern comments end their types alike (.../2006/relationships/comments, .../2018/10/relationships/
# comments); their root elements tell them apart.
_SLIDE_PARTS = {"chart": "chart", "diagramData": "diagramData", "diagramDrawing": "diagramDrawing",
                "notesSlide": "notes", "comments": "comments"}
_REPLIES = f"{p188('replyLst')}/{p188('reply')}/{p188('txBody')}"


@dataclass(frozen=True)
class _Part:
    name: str
    # slide, notes, chart, shapes (a chart's drawing), diagramData, diagramDrawing, comments (modern),
    # legacyComments (plain text)
    kind: str
    placed: tuple[tuple[int, int], ...]  # (paragraph index in the part, block index)


@dataclass(frozen=True)
class _Skeleton:
    data: bytes
    presentation: str
    parts: tuple[_Part, ...]
    properties: tuple[str, tuple[tuple[str, int], ...]] | None  # core properties part: (element tag, block index)


def parse(data: bytes, options: FormatOptions) -> Parsed:
    package = open_package(data, "PPTX")
    main = main_part(package, "PPTX")
    root = read_xml(package, main)
    if root.tag != p("presentation"):
        if _localname(root.tag) == "presentation":
            raise DocumentError(f"{main} is not a PresentationML presentation (Strict Open XML is not supported)")
        raise DocumentError(f"{main} is not a PowerPoint presentation{other_office(package, 'PPTX')}")
    blocks: list[Block] = []
    parts: list[_Part] = []
    diagrams: list[tuple[Any, int]] = []  # the slide's SmartArt data paragraphs and their blocks
    for name, kind in _text_parts(package, main, root):
        if kind == "slide":
            diagrams = []
        xml = read_xml(package, name)
        if kind == "comments" and xml.tag == p("cmLst"):
            kind = "legacyComments"
        paragraphs = _paragraphs(xml, kind)
        if kind == "legacyComments":
            texts = [element.text or "" for element in paragraphs]
            block_at = {index: len(blocks) + index for index in range(len(texts))}
            blocks += [Block(text, [], translatable=bool(text.strip())) for text in texts]
        else:
            block_at = place(paragraphs, blocks, _repeats(paragraphs, diagrams) if kind == "diagramDrawing" else {})
        if kind == "diagramData":
            diagrams += [(para, block_at[i]) for i, para in enumerate(paragraphs)]
        if paragraphs:
            parts.append(_Part(name, kind, tuple(block_at.items())))
    return Parsed(blocks, _Skeleton(data, main, tuple(parts), read_properties(package, blocks)))


def render(doc: Document, blocks: list[Block | None], tgt: str) -> bytes:
    skeleton: _Skeleton = doc.skeleton
    package = zipfile.ZipFile(io.BytesIO(skeleton.data))
    tag = language_tag(tgt)
    rtl = is_rtl(tgt)
    direction = sets_direction(doc.src_lang, tgt)
    presentation = read_xml(package, skeleton.presentation)
    styles = _Inheritance(package, presentation)
    changed: dict[str, bytes] = {}
    for part in skeleton.parts:
        todo = {i: blocks[b] for i, b in part.placed if blocks[b] is not None}
        turn = direction and part.kind != "legacyComments"  # plain text has no direction of its own
        if not todo and not turn:
            continue
        root = read_xml(package, part.name)
        paragraphs = _paragraphs(root, part.kind)
        if part.kind == "legacyComments":
            for index, block in todo.items():
                paragraphs[index].text = xml_text(block.text)
        else:
            write_paragraphs(root, paragraphs, todo, tag)
        if turn:
            set_direction(root, paragraphs, rtl, lambda para: styles.inherited(part.name, part.kind, para))
        changed[part.name] = serialize_xml(root)
    defaults = presentation.find(p("defaultTextStyle"))
    if defaults is not None:
        for props in defaults.iter(a("defRPr")):
            if props.get("lang") or props.getparent().tag == a("defPPr"):
                set_lang(props, tag)
        changed[skeleton.presentation] = serialize_xml(presentation)
    if skeleton.properties:
        changed.update(write_properties(package, skeleton.properties, blocks))
    return repackage(package, changed)


def _localname(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _text_parts(package: zipfile.ZipFile, main: str, root: Any) -> list[tuple[str, str]]:
    """The slides in the order the presentation shows them, each followed by its charts (and their
    drawings), its SmartArt data and drawings, its notes and its comments."""
    targets = {rid: name for rid, kind, name in relationships(package, main) if kind == "slide"}
    slides = [targets[s.get(R_ID)] for s in root.iterfind(f"{p('sldIdLst')}/{p('sldId')}") if s.get(R_ID) in targets]
    out: list[tuple[str, str]] = []
    for slide in dict.fromkeys(slides):
        out.append((slide, "slide"))
        related = [(name, rel) for _, rel, name in relationships(package, slide) if rel in _SLIDE_PARTS]
        for name, rel in sorted(related, key=lambda t: list(_SLIDE_PARTS).index(t[1])):  # data before drawing
            out.append((name, _SLIDE_PARTS[rel]))
            if rel == "chart":
                out += [(shapes, "shapes") for shapes in chart_drawings(package, name)]
    seen: set[str] = set()
    return [(name, kind) for name, kind in out if not (name in seen or seen.add(name))]


def _paragraphs(root: Any, kind: str) -> list[Any]:
    """The part's paragraphs with text: a chart's titles and labels; a legacy comment's plain text (p:text);
    a modern comment's paragraphs, then its replies'. (The text body of a modern comment comes after its
    replies in the file.)"""
    if kind == "chart":
        return chart_paragraphs(root)
    if kind == "legacyComments":
        return list(root.iter(p("text")))
    if kind == "comments":
        bodies = [body for cm in root.iter(p188("cm")) for body in [cm.find(p188("txBody")), *cm.iterfind(_REPLIES)]
                  if body is not None]
        return [para for body in bodies for para in body.iter(P)]
    return list(root.iter(P))


def _repeats(paragraphs: list[Any], data: list[tuple[Any, int]]) -> dict[int, int]:
    """SmartArt drawing paragraph index -> the block of the data paragraph it shows (the first not yet
    shown with the same text and runs)."""
    out: dict[int, int] = {}
    free = [(read_paragraph(para), block) for para, block in data]
    for index, para in enumerate(paragraphs):
        mine = read_paragraph(para)
        found = next((k for k, (theirs, _) in enumerate(free) if mine.text.strip()
                      and (theirs.text, theirs.spans) == (mine.text, mine.spans)), None)
        if found is not None:
            out[index] = free.pop(found)[1]
    return out


_PH = f"{p('nvSpPr')}/{p('nvPr')}/{p('ph')}"
_HEADINGS = {"title": "title", "ctrTitle": "title"}
_OWN = {"dt", "ftr", "sldNum", "hdr", "sldImg"}  # placeholder types matched as they are; all others are body text
_MASTER_STYLES = {"title": "titleStyle", "body": "bodyStyle"}


class _Inheritance:
    """A paragraph's direction and alignment where it does not set them itself, as PowerPoint finds them:
    its text body's list style, then for a placeholder the same placeholder on the layout and on the master
    and the master's title, body or other text style (the notes master's notes style for notes), and for
    any other shape the presentation's default text style. Left to right and left aligned where nothing
    says; a chart's or a SmartArt's alignment, which their layouts decide, is left alone."""

    def __init__(self, package: zipfile.ZipFile, presentation: Any) -> None:
        self.package = package
        self.defaults = presentation.find(p("defaultTextStyle"))
        self.roots: dict[str, Any] = {}
        self.links: dict[tuple[str, str], str | None] = {}

    def inherited(self, part: str, kind: str, para: Any) -> tuple[bool, str | None]:
        if kind in ("slide", "notes"):
            return layout(para, self.placeholder(part, kind, para, paragraph_level(para)), "l")
        return layout(para, [], None)

    def placeholder(self, part: str, kind: str, para: Any, level: int) -> list[Any]:
        shape = para.getparent().getparent()
        ph = shape.find(_PH) if shape.tag == p("sp") else None
        if ph is None:
            return [list_level(self.defaults, level)]
        group = _HEADINGS.get(ph.get("type", "obj"), ph.get("type") if ph.get("type") in _OWN else "body")
        if kind == "notes":
            master = self.related(part, "notesMaster")
            styles = [master.find(f"{p('notesStyle')}") if master is not None and group == "body" else None]
            chain = [master]
        else:
            layout_name = self.related_name(part, "slideLayout")
            layout = self.root(layout_name)
            master = self.related(layout_name, "slideMaster") if layout_name else None
            found = master.find(p("txStyles")) if master is not None else None
            styles = [found.find(p(_MASTER_STYLES.get(group, "otherStyle"))) if found is not None else None]
            chain = [layout, master]
        out = []
        for root in chain:
            sp = _match(root, ph, group, by_index=root is not master)
            out.append(list_level(sp.find(f"{p('txBody')}/{a('lstStyle')}"), level) if sp is not None else None)
        return out + [list_level(s, level) for s in styles] + [list_level(self.defaults, level)]

    def related_name(self, part: str | None, kind: str) -> str | None:
        if part is None:
            return None
        if (part, kind) not in self.links:
            self.links[part, kind] = next((name for _, rel, name in relationships(self.package, part) if rel == kind),
                                          None)
        return self.links[part, kind]

    def related(self, part: str | None, kind: str) -> Any:
        return self.root(self.related_name(part, kind))

    def root(self, name: str | None) -> Any:
        if name is None:
            return None
        if name not in self.roots:
            try:
                self.roots[name] = read_xml(self.package, name)
            except DocumentError:  # a broken template only costs the alignment it would have given
                self.roots[name] = None
        return self.roots[name]


def _match(root: Any, ph: Any, group: str, by_index: bool) -> Any:
    """The shape of a layout or master that a placeholder inherits from: on the layout the same index,
    else the same type; on the master the same type."""
    if root is None:
        return None
    shapes = [(sp, x) for sp in root.iter(p("sp")) if (x := sp.find(_PH)) is not None]
    if by_index and ph.get("idx") is not None:
        found = next((sp for sp, x in shapes if x.get("idx") == ph.get("idx")), None)
        if found is not None:
            return found
    return next((sp for sp, x in shapes if _HEADINGS.get(x.get("type", "obj"), x.get("type") if x.get("type") in _OWN
                                                        else "body") == group), None)
