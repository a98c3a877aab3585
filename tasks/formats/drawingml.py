"""One DrawingML paragraph (a:p: PowerPoint's text, chart titles and labels, SmartArt) as block text with
spans, and back: its runs rebuilt from the projected spans, as docx_paragraph does for Word.

Refs: one per distinct run format (a:rPr without what records proofing: the language, and whether spell
checking ran or found an error), so runs that PowerPoint split for no visible reason project as one; a
hyperlink is part of the run format (a:hlinkClick), so it moves with its words. Then the inline objects,
kept verbatim and moved with the text: fields (a:fld) and anything else a paragraph may hold (math). A
run without text shows nothing and is not written back.

A line break (a:br) reads as "\n" with the format of its own a:rPr, as Word's w:br does, so that the
segmenter and the model see the lines it separates, not words glued together; the n-th "\n" written in
a format is a copy of that format's n-th a:br. A field (slide number, date, a chart label's value) is an
object read as a word (Block.words): PowerPoint computes its text from the field type and the run's
language, so its cached text is never translated (the model could only garble a number or a date), and
the engine sees a placeholder there, not a hole in the sentence. Its a:rPr takes the target language,
so PowerPoint writes a date field in the target's words.

What PowerPoint and Excel share beyond the paragraph is here too, so both read and write DrawingML text
one way: which paragraphs of a chart are its text (c:rich: titles and labels; its numbers, categories
and series names are cached cell values, never translated), an mc:Fallback paragraph that repeats its
mc:Choice (one block, written twice), the chart's editing language, and the direction of a paragraph.
DrawingML alignment is absolute (`l` is the left margin whatever the direction), so a paragraph whose
direction changes has its alignment mirrored to stay at its start or end: `l` becomes `r` and the other
way round; centred and justified text stay as they are.
"""

from __future__ import annotations

import copy
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any, Callable

from babelflow.documents import Block, Span
from babelflow.tasks.formats.docx_paragraph import xml_text
from babelflow.tasks.formats.package import related
from babelflow.tasks.formats.spans import pieces

A = "http://schemas.openxmlformats.org/drawingml/2006/main"
C = "http://schemas.openxmlformats.org/drawingml/2006/chart"
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"


def a(name: str) -> str:
    return f"{{{A}}}{name}"


P, _R, _RPR, _PPR, _T, _BR, _FLD, _END = a("p"), a("r"), a("rPr"), a("pPr"), a("t"), a("br"), a("fld"), a("endParaRPr")
# a:rPr attributes that say how the text was proofed, not how it looks: runs that differ only in them are one format.
_PROOFING = ("lang", "altLang", "dirty", "err", "smtClean", "smtId")
# What a translation makes stale: the source text's spell-check state (PowerPoint checks the new text again).
_STALE = ("dirty", "err")
_EAST_ASIAN = frozenset(("zh", "ja", "ko"))
_LINE = re.compile("(\n)")
_FLIP = {"l": "r", "r": "l"}
_ON = ("1", "true")


def _east_asian(tag: str | None) -> bool:
    return bool(tag) and tag.split("-")[0].lower() in _EAST_ASIAN


def set_lang(props: Any, tag: str) -> None:
    """The text's language in a:rPr / a:endParaRPr / a:defRPr. PowerPoint keeps two per run, as Word keeps
    w:val and w:eastAsia: `lang` for the text, `altLang` for the other script class (the Latin language of
    Chinese, Japanese or Korean text, or the East Asian language of other text). The target goes in `lang`;
    `altLang` keeps the language the run had for the other class, and goes where it had none."""
    old = [props.get("lang"), props.get("altLang")]
    props.set("lang", tag)
    other = next((t for t in old if t and _east_asian(t) != _east_asian(tag)), None)
    if other:
        props.set("altLang", other)
    else:
        props.attrib.pop("altLang", None)
    for name in _STALE:
        props.attrib.pop(name, None)


@dataclass
class _Format:
    rpr: Any  # the a:rPr of the first run or break with this format (None: it had none)
    breaks: list[Any] = field(default_factory=list)  # its a:br in order


@dataclass
class Paragraph:
    text: str
    spans: list[Span]
    formats: dict[int, _Format]
    objects: dict[int, Any]  # ref -> the element, kept verbatim
    fields: frozenset[int]  # object refs that are fields: read as words
    dominant: int | None  # the format of most characters: for text the projection left unformatted


def _format_key(rpr: Any) -> bytes:
    from lxml import etree

    if rpr is None:
        return b""
    rpr = copy.deepcopy(rpr)
    for name in _PROOFING:
        rpr.attrib.pop(name, None)
    return etree.tostring(rpr, method="c14n", exclusive=True) if len(rpr) or rpr.attrib else b""


