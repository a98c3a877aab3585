"""Glossaries: terms that must come out as the glossary says (or unchanged), in every document.

CSV or TSV with a header `source,<lang>,<lang>...` (a column per target language; an empty cell means
keep the term as it is; optional columns `do_not_translate` (true/yes/1) and `source_lang` (limit the
term to sources in that language)), or TBX, whose concept entries give each language's terms: a term
of any language is a source term for documents in that language, and the entry's first term in the
target language is its translation.

Matching is case-aware (a lowercase term also matches its capitalised form at the start of a sentence,
and its translation is capitalised there), whole-word in scripts written with spaces, anywhere in
scripts without them, and longest first.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field

from babelflow.languages import tag, to_code

_NO_SPACE_RANGES = r"\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff"
_NO_SPACES = re.compile(f"[{_NO_SPACE_RANGES}]")  # scripts written without spaces between words
_WORD_CHAR = rf"[^\W{_NO_SPACE_RANGES}]"  # a letter, digit or _ of a script with words
_TRUE = {"1", "true", "yes", "y", "x"}


class GlossaryError(ValueError):
    """The glossary cannot be read."""


@dataclass(frozen=True)
class Term:
    source: str
    targets: dict[str, str] = field(default_factory=dict)  # languages.tag of the target -> target term
    src: str | None = None  # the only source language it applies to (its languages.tag), if any


class Glossary:
    def __init__(self, terms: list[Term], digest: str) -> None:
        self.terms = terms
        self.digest = digest  # of the file's bytes: what the manifest and segments can name
        self._forms: dict[str, dict[str, tuple[Term, bool]]] = {}
        self._tries: dict[str, tuple[dict, re.Pattern[str]]] = {}

    def find(self, text: str, src_lang: str) -> list[tuple[int, int]]:
        """Where the terms for sources in `src_lang` (a babelflow or ISO code) occur in `text`: leftmost,
        then longest. A walk of a character trie from each position, so the cost per sentence does not
        grow with the glossary (a regular expression alternation tries every term at every position)."""
        src = tag(to_code(src_lang))
        if src not in self._tries:
            self._tries[src] = _trie(self.forms(src))
        root, starts = self._tries[src]
        found: list[tuple[int, int]] = []
        for m in starts.finditer(text):
            i = m.start()
            if found and i < found[-1][1]:
                continue
            node, j, best = root[text[i]], i + 1, None
            while node is not None:
                form = node.get("")
                if form is not None and _whole(text, i, j, form):
                    best = j
                node = node.get(text[j]) if j < len(text) else None
                j += 1
            if best is not None:
                found.append((i, best))
        return found

    def target(self, found: str, src_lang: str, tgt_lang: str) -> str | None:
        """What `found`, a match of pattern(src_lang), becomes in `tgt_lang`; None if it is not a term."""
        entry = self.forms(tag(to_code(src_lang))).get(found)
        if entry is None:
            return None
        term, capitalised = entry
        out = term.targets.get(tag(to_code(tgt_lang)))
        if out is None:
            return found  # do not translate
        return out[:1].upper() + out[1:] if capitalised else out

    def forms(self, src: str) -> dict[str, tuple[Term, bool]]:
        """Every written form of the terms for `src` (a languages.tag): the term, and its capitalised form if it
        is lowercase; the same for every sentence of a run, so made once."""
        if src not in self._forms:
            forms: dict[str, tuple[Term, bool]] = {}
            for term in self.terms:
                if term.src not in (None, src):
                    continue
                forms.setdefault(term.source, (term, False))
                if term.source[:1].islower():
                    forms.setdefault(term.source[:1].upper() + term.source[1:], (term, True))
            self._forms[src] = forms
        return self._forms[src]


def _trie(forms: dict[str, tuple[Term, bool]]) -> tuple[dict, re.Pattern[str]]:
    """Nested dicts by character, the key "" (never a character) holding the form that ends there; and
    where a term can start: its first character, at a word's start if the term starts with a letter
    or digit of a script with words (most positions of a sentence are not, and are skipped in C)."""
    root: dict = {}
    for form in forms:
        node = root
        for ch in form:
            node = node.setdefault(ch, {})
        node[""] = form
    bounded = "".join(re.escape(ch) for ch in root if _word(ch))
    free = "".join(re.escape(ch) for ch in root if not _word(ch))
    starts = [f"(?<!{_WORD_CHAR})[{bounded}]" if bounded else "", f"[{free}]" if free else ""]
    return root, re.compile("|".join(filter(None, starts)) or "(?!)")


def _whole(text: str, start: int, end: int, form: str) -> bool:
    """A term is a whole word where its script has words: no letter, digit or _ right before or after it."""
    return not (start > 0 and _word(form[0]) and _word(text[start - 1])
                or end < len(text) and _word(form[-1]) and _word(text[end]))


def _word(ch: str) -> bool:
    return (ch.isalnum() or ch == "_") and not _NO_SPACES.match(ch)


def load_glossary(data: bytes, name: str) -> Glossary:
    """A glossary from a file's bytes; `name` says its format (.csv, .tsv, .tbx or .xml)."""
    digest = hashlib.sha256(data).hexdigest()[:16]
    suffix = name.lower().rsplit(".", 1)[-1]
    try:
        terms = _tbx(data) if suffix in ("tbx", "xml") else _table(data.decode("utf-8-sig"), "\t" if suffix == "tsv" else ",")
    except GlossaryError as exc:
        raise GlossaryError(f"glossary {name}: {exc}") from None
    except Exception as exc:
        raise GlossaryError(f"glossary {name}: {exc}") from exc
    if not terms:
        raise GlossaryError(f"glossary {name}: no terms")
    return Glossary(terms, digest)


