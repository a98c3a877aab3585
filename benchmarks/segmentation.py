"""Sentence segmentation quality (and speed) on public data, for babelflow and other segmenters.

    python benchmarks/segmentation.py [--split all|tune|heldout] [--tools babelflow pysbd spacy blingfire syntok sentencex]
                                      [--langs en de ...] [--speed] [--failures]

Data (tests/segmentation/README.md says where it comes from and how it was built):
- Golden Rules (tests/segmentation/golden_rules.jsonl): a case counts when the segmenter's sentences equal the
  expected ones exactly, after each sentence is stripped, empty ones dropped, and all whitespace removed inside
  (pySBD's benchmark compares stripped strings; dropping whitespace as well also keeps the cases whose expected
  output joins a hard-wrapped line scorable). Score: % of cases per language and over all cases.
- UD paragraphs (tests/segmentation/ud/<lang>.jsonl): boundary F1, a boundary being the end of a sentence other
  than the paragraph's last, as an offset in the paragraph's non-whitespace characters; micro F1 per language,
  and the mean over languages.
Tools other than babelflow are optional: each is used only if it imports and supports the language (else "-").
--speed: sentences/s of babelflow over each language's UD paragraphs, repeated until at least one second.
--failures: print every Golden Rules case each tool gets wrong (id, text, expected, got).
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Callable
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "tests" / "segmentation"
TOOLS = ["babelflow", "pysbd", "spacy", "blingfire", "syntok", "sentencex"]
_SPACE = re.compile(r"\s+")

Segmenter = Callable[[str], list[str]]


def make_segmenter(tool: str, lang: str) -> Segmenter | None:
    """The tool's sentence splitter for `lang` (ISO 639-1), or None when it is not installed or has no such language."""
    try:
        if tool == "babelflow":
            from babelflow.tasks.segment import split_sentences

            return lambda text: [text[a:b] for a, b in split_sentences(text, lang)]
        if tool == "pysbd":
            import pysbd

            seg = pysbd.Segmenter(language=lang, clean=False, char_span=False)
            return lambda text: seg.segment(text)
        if tool == "spacy":
            import spacy

            nlp = spacy.blank(lang)
            nlp.add_pipe("sentencizer")
            nlp("Test.")  # tokenizers that need an extra package (ja, ko, vi) fail here
            return lambda text: [s.text for s in nlp(text).sents]
        if tool == "blingfire":
            import blingfire

            return lambda text: blingfire.text_to_sentences(text).split("\n")
        if tool == "syntok":
            import syntok.segmenter

            return lambda text: ["".join(t.spacing + t.value for t in sentence)
                                 for paragraph in syntok.segmenter.process(text) for sentence in paragraph]
        if tool == "sentencex":
            import sentencex

            return lambda text: list(sentencex.segment(lang, text))
    except Exception:  # not installed, or the language is not supported
        return None
    raise ValueError(f"unknown tool {tool!r}")


def _key(sentences: list[str]) -> list[str]:
    return [k for k in (_SPACE.sub("", s) for s in sentences) if k]


def _ends(sentences: list[str]) -> set[int]:
    """Offsets, in non-whitespace characters, of every sentence end but the last."""
    ends, pos = set(), 0
    for k in _key(sentences):
        pos += len(k)
        ends.add(pos)
    ends.discard(pos)
    return ends


def _load(path: Path, split: str) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [r for r in rows if split in ("all", r["split"])]


def _table(title: str, rows: dict[str, list[str]], tools: list[str], total: list[str]) -> None:
    print(f"\n{title}")
    print(f"{'lang':<6}{'n':>6}" + "".join(f"{t:>11}" for t in tools))
    for name, cells in [*rows.items(), ("total", total)]:
        print(f"{name:<6}" + "".join(f"{c:>6}" if i == 0 else f"{c:>11}" for i, c in enumerate(cells)))


def golden_rules(cases: list[dict], tools: list[str], failures: bool) -> None:
    langs = sorted({c["lang"] for c in cases})
    rows: dict[str, list[str]] = {lang: [str(sum(c["lang"] == lang for c in cases))] for lang in langs}
    total = [str(len(cases))]
    for tool in tools:
        passed = scored = 0
        for lang in langs:
            seg = make_segmenter(tool, lang)
            mine = [c for c in cases if c["lang"] == lang]
            if seg is None:
                rows[lang].append("-")
                continue
            ok = 0
            for case in mine:
                got = seg(case["text"])
                if _key(got) == _key(case["sentences"]):
                    ok += 1
                elif failures:
                    print(f"\n[{tool}] {case['id']}\n  text:     {case['text']!r}\n"
                          f"  expected: {case['sentences']!r}\n  got:      {[s.strip() for s in got if s.strip()]!r}")
            rows[lang].append(f"{100 * ok / len(mine):.1f}")
            passed, scored = passed + ok, scored + len(mine)
        missing = "" if scored == len(cases) else "*"
        total.append(f"{100 * passed / scored:.1f}{missing}" if scored else "-")
    _table("Golden Rules: % of cases segmented exactly (* total over the languages the tool supports)", rows, tools, total)


def ud_f1(paragraphs: dict[str, list[dict]], tools: list[str]) -> None:
    rows: dict[str, list[str]] = {
        lang: [str(sum(len(p["sentences"]) for p in paras))] for lang, paras in paragraphs.items()}
    total = [str(sum(int(r[0]) for r in rows.values()))]
    for tool in tools:
        f1s = []
        for lang, paras in paragraphs.items():
            seg = make_segmenter(tool, lang)
            if seg is None:
                rows[lang].append("-")
                continue
            tp = fp = fn = 0
            for p in paras:
                gold, got = _ends(p["sentences"]), _ends(seg(p["text"]))
                tp, fp, fn = tp + len(gold & got), fp + len(got - gold), fn + len(gold - got)
            f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
            f1s.append(f1)
            rows[lang].append(f"{100 * f1:.1f}")
        missing = "" if len(f1s) == len(paragraphs) else "*"
        total.append(f"{100 * sum(f1s) / len(f1s):.1f}{missing}" if f1s else "-")
    _table("UD paragraphs: sentence boundary F1 (total: mean over languages, * over those the tool supports)",
           rows, tools, total)


def speed(paragraphs: dict[str, list[dict]]) -> None:
    from babelflow.tasks.segment import split_sentences

    print("\nbabelflow speed over the UD paragraphs")
    for lang, paras in paragraphs.items():
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < 1.0:
            count += sum(len(split_sentences(p["text"], lang)) for p in paras)
        print(f"{lang:<6}{count / (time.perf_counter() - start):>12,.0f} sentences/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=["all", "tune", "heldout"], default="all")
    parser.add_argument("--tools", nargs="+", choices=TOOLS, default=TOOLS)
    parser.add_argument("--langs", nargs="+", help="only these languages (ISO 639-1)")
    parser.add_argument("--speed", action="store_true")
    parser.add_argument("--failures", action="store_true")
    args = parser.parse_args()

    cases = [c for c in _load(DATA / "golden_rules.jsonl", args.split) if not args.langs or c["lang"] in args.langs]
    paragraphs = {path.stem: rows for path in sorted((DATA / "ud").glob("*.jsonl"))
                  if (not args.langs or path.stem in args.langs) and (rows := _load(path, args.split))}
    golden_rules(cases, args.tools, args.failures)
    ud_f1(paragraphs, args.tools)
    if args.speed:
        speed(paragraphs)


if __name__ == "__main__":
    main()
