"""Source-language detection of corpus rows (`--from auto`): row by row, as before, against batches.

    python benchmarks/detect_languages.py --rows 20000 --english 0.9
    python benchmarks/detect_languages.py --rows 20000 --english 0.6

Rows are generated from one short passage per language in 12 languages (1 to 30 words each, a share
`--english` of them English, a third repeating an earlier row, one in ten a number or a date), the
same rows for every method, into French:

- `per-row (before)`: what babelflow did before: lingua over the model's languages, one
  `detect_language_of` call per row, whatever its confidence;
- `per-row`: today's decision for one row (sure, or its most likely non-target language), one
  detector call per row, no column;
- `batched`: today's code path, `assign_languages` over parts of 50,000 rows: each distinct row once
  through lingua's parallel batch call, rows not sure read in the column's dominant language, and 250
  distinct rows per part also read among all 75 languages (a column mostly in a language the model
  does not know fails, naming it).

Also reported: the share of rows with letters read in their true language, overall and for rows
under 12 characters. Detector models are loaded before timing; each method runs `--repeat` times
(3) and the fastest counts. Prints JSON lines, then a table.

Reference machine (2 cores, shared with another session's test runs: load average 1.6 to 3.2),
2026-11-30:

| English | method | rows/s | right language | right (under 12 characters) |
| ---: | --- | ---: | ---: | ---: |
| 90% | per-row (before) | 1,861 | 94.5% | 76.7% |
| 90% | per-row | 1,650 | 95.1% | 79.1% |
| 90% | batched | 2,708 | 98.5% | 94.4% |
| 60% | per-row (before) | 1,738 | 94.1% | 77.3% |
| 60% | per-row | 1,488 | 93.6% | 76.2% |
| 60% | batched | 4,389 | 93.9% | 78.4% |

Batched is 1.5x to 2.5x the rows/s of before here; the spread is the machine's load (earlier runs
of batched, at load 3 to 4, gave 2,218 to 2,435). lingua is 92% of the batched time (cProfile):
batching gains by reading each distinct row once (10,608 of 20,000 rows here) and by spreading a
batch over idle cores, which this machine barely had (lingua's batch call alone: 1,387 distinct rows/s
on one thread, 1,698 on two, at load 3.7). One row's decision costs a little more than before
(confidence, the word check before copying a row as already in the target). Rows too short to tell
are right far more often when the column has a dominant language (94.4% against 76.7%), and about as
often as before when it has none (no language holds more than half of the rows the detector is sure
of, so each short row is read in its own most likely language).
"""

from __future__ import annotations

import argparse
import json
import random
import time

PASSAGES = {
    "en": "Every morning the old train leaves the station at eight and crosses the river before the sun rises over"
          " the hills. The passengers read their newspapers, drink coffee and talk about the weather.",
    "fr": "Chaque matin le vieux train quitte la gare à huit heures et traverse la rivière avant que le soleil ne se"
          " lève sur les collines. Les voyageurs lisent le journal, boivent du café et parlent du temps qu'il fait.",
    "de": "Jeden Morgen verlässt der alte Zug um acht Uhr den Bahnhof und überquert den Fluss, bevor die Sonne über"
          " den Hügeln aufgeht. Die Fahrgäste lesen Zeitung, trinken Kaffee und reden über das Wetter.",
    "es": "Cada mañana el viejo tren sale de la estación a las ocho y cruza el río antes de que el sol salga sobre"
          " las colinas. Los pasajeros leen el periódico, toman café y hablan del tiempo.",
    "it": "Ogni mattina il vecchio treno lascia la stazione alle otto e attraversa il fiume prima che il sole sorga"
          " sulle colline. I passeggeri leggono il giornale, bevono il caffè e parlano del tempo.",
    "pt": "Todas as manhãs o velho comboio sai da estação às oito e atravessa o rio antes de o sol nascer sobre as"
          " colinas. Os passageiros leem o jornal, bebem café e falam sobre o tempo.",
    "nl": "Elke ochtend vertrekt de oude trein om acht uur van het station en steekt de rivier over voordat de zon"
          " boven de heuvels opkomt. De reizigers lezen de krant, drinken koffie en praten over het weer.",
    "pl": "Każdego ranka stary pociąg odjeżdża ze stacji o ósmej i przejeżdża przez rzekę, zanim słońce wzejdzie"
          " nad wzgórzami. Pasażerowie czytają gazety, piją kawę i rozmawiają o pogodzie.",
    "tr": "Her sabah eski tren saat sekizde istasyondan ayrılır ve güneş tepelerin üzerinde doğmadan önce nehri"
          " geçer. Yolcular gazete okur, kahve içer ve hava durumu hakkında konuşur.",
    "ru": "Каждое утро старый поезд отправляется со станции в восемь часов и пересекает реку до того, как солнце"
          " взойдёт над холмами. Пассажиры читают газеты, пьют кофе и говорят о погоде.",
    "zh": "每天早上八点，那列老火车离开车站，在太阳从山丘上升起之前穿过河流。乘客们看报纸，喝咖啡，谈论天气。",
    "ja": "毎朝八時に古い列車が駅を出発し、太陽が丘の上に昇る前に川を渡ります。乗客は新聞を読み、コーヒーを飲み、天気について話します。",
}
PART_ROWS = 50_000  # as the corpus readers cut them (tasks/formats/table.py)
TARGETS = ["fr_XX"]


