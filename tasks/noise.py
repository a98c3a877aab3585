"""Noised beam output for back-translation (Edunov et al. 2018, "Understanding Back-Translation at
Scale"): words deleted with probability 0.1, replaced by a filler token with probability 0.1, then
shuffled locally so that no word moves more than 3 positions (Lample et al. 2018: sort the positions
i + U(0, k + 1)). Each text's noise comes from its own seed, so it is reproducible per text."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from babelflow.languages import UNSPACED, iso

FILLER = "<blank>"  # fairseq's filler word in its noising of back-translations
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class Noise:
    delete: float = 0.1
    replace: float = 0.1
    max_shift: int = 3


def noise_seed(seed: int, sample_index: int, lang: str, text: str) -> int:
    key = f"noise\0{seed}\0{sample_index}\0{lang}\0{text}".encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "little")


def noised(text: str, lang: str, seed: int, noise: Noise = Noise()) -> str:
    """`text` with its words (characters, in a language written without spaces) deleted, replaced and
    locally shuffled. At least one word is always kept; the words are joined as the language writes them."""
    import numpy as np

    rng = np.random.default_rng(seed)
    unspaced = iso(lang) in UNSPACED
    words = [c for c in text if not c.isspace()] if unspaced else _WORD.findall(text)
    if not words:
        return text
    kept = [w for w, u in zip(words, rng.random(len(words))) if u >= noise.delete] or [words[int(rng.integers(len(words)))]]
    kept = [FILLER if u < noise.replace else w for w, u in zip(kept, rng.random(len(kept)))]
    order = np.argsort(np.arange(len(kept)) + rng.uniform(0, noise.max_shift + 1, len(kept)), kind="stable")
    return ("" if unspaced else " ").join(kept[i] for i in order)
