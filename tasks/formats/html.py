"""HTML: the inline content of each block-level element is a block; inline elements are spans over it.

Parsed by the HTML5 parsing algorithm into xml.etree, the tree a browser builds (misnested tags,
whitespace between elements, attributes of <body>): lexbor builds it as html5lib's etree builder would,
html5lib where the two may differ. html_serialize writes it back so that it parses to the same tree.
Render works on a copy of that tree (the skeleton is never touched): it writes translated attributes,
and rebuilds each translated run of inline content from its projected spans: shallow copies of the
original inline elements open and close between pieces, so any projection gives well-formed markup;
inline objects are deep copies. Whitespace is collapsed only within a text node, so none appears,
disappears or crosses a tag.
"""

from __future__ import annotations

import codecs
import copy
import re
from dataclasses import dataclass, field
from xml.etree import ElementTree

from selectolax.lexbor import LexborHTMLParser

from babelflow.documents import Block, Document, DocumentError, Span
from babelflow.languages import is_rtl, tag
from babelflow.tasks.formats import FormatOptions, Parsed
from babelflow.tasks.formats.encoding import decode_text
from babelflow.tasks.formats.html_serialize import DOCTYPE, FOREIGN_ATTRIBUTES, serialize
from babelflow.tasks.formats.spans import Piece, pieces

_SVG = "{http://www.w3.org/2000/svg}"
_MATHML = "{http://www.w3.org/1998/Math/MathML}"
# Elements that flow inside a sentence: their text belongs to the surrounding block, they become spans.
_INLINE = frozenset(
    "a abbr acronym b bdi bdo big blink button cite data del dfn em font i ins label mark meter nobr output "
    "progress q rb rp rt rtc ruby s small span strike strong sub sup time tt u".split()
)
# Inline elements without text of their own: kept as inline objects; their attributes are translated.
_OBJECTS = frozenset("area br embed img input link map meta picture source track wbr".split())
# Content never translated (attributes are: a title or placeholder is shown). iframe and the like hold raw
# text that is never rendered.
_VERBATIM = frozenset(
    "code iframe kbd listing noembed noframes plaintext pre samp script style template textarea var xmp".split()
) | {_SVG + "svg", _MATHML + "math"}
# Nothing inside translated, attributes included: inert until a script uses it.
_INERT = "template"
# Text of a kept element that is shown all the same: SVG tooltips and descriptions.
_LABELS = frozenset({_SVG + "title", _SVG + "desc"})
# Verbatim elements that are blocks: text on either side of them belongs to different blocks.
_VERBATIM_BLOCKS = frozenset("listing noframes plaintext pre xmp".split())
# Kept verbatim but read as words of the sentence: the engine sees a placeholder there, not a hole.
_WORDS = frozenset("code kbd samp tt var".split())
# Elements that sit inside a sentence, so a verbatim one there is an inline object, elsewhere a block.
_PHRASING = (_INLINE | _OBJECTS | _VERBATIM) - _VERBATIM_BLOCKS
_ATTRIBUTES = ("alt", "title", "placeholder", "aria-label")
_META = frozenset({
    "description", "title", "og:title", "og:description", "og:image:alt", "og:video:alt", "twitter:title",
    "twitter:description", "twitter:image:alt", "dc.title", "dc.description", "dcterms.title", "dcterms.description",
})
# Attributes that declare a language or direction; lxml names xml:lang by its namespace.
_LANGUAGE = frozenset({"lang", "xml:lang", "{http://www.w3.org/XML/1998/namespace}lang", "dir"})

# How an element takes part in the text flow.
_CONTAINER = "container"  # its runs of inline content are blocks
_SPAN = "span"  # inline, with text: a span over the block
_OBJECT = "object"  # inline, kept verbatim: an inline object of the block
_SKIP = "skip"  # a block never translated

