"""Pseudo-localisation: readable, visibly 'translated', same length, for dry runs and layout tests."""

from __future__ import annotations

from typing import Sequence

from babelflow.documents import Alignment, Translation, exact_alignment

# Each ASCII letter maps to one precomposed look-alike code point, so str length is kept.
_LOWER = "áƀçďéƒĝĥíĵķĺɱñóƥʠŕšťúṽŵẋýž"
_UPPER = "ÁƁÇĎÉƑĜĤÍĴĶĹṀÑÓƤǪŔŠŤÚṼŴẊÝŽ"
TABLE = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", _LOWER + _UPPER
)


def pseudo(text: str) -> str:
    return text.translate(TABLE)


class PseudoEngine:
    def translate(self, texts: Sequence[str], src: str, tgt: str) -> list[Translation]:
        return [Translation(pseudo(t)) for t in texts]

    def align(self, sources: Sequence[str], targets: Sequence[str], src: str, tgt: str) -> list[Alignment]:
        return [exact_alignment(len(t)) for t in targets]

    def score(self, sources: Sequence[str], targets: Sequence[str], src: str, tgt: str) -> list[float | None]:
        return [None] * len(targets)  # no model, no probability
