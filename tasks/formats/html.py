"""HTML: the inline content of each block-level element is a block; inline elements are spans over it.

Parsed with lxml.html: libxml2's HTML5 tokenizer is lenient with real-world markup and keeps comments
and attributes; html_serialize writes the tree back so that it parses to the same tree. Render parses
the source again (the skeleton is never touched), writes translated attributes, and rebuilds each
translated run of inline content from its projected spans: shallow copies of the original inline
elements open and close between pieces, so any projection gives well-formed markup; inline objects
are deep copies.
"""

from __future__ import annotations

import codecs
import copy
import re
from dataclasses import dataclass, field

from babelflow.documents import Block, Document, DocumentError, Span
from babelflow.languages import RTL, iso
from babelflow.tasks.formats import FormatOptions, Parsed
from babelflow.tasks.formats.encoding import decode_text
from babelflow.tasks.formats.html_serialize import serialize
from babelflow.tasks.formats.spans import Piece, pieces

# Elements that flow inside a sentence: their text belongs to the surrounding block, they become spans.
_INLINE = frozenset(
    "a abbr acronym b bdi bdo big blink button cite data del dfn em font i ins label mark meter nobr output "
    "progress q rb rp rt rtc ruby s small span strike strong sub sup time tt u".split()
)
# Inline elements without text of their own: kept as inline objects; their attributes are translated.
_OBJECTS = frozenset("area br embed img input link map meta picture source track wbr".split())
# Never translated, attributes included. iframe and the like hold raw text that is never rendered.
_VERBATIM = frozenset(
    "code iframe kbd listing math noembed noframes plaintext pre samp script style svg template textarea var "
    "xmp".split()
)
# Verbatim elements that are blocks: text on either side of them belongs to different blocks.
_VERBATIM_BLOCKS = frozenset("listing noframes plaintext pre xmp".split())
# Elements that sit inside a sentence, so a verbatim one there is an inline object, elsewhere a block.
_PHRASING = (_INLINE | _OBJECTS | _VERBATIM) - _VERBATIM_BLOCKS
_ATTRIBUTES = ("alt", "title", "placeholder", "aria-label")
_META = frozenset({"description", "title", "og:title", "og:description", "twitter:title", "twitter:description"})

# How an element takes part in the text flow.
_CONTAINER = "container"  # its runs of inline content are blocks
_SPAN = "span"  # inline, with text: a span over the block
_OBJECT = "object"  # inline, kept verbatim: an inline object of the block
_SKIP = "skip"  # a block never translated

_SPACE = " \t\n\r\f"  # HTML whitespace; a no-break space is text
_MARKUP = re.compile(r"<[A-Za-z!?/]")
# Atomic: a lazy comment must not stretch over the next one (exponential backtracking on "<!---->" * 40).
_DOCTYPE = re.compile(r"(?>\s+|<!--.*?-->|<\?[^>]*>)*(<!doctype[^>]*>)", re.IGNORECASE | re.DOTALL)
_DECLARED = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([-\w.:]+)""", re.IGNORECASE)
_CHARSET = re.compile(r"charset\s*=\s*[^\s;\"']*", re.IGNORECASE)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
# Labels browsers read as a larger encoding (WHATWG Encoding Standard), by Python codec name.
_SUPERSETS = {"iso8859-1": "cp1252", "ascii": "cp1252", "gb2312": "gb18030", "gbk": "gb18030",
              "euc_kr": "cp949", "shift_jis": "cp932", "tis-620": "cp874", "iso8859-9": "cp1254"}
# Characters lxml refuses in text and attribute values.
_UNSETTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class _Attribute:
    node: int  # index in document order
    name: str
    lead: str  # whitespace around the value, kept
    trail: str


@dataclass(frozen=True)
class _Run:
    container: int
    after: int | None  # the child the run follows; None when it starts at the container's text
    members: tuple[int, ...]  # the inline children it spans, each with its tail
    lead: str  # source whitespace before and after the block text, kept
    trail: str
    chains: dict[int, frozenset[int]] = field(default_factory=dict)  # inline object -> inline elements around it


@dataclass(frozen=True)
class _Skeleton:
    source: bytes  # the document as UTF-8, parsed again for each rendering
    doctype: str | None  # as the source wrote it (lxml's tree has one even where the source has none)
    places: list[_Attribute | _Run]  # where each block goes


def parse(data: bytes, options: FormatOptions) -> Parsed:
    text = _decode(data)
    if not text.strip():
        raise DocumentError("empty document, no HTML")
    if not _MARKUP.search(text):
        raise DocumentError("no HTML markup, not an HTML document")
    source = text.encode("utf-8")
    root = _parse_tree(source)
    reader = _Reader(root)
    if reader.kinds[root] == _CONTAINER:
        reader.container(root)
    doctype = m.group(1) if (m := _DOCTYPE.match(text)) else None
    return Parsed(reader.blocks, _Skeleton(source, doctype, reader.places))


def render(doc: Document, blocks: list[Block | None], tgt: str) -> bytes:
    skeleton: _Skeleton = doc.skeleton
    root = _parse_tree(skeleton.source)
    nodes = list(root.iter())
    runs: list[tuple[_Run, Block]] = []
    for place, new in zip(skeleton.places, blocks, strict=True):
        if new is None:
            continue
        if isinstance(place, _Attribute):
            nodes[place.node].set(place.name, _settable(place.lead + new.text + place.trail))
        else:
            runs.append((place, new))
    for run, new in runs:  # after the attributes, so that copies of elements carry their translations
        _rebuild(nodes, run, new)
    _set_language(root, iso(tgt))
    _declare_utf8(root)
    return serialize(root, skeleton.doctype).encode("utf-8")


def _decode(data: bytes) -> str:
    """BOM, then UTF-8, then the declared encoding, then a detector.

    Valid UTF-8 wins over a declaration: text in a legacy encoding is practically never valid UTF-8,
    while pages saved or converted to UTF-8 often keep their old <meta charset>.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(codec, errors="replace")
    if b"\x00" in data[:8192]:
        raise DocumentError("binary content (NUL bytes), not HTML")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = _declared_encoding(data)
    if declared:
        try:
            return data.decode(declared)
        except (UnicodeDecodeError, LookupError):  # LookupError: a codec that is not a text encoding
            pass
    return decode_text(data)[0]