def read_paragraph(p: Any) -> Paragraph:
    texts: list[tuple[str, Any, Any]] = []  # (text, its a:rPr, element) or ("", None, object)
    for child in p:
        if child.tag in (_PPR, _END) or not isinstance(child.tag, str):
            continue
        if child.tag == _R:  # a run without text shows nothing and is not written back
            t = child.find(_T)
            if t is not None and t.text:
                texts.append((t.text, child.find(_RPR), child))
        elif child.tag == _BR:
            texts.append(("\n", child.find(_RPR), child))
        else:
            texts.append(("", None, child))

    format_refs: dict[bytes, int] = {}
    formats: dict[int, _Format] = {}
    objects: dict[int, Any] = {}
    fields: set[int] = set()
    ranges: dict[int, list[list[int]]] = {}
    points: list[Span] = []
    keys = [_format_key(rpr) if text else None for text, rpr, _ in texts]
    for key, (text, rpr, _) in zip(keys, texts):
        if text and key not in format_refs:
            format_refs[key] = len(format_refs)
            formats[format_refs[key]] = _Format(rpr)
    pos = 0
    parts = []
    for key, (text, rpr, element) in zip(keys, texts):
        if text:
            ref = format_refs[key]
            if element.tag == _BR:
                formats[ref].breaks.append(element)
            spans = ranges.setdefault(ref, [])
            if spans and spans[-1][1] == pos:
                spans[-1][1] = pos + len(text)
            else:
                spans.append([pos, pos + len(text)])
            parts.append(text)
            pos += len(text)
        else:
            ref = len(format_refs) + len(objects)
            objects[ref] = element
            if element.tag == _FLD:
                fields.add(ref)
            points.append((pos, pos, ref))
    sizes = {ref: sum(b - a for a, b in spans) for ref, spans in ranges.items()}
    return Paragraph(
        text="".join(parts),
        spans=[(a, b, ref) for ref in sorted(ranges) for a, b in ranges[ref]] + points,
        formats=formats,
        objects=objects,
        fields=frozenset(fields),
        dominant=max(sizes, key=lambda r: (sizes[r], -r)) if sizes else None,
    )


def block_of(p: Any) -> Block:
    para = read_paragraph(p)
    return Block(para.text, para.spans, translatable=bool(para.text.strip()), words=para.fields)


def write_paragraph(p: Any, block: Block, tag: str) -> None:
    """Replace the paragraph's runs, breaks and objects with those of the translated block; a:pPr and
    a:endParaRPr stay (the latter takes the target language: it formats the empty line after the text)."""
    para = read_paragraph(p)
    end = p.find(_END)
    for child in list(p):
        if child.tag not in (_PPR, _END):
            p.remove(child)
    content = _Writer(para, tag).write(block.text, block.spans)
    for node in content:
        if end is None:
            p.append(node)
        else:
            end.addprevious(node)
    if end is not None:
        set_lang(end, tag)


class _Writer:
    def __init__(self, para: Paragraph, tag: str) -> None:
        self.para = para
        self.tag = tag
        self.placed: set[int] = set()
        self.breaks: dict[int, int] = {}  # format ref -> line breaks written in it

    def write(self, text: str, spans: list[Span]) -> list[Any]:
        out: list[Any] = []
        for piece in pieces(text, spans):
            if piece.atom is None:
                out += self.text(piece.refs, text[piece.start:piece.end])
            elif piece.atom in self.para.objects:
                out.append(self.object(piece.atom))
        out += [self.object(ref) for ref in self.para.objects if ref not in self.placed]  # never drop one
        return out

    def text(self, refs: tuple[int, ...], text: str) -> list[Any]:
        """Where the projection gives a piece two formats, the one that is not the paragraph's usual wins."""
        from lxml import etree

        ref = min((r for r in refs if r in self.para.formats), key=lambda r: (r == self.para.dominant, r),
                  default=self.para.dominant)
        fmt = self.para.formats.get(ref) if ref is not None else None
        out = []
        for chunk in _LINE.split(text):
            if chunk == "\n":
                if fmt and fmt.breaks:
                    n = self.breaks[ref] = self.breaks.get(ref, -1) + 1
                    br = _detached_copy(fmt.breaks[min(n, len(fmt.breaks) - 1)])
                else:
                    br = etree.Element(_BR)
                    br.append(self.properties(fmt))
                rpr = br.find(_RPR)
                if rpr is not None:
                    set_lang(rpr, self.tag)
                out.append(br)
            elif chunk := xml_text(chunk):
                run = etree.Element(_R)
                run.append(self.properties(fmt))
                etree.SubElement(run, _T).text = chunk
                out.append(run)
        return out

    def properties(self, fmt: _Format | None) -> Any:
        from lxml import etree

        rpr = _detached_copy(fmt.rpr) if fmt and fmt.rpr is not None else etree.Element(_RPR)
        set_lang(rpr, self.tag)
        return rpr

    def object(self, ref: int) -> Any:
        """The object itself the first time, a copy if the projection placed it twice; a field takes the
        target language."""
        element = self.para.objects[ref]
        node = element if ref not in self.placed else _detached_copy(element)
        node.tail = None
        self.placed.add(ref)
        if node.tag == _FLD:
            _field_lang(node, self.tag)
        return node


