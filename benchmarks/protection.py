"""What protecting text costs per sentence, by glossary size.

    python benchmarks/protection.py ../shared/corpus/md --terms 0 100 1000 10000

Segments the text of the given files (or folders of them) as one English document, then times
`Protection.protect` over its sentences with the default kinds and a generated glossary of N terms
(random lowercase words, half of them two-word terms; none occurs in real text, so the cost measured is
the search, which every sentence pays). Prints µs per sentence and the glossary's first-use build time.
"""

from __future__ import annotations

import argparse
import random
import string
import time
from pathlib import Path

from babelflow.config import PROTECTED
from babelflow.documents import Block, Document
from babelflow.tasks.glossary import load_glossary
from babelflow.tasks.protect import Protection
from babelflow.tasks.segment import segment_document


def glossary_csv(n: int, seed: int = 1) -> bytes:
    rng = random.Random(seed)
    words = ["".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 10))) for _ in range(2 * n)]
    rows = [f"{w} {words[-1 - i]}" if i % 2 else w for i, w in enumerate(words[:n])]
    return ("source,fr\n" + "".join(f"{r},{r.upper()}\n" for r in rows)).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--terms", nargs="+", type=int, default=[0, 100, 1000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    files = [f for p in args.paths for f in (sorted(p.rglob("*")) if p.is_dir() else [p]) if f.is_file()]
    text = " ".join(" ".join(f.read_text("utf-8", errors="replace") for f in files).split())
    doc = Document("bench", "bench", "txt", [Block(text)], src_lang="en_XX")
    segments = segment_document(doc)
    print(f"{len(segments)} sentences from {len(files)} files")
    print(f"{'terms':>8} {'first use s':>12} {'us/sentence':>12}")
    for n in args.terms:
        protection = Protection(list(PROTECTED), load_glossary(glossary_csv(n), "bench.csv") if n else None)
        start = time.perf_counter()
        protection.find("warm up", "en_XX")
        built = time.perf_counter() - start
        best = min(_time(protection, segments, doc) for _ in range(args.repeat))
        print(f"{n:>8} {built:>12.3f} {1e6 * best / len(segments):>12.1f}")


def _time(protection: Protection, segments: list, doc: Document) -> float:
    start = time.perf_counter()
    protection.protect(segments, doc)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
