"""Unique (source, target, text) rows, sorted by length and cut into shards by a token budget."""

from __future__ import annotations

from collections import defaultdict
from typing import Mapping

from babelflow.documents import Shard, Translation

Key = tuple[str, str, str]  # (src, tgt, text)


def approx_tokens(text: str) -> int:
    """Cheap stand-in for the tokenizer, good enough to balance shards (the engine batches exactly)."""
    return len(text.encode("utf-8")) // 4 + 1


def make_shards(requests: Mapping[Key, bool], shard_tokens: int, done: Mapping[Key, Translation]) -> list[Shard]:
    """Shards of the keys in `requests` (each mapped to whether its translation needs a word alignment).

    Keys already in the target language are not sent: their translation is their text. Keys in `done`
    (the cache) are not sent again, unless they now need an alignment the cache does not have.
    """
    pairs: dict[tuple[str, str], dict[str, bool]] = defaultdict(dict)
    for (src, tgt, text), aligned in requests.items():
        if src != tgt:
            pairs[(src, tgt)][text] = aligned
    shards: list[Shard] = []
    for (src, tgt), texts in sorted(pairs.items()):
        texts = {t: a for t, a in texts.items() if not _cached((src, tgt, t), a, done)}
        if not texts:
            continue
        current = Shard(len(shards), src, tgt)
        for text in sorted(texts, key=lambda t: (approx_tokens(t), t)):
            n = approx_tokens(text)
            if current.texts and current.n_tokens + n > shard_tokens:
                shards.append(current)
                current = Shard(len(shards), src, tgt)
            current.texts.append(text)
            current.aligned.append(texts[text])
            current.n_tokens += n
        shards.append(current)
    return shards


def _cached(key: Key, needs_alignment: bool, done: Mapping[Key, Translation]) -> bool:
    hit = done.get(key)
    return hit is not None and (not needs_alignment or hit.alignment is not None or not hit.text)
