"""`--from auto` end to end: a document is translated from the language the detector is sure of, or
from the run's (the column's) dominant language when it is not, never copied untranslated on a guess;
text with no letters is written as it is; languages the model does not know are named."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from babelflow.tasks.engines.pseudo import pseudo

ENGLISH = {
    "1-en-a.txt": "The weather is lovely today and we are going to the beach with our friends.\n",
    "1-en-b.md": "# Install\n\nThis manual explains how to install the program on your computer.\n",
    "1-en-c.html": "<html><body><p>Our library opens at nine and closes at six every day.</p></body></html>",
}
# English with a few French loanwords: as a whole, the detector is sure it is French (0.93).
LOANWORDS = ("Café crème and naïve résumé: the fiancée ordered a croissant at the café before her rendez-vous"
             " with the protégé.\n")
FRENCH = "Il fait très beau aujourd'hui et nous allons à la plage avec nos amis.\n"
LOREM = ('<html dir="rtl"><body><h1>Lorem</h1><p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do'
         " eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud"
         " exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat.</p></body></html>")
NO_LETTERS = {
    "5-digits.txt": "1 2 3\n4 5 6\n\n+++\n\n--- ... !!!\n",
    "5-table.md": "| 1 | 2 |\n|---|---|\n| 3.5 | 4 |\n\n+++\n\n&#35; &amp;\n",
}
# A corpus column: mostly English, some German and French, rows too short to tell (the first of them
# before any row the detector is sure of), and a row with no letters.
ROWS = (["a b c"] + [f"The {w} train leaves the station every morning at eight." for w in ("red", "blue", "old")]
        + ["Der Zug fährt jeden Morgen um acht Uhr vom Bahnhof ab.", FRENCH.strip(), "OK", "P1/T2", "2024-05-01",
           "We will meet again next week to discuss the results."])
LATIN_ROWS = ["Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt.",
              "Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip.",
              "Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat.",
              "The weather is lovely today and we are going to the beach with our friends."]


def _jsonl(path: Path, texts: list[str]) -> None:
    path.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(texts)))


def _manifest(dest: Path) -> dict[str, dict]:
    return {Path(r["source"]).name: r for r in pq.read_table(dest / "manifest.parquet").to_pylist()}


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> dict:
    """One `babelflow translate --from auto --to fr --engine pseudo` over every case, in this order:
    the loanword document first (no tally yet), then English, then short and odd documents."""
    from babelflow.cli import main

    root = tmp_path_factory.mktemp("detect")
    src, dest = root / "src", root / "out"
    src.mkdir()
    (src / "0-loanwords.txt").write_text(LOANWORDS)
    for name, text in {**ENGLISH, **NO_LETTERS}.items():
        (src / name).write_text(text)
    (src / "2-fr.txt").write_text(FRENCH)
    (src / "3-p1.txt").write_text("P1/T2\n")
    (src / "3-abc.txt").write_text("a b c\n")
    (src / "3-guten.txt").write_text("Guten Morgen\n")
    (src / "4-lorem.html").write_text(LOREM)
    (src / "6-khmer.txt").write_text("សួស្តី ពិភពលោក\n")
    _jsonl(src / "7-rows.jsonl", ROWS)
    _jsonl(src / "8-latin.jsonl", LATIN_ROWS)
    code = main(["translate", str(src), "--to", "fr", "--out", str(dest), "--engine", "pseudo"])
    assert code == 1, "only the Latin and Khmer documents fail"
    return {"src": src, "dest": dest, "manifest": _manifest(dest)}


def _by(run: dict, name: str) -> tuple[str | None, str | None, str]:
    """What the manifest says of a document: its source language, how it was decided, its status."""
    row = run["manifest"][name]
    return row["src_lang"], row["src_lang_by"], row["status"]


def _translated(run: dict, name: str) -> str:
    return (run["dest"] / "fr" / name).read_text()


def test_english_with_french_loanwords_is_translated_not_copied(run) -> None:
    assert _by(run, "0-loanwords.txt") == ("en_XX", "fallback", "ok")
    assert _translated(run, "0-loanwords.txt") == pseudo(LOANWORDS)


def test_documents_the_detector_is_sure_of(run) -> None:
    for name in ENGLISH:
        assert _by(run, name) == ("en_XX", "detected", "ok")
    assert _by(run, "2-fr.txt") == ("fr_XX", "detected", "ok")
    assert _translated(run, "2-fr.txt") == FRENCH, "a document surely in the target language is copied"


def test_short_documents_take_the_runs_dominant_language(run) -> None:
    for name, text in (("3-p1.txt", "P1/T2\n"), ("3-abc.txt", "a b c\n")):
        assert _by(run, name) == ("en_XX", "fallback", "ok")
        assert _translated(run, name) == pseudo(text)
    # English is not a language "Guten Morgen" could be in: the most likely one that is not a target
    assert _by(run, "3-guten.txt") == ("de_DE", "fallback", "ok")


def test_text_with_no_letters_is_written_as_it_is(run) -> None:
    for name, text in NO_LETTERS.items():
        assert _by(run, name) == (None, "none", "ok")
        assert (run["dest"] / "fr" / name).read_bytes() == text.encode()


def test_a_language_the_model_does_not_know_is_named(run) -> None:
    row = run["manifest"]["4-lorem.html"]
    assert row["status"] == "error" and "detected Latin" in row["error"] and "--from LANG" in row["error"]
    assert not (run["dest"] / "fr" / "4-lorem.html").exists()
    row = run["manifest"]["8-latin.jsonl"]
    assert row["status"] == "error" and "detected Latin (3 of the 4 sampled rows it was sure of)" in row["error"]
    row = run["manifest"]["6-khmer.txt"]
    assert row["status"] == "error" and "could not detect the source language" in row["error"]


def test_corpus_rows_too_short_to_tell_take_the_columns_dominant_language(run) -> None:
    assert _by(run, "7-rows.jsonl") == ("en_XX", "mixed", "ok")
    segments = pq.read_table(run["dest"] / "segments").to_pylist()
    langs = {s["source_text"]: s["src_lang"] for s in segments if s["source"].endswith("7-rows.jsonl")}
    assert langs["a b c"] == langs["OK"] == langs["P1/T2"] == "en_XX", "decided after the whole batch was read"
    assert langs["Der Zug fährt jeden Morgen um acht Uhr vom Bahnhof ab."] == "de_DE"
    assert langs[FRENCH.strip()] == "fr_XX"
    assert langs["2024-05-01"] == "en_XX"  # no letters: the column's language, copied by the core
    out = [json.loads(line) for line in (run["dest"] / "fr" / "7-rows.jsonl").read_text().splitlines()]
    assert [r["text_fr"] for r in out] == [t if t == FRENCH.strip() else pseudo(t) for t in ROWS]


def test_a_given_language_is_recorded_as_given(cli, tmp_path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "p1.txt").write_text("P1/T2\n")
    dest = tmp_path / "out"
    code, _, err = cli("translate", src, "--to", "fr", "--from", "en", "--out", dest, "--engine", "pseudo")
    assert code == 0, err
    assert _by({"manifest": _manifest(dest)}, "p1.txt") == ("en_XX", "given", "ok")