def set_field_lang(p: Any, tag: str) -> None:
    """The target language for the fields of a paragraph that has no text to translate (a date in a footer:
    PowerPoint writes its date in its language)."""
    for node in p.iterchildren(_FLD):
        _field_lang(node, tag)


def _field_lang(node: Any, tag: str) -> None:
    rpr = node.find(_RPR)
    if rpr is None:
        rpr = node.makeelement(_RPR, {})
        node.insert(0, rpr)
    set_lang(rpr, tag)


def _detached_copy(element: Any) -> Any:
    node = copy.deepcopy(element)
    node.tail = None
    return node


# --- what the formats that hold DrawingML text share ------------------------------------------------


def chart_paragraphs(root: Any) -> list[Any]:
    """A chart's paragraphs with text: those of c:rich (titles, labels); the others (c:txPr) only format
    the text the chart writes itself."""
    return [para for rich in root.iter(f"{{{C}}}rich") for para in rich.iter(P)]


def chart_drawings(package: zipfile.ZipFile, chart: str) -> list[str]:
    """The drawings a chart lays over its plot (c:userShapes: text boxes and shapes drawn on the chart)."""
    return related(package, chart, ("chartUserShapes",))


def place(paragraphs: list[Any], blocks: list[Block], known: dict[int, int]) -> dict[int, int]:
    """Paragraph index -> the index of its block in `blocks`: the block of the mc:Choice paragraph an
    mc:Fallback paragraph repeats, the `known` block of a paragraph that shows another's text, else a new
    block appended."""
    same = _mirrors(paragraphs, _fallbacks(paragraphs))
    block_at: dict[int, int] = {}
    for index, para in enumerate(paragraphs):
        if index in same:
            block_at[index] = block_at[same[index]]
        elif index in known:
            block_at[index] = known[index]
        else:
            block_at[index] = len(blocks)
            blocks.append(block_of(para))
    return block_at


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


def _same(x: Any, y: Any) -> bool:
    a_, b_ = read_paragraph(x), read_paragraph(y)
    return (a_.text, a_.spans) == (b_.text, b_.spans)


def write_paragraphs(root: Any, paragraphs: list[Any], todo: dict[int, Block], tag: str) -> None:
    """The translated paragraphs (by index) written; the fields of the others take the target language,
    and so does a chart (c:lang, the language its editor starts in) that has a translated paragraph."""
    for index, para in enumerate(paragraphs):
        if index in todo:
            write_paragraph(para, todo[index], tag)
        else:
            set_field_lang(para, tag)
    lang = root.find(f"{{{C}}}lang")
    if todo and lang is not None:
        lang.set("val", tag)


def paragraph_level(p: Any) -> int:
    """The paragraph's list level as list styles number theirs (a:lvl1pPr to a:lvl9pPr)."""
    ppr = p.find(_PPR)
    lvl = ppr.get("lvl", "0") if ppr is not None else "0"
    return min(int(lvl), 8) + 1 if lvl.isdigit() else 1


def list_level(style: Any, level: int) -> Any:
    """A list style's properties for a level (None where there is no style)."""
    return style.find(a(f"lvl{level}pPr")) if style is not None else None


def layout(p: Any, outer: list[Any], default: str | None) -> tuple[bool, str | None]:
    """Whether the paragraph reads right to left, and its alignment: its own (a:pPr), else its text body's
    list style's at its level, else the first of `outer` (the level properties it inherits from further
    out, nearest first) that says; else left to right, aligned `default`."""
    sources = [p.find(_PPR), list_level(p.getparent().find(a("lstStyle")), paragraph_level(p)), *outer]
    sources = [s for s in sources if s is not None]
    rtl = next((s.get("rtl") for s in sources if s.get("rtl") is not None), "0") in _ON
    return rtl, next((s.get("algn") for s in sources if s.get("algn")), default)


def set_direction(root: Any, paragraphs: list[Any], rtl: bool,
                  inherited: Callable[[Any], tuple[bool, str | None]]) -> bool:
    """Every paragraph that does not yet read in the target's direction (`inherited`: its direction and
    alignment, as `layout` finds them) does so, its alignment mirrored; every table's columns run in the
    target's direction. Whether anything changed."""
    changed = False
    for para in paragraphs:
        was_rtl, align = inherited(para)
        if was_rtl == rtl:
            continue
        ppr = para.find(_PPR)
        if ppr is None:
            ppr = para.makeelement(_PPR, {})
            para.insert(0, ppr)
        ppr.set("rtl", "1" if rtl else "0")
        if align in _FLIP:
            ppr.set("algn", _FLIP[align])
        changed = True
    for table in root.iter(a("tbl")):
        props = table.find(a("tblPr"))
        if rtl and (props is None or props.get("rtl") != "1"):
            if props is None:
                props = table.makeelement(a("tblPr"), {})
                table.insert(0, props)
            props.set("rtl", "1")
            changed = True
        elif not rtl and props is not None and "rtl" in props.attrib:
            del props.attrib["rtl"]
            changed = True
    return changed