_SPACE = " \t\n\r\f"  # HTML whitespace; a no-break space is text
_RUNS = re.compile(f"[{_SPACE}]+")
_MARKUP = re.compile(r"<[A-Za-z!?/]")
_DECLARED = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([-\w.:]+)""", re.IGNORECASE)
_CHARSET = re.compile(r"charset\s*=\s*[^\s;\"']*", re.IGNORECASE)
# Where foreign content holds HTML (HTML5 tree construction).
_SVG_HTML_POINTS = frozenset({"foreignObject", "desc", "title"})
_MATHML_TEXT_POINTS = frozenset({"mi", "mo", "mn", "ms", "mtext"})
# Where html5lib 1.1 follows an older HTML standard than lexbor: elements it predates or parses otherwise
# (template contents, ruby, isindex), and anything in a <select> but options (customizable select).
_NEWER_RULES = frozenset({"template", "search", "isindex", "rb", "rtc", "selectedcontent"})
_SELECT_CONTENT = frozenset({"option", "optgroup", "script"})
# A doctype after whitespace, comments and <?...?>, as the tokenizer reads it; ids keep their quotes.
_WS = r"[\t\n\f\r ]"
_QUOTED = r"""(?:"[^">]*"|'[^'>]*')"""
_DOCTYPE = re.compile(
    rf"(?:{_WS}+|<!--(?:-?>|.*?--!?>)|<\?[^>]*>)*<!doctype{_WS}+(?P<name>[^\t\n\f\r >]+){_WS}*"
    rf"(?:public{_WS}*(?P<public>{_QUOTED})(?:{_WS}*(?P<system>{_QUOTED}))?|system{_WS}*(?P<system_only>{_QUOTED}))?"
    rf"{_WS}*>",
    re.IGNORECASE | re.DOTALL,
)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
# Labels browsers read as a larger encoding (WHATWG Encoding Standard), by Python codec name.
_SUPERSETS = {"iso8859-1": "cp1252", "ascii": "cp1252", "gb2312": "gb18030", "gbk": "gb18030",
              "euc_kr": "cp949", "shift_jis": "cp932", "tis-620": "cp874", "iso8859-9": "cp1254"}


@dataclass(frozen=True)
class _Attribute:
    node: int  # index in document order
    name: str
    lead: str  # whitespace around the value, kept
    trail: str


@dataclass(frozen=True)
class _Text:
    node: int  # an element whose whole content is this text (an SVG <title>)
    lead: str
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
class Places:
    """Where each block of a tree goes back, by node index in document order."""

    places: list[_Attribute | _Text | _Run]
    labels: list[tuple[int, ...]]  # per place, the elements around it with lang or dir, to set when it is translated


@dataclass(frozen=True)
class _Skeleton:
    document: object  # the parsed tree (doctype, comments, <html>), copied for each rendering
    places: Places


def parse(data: bytes, options: FormatOptions) -> Parsed:
    text = _decode(data)
    if not text.strip():
        raise DocumentError("empty document, no HTML")
    if not _MARKUP.search(text):
        raise DocumentError("no HTML markup, not an HTML document")
    document = _parse_tree(text)
    blocks, places = read_tree(_root(document))
    return Parsed(blocks, _Skeleton(document, places))


def render(doc: Document, blocks: list[Block | None], tgt: str) -> bytes:
    skeleton: _Skeleton = doc.skeleton
    document = copy.deepcopy(skeleton.document)
    root = _root(document)
    write_tree(root, skeleton.places, blocks, tgt)
    root.set("lang", tag(tgt))
    _declare_utf8(root)
    return serialize(document).encode("utf-8")


def read_tree(root) -> tuple[list[Block], Places]:
    """The blocks of a tree whose root is <html>, HTML elements without a namespace (xml.etree or lxml:
    the XHTML documents of an EPUB are read here too), and where each goes back."""
    reader = _Reader(root)
    reader.container(reader.nodes[0])
    return reader.blocks, Places(reader.places, reader.labels())


def write_tree(root, places: Places, blocks: list[Block | None], tgt: str) -> None:
    """Write the translated blocks into a fresh copy of the tree they were read from. Elements around
    translated text that declared a language or direction now declare the target's, and so does the
    root element, right to left marked (its `lang` is the caller's: XHTML 1.1 has only xml:lang)."""
    nodes = list(root.iter())
    runs: list[tuple[_Run, Block]] = []
    labelled: set[int] = set()
    for place, new, labels in zip(places.places, blocks, places.labels, strict=True):
        if new is None:
            continue
        labelled.update(labels)
        if isinstance(place, _Attribute):
            nodes[place.node].set(place.name, place.lead + new.text + place.trail)
        elif isinstance(place, _Text):
            nodes[place.node].text = place.lead + new.text + place.trail
        else:
            runs.append((place, new))
    lang = (tag(tgt), is_rtl(tgt))
    for ref in labelled:
        _relabel(nodes[ref], lang)
    for run, new in runs:  # after attributes and labels, so that copies of elements carry them
        _rebuild(nodes, run, new)
    _relabel(root, lang)
    if lang[1]:
        root.set("dir", "rtl")


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