def _declared_encoding(data: bytes) -> str | None:
    m = _DECLARED.search(data[:8192])
    if not m:
        return None
    try:
        name = codecs.lookup(m.group(1).decode("ascii")).name
    except LookupError:
        return None
    return None if name.startswith("utf-16") or name.startswith("utf-32") else _SUPERSETS.get(name, name)


def _parse_tree(source: bytes):
    import lxml.html
    from lxml import etree

    try:
        return lxml.html.document_fromstring(source, parser=lxml.html.HTMLParser(encoding="utf-8", huge_tree=True))
    except (etree.LxmlError, ValueError) as exc:
        raise DocumentError(f"not readable as HTML: {exc}") from exc


def _is_element(node) -> bool:
    return isinstance(node.tag, str)  # comments and processing instructions have a function as tag


def _no_translate(el) -> bool:
    return el.get("translate", "").strip().lower() == "no" or "notranslate" in el.get("class", "").split()


def _kinds(nodes: list) -> tuple[dict, set]:
    """Each node's part in the text flow, and the elements never touched; children before parents."""
    kinds: dict = {}
    frozen: set = set()
    for node in reversed(nodes):
        if not _is_element(node):
            kinds[node] = _OBJECT
        elif node.tag in _VERBATIM or _no_translate(node):
            frozen.add(node)
            kinds[node] = _OBJECT if node.tag in _PHRASING else _SKIP
        elif node.tag in _OBJECTS:
            kinds[node] = _OBJECT
        elif node.tag in _INLINE and all(kinds[c] in (_OBJECT, _SPAN) for c in node):
            has_text = _has_text(node.text) or any(kinds[c] == _SPAN or _has_text(c.tail) for c in node)
            kinds[node] = _SPAN if has_text else _OBJECT  # an empty link or icon: kept whole
        else:
            kinds[node] = _CONTAINER
    return kinds, frozen


def _has_text(text: str | None) -> bool:
    return bool(text) and bool(text.strip(_SPACE))


