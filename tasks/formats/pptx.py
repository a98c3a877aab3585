"""PowerPoint presentations: every paragraph of the slides (shapes, placeholders, grouped shapes, table
cells), of their notes, of the titles and labels of their charts (c:rich: a chart's numbers, categories
and series names are cached cell values, never translated) and of their SmartArt is a block, in slide
order; so are the core properties a reader sees (title, subject, description, keywords), as in Word.

The zip package is the source of truth and is read with lxml. Only the parts whose text was translated,
and presentation.xml (the default language of new text), are rewritten; every other member is copied
unchanged, in the same order, with the same compression. Slide layouts and masters are templates and
stay as they are; so do the relationships, so hyperlinks (a:hlinkClick in run properties), pictures,
media, animations and transitions are kept.

SmartArt keeps its text twice: the data part (what PowerPoint edits and lays out) and a drawing part (the
last layout, which other readers show). A drawing paragraph that repeats a data paragraph is written from
the same block, and so is an mc:Fallback paragraph that repeats its mc:Choice.

Into a right-to-left language every paragraph of the text parts reads right to left (a:pPr rtl="1") and
every table's columns run right to left (a:tblPr rtl="1"); from a right-to-left source into a left-to-right
language they read left to right again. DrawingML alignment is absolute (`l` is the left margin whatever
the direction: PowerPoint writes a right-to-left paragraph aligned at its start as rtl="1" algn="r", and
LibreOffice lays `l` out on the left of one), so a paragraph whose direction changes has its alignment
mirrored to stay at its start or end: `l` (its own, or what it inherits from its list style, layout,
master or the presentation's defaults) becomes `r` and the other way round; centred and justified text
stay as they are.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import Any, Callable

from babelflow.documents import Block, Document, DocumentError
from babelflow.languages import is_rtl, sets_direction
from babelflow.tasks.formats import FormatOptions, Parsed
from babelflow.tasks.formats.office import language_tag, main_part, other_office, read_properties, write_properties
from babelflow.tasks.formats.drawingml import P, a, block_of, read_paragraph, set_field_lang, set_lang, write_paragraph
from babelflow.tasks.formats.package import R_ID, open_package, read_xml, relationships, repackage, serialize_xml

_PML = "http://schemas.openxmlformats.org/presentationml/2006/main"
_CHART = "http://schemas.openxmlformats.org/drawingml/2006/chart"
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"


def p(name: str) -> str:
    return f"{{{_PML}}}{name}"


# Parts with text, by the relationship type (its last path segment) from a slide or a chart.
_SLIDE_PARTS = {"chart": "chart", "diagramData": "diagramData", "diagramDrawing": "diagramDrawing",
                "notesSlide": "notes"}
_CHART_PARTS = {"chartUserShapes": "shapes"}
_FLIP = {"l": "r", "r": "l"}


@dataclass(frozen=True)
class _Part:
    name: str
    kind: str  # slide, notes, chart, shapes (a chart's drawing), diagramData, diagramDrawing
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
        paragraphs = _paragraphs(read_xml(package, name), kind)
        same = _mirrors(paragraphs, _fallbacks(paragraphs))
        repeats = _repeats(paragraphs, diagrams) if kind == "diagramDrawing" else {}
        block_at: dict[int, int] = {}
        for index, para in enumerate(paragraphs):
            if index in same:
                block_at[index] = block_at[same[index]]
            elif index in repeats:
                block_at[index] = repeats[index]
            else:
                block_at[index] = len(blocks)
                blocks.append(block_of(para))
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
        todo = sorted(((i, blocks[b]) for i, b in part.placed if blocks[b] is not None), key=lambda t: t[0])
        if not todo and not direction:
            continue
        root = read_xml(package, part.name)
        paragraphs = _paragraphs(root, part.kind)
        for index, block in reversed(todo):
            write_paragraph(paragraphs[index], block, tag)
        written = {index for index, _ in todo}
        for index, para in enumerate(paragraphs):
            if index not in written:
                set_field_lang(para, tag)
        if direction:
            _set_direction(root, paragraphs, rtl, lambda para: styles.inherited(part.name, part.kind, para))
        if part.kind == "chart" and todo:  # the chart's editing language
            lang = root.find(f"{{{_CHART}}}lang")
            if lang is not None:
                lang.set("val", tag)
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
    drawings), its SmartArt data and drawings, and its notes."""
    targets = {rid: name for rid, kind, name in relationships(package, main) if kind == "slide"}
    slides = [targets[s.get(R_ID)] for s in root.iterfind(f"{p('sldIdLst')}/{p('sldId')}") if s.get(R_ID) in targets]
    out: list[tuple[str, str]] = []
    for slide in dict.fromkeys(slides):
        out.append((slide, "slide"))
        related = [(name, rel) for _, rel, name in relationships(package, slide) if rel in _SLIDE_PARTS]
        for name, rel in sorted(related, key=lambda t: list(_SLIDE_PARTS).index(t[1])):  # data before drawing
            out.append((name, _SLIDE_PARTS[rel]))
            if rel == "chart":
                out += [(shapes, _CHART_PARTS[r]) for _, r, shapes in relationships(package, name)
                        if r in _CHART_PARTS]
    seen: set[str] = set()
    return [(name, kind) for name, kind in out if not (name in seen or seen.add(name))]