def _parse_tree(text: str) -> ElementTree.Element:
    """The document as a browser builds it: xml.etree elements, HTML ones without a namespace.

    lexbor (C) builds it some 20 times faster than html5lib (pure Python). html5lib, the reference the
    tests hold lexbor's trees to, reads the pages whose tree lexbor cannot give back as html5lib builds it.
    """
    try:
        return _lexbor_tree(text)
    except _Unread:
        import html5lib

        builder = html5lib.getTreeBuilder("etree", fullTree=True)
        return html5lib.HTMLParser(tree=builder, namespaceHTMLElements=False).parse(text)


class _Unread(Exception):
    """Where lexbor's tree may not be html5lib's."""


def _lexbor_tree(text: str) -> ElementTree.Element:
    """lexbor's DOM as html5lib's etree builder gives it: foreign elements and their xlink/xml/xmlns
    attributes in "{uri}" form, the doctype's ids as attributes, empty attributes as ""."""
    document = ElementTree.Element("DOCUMENT_ROOT")
    todo = [(LexborHTMLParser(text, scripting=False).root.parent, document, "", "", {}, False)]
    while todo:
        source, parent, space, local, attrib, in_select = todo.pop()
        last = None  # the last child so far: text after it is its tail
        node = source.first_child
        while node is not None:
            tag = node.tag
            if tag == "-text":
                if last is None:
                    parent.text = (parent.text or "") + node.text_content
                else:
                    last.tail = (last.tail or "") + node.text_content
            elif tag == "-comment":
                last = ElementTree.Comment(node.html[4:-3])  # comment_content would strip it
                parent.append(last)
            elif tag == "-doctype":
                last = _doctype(text, node.html)
                parent.append(last)
            elif tag is None:
                raise _Unread("a node that is neither element, text, comment nor doctype")
            else:
                child_space = _namespace(space, local, attrib, tag)
                if (in_select and tag not in _SELECT_CONTENT) or (not child_space and tag in _NEWER_RULES):
                    raise _Unread(f"<{tag}>, which html5lib parses by older rules than lexbor")
                values = node.attributes
                if child_space:
                    values = {FOREIGN_ATTRIBUTES.get(k, k): v or "" for k, v in values.items()}
                else:
                    values = {k: v or "" for k, v in values.items()}
                last = ElementTree.SubElement(parent, child_space + tag, values)
                todo.append((node, last, child_space, tag, values, in_select or tag == "select" and not child_space))
            node = node.next
    return document


def _namespace(space: str, local: str, attrib: dict, tag: str) -> str:
    """The namespace ("{uri}", "" for HTML) of element `tag` inside one of `space`, as the HTML5 tree
    construction dispatcher decides it: foreign content keeps its parent's namespace, except inside an
    integration point, where <svg> and <math> start their own and anything else is HTML. Exact: the
    adoption agency never moves an element out of foreign content, integration points end its scope."""
    if space == _SVG and local not in _SVG_HTML_POINTS:
        return _SVG
    if space == _MATHML:
        if local in _MATHML_TEXT_POINTS:
            if tag in ("mglyph", "malignmark"):
                return _MATHML
        elif local == "annotation-xml":
            if tag != "svg" and attrib.get("encoding", "").lower() not in ("text/html", "application/xhtml+xml"):
                return _MATHML
        else:
            return _MATHML
    return _SVG if tag == "svg" else _MATHML if tag == "math" else ""


def _doctype(text: str, html: str) -> ElementTree.Element:
    """html5lib's doctype node. lexbor keeps no public or system id, so they are read from the source;
    a doctype the pattern does not read as lexbor did is left to html5lib."""
    m = _DOCTYPE.match(text)
    if m is None or f"<!DOCTYPE {m['name'].lower()}>" != html:
        raise _Unread("doctype")
    node = ElementTree.Element(DOCTYPE)
    node.text = m["name"].lower()
    for key, quoted in (("publicId", m["public"]), ("systemId", m["system"] or m["system_only"])):
        if quoted is not None:  # as the tokenizer reads it: newlines normalized, NUL replaced
            node.set(key, quoted[1:-1].replace("\r\n", "\n").replace("\r", "\n").replace("\0", "\ufffd"))
    return node


