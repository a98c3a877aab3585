"""Pages per second of the HTML format stage: parse, then render with identity and pseudo translations.

    python benchmarks/html_pages.py ../shared/corpus/html tests/html_pages --repeat 3

Runs `tasks.formats.html.parse` and `render` on every page in process, with each block given back as
it is (identity) and with every ASCII letter replaced (pseudo: same length, so its spans stay in place),
which is the stage's own cost without segmentation, the engine or Prefect. Reports the best of
`--repeat` passes, in pages/s and source MB/s; `--profile N` then prints the N functions that take the
most time of their own in one more pass (cProfile), to see where the time goes.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def pages(folders: list[Path]) -> list[bytes]:
    """Every .html/.htm file under the folders, read once."""
    return [p.read_bytes() for folder in folders for p in sorted(folder.rglob("*")) if p.suffix in (".html", ".htm")]


def one_pass(sources: list[bytes]) -> float:
    """Seconds to parse and render every page twice (identity, pseudo)."""
    from babelflow.documents import Block, Document
    from babelflow.tasks.engines.pseudo import pseudo
    from babelflow.tasks.formats import FormatOptions
    from babelflow.tasks.formats import html

    start = time.perf_counter()
    for data in sources:
        parsed = html.parse(data, FormatOptions())
        doc = Document("page", "page.html", "html", parsed.blocks, parsed.skeleton)
        html.render(doc, parsed.blocks, "fr_XX")
        html.render(doc, [Block(pseudo(b.text), b.spans) for b in parsed.blocks], "ar_AR")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    args = parser.parse_args()
    sources = pages(args.folders)
    best = min(one_pass(sources) for _ in range(args.repeat))
    size = sum(map(len, sources)) / 1e6
    print(f"{len(sources)} pages, {size:.1f} MB: {len(sources) / best:.1f} pages/s, {size / best:.2f} MB/s "
          f"(parse + identity render + pseudo render, best of {args.repeat})")
    if args.profile:
        import cProfile
        import pstats

        with cProfile.Profile() as profile:
            one_pass(sources)
        pstats.Stats(profile).sort_stats("tottime").print_stats(args.profile)


if __name__ == "__main__":
    main()
