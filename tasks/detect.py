"""Source-language detection for `--from auto`, restricted to languages the model can translate."""

from __future__ import annotations

from collections import Counter
from functools import lru_cache

from babelflow.documents import Document, DocumentError
from babelflow.languages import MBART50, iso, to_mbart
from babelflow.filetypes import STREAMING

_SAMPLE_CHARS = 4000


@lru_cache(maxsize=1)
def _detector():
    from lingua import Language, LanguageDetectorBuilder

    supported = {iso(c) for c in MBART50}
    languages = [lang for lang in Language.all() if lang.iso_code_639_1.name.lower() in supported]
    return LanguageDetectorBuilder.from_languages(*languages).build()


def detect(text: str) -> str | None:
    """mBART code of the language of `text`, or None when it cannot tell."""
    if not any(c.isalpha() for c in text):
        return None
    found = _detector().detect_language_of(text[:_SAMPLE_CHARS])
    return to_mbart(found.iso_code_639_1.name.lower()) if found else None


def assign_languages(doc: Document, src: str) -> None:
    """Set the document's (and for corpora each row's) source language."""
    if src != "auto":
        doc.src_lang = src
        return
    if doc.format in STREAMING:
        counts: Counter[str] = Counter()
        for block in doc.blocks:
            if block.translatable and block.text.strip():
                block.lang = detect(block.text)
                if block.lang:
                    counts[block.lang] += 1
        doc.src_lang = counts.most_common(1)[0][0] if counts else None
        for block in doc.blocks:
            block.lang = block.lang or doc.src_lang
    else:
        sample, size = [], 0
        for block in doc.blocks:
            if block.translatable and size < _SAMPLE_CHARS:
                sample.append(block.text)
                size += len(block.text)
        doc.src_lang = detect("\n".join(sample))
    if doc.src_lang is None and any(b.translatable and b.text.strip() for b in doc.blocks):
        raise DocumentError("could not detect the source language; pass --from LANG")