def _root(document):
    """The <html> element (the parser always makes one; doctype and comments are its siblings)."""
    return next(node for node in document if node.tag == "html")


def _is_element(node) -> bool:
    return isinstance(node.tag, str)  # comments and processing instructions have a function as tag


def _no_translate(el) -> bool:
    translate, classes = el.get("translate"), el.get("class")
    return (translate is not None and translate.strip().lower() == "no") or (
        classes is not None and "notranslate" in classes and "notranslate" in classes.split())


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
        self.places: list[_Attribute | _Text | _Run] = []

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
            else:
                self.attributes_below(child)
            after, members = child, []
        self.run(el, after, members)

    def run(self, container, after, members: list) -> None:
        if not members and not _has_text(container.text if after is None else after.tail):
            return  # most runs: the whitespace between two blocks
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
            word = _is_element(node) and (node.tag in _WORDS or _no_translate(node))
            flat.atom(ref, node.tag == "br", chain, word and _has_text("".join(node.itertext())))
            return
        start = flat.size
        flat.add(node.text)
        for child in node:
            self.flatten(child, flat, (*chain, ref))
            flat.add(child.tail)
        flat.span(start, ref)

    def attributes_below(self, node) -> None:
        """Attributes of an element and of all inside it, SVG titles too: shown even where the content is kept."""
        if not _is_element(node) or node.tag == _INERT or _no_translate(node):
            return
        self.attributes(node)
        if node.tag in _LABELS and not len(node):
            self.text(node)
        for child in node:
            self.attributes_below(child)

    def attributes(self, el) -> None:
        if not el.attrib:
            return
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

    def text(self, el) -> None:
        value = el.text or ""
        core = _RUNS.sub(" ", value.strip(_SPACE))
        if any(c.isalpha() for c in core):
            lead = value[: len(value) - len(value.lstrip(_SPACE))]
            self.blocks.append(Block(core))
            self.places.append(_Text(self.index[el], lead, value[len(value.rstrip(_SPACE)):]))

    def labels(self) -> list[tuple[int, ...]]:
        """Per place, the elements with lang or dir around what it translates (its container and spans)."""
        chains = _labelled_ancestors(self.nodes, self.index, self.frozen)
        out = []
        for place, block in zip(self.places, self.blocks, strict=True):
            if isinstance(place, _Run):
                touched = {place.container, *(ref for start, end, ref in block.spans if end > start)}
            else:
                touched = {place.node}
            out.append(tuple(sorted({ref for node in touched for ref in chains[node]})))
        return out


def _labelled_ancestors(nodes: list, index: dict, frozen: set) -> list[tuple[int, ...]]:
    """For each node, itself and the elements around it that carry lang or dir (below <html>)."""
    chains: list[tuple[int, ...]] = [()] * len(nodes)
    for i, parent in enumerate(nodes):  # document order: a parent's chain is known before its children's
        for child in parent if _is_element(parent) else ():
            ref = index[child]
            own = _is_element(child) and child not in frozen and not _LANGUAGE.isdisjoint(child.attrib)
            chains[ref] = (ref, *chains[i]) if own else chains[i]
    return chains


