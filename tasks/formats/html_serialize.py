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
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\xa0": "&nbsp;"})
_ATTRIBUTE_ESCAPES = str.maketrans({"&": "&amp;", '"': "&quot;", "\xa0": "&nbsp;"})
# Attribute namespaces as html5lib writes them ("{uri}local") and the prefix the parser gives them back.
_PREFIXES = {
    "http://www.w3.org/1999/xlink": "xlink:",
    "http://www.w3.org/XML/1998/namespace": "xml:",
    "http://www.w3.org/2000/xmlns/": "xmlns:",
}
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


def _name(tag: str) -> str:
    """Local name of an SVG or MathML element; the parser puts it back in its namespace."""
    return tag.rpartition("}")[2]


def _attribute(name: str) -> str:
    if name[0] != "{":
        return name
    uri, _, local = name[1:].partition("}")
    prefix = _PREFIXES.get(uri, "")
    return "xmlns" if prefix == "xmlns:" and local == "xmlns" else prefix + local


def _write(top, out: list[str]) -> None:
    """Iterative, so that a deeply nested page is no problem."""
    todo: list = [top]  # nodes still to write, or text ready to write
    while todo:
        node = todo.pop()
        if isinstance(node, str):
            out.append(node)
        elif not isinstance(node.tag, str):  # a comment (the parser reads <?...> as one too)
            out.append(f"<!--{node.text or ''}-->")
        else:
            foreign = node.tag[0] == "{"
            name = _name(node.tag)
            attributes = "".join(
                f' {_attribute(k)}="{v.translate(_ATTRIBUTE_ESCAPES)}"' for k, v in node.items()
            )
            empty = not node.text and not len(node)
            if (name in _VOID and not foreign) or (foreign and empty):
                out.append(f"<{name}{attributes}>" if not foreign else f"<{name}{attributes} />")
                continue
            raw = name in _RAW_TEXT and not foreign
            text = node.text or ""
            if name in _LEADING_NEWLINE and not foreign and text.startswith("\n"):
                text = "\n" + text
            inner: list = [text if raw else text.translate(_TEXT_ESCAPES)]
            for child in node:
                tail = child.tail or ""
                inner += [child, tail if raw else tail.translate(_TEXT_ESCAPES)]
            out.append(f"<{name}{attributes}>")
            todo.append(f"</{name}>")
            todo.extend(reversed(inner))
