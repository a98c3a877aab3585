"""Documents as parts, segmented, in groups: a whole file is one part, a corpus a part per run of rows,
and groups of parts bound how many segments are held in memory at once."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Iterator

from babelflow.connectors.redact import redact
from babelflow.connectors.sources import Source
from babelflow.documents import Document, Segment, describe
from babelflow.tasks.detect import RunLanguages
from babelflow.tasks.formats import FormatOptions
from babelflow.tasks.parse import read_document
from babelflow.tasks.protect import Protection
from babelflow.tasks.segment import segment_document
from babelflow.tasks.shard import Key

GROUP_SEGMENTS = 100_000  # segments held in memory at once; corpora stream through in parts


@dataclass
class Part:
    """One part of a document (a whole file, or a run of corpus rows), or why it could not be read."""

    source: Source
    targets: list[str]  # the target languages this document still needs
    doc: Document | None
    segments: list[Segment]
    seconds: float  # spent reading, parsing and segmenting it
    last: bool
    error: str | None = None


def read_parts(sources: list[Source], needed: dict[str, list[str]], options: FormatOptions, src_lang: str,
               max_size: int, protection: Protection, known: frozenset[str]) -> Iterator[Part]:
    """Every part of every document, in order, each segmented and its protected spans hidden from the
    engine; a document that fails stops there. `--from auto` chooses among the `known` languages."""
    languages = RunLanguages(known)
    for source in sources:
        targets = needed[source.url]
        parts = read_document(source, options, src_lang, max_size, targets, languages)
        t0 = time.perf_counter()
        try:
            part = next(parts)
            while True:
                segments = protection.protect(segment_document(part), part)
                following = next(parts, None)
                yield Part(source, targets, part, segments, time.perf_counter() - t0, following is None)
                if following is None:
                    break
                part, t0 = following, time.perf_counter()
        except Exception as exc:  # a parser bug must cost one document, not the run
            yield Part(source, targets, None, [], 0.0, True, redact(describe(exc)))


def groups(parts: Iterator[Part], size: int = GROUP_SEGMENTS) -> Iterator[list[Part]]:
    group: list[Part] = []
    count = 0
    for part in parts:
        group.append(part)
        count += len(part.segments)
        if count >= size:
            yield group
            group, count = [], 0
    if group:
        yield group


def requests(group: list[Part]) -> dict[Key, bool]:
    """The unique keys a group needs translated, each with whether any of its segments carries inline
    markup (its translation then needs a word alignment)."""
    wanted: dict[Key, bool] = {}
    for part in group:
        for segment in part.segments:
            for tgt in part.targets:
                key = (segment.src_lang, tgt, segment.source)
                wanted[key] = wanted.get(key, False) or segment.marked
    return wanted