class _Flat:
    """A run of inline content as raw source text with spans, before whitespace is collapsed."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.breaks: set[int] = set()  # where a <br> stands for a line break that is not source text
        self.cuts: set[int] = set()  # where a text node, an element or an inline object begins or ends
        self.spans: list[Span] = []
        self.chains: dict[int, frozenset[int]] = {}
        self.words: set[int] = set()

    def add(self, text: str | None) -> None:
        if text:
            if self.size:
                self.cuts.add(self.size)
            self.parts.append(text)
            self.size += len(text)

    def span(self, start: int, ref: int) -> None:
        self.spans.append((start, self.size, ref))
        self.cuts.update((start, self.size))

    def atom(self, ref: int, line_break: bool, chain: tuple[int, ...], word: bool) -> None:
        self.spans.append((self.size, self.size, ref))
        if word:
            self.words.add(ref)
        self.cuts.add(self.size)
        if chain:
            self.chains[ref] = frozenset(chain)
        if line_break:  # so the block reads as two lines, as it renders
            self.breaks.add(self.size)
            self.add("\n")

    def block(self) -> tuple[Block, str, str] | None:
        """The block, and the source whitespace before and after it; None where there is nothing to translate.

        Runs of whitespace inside a text node (source newlines and indentation) become one space: that
        is how HTML renders them, and the block must read as running text for the segmenter and the
        model. Whitespace at a tag stays on its side of it: only what comes before the first tag and
        after the last is left out of the block.
        """
        raw = "".join(self.parts)
        first, last = len(raw) - len(raw.lstrip(_SPACE)), len(raw.rstrip(_SPACE))
        if first == len(raw):
            return None
        start = min(first, *self.cuts) if self.cuts else first
        end = max(last, *self.cuts) if self.cuts else last
        text, at = _collapse(raw, start, end, self.breaks, self.cuts)
        if not any(map(str.isalpha, text)):
            return None
        spans = [(at[s], at[e], ref) for s, e, ref in sorted(self.spans, key=lambda x: x[2])]
        return Block(text, spans, words=frozenset(self.words)), raw[:start], raw[end:]


def _collapse(raw: str, start: int, end: int, breaks: set[int], cuts: set[int]) -> tuple[str, dict[int, int]]:
    """raw[start:end] with each whitespace run within a text node made one character (a line break
    where a <br> stands), and where start, end and each cut land in it: spans begin and end at cuts."""
    bounds = sorted({start, end, *cuts})
    parts: list[str] = []
    at: dict[int, int] = {}
    size = 0
    for a, b in zip(bounds, bounds[1:]):  # each text node, or the line break of a <br>
        at[a] = size
        part = _RUNS.sub(" ", raw[a:b])
        if a in breaks:
            part = "\n" + part[1:]
        parts.append(part)
        size += len(part)
    at[end] = size
    return "".join(parts), at


def _rebuild(nodes: list, run: _Run, block: Block) -> None:
    """Replace the run's inline content with the translation, its markup rebuilt from the spans."""
    container = nodes[run.container]
    holder = container.makeelement("div", {})
    holder.text = run.lead
    _write(holder, nodes, run, block)
    _append_text(holder, run.trail)
    for ref in run.members:
        container.remove(nodes[ref])  # with its tail
    if run.after is None:
        container.text = holder.text
        at = 0
    else:
        nodes[run.after].tail = holder.text
        at = list(container).index(nodes[run.after]) + 1
    for offset, child in enumerate(list(holder)):
        container.insert(at + offset, child)


def _write(holder, nodes: list, run: _Run, block: Block) -> None:
    parts = pieces(block.text, block.spans)
    dropped = _line_breaks_at_br(block, nodes)
    stack: list[tuple[int, object]] = []  # open copies, outermost first
    copied: set[int] = set()
    for i, piece in enumerate(parts):
        if piece.atom is None:
            chunk = block.text[piece.start:piece.end]
            if dropped:
                chunk = "".join(c for k, c in enumerate(chunk, piece.start) if k not in dropped)
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
    if len(el):
        el[-1].tail = (el[-1].tail or "") + text
    else:
        el.text = (el.text or "") + text


def _relabel(el, lang: tuple[str, bool]) -> None:
    """An element whose content was translated: the language and direction it declares become the target's."""
    for name in _LANGUAGE - {"dir"}:
        if name in el.attrib:
            el.set(name, lang[0])
    if el.get("dir", "").strip().lower() in ("ltr", "rtl"):
        el.set("dir", "rtl" if lang[1] else "ltr")


def _declare_utf8(root) -> None:
    """Every charset declaration says UTF-8; a page without one gets <meta charset> first in its head."""
    declared = False
    for meta in root.iter("meta"):
        if "charset" in meta.attrib:
            meta.set("charset", "utf-8")
            declared = True
        elif meta.get("http-equiv", "").strip().lower() == "content-type":
            content = meta.get("content", "")
            meta.set("content", _CHARSET.sub("charset=utf-8", content) if _CHARSET.search(content)
                     else f"{content.rstrip('; ')}; charset=utf-8")
            declared = True
    if not declared:
        root.find("head").insert(0, root.makeelement("meta", {"charset": "utf-8"}))
