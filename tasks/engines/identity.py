"""Returns its input: for round-trip checks of parsing, segmentation and rendering."""

from __future__ import annotations

from typing import Sequence

from babelflow.documents import Alignment, Translation, exact_alignment


class IdentityEngine:
    def translate(self, texts: Sequence[str], src: str, tgt: str) -> list[Translation]:
        return [Translation(t) for t in texts]

    def align(self, sources: Sequence[str], targets: Sequence[str], src: str, tgt: str) -> list[Alignment]:
        return [exact_alignment(len(t)) for t in targets]

    def score(self, sources: Sequence[str], targets: Sequence[str], src: str, tgt: str) -> list[float | None]:
        return [None] * len(targets)  # no model, no probability