def _paragraphs(root: Any, kind: str) -> list[Any]:
    """The part's paragraphs with text: in a chart, those of c:rich (titles, labels); the others (c:txPr)
    only format the text the chart writes itself."""
    if kind == "chart":
        return [para for rich in root.iter(f"{{{_CHART}}}rich") for para in rich.iter(P)]
    return list(root.iter(P))


def _fallbacks(paragraphs: list[Any]) -> list[tuple[list[int], list[int]]]:
    """Per mc:AlternateContent: the indices of its mc:Choice's paragraphs and of its mc:Fallback's."""
    index = {para: i for i, para in enumerate(paragraphs)}
    out = []
    alternates = {e for para in paragraphs for e in para.iterancestors(f"{{{_MC}}}AlternateContent")}
    for alternate in alternates:
        choice, fallback = alternate.find(f"{{{_MC}}}Choice"), alternate.find(f"{{{_MC}}}Fallback")
        if choice is not None and fallback is not None:
            out.append(([index[x] for x in choice.iter(P) if x in index],
                        [index[y] for y in fallback.iter(P) if y in index]))
    return out


def _mirrors(paragraphs: list[Any], pairs: list[tuple[list[int], list[int]]]) -> dict[int, int]:
    """Fallback paragraph index -> the index of the Choice paragraph it repeats."""
    out: dict[int, int] = {}
    for chosen, fallen in pairs:
        if len(chosen) == len(fallen) and all(_same(paragraphs[x], paragraphs[y]) for x, y in zip(chosen, fallen)):
            out.update(zip(fallen, chosen))
    return out


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


def _same(x: Any, y: Any) -> bool:
    a_, b_ = read_paragraph(x), read_paragraph(y)
    return (a_.text, a_.spans) == (b_.text, b_.spans)


def _set_direction(root: Any, paragraphs: list[Any], rtl: bool,
                   inherited: Callable[[Any], tuple[bool, str | None]]) -> None:
    """Every paragraph that does not yet read in the target's direction does so, its alignment mirrored;
    every table's columns run in the target's direction."""
    for para in paragraphs:
        was_rtl, align = inherited(para)
        if was_rtl == rtl:
            continue
        ppr = para.find(a("pPr"))
        if ppr is None:
            ppr = para.makeelement(a("pPr"), {})
            para.insert(0, ppr)
        ppr.set("rtl", "1" if rtl else "0")
        if align in _FLIP:
            ppr.set("algn", _FLIP[align])
    for table in root.iter(a("tbl")):
        props = table.find(a("tblPr"))
        if rtl:
            if props is None:
                props = table.makeelement(a("tblPr"), {})
                table.insert(0, props)
            props.set("rtl", "1")
        elif props is not None:
            props.attrib.pop("rtl", None)


_ON = ("1", "true")
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
        ppr = para.find(a("pPr"))
        lvl = ppr.get("lvl", "0") if ppr is not None else "0"
        level = min(int(lvl), 8) + 1 if lvl.isdigit() else 1
        sources = [ppr, _level(para.getparent().find(a("lstStyle")), level)]
        if kind in ("slide", "notes"):
            sources += self.placeholder(part, kind, para, level)
        sources = [s for s in sources if s is not None]
        rtl = next((s.get("rtl") for s in sources if s.get("rtl") is not None), "0") in _ON
        align = next((s.get("algn") for s in sources if s.get("algn")), "l" if kind in ("slide", "notes") else None)
        return rtl, align

    def placeholder(self, part: str, kind: str, para: Any, level: int) -> list[Any]:
        shape = para.getparent().getparent()
        ph = shape.find(_PH) if shape.tag == p("sp") else None
        if ph is None:
            return [_level(self.defaults, level)]
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
            out.append(_level(sp.find(f"{p('txBody')}/{a('lstStyle')}"), level) if sp is not None else None)
        return out + [_level(s, level) for s in styles] + [_level(self.defaults, level)]

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


def _level(style: Any, level: int) -> Any:
    return style.find(a(f"lvl{level}pPr")) if style is not None else None