class _Reader:
    """Walks the tree once: blocks in reading order and where each goes back."""

    def __init__(self, root) -> None:
        self.nodes = list(root.iter())
        self.index = {node: i for i, node in enumerate(self.nodes)}
        self.kinds, self.frozen = _kinds(self.nodes)
        self.blocks: list[Block] = []
        self.places: list[_Attribute | _Run] = []

    def container(self, el) -> None:
        self.attributes(el)
        after, members = None, []
        for child in el:
            kind = self.kinds[child]
            if kind in (_OBJECT, _SPAN):
                members.append(child)
                continue
            self.run(el, after, members)
            if kind == _CONTAINER:
                self.container(child)
            after, members = child, []
        self.run(el, after, members)

    def run(self, container, after, members: list) -> None:
        for member in members:
            self.attributes_below(member)
        after, inner = self.edges(container, after, members)
        flat = _Flat()
        flat.add(container.text if after is None else after.tail)
        for member in inner:
            self.flatten(member, flat, ())
            flat.add(member.tail)
        made = flat.block()
        if made is not None:
            block, lead, trail = made
            self.blocks.append(block)
            self.places.append(_Run(
                self.index[container], None if after is None else self.index[after],
                tuple(self.index[m] for m in inner), lead, trail, flat.chains,
            ))

    def edges(self, container, after, members: list) -> tuple:
        """Inline objects before the first word and after the last stay where they are, outside the block.

        A bullet image or a leading <code> keeps its place in every language, and the block starts and
        ends with text, where sentence boundaries and the alignment place objects reliably.
        """
        before = container.text if after is None else after.tail
        inner = list(members)
        while inner and self.kinds[inner[0]] == _OBJECT and not _has_text(before):
            after = inner.pop(0)
            before = after.tail
        while inner and self.kinds[inner[-1]] == _OBJECT and not _has_text(inner[-1].tail):
            inner.pop()
        return after, inner

    def flatten(self, node, flat: _Flat, chain: tuple[int, ...]) -> None:
        ref = self.index[node]
        if self.kinds[node] == _OBJECT:
            flat.atom(ref, _is_element(node), node.tag == "br", chain)
            return
        start = flat.size
        flat.add(node.text)
        for child in node:
            self.flatten(child, flat, (*chain, ref))
            flat.add(child.tail)
        flat.spans.append((start, flat.size, ref))

    def attributes_below(self, node) -> None:
        if node in self.frozen or not _is_element(node):
            return
        self.attributes(node)
        for child in node:
            self.attributes_below(child)

    def attributes(self, el) -> None:
        names = [n for n in _ATTRIBUTES if n in el.attrib]
        if el.tag == "meta" and (el.get("name") or el.get("property") or "").strip().lower() in _META:
            names.append("content")
        for name in names:
            value = el.get(name) or ""
            core = value.strip(_SPACE)
            if any(c.isalpha() for c in core):
                lead = value[: len(value) - len(value.lstrip(_SPACE))]
                self.blocks.append(Block(core))
                self.places.append(_Attribute(self.index[el], name, lead, value[len(lead) + len(core):]))


class _Flat:
    """A run of inline content as raw source text with spans, before whitespace is collapsed."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.breaks: set[int] = set()  # where a <br> stands for a line break that is not source text
        self.stops: set[int] = set()  # where a visible inline object separates whitespace on its two sides
        self.spans: list[Span] = []
        self.chains: dict[int, frozenset[int]] = {}

    def add(self, text: str | None) -> None:
        if text:
            self.parts.append(text)
            self.size += len(text)

    def atom(self, ref: int, visible: bool, line_break: bool, chain: tuple[int, ...]) -> None:
        self.spans.append((self.size, self.size, ref))
        if visible:
            self.stops.add(self.size)
        if chain:
            self.chains[ref] = frozenset(chain)
        if line_break:  # so the block reads as two lines, as it renders
            self.breaks.add(self.size)
            self.add("\n")

    def block(self) -> tuple[Block, str, str] | None:
        """The block, and the source whitespace before and after it; None where there is nothing to translate.

        Runs of whitespace inside the block (source newlines and indentation) become one space, or one
        line break where a <br> is among them: that is how HTML renders them, and the block must read
        as running text for the segmenter and the model.
        """
        raw = "".join(self.parts)
        content = [i for i, c in enumerate(raw) if c not in _SPACE]
        if not content:
            return None
        points = [s for s, e, _ in self.spans if s == e]
        start, end = min([content[0], *points]), max([content[-1] + 1, *points])
        text, where = _collapse(raw, start, end, self.breaks, self.stops)
        if not any(c.isalpha() for c in text):
            return None
        inside: dict[int, set[int]] = {}  # element -> offsets of the inline objects within it
        for pos, _, ref in self.spans:
            for outer in self.chains.get(ref, ()):
                inside.setdefault(outer, set()).add(where(pos))
        spans = [
            (where(s), where(s), ref) if s == e else (*_trim(text, where(s), where(e), inside.get(ref, set())), ref)
            for s, e, ref in sorted(self.spans, key=lambda span: span[2])
        ]
        lead = "".join(c for i, c in enumerate(raw[:start]) if i not in self.breaks)
        trail = "".join(c for i, c in enumerate(raw[end:], end) if i not in self.breaks)
        return Block(text, spans), lead, trail


def _trim(text: str, start: int, end: int, objects: set[int]) -> tuple[int, int]:
    """A span without the whitespace at its ends (up to an inline object inside it).

    A space between two sentences is then in neither, so the markup of one does not spread over the
    other when only one of them is aligned.
    """
    while text[start] in _SPACE and start not in objects:
        start += 1
    while text[end - 1] in _SPACE and end not in objects:
        end -= 1
    return start, end


def _collapse(raw: str, start: int, end: int, breaks: set[int], stops: set[int]):
    """raw[start:end] with each whitespace run made one character, and a map of raw offsets into it.

    A run goes on across a comment (it renders nothing) but not across an image or inline code.
    """
    out: list[str] = []
    offsets: list[int] = []
    in_space = False
    for i in range(start, end):
        offsets.append(len(out))
        in_space = in_space and i not in stops
        c = raw[i]
        if c in _SPACE:
            if not in_space:
                out.append(" ")
            if i in breaks:
                out[-1] = "\n"
            in_space = True
        else:
            out.append(c)
            in_space = False
    offsets.append(len(out))
    return "".join(out), lambda pos: offsets[min(max(pos, start), end) - start]


def _rebuild(nodes: list, run: _Run, block: Block) -> None:
    """Replace the run's inline content with the translation, its markup rebuilt from the spans."""
    container = nodes[run.container]
    holder = container.makeelement("div", {})
    holder.text = _settable(run.lead)
    _write(holder, nodes, run, block)
    _append_text(holder, run.trail)
    for ref in run.members:
        container.remove(nodes[ref])  # with its tail
    if run.after is None:
        container.text = holder.text
        at = 0
    else:
        nodes[run.after].tail = holder.text
        at = container.index(nodes[run.after]) + 1
    for offset, child in enumerate(list(holder)):
        container.insert(at + offset, child)


