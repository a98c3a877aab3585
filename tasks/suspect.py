"""Degenerate translations: what a model emits when it fails (nothing, far too much or too little, a
loop). They are flagged per segment and counted per document; `--on-suspect` decides what follows."""

from __future__ import annotations

import re

from babelflow.languages import iso

# Characters a sentence takes relative to English, from the average sentence lengths of parallel
# corpora (FLORES-200 devtest), rounded; languages not listed count as 1.0. A translation is expected
# to be about len(source) * DENSITY[tgt] / DENSITY[src] long.
DENSITY = {
    "zh": 0.3, "ja": 0.36, "ko": 0.45, "th": 0.95, "my": 1.15, "km": 1.1,
    "ar": 0.9, "he": 0.8, "fa": 0.9, "ur": 0.95, "ps": 0.95,
    "de": 1.15, "fr": 1.15, "es": 1.12, "it": 1.12, "pt": 1.1, "ro": 1.1, "nl": 1.12, "sv": 1.0,
    "fi": 1.1, "et": 1.0, "lt": 1.0, "lv": 1.0, "cs": 1.0, "pl": 1.08, "ru": 1.08, "uk": 1.05,
    "ta": 1.3, "ml": 1.25, "te": 1.1, "mr": 1.05, "hi": 1.05, "bn": 1.0, "gu": 1.0, "ne": 1.05, "si": 1.0,
    "id": 1.15, "vi": 1.05, "tl": 1.2, "sw": 1.1, "xh": 1.15, "az": 1.05, "tr": 1.05, "mn": 1.1, "ka": 1.1,
}
RATIO = 3.0  # a translation more than this far from its expected length, either way, is suspect
_SLACK = 20  # characters: short sources ("OK.") translate to words of any length
_MIN_SOURCE = 30  # characters: only sources this long can be judged too short
# A unit of up to 40 characters said 4 or more times in a row: "the the the the", "I am I am I am I am".
_LOOP = re.compile(r"(.{1,40}?)\1{3,}", re.DOTALL)
_MIN_LOOP = 16  # characters a loop must cover to count ("Zzzzz" is a word)


def suspect(source: str, translation: str, src: str, tgt: str, ratio: float = RATIO) -> str | None:
    """Why `translation` looks degenerate (empty, too long, too short, repeats), or None; `ratio` is how
    far from its expected length, either way, a translation may be."""
    if not translation.strip():
        return "empty" if source.strip() else None
    expected = len(source) * DENSITY.get(iso(tgt), 1.0) / DENSITY.get(iso(src), 1.0)
    if len(translation) > ratio * expected + _SLACK:
        return "too long"
    if len(source) >= _MIN_SOURCE and len(translation) * ratio < expected:
        return "too short"
    if _loops(translation) and not _loops(source):
        return "repeats"
    return None


def _loops(text: str) -> bool:
    if not _some_4gram_4_times(text):  # necessary for a loop, and 5x cheaper than the pattern
        return False
    return any(len(m.group(0)) >= _MIN_LOOP and any(c.isalnum() for c in m.group(1)) for m in _LOOP.finditer(text))


def _some_4gram_4_times(text: str) -> bool:
    seen: dict[str, int] = {}
    for i in range(len(text) - 3):
        gram = text[i : i + 4]
        count = seen[gram] = seen.get(gram, 0) + 1
        if count == 4:
            return True
    return False
