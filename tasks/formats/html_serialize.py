"""Writing an html5lib tree (xml.etree, HTML elements without a namespace) back as HTML.

Follows the HTML serialization algorithm (WHATWG, "serializing HTML fragments"), so that the output
parses to the same tree as the page: values and text as they are, escaped; raw text elements
unescaped; foreign (SVG, MathML) names and namespaced attributes written as the parser reads them; a
leading newline of pre/textarea/listing doubled, because the parser drops the first one.
"""

from __future__ import annotations

_VOID = frozenset(
    "area base basefont bgsound br col embed frame hr img input keygen link meta param source track wbr".split()
)
# Elements whose content the parser reads as raw text: written as it is, never escaped.
_RAW_TEXT = frozenset("iframe noembed noframes plaintext script style xmp".split())
_LEADING_NEWLINE = frozenset("pre textarea listing".split())
# Attributes of foreign elements that the parser puts in a namespace, as html5lib's etree names them.
FOREIGN_ATTRIBUTES = {
    **{f"xlink:{n}": "{http://www.w3.org/1999/xlink}" + n for n in "actuate arcrole href role show title type".split()},
    **{f"xml:{n}": "{http://www.w3.org/XML/1998/namespace}" + n for n in ("base", "lang", "space")},
    "xmlns": "{http://www.w3.org/2000/xmlns/}xmlns", "xmlns:xlink": "{http://www.w3.org/2000/xmlns/}xlink",
}
_WRITTEN = {etree: written for written, etree in FOREIGN_ATTRIBUTES.items()}
DOCTYPE = "<!DOCTYPE>"  # html5lib's tag for the doctype node


def serialize(document) -> str:
    """The document: its doctype, comments and root element, in order."""
    out: list[str] = []
    for node in document:
        if node.tag == DOCTYPE:
            out.append(_doctype(node))
        else:
            _write(node, out)
    return "".join(out)


def _doctype(node) -> str:
    """Public and system identifiers kept: they decide the quirks mode, which changes how tables parse."""
    public, system = node.get("publicId"), node.get("systemId")
    ids = f' PUBLIC "{public}"' + (f' "{system}"' if system else "") if public else (
        f' SYSTEM "{system}"' if system else "")
    return f"<!DOCTYPE {node.text or ''}{ids}>"


def _write(top, out: list[str]) -> None:
    """Iterative, so that a deeply nested page is no problem."""
    todo: list = [top]  # nodes still to write, or text ready to write
    while todo:
        node = todo.pop()
        if node.__class__ is str:
            out.append(node)
            continue
        tag = node.tag
        if not isinstance(tag, str):  # a comment (the parser reads <?...> as one too)
            out.append(f"<!--{node.text or ''}-->")
            continue
        foreign = tag[0] == "{"
        name = tag.rpartition("}")[2] if foreign else tag  # the parser puts it back in its namespace
        attributes = "".join([f' {_WRITTEN.get(k, k)}="{_escape_value(v)}"' for k, v in node.items()]
                             ) if node.attrib else ""
        text = node.text or ""
        if foreign:
            if not text and not len(node):
                out.append(f"<{name}{attributes} />")
                continue
            raw = False
        elif name in _VOID:
            out.append(f"<{name}{attributes}>")
            continue
        else:
            raw = name in _RAW_TEXT
            if name in _LEADING_NEWLINE and text[:1] == "\n":
                text = "\n" + text
        out.append(f"<{name}{attributes}>{text if raw else _escape(text)}")
        todo.append(f"</{name}>")
        for child in reversed(node):
            tail = child.tail
            if tail:
                todo.append(tail if raw else _escape(tail))
            todo.append(child)


def _escape(text: str) -> str:
    """Text outside raw text elements; replace() beats translate() several times on short strings."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\xa0", "&nbsp;")


def _escape_value(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("\xa0", "&nbsp;")