def _write(holder, nodes: list, run: _Run, block: Block) -> None:
    parts = pieces(block.text, block.spans)
    dropped = _line_breaks_at_br(block, nodes)
    stack: list[tuple[int, object]] = []  # open copies, outermost first
    copied: set[int] = set()
    for i, piece in enumerate(parts):
        if piece.atom is None:
            chunk = "".join(c for k, c in enumerate(block.text[piece.start:piece.end], piece.start) if k not in dropped)
            if not chunk:
                continue
            refs = piece.refs
        else:
            refs = _object_refs(parts, i, run.chains.get(piece.atom, frozenset()))
        keep = 0
        while keep < min(len(stack), len(refs)) and stack[keep][0] == refs[keep]:
            keep += 1
        del stack[keep:]
        for ref in refs[keep:]:
            el = _shallow_copy(nodes[ref], keep_id=ref not in copied)
            copied.add(ref)
            (stack[-1][1] if stack else holder).append(el)
            stack.append((ref, el))
        parent = stack[-1][1] if stack else holder
        if piece.atom is None:
            _append_text(parent, chunk)
        else:
            atom = copy.deepcopy(nodes[piece.atom])
            atom.tail = None
            parent.append(atom)


def _object_refs(parts: list[Piece], i: int, chain: frozenset[int]) -> tuple[int, ...]:
    """An inline object stays inside the elements it was in when the text beside it is still in them.

    pieces() puts an object at the edge of a span outside it, which would move the image of
    <a><img>Home</a> out of its link.
    """
    refs = set(parts[i].refs)
    for step in (-1, 1):
        j = i + step
        while 0 <= j < len(parts) and parts[j].atom is not None:
            j += step
        if 0 <= j < len(parts):
            refs |= chain & set(parts[j].refs)
    return tuple(sorted(refs))


def _line_breaks_at_br(block: Block, nodes: list) -> set[int]:
    """Offsets of the line breaks that stand for a <br> beside them: the element renders them."""
    dropped = set()
    for start, end, ref in block.spans:
        if start == end and nodes[ref].tag == "br":
            if block.text[start:start + 1] == "\n":
                dropped.add(start)
            elif start and block.text[start - 1] == "\n":
                dropped.add(start - 1)
    return dropped


def _shallow_copy(el, keep_id: bool):
    """Same tag and attributes; an element split in pieces keeps its id on the first only."""
    attrib = dict(el.attrib)
    if not keep_id:
        attrib.pop("id", None)
    return el.makeelement(el.tag, attrib)


def _append_text(el, text: str) -> None:
    text = _settable(text)
    if len(el):
        el[-1].tail = (el[-1].tail or "") + text
    else:
        el.text = (el.text or "") + text


def _settable(text: str) -> str:
    return _UNSETTABLE.sub("", text)


def _set_language(root, lang: str) -> None:
    root.set("lang", lang)
    if "xml:lang" in root.attrib:
        root.set("xml:lang", lang)
    if lang in RTL:
        root.set("dir", "rtl")
    elif root.get("dir", "").strip().lower() == "rtl":
        root.set("dir", "ltr")


def _declare_utf8(root) -> None:
    head = root.find("head")
    declared = False
    for meta in [] if head is None else head.findall("meta"):
        if "charset" in meta.attrib:
            meta.set("charset", "utf-8")
            declared = True
        elif meta.get("http-equiv", "").strip().lower() == "content-type":
            content = meta.get("content", "")
            meta.set("content", _CHARSET.sub("charset=utf-8", content) if _CHARSET.search(content)
                     else f"{content.rstrip('; ')}; charset=utf-8")
            declared = True
    if declared:
        return
    if head is None:
        head = root.makeelement("head", {})
        root.insert(0, head)
    head.insert(0, root.makeelement("meta", {"charset": "utf-8"}))
