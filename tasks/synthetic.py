"""Back-translation pairs of one part: each row's segments back-translated, per sample, joined as the
row had them (`n_segments` says how many), noised for noised-beam, scored, and round-tripped if asked."""

from __future__ import annotations

from dataclasses import dataclass

from babelflow.config import BackTranslateConfig
from babelflow.documents import join_segments
from babelflow.tasks.noise import noise_seed, noised
from babelflow.tasks.parts import Part
from babelflow.tasks.protect import Protection
from babelflow.tasks.shard import Key
from babelflow.tasks.translator import Results


@dataclass
class Pair:
    """One (row, sample): the original text, its synthetic source, and whether (and why) it is dropped."""

    block: int  # the row's block in its part
    sample_index: int
    target: str
    segments: list[str]  # the synthetic source, segment by segment
    spans: list[tuple[int, int]]  # where each segment sits in `target`
    score: float | None = None
    round_trip: str | None = None
    reason: str | None = None  # why it is dropped: the filter's name, then what it saw

    @property
    def synthetic(self) -> str:
        return join_segments(self.target, self.spans, self.segments)


def requests(group: list[Part], to: str) -> dict[Key, bool]:
    """Every segment of the group, to `to`; back-translation needs no word alignments."""
    return {(s.src_lang, to, s.source): False for part in group for s in part.segments}


def pairs(part: Part, samples: list[Results], config: BackTranslateConfig, protection: Protection) -> list[Pair]:
    """`samples[i]` holds the translations of sample i (one Results for every sample of a search method,
    whose samples differ by their noise only). A row any of whose segments failed is dropped with the
    error: never written with a gap."""
    by_block: dict[int, list] = {}
    for segment in part.segments:
        by_block.setdefault(segment.block, []).append(segment)
    out: list[Pair] = []
    for block, segments in by_block.items():
        text = part.doc.blocks[block].text
        spans = [(s.start, s.end) for s in segments]
        for i in range(config.n):
            results = samples[i] if len(samples) > 1 else samples[0]
            keys = [(s.src_lang, config.to, s.source) for s in segments]
            failed = next((results.errors.get(k, "not translated") for k in keys if k not in results.translated), None)
            if failed is not None:
                out.append(Pair(block, i, text, [], spans, reason=f"error: {failed}"))
                continue
            found = [results.translated[k] for k in keys]
            texts = [protection.restore(s, t, config.to)[0].text for s, t in zip(segments, found)]
            if config.method == "noised-beam":
                texts = [noised(t, config.to, noise_seed(config.seed, i, config.to, s.text))
                         for t, s in zip(texts, segments)]
            out.append(Pair(block, i, text, texts, spans, score=_mean_score(found)))
    return out


def _mean_score(found: list) -> float | None:
    """The row's score: its segments' scores weighted by their length (segments answered without the
    model, a number or a text already in the language, have none)."""
    scored = [(t.score, max(1, len(t.text))) for t in found if t.score is not None]
    if not scored:
        return None
    return sum(s * w for s, w in scored) / sum(w for _, w in scored)


def round_trip_requests(pairs: list[Pair], config: BackTranslateConfig) -> dict[Key, bool]:
    return {(config.to, config.src_lang, t): False for p in pairs if p.reason is None for t in p.segments}


def add_round_trip(pairs: list[Pair], results: Results, config: BackTranslateConfig) -> None:
    """Each kept pair's synthetic source translated back, joined like the original; a failed segment
    drops the pair with the error."""
    for p in pairs:
        if p.reason is not None:
            continue
        keys = [(config.to, config.src_lang, t) for t in p.segments]
        missing = next((k for k in keys if k not in results.translated), None)
        if missing is not None:
            p.reason = f"error: round trip: {results.errors.get(missing, 'not translated')}"
            continue
        p.round_trip = join_segments(p.target, p.spans, [results.translated[k].text for k in keys])