def _language(code: str, where: str) -> str:
    try:
        return tag(to_code(code))
    except Exception:
        raise GlossaryError(f"{where}: {code!r} is not a language babelflow knows") from None


def _table(text: str, delimiter: str) -> list[Term]:
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if not rows or not rows[0] or rows[0][0].strip().lower() != "source":
        raise GlossaryError("the first column of the header must be `source`")
    header = [h.strip() for h in rows[0]]
    special = {"source", "do_not_translate", "source_lang"}
    langs = {i: _language(h, "header") for i, h in enumerate(header) if h.lower() not in special}
    index = {h.lower(): i for i, h in enumerate(header)}
    terms = []
    for number, row in enumerate(rows[1:], start=2):
        cell = lambda i: row[i].strip() if i is not None and i < len(row) else ""  # noqa: E731
        source = cell(0)
        if not source:
            continue
        keep = cell(index.get("do_not_translate")).lower() in _TRUE
        targets = {} if keep else {lang: cell(i) for i, lang in langs.items() if cell(i)}
        src = cell(index.get("source_lang"))
        terms.append(Term(source, targets, _language(src, f"source_lang, line {number}") if src else None))
    return terms


def _tbx(data: bytes) -> list[Term]:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(data, parser)
    xml_lang = "{http://www.w3.org/XML/1998/namespace}lang"
    terms = []
    for entry in root.iter("{*}termEntry", "{*}conceptEntry"):
        by_lang: dict[str, list[str]] = {}
        for lang_set in entry.iter("{*}langSet", "{*}langSec"):
            code = lang_set.get(xml_lang) or lang_set.get("lang") or ""
            lang = _language(code, "langSet")
            by_lang.setdefault(lang, []).extend(
                t.text.strip() for t in lang_set.iter("{*}term") if t.text and t.text.strip())
        for lang, written in by_lang.items():
            targets = {other: forms[0] for other, forms in by_lang.items() if other != lang and forms}
            terms += [Term(form, targets, lang) for form in written]
    return terms
