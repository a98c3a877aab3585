"""EPUB books (2 and 3): every XHTML content document (tasks/formats/xhtml: read as a web page is, and
written back as XML), in spine order, then those the spine does not list (an EPUB 3 navigation
document); then the EPUB 2 table of contents (toc.ncx: the book's title and every label of the
navigation map, page list and lists); and the package document's titles, descriptions and subjects.
Creators, publishers and other names stay as they are.

Only the documents with translated text, the package document and the NCX are rewritten; every other
member is copied as it was, `mimetype` first and stored as the container requires (tasks/formats/package).

The package's first dc:language becomes the target (one is added where there was none), and so does the
xml:lang of what was translated and of each rewritten document's root. Into a right-to-left language each
rewritten content document reads right to left (dir="rtl" on its root), and an EPUB 3 spine gets
page-progression-direction="rtl" (ltr out of a right-to-left language); EPUB 2 has no such attribute
(epubcheck refuses it), so its books rely on the documents' dir. The book's stylesheets are turned with
the documents (xhtml.turn_css). Content encrypted by DRM is refused with the document's error; fonts
that are only obfuscated are copied as they are.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from babelflow.documents import Block, Document, DocumentError, has_letters
from babelflow.languages import is_rtl, sets_direction, tag
from babelflow.tasks.formats import FormatOptions, Parsed
from babelflow.tasks.formats import xhtml
from babelflow.tasks.formats.html import Places
from babelflow.tasks.formats.package import open_package, read_xml, repackage, serialize_xml

_OPF = "{http://www.idpf.org/2007/opf}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_NCX = "{http://www.daisy.org/z3986/2005/ncx/}"
_CONTAINER = "{urn:oasis:names:tc:opendocument:xmlns:container}"
_ENC = "{http://www.w3.org/2001/04/xmlenc#}"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_MIMETYPE = b"application/epub+zip"
_XHTML_TYPE, _NCX_TYPE = "application/xhtml+xml", "application/x-dtbncx+xml"
# Metadata a reader sees as text; creators, contributors and publishers are names.
_METADATA = frozenset(_DC + name for name in ("title", "description", "subject"))
# Font obfuscation (IDPF, Adobe): a font is mangled against copying, the text stays readable.
_OBFUSCATION = frozenset({"http://www.idpf.org/2008/embedding", "http://ns.adobe.com/pdf/enc#RC"})


@dataclass(frozen=True)
class _Content:
    name: str
    places: Places
    first: int  # its blocks are blocks[first:first + len(places.places)]


@dataclass(frozen=True)
class _Skeleton:
    data: bytes
    opf: str
    metadata: tuple[tuple[int, int], ...]  # (index among _metadata_texts, block)
    contents: tuple[_Content, ...]
    ncx: str | None
    labels: tuple[tuple[int, int], ...]  # (index of the ncx:text element, block)
    stylesheets: tuple[str, ...]


def parse(data: bytes, options: FormatOptions) -> Parsed:
    package = open_package(data, "EPUB")
    _check_container(package)
    opf = _rootfile(package)
    root = read_xml(package, opf)
    if root.tag != _OPF + "package":
        raise DocumentError(f"{opf} is not an EPUB package document")
    documents, ncx, stylesheets = _documents(package, opf, root)
    _refuse_encrypted(package, {opf, *documents, *([ncx] if ncx else [])})
    blocks: list[Block] = []
    metadata = _read_texts(_metadata_texts(root), blocks)
    contents = []
    for name in documents:
        own, places = xhtml.read(package.read(name), name)
        contents.append(_Content(name, places, len(blocks)))
        blocks += own
    labels = _read_texts(_ncx_texts(read_xml(package, ncx, doctype=True)), blocks) if ncx else ()
    return Parsed(blocks, _Skeleton(data, opf, metadata, tuple(contents), ncx, labels, stylesheets))


def render(doc: Document, blocks: list[Block | None], tgt: str) -> bytes:
    skeleton: _Skeleton = doc.skeleton
    package = zipfile.ZipFile(io.BytesIO(skeleton.data))
    lang, rtl = tag(tgt), is_rtl(tgt)
    turn = sets_direction(doc.src_lang, tgt)
    changed: dict[str, bytes] = {}
    for content in skeleton.contents:
        own = blocks[content.first:content.first + len(content.places.places)]
        if all(block is None for block in own):
            continue
        changed[content.name] = xhtml.write(package.read(content.name), content.name, content.places, own, tgt, turn)
    root = read_xml(package, skeleton.opf)
    _write_texts(_metadata_texts(root), skeleton.metadata, blocks, lang)
    _set_language(root, lang)
    if _XML_LANG in root.attrib:  # the language of the package's metadata
        root.set(_XML_LANG, lang)
    spine = root.find(_OPF + "spine")
    if spine is not None and root.get("version", "").startswith("3") and turn:
        spine.set("page-progression-direction", "rtl" if rtl else "ltr")
    changed[skeleton.opf] = serialize_xml(root)
    for name in skeleton.stylesheets if turn else ():
        data = package.read(name)
        if (turned := xhtml.turn_css(data, rtl)) != data:
            changed[name] = turned
    if skeleton.ncx:
        root = read_xml(package, skeleton.ncx, doctype=True)
        _write_texts(_ncx_texts(root), skeleton.labels, blocks, lang)
        if _XML_LANG in root.attrib:
            root.set(_XML_LANG, lang)
        changed[skeleton.ncx] = serialize_xml(root)
    return repackage(package, changed)


def _check_container(package: zipfile.ZipFile) -> None:
    if "mimetype" not in package.NameToInfo:
        raise DocumentError("no mimetype member: not an EPUB package")
    declared = package.read("mimetype").strip()
    if declared != _MIMETYPE:
        raise DocumentError(f"the mimetype member says {declared[:80]!r}, not an EPUB ({_MIMETYPE.decode()})")


def _rootfile(package: zipfile.ZipFile) -> str:
    """The package document the container names first (EPUB readers open that one)."""
    if "META-INF/container.xml" not in package.NameToInfo:
        raise DocumentError("no META-INF/container.xml: the EPUB does not say where its package document is")
    rootfile = read_xml(package, "META-INF/container.xml").find(f"{_CONTAINER}rootfiles/{_CONTAINER}rootfile")
    name = unquote(rootfile.get("full-path", "")) if rootfile is not None else ""
    if name not in package.NameToInfo:
        raise DocumentError(f"the package document {name!r} that META-INF/container.xml names is not in the EPUB")
    return name


def _documents(package: zipfile.ZipFile, opf: str, root: Any) -> tuple[list[str], str | None, tuple[str, ...]]:
    """The XHTML content documents, those of the spine first and in its order; the NCX; the stylesheets."""
    folder = posixpath.dirname(opf)
    items: dict[str, tuple[str, str]] = {}  # id -> (member, media type), members that are in the package
    for item in root.iterfind(f"{_OPF}manifest/{_OPF}item"):
        name = posixpath.normpath(posixpath.join(folder, unquote(item.get("href", "")).split("#")[0]))
        if name in package.NameToInfo:
            items[item.get("id", "")] = (name, item.get("media-type", "").strip().lower())
    spine = root.find(_OPF + "spine")
    order = [ref.get("idref") for ref in spine.iterfind(_OPF + "itemref")] if spine is not None else []
    order += [i for i in items if i not in order]
    documents = list(dict.fromkeys(items[i][0] for i in order if i in items and items[i][1] == _XHTML_TYPE))
    toc = spine.get("toc") if spine is not None else None
    ncx = items[toc][0] if toc in items else next((n for n, kind in items.values() if kind == _NCX_TYPE), None)
    stylesheets = tuple(name for name, kind in items.values() if kind == "text/css")
    return documents, ncx, stylesheets


def _refuse_encrypted(package: zipfile.ZipFile, read: set[str]) -> None:
    """Content encrypted for DRM cannot be read; say so instead of failing to parse it."""
    if "META-INF/encryption.xml" not in package.NameToInfo:
        return
    for data in read_xml(package, "META-INF/encryption.xml").iter(_ENC + "EncryptedData"):
        method = data.find(_ENC + "EncryptionMethod")
        reference = data.find(f"{_ENC}CipherData/{_ENC}CipherReference")
        if method is None or reference is None or method.get("Algorithm") in _OBFUSCATION:
            continue
        name = posixpath.normpath(unquote(reference.get("URI", "")))
        if name in read:
            raise DocumentError(f"{name} is encrypted (DRM-protected EPUB): its text cannot be read")


def _metadata_texts(root: Any) -> list[Any]:
    metadata = root.find(_OPF + "metadata")
    return [el for el in metadata if el.tag in _METADATA] if metadata is not None else []


def _ncx_texts(root: Any) -> list[Any]:
    """Labels a reader sees: the title, navigation points, pages and lists; not the author."""
    return [el for el in root.iter(_NCX + "text") if el.getparent().tag != _NCX + "docAuthor"]


def _read_texts(elements: list[Any], blocks: list[Block]) -> tuple[tuple[int, int], ...]:
    placed = []
    for index, el in enumerate(elements):
        text = (el.text or "").strip()
        if not len(el) and has_letters(text):
            placed.append((index, len(blocks)))
            blocks.append(Block(text))
    return tuple(placed)


def _write_texts(elements: list[Any], placed: tuple[tuple[int, int], ...], blocks: list[Block | None],
                 lang: str) -> None:
    for index, b in placed:
        if blocks[b] is None:
            continue
        el = elements[index]
        old = el.text
        el.text = old[:len(old) - len(old.lstrip())] + blocks[b].text + old[len(old.rstrip()):]
        if _XML_LANG in el.attrib:
            el.set(_XML_LANG, lang)


def _set_language(root: Any, lang: str) -> None:
    """The book's primary language (its first dc:language) is the target's."""
    metadata = root.find(_OPF + "metadata")
    if metadata is None:
        return
    from lxml import etree

    language = metadata.find(_DC + "language")
    if language is None:
        tail = metadata[-1].tail if len(metadata) else None
        language = etree.SubElement(metadata, _DC + "language", nsmap={"dc": _DC[1:-1]})
        language.tail = tail
    language.text = lang
