"""Glossaries through `babelflow translate` and `back-translate`: every occurrence of a term written as
the glossary says, in every output; do-not-translate terms unchanged; a changed entry retranslates
only the sentences that hold its term."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from babelflow.tasks.engines.pseudo import pseudo

GLOSSARY = (
    "source,fr,de,do_not_translate\n"
    "cloud,nuage,Wolke,\n"
    "data lake,lac de données,Datensee,\n"
    "BabelFlow,,,yes\n"
    "lake,lac,See,\n"
)
SENTENCES = [
    "The cloud stores the data lake every night.",
    "Cloud costs rise when BabelFlow reads the lake twice.",
    "Nothing here names a term at all.",
]


def _sources(root: Path) -> Path:
    root.mkdir()
    for i in range(6):
        (root / f"doc{i}.txt").write_text(" ".join(SENTENCES[j % 3] for j in range(i, i + 3)) + "\n")
    (root / "notes.md").write_text("".join(f"- **Note:** {s}\n" for s in SENTENCES))
    (root / "page.html").write_text("<html><body>" + "".join(f"<p><i>Note:</i> {s}</p>" for s in SENTENCES)
                                    + "</body></html>")
    return root


@pytest.fixture
def corpus(tmp_path) -> tuple[Path, Path]:
    glossary = tmp_path / "terms.csv"
    glossary.write_text(GLOSSARY)
    return _sources(tmp_path / "src"), glossary


def _outputs(out: Path, lang: str) -> dict[str, str]:
    return {p.name: p.read_text("utf-8") for p in sorted((out / lang).iterdir())}


def _expected(lang: str) -> list[str]:
    """The pseudo translation of each sentence, its terms as the glossary says."""
    cloud, data_lake, lake = {"fr": ("nuage", "lac de données", "lac"), "de": ("Wolke", "Datensee", "See")}[lang]
    return [f"{pseudo('The')} {cloud} {pseudo('stores the')} {data_lake} {pseudo('every night.')}",
            f"{cloud[0].upper()}{cloud[1:]} {pseudo('costs rise when')} BabelFlow {pseudo('reads the')} {lake} "
            f"{pseudo('twice.')}",
            pseudo(SENTENCES[2])]


def test_every_occurrence_follows_the_glossary_in_every_output(cli, corpus, tmp_path) -> None:
    src, glossary = corpus
    out = tmp_path / "out"
    code, said, err = cli("translate", src, "--to", "fr,de", "--from", "en", "--engine", "pseudo",
                          "--glossary", glossary, "--out", out)
    assert code == 0, said + err
    for lang in ("fr", "de"):
        for name, text in _outputs(out, lang).items():
            source = (src / name).read_text()
            for sentence, translation in zip(SENTENCES, _expected(lang)):
                assert text.count(translation) == source.count(sentence), (lang, name, translation, text)
    rows = pq.read_table(out / "segments").to_pylist()
    by_text = {(r["source_text"], r["tgt_lang"]): r["glossary_hits"] for r in rows}
    assert by_text[(SENTENCES[0], "fr_XX")] == ["cloud", "data lake"]
    assert by_text[(SENTENCES[1], "de_DE")] == ["Cloud", "BabelFlow", "lake"]
    assert by_text[(SENTENCES[2], "fr_XX")] == []
    manifest = {(Path(r["source"]).name, r["tgt_lang"]): r for r in pq.read_table(out / "manifest.parquet").to_pylist()}
    assert manifest[("doc0.txt", "fr_XX")]["n_glossary_hits"] == 5


def test_a_changed_entry_rewrites_the_outputs_and_retranslates_only_its_sentences(cli, corpus, tmp_path) -> None:
    src, glossary = corpus
    out = tmp_path / "out"
    args = ("translate", src, "--to", "fr", "--from", "en", "--engine", "pseudo", "--glossary", glossary, "--out", out)
    assert cli(*args)[0] == 0
    glossary.write_text(GLOSSARY.replace("cloud,nuage,", "cloud,nuée,"))  # another translation of a term
    code, said, err = cli(*args)
    assert code == 0, said + err
    assert "0 unique texts translated" in said, said  # the placeholders' sentences are all in the cache
    assert all("nuée" in t and "nuage" not in t for n, t in _outputs(out, "fr").items() if "loud" in (src / n).read_text())
    glossary.write_text(GLOSSARY + "night,nuit,Nacht,\n")  # a new term: only the sentence with "night" changes
    code, said, err = cli(*args)
    assert code == 0, said + err
    # the one sentence with "night": alone in the text files, after "Note:" in the Markdown and the page
    assert "2 unique texts translated" in said, said
    assert all(" nuit." in t for n, t in _outputs(out, "fr").items() if "night" in (src / n).read_text())


def test_tbx_terms_of_each_language(cli, tmp_path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("The cloud is up.\n")
    tbx = tmp_path / "terms.tbx"
    tbx.write_text(
        '<?xml version="1.0"?><martif type="TBX" xml:lang="en"><text><body>'
        '<termEntry id="t1"><langSet xml:lang="en"><tig><term>cloud</term></tig></langSet>'
        '<langSet xml:lang="fr"><tig><term>nuage</term></tig></langSet></termEntry>'
        "</body></text></martif>")
    out = tmp_path / "out"
    code, said, err = cli("translate", src, "--to", "fr", "--from", "en", "--engine", "pseudo", "--glossary", tbx,
                          "--out", out)
    assert code == 0, said + err
    assert (out / "fr" / "a.txt").read_text() == f"{pseudo('The')} nuage {pseudo('is up.')}\n"


def test_back_translation_keeps_the_terms(cli, tmp_path) -> None:
    corpus = tmp_path / "mono.jsonl"
    corpus.write_text("".join(json.dumps({"text": s}) + "\n" for s in SENTENCES))
    glossary = tmp_path / "terms.csv"
    glossary.write_text(GLOSSARY)
    out = tmp_path / "bt"
    code, said, err = cli("back-translate", corpus, "--from", "en", "--to", "fr", "--engine", "pseudo",
                          "--method", "greedy", "--glossary", glossary, "--out", out,
                          "--no-filter", "language")  # pseudo French is no language a detector knows
    assert code == 0, said + err
    rows = pq.read_table(out / "data").to_pylist()
    synthetic = {r["target"]: r["synthetic_source"] for r in rows}
    assert synthetic[SENTENCES[0]] == f"{pseudo('The')} nuage {pseudo('stores the')} lac de données {pseudo('every night.')}"


def test_a_glossary_that_cannot_be_read_stops_the_run(cli, corpus, tmp_path) -> None:
    src, glossary = corpus
    glossary.write_text("term,fr\ncloud,nuage\n")
    code, said, err = cli("translate", src, "--to", "fr", "--from", "en", "--engine", "pseudo", "--glossary", glossary,
                          "--out", tmp_path / "out")
    assert code == 2 and "first column of the header must be `source`" in err, said + err
    glossary.write_text("source,klingon\ncloud,nuage\n")
    code, said, err = cli("translate", src, "--to", "fr", "--from", "en", "--engine", "pseudo", "--glossary", glossary,
                          "--out", tmp_path / "out")
    assert code == 2 and "'klingon' is not a language" in err, said + err