def make_rows(n: int, english: float, seed: int = 0) -> list[tuple[str | None, str]]:
    """(language, text) rows of 1 to 30 words drawn from one passage (Chinese and Japanese: 3 to 90
    characters), nearly all distinct, a share `english` in English and the rest spread over 11
    languages; a third of the rows repeat an earlier one, one in ten is a number or a date (None)."""
    rng = random.Random(seed)
    tokens = {lang: list(text) if lang in ("zh", "ja") else text.split() for lang, text in PASSAGES.items()}
    others = [lang for lang in tokens if lang != "en"]
    rows: list[tuple[str | None, str]] = []
    for _ in range(n):
        if rows and rng.random() < 1 / 3:
            rows.append(rng.choice(rows))
        elif rng.random() < 0.1:
            date = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            rows.append((None, rng.choice([str(rng.randint(1, 99999)), date])))
        else:
            lang = "en" if rng.random() < english else rng.choice(others)
            unspaced = lang in ("zh", "ja")
            k = rng.choice([1, 2, 3, 5, 8, 12, 20, 30]) * (3 if unspaced else 1)
            rows.append((lang, ("" if unspaced else " ").join(rng.choices(tokens[lang], k=k))))
    return rows


def per_row_before(texts: list[str]) -> list[str | None]:
    """The detector and the call babelflow used before: lingua over the model's languages, one
    `detect_language_of` per row."""
    from lingua import Language, LanguageDetectorBuilder

    from babelflow.languages import MBART50, iso, to_code

    supported = {iso(c) for c in MBART50}
    detector = LanguageDetectorBuilder.from_languages(
        *[lang for lang in Language.all() if lang.iso_code_639_1.name.lower() in supported]).build()
    found = [detector.detect_language_of(t) if any(c.isalpha() for c in t) else None for t in texts]
    return [to_code(f.iso_code_639_1.name.lower()) if f else None for f in found]


def per_row(texts: list[str]) -> list[str | None]:
    """Today's decision for a row, one detector call per row (no batch, no column fallback)."""
    from babelflow.tasks.detect import guess_languages

    found = [guess_languages([t], TARGETS, every=False)[0] if any(c.isalpha() for c in t) else None for t in texts]
    return [g and (g.lang or g.best) for g in found]


def batched(texts: list[str]) -> list[str | None]:
    """Today's code path: parts of 50,000 rows through `assign_languages`."""
    from babelflow.documents import Block, Document
    from babelflow.tasks.detect import RunLanguages, assign_languages

    languages = RunLanguages()
    found: list[str | None] = []
    for first in range(0, len(texts), PART_ROWS):
        blocks = [Block(t) for t in texts[first : first + PART_ROWS]]
        part = Document("mem://rows.jsonl", "rows.jsonl", "jsonl", blocks, doc_id="rows", first_block=first)
        assign_languages(part, "auto", TARGETS, languages)
        found += [b.lang for b in blocks]
    return found


def measure(method, rows: list[tuple[str | None, str]], repeat: int) -> dict:
    """Rows per second (the fastest of `repeat` runs), and the share of rows with letters read in
    their true language, overall and under 12 characters."""
    from babelflow.languages import to_code

    texts = [t for _, t in rows]
    seconds = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        found = method(texts)
        seconds = min(seconds, time.perf_counter() - start)
    right = [(f == to_code(lang), len(text) < 12) for f, (lang, text) in zip(found, rows) if lang]
    short = [ok for ok, is_short in right if is_short]
    return {"rows_per_s": round(len(rows) / seconds), "seconds": round(seconds, 2),
            "right": round(sum(ok for ok, _ in right) / len(right), 3),
            "right_short": round(sum(short) / len(short), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--english", type=float, default=0.9, help="share of the rows with letters in English")
    parser.add_argument("--repeat", type=int, default=3, help="runs per method; the fastest counts")
    args = parser.parse_args()
    rows = make_rows(args.rows, args.english)
    texts = [t for _, t in rows]

    from babelflow.tasks.detect import guess_languages

    start = time.perf_counter()
    for every in (True, False):  # load every model the rows need before timing
        guess_languages(list(dict.fromkeys(texts))[:3000], TARGETS, every=every)
    per_row_before(texts[:3000])
    load = round(time.perf_counter() - start, 1)
    print(json.dumps({"rows": len(rows), "distinct": len(set(texts)), "load_seconds": load}))
    results = {}
    for name, method in (("per-row (before)", per_row_before), ("per-row", per_row), ("batched", batched)):
        results[name] = measure(method, rows, args.repeat)
        print(json.dumps({"method": name, **results[name]}), flush=True)
    print("\n| method | rows/s | seconds | right language | right (under 12 characters) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, r in results.items():
        print(f"| {name} | {r['rows_per_s']:,} | {r['seconds']} | {r['right']:.1%} | {r['right_short']:.1%} |")


if __name__ == "__main__":
    main()
