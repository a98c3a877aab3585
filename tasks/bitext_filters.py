"""What back-translation drops, in this order, each pair counted under the first filter that drops it:
failed (an error, never silent), empty, copy, ratio, language, score, duplicate."""

from __future__ import annotations

import hashlib
import re
import threading

from babelflow.config import Filters
from babelflow.tasks.detect import detectable, load_detector, surely_not
from babelflow.tasks.suspect import suspect
from babelflow.tasks.synthetic import Pair

REASONS = ("failed", "empty", "copy", "ratio", "language", "score", "duplicate")
_SPACE = re.compile(r"\s+")


class PairFilter:
    """The filters of one run; `duplicate` remembers every pair kept so far (8 bytes each)."""

    def __init__(self, filters: Filters, src: str, tgt: str) -> None:
        self.filters = filters
        self.src = src  # the original's language (--from)
        self.tgt = tgt  # the synthetic source's (--to)
        self.seen: set[bytes] = set()
        self.language = filters.language and detectable(tgt)
        self.loading = threading.Thread(target=load_detector, daemon=True) if self.language else None
        if self.loading is not None:  # while the first pairs are translated
            self.loading.start()

    def judge(self, pairs: list[Pair]) -> None:
        """Set `reason` on each pair that is dropped."""
        f = self.filters
        for p in pairs:
            if p.reason is not None:
                continue
            synthetic = p.synthetic
            if f.empty and not synthetic.strip():
                p.reason = "empty"
            elif f.copy_ and _normal(synthetic) == _normal(p.target):
                p.reason = "copy"
            elif f.max_ratio is not None and (why := suspect(p.target, synthetic, self.src, self.tgt, f.max_ratio)):
                p.reason = f"ratio: {why}"
        if self.language:
            self.loading.join()
            open_ = [p for p in pairs if p.reason is None]
            for p, other in zip(open_, surely_not([p.synthetic for p in open_], self.tgt)):
                if other is not None:
                    p.reason = f"language: {other}"
        for p in pairs:
            if p.reason is None and f.min_score is not None and p.score is not None and p.score < f.min_score:
                p.reason = f"score: {p.score:.3f}"
            if p.reason is None and f.duplicate:
                digest = hashlib.blake2b(f"{p.target}\0{p.synthetic}".encode(), digest_size=8).digest()
                if digest in self.seen:
                    p.reason = "duplicate"
                self.seen.add(digest)


def reason_name(reason: str) -> str:
    name = reason.split(":", 1)[0]
    return "failed" if name == "error" else name


def _normal(text: str) -> str:
    return _SPACE.sub(" ", text).strip().casefold()
