"""Back-translation through the CLI with the tiny random model: every method's rows and schema,
reproducibility (seed, workers, input order, a killed run), the noise, the filters, object stores."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import REPO

from babelflow.config import Filters
from babelflow.tasks.bitext_filters import PairFilter
from babelflow.tasks.noise import FILLER, Noise, noised
from babelflow.tasks.synthetic import Pair

SENTENCES = [
    "Der schnelle braune Fuchs springt über den faulen Hund. Es war ein sonniger Tag.",
    "Guten Morgen!",
    "Das Wetter ist heute schön und die Kinder spielen im Garten.",
    "Wir fahren morgen mit dem Zug nach Berlin.",
    "Die Katze schläft auf dem Sofa.",
    "Der schnelle braune Fuchs springt über den faulen Hund. Es war ein sonniger Tag.",
]
COLUMNS = {"id", "target", "synthetic_source", "method", "sample_index", "score", "src_lang", "tgt_lang",
           "n_segments", "source_file"}


def _write_corpus(folder: Path, texts: list[str | None], ids: list[int] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    ids = ids if ids is not None else list(range(100, 100 + len(texts)))
    pq.write_table(pa.table({"id": ids, "text": texts, "domain": [f"d{i}" for i in ids]}), folder / "mono.parquet")
    return folder


@pytest.fixture(scope="module")
def mono(tmp_path_factory) -> Path:
    return _write_corpus(tmp_path_factory.mktemp("mono"), [*SENTENCES, None])


def _dataset(dest, folder: str = "data", fs=None) -> list[dict]:
    """The dataset's rows, in a stable order (files are per corpus part, rows per input and sample)."""
    import pyarrow.dataset as ds

    table = ds.dataset(str(dest / folder) if fs is None else dest + "/" + folder, format="parquet", filesystem=fs).to_table()
    return sorted(table.to_pylist(), key=lambda r: (r["source_file"], r["id"], r["sample_index"]))


def _manifest(dest: Path) -> dict:
    (row,) = pq.read_table(dest / "manifest.parquet").to_pylist()
    return row


def _back_translate(cli, corpus, dest, model, *extra) -> tuple[str, str]:
    code, out, err = cli("back-translate", corpus, "--from", "de", "--to", "en", "--out", dest, "--model", model,
                         *extra)
    assert code == 0, err
    return out, err


NO_FILTERS = ["--no-filter", "empty", "--no-filter", "copy", "--no-filter", "ratio", "--no-filter", "language",
              "--no-filter", "duplicate"]


@pytest.mark.parametrize("method, n", [("sample", 3), ("topk", 3), ("beam", 1), ("greedy", 1), ("noised-beam", 3)])
def test_every_method_gives_n_rows_per_input_with_the_schema(cli, mono, tiny_model, tmp_path, method, n) -> None:
    dest = tmp_path / "out"
    _back_translate(cli, mono, dest, tiny_model, "--method", method, "--n", str(n), "--tag", "<BT>", *NO_FILTERS)
    rows = _dataset(dest)
    inputs = len(SENTENCES)  # the null cell is no input
    assert len(rows) == inputs * n
    assert COLUMNS | {"domain"} == set(rows[0])
    assert {(r["id"], r["sample_index"]) for r in rows} == {(str(100 + i), s) for i in range(inputs) for s in range(n)}
    for r in rows:
        assert r["method"] == method and r["src_lang"] == "en_XX" and r["tgt_lang"] == "de_DE"
        assert r["target"] == SENTENCES[int(r["id"]) - 100] and r["domain"] == f"d{r['id']}"
        assert r["synthetic_source"].startswith("<BT> ")
        assert isinstance(r["score"], float) and r["score"] <= 0
        assert r["n_segments"] == (2 if r["target"].count(". ") else 1)
        assert r["source_file"] == "mono.parquet"
    manifest = _manifest(dest)
    assert (manifest["n_rows"], manifest["n_inputs"], manifest["n_outputs"]) == (inputs + 1, inputs, inputs * n)
    if n > 1:
        by_input: dict[str, set] = {}
        for r in rows:
            by_input.setdefault(r["id"], set()).add(r["synthetic_source"])
        assert any(len(samples) > 1 for samples in by_input.values()), "the samples of an input differ"
    if method == "noised-beam":
        assert any(FILLER in r["synthetic_source"] for r in rows)


class _Close(float):
    """A score, equal to another within float rounding: batches of other shapes sum in other orders."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, float) and abs(self - other) < 1e-3

    __hash__ = float.__hash__


def _pairs(rows: list[dict]) -> list[tuple]:
    return [(r["id"], r["sample_index"], r["target"], r["synthetic_source"], _Close(r["score"])) for r in rows]


def test_same_seed_same_dataset_whatever_workers_batches_or_order(cli, mono, tiny_model, tmp_path) -> None:
    args = ["--method", "topk", "--n", "2", "--seed", "7", *NO_FILTERS]
    _back_translate(cli, mono, tmp_path / "a", tiny_model, *args)
    _back_translate(cli, mono, tmp_path / "again", tiny_model, *args)
    _back_translate(cli, mono, tmp_path / "workers", tiny_model, *args, "--workers", "2", "--max-batch-tokens", "64")
    reordered = _write_corpus(tmp_path / "reordered", [*SENTENCES, None][::-1], list(range(100, 107))[::-1])
    _back_translate(cli, reordered, tmp_path / "reordered-out", tiny_model, *args)
    _back_translate(cli, mono, tmp_path / "other", tiny_model, "--method", "topk", "--n", "2", "--seed", "8", *NO_FILTERS)
    reference = _pairs(_dataset(tmp_path / "a"))
    assert _pairs(_dataset(tmp_path / "again")) == reference
    assert _pairs(_dataset(tmp_path / "workers")) == reference, "2 workers and other batches change nothing"
    assert _pairs(_dataset(tmp_path / "reordered-out")) == reference, "nor does the order of the input"
    other = _pairs(_dataset(tmp_path / "other"))
    assert [p[3] for p in other] != [p[3] for p in reference], "another seed gives other samples"

    out, _ = _back_translate(cli, mono, tmp_path / "a", tiny_model, *args)
    assert " 0 texts translated, " in out, "a rerun is answered by the cache"
    assert _pairs(_dataset(tmp_path / "a")) == reference


def test_killed_run_rerun_gives_the_same_dataset(tiny_model, prefect_api, tmp_path, cli) -> None:
    words = "Haus Garten Baum Stadt Fluss Berg Straße Fenster Freund Brief Sommer Morgen".split()
    texts = [f"Der {words[i % 12]} und der {words[(i * 5) % 12]} sind {i} Jahre alt." for i in range(120)]
    corpus = _write_corpus(tmp_path / "corpus", texts)
    (tmp_path / "run.yaml").write_text("shard_tokens: 256\n")  # 6 shards a sample: a kill lands midway
    args = ["--method", "topk", "--n", "2", "--config", tmp_path / "run.yaml", *NO_FILTERS]
    _back_translate(cli, corpus, tmp_path / "reference", tiny_model, *args)

    dest = tmp_path / "out"
    command = [sys.executable, "-m", "babelflow.cli", "back-translate", str(corpus), "--from", "de", "--to", "en",
               "--out", str(dest), "--model", str(tiny_model), *map(str, args)]
    env = {**__import__("os").environ, "PREFECT_API_URL": prefect_api}
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
    cache = dest / ".babelflow" / "cache"
    import time

    deadline = time.monotonic() + 240
    while len(list(cache.glob("*/part-*.parquet"))) < 2:
        assert proc.poll() is None, proc.stderr.read()[-2000:]
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    assert not (dest / "manifest.parquet").exists(), "killed midway"

    out, _ = _back_translate(cli, corpus, dest, tiny_model, *args)
    assert " from cache" in out and not out.split(" texts translated, ")[1].startswith("0 ")
    rows = _dataset(dest)
    assert _pairs(rows) == _pairs(_dataset(tmp_path / "reference"))
    assert len({(r["id"], r["sample_index"]) for r in rows}) == len(rows) == 240, "no row twice"


def test_noise_deletes_blanks_and_shuffles_locally_as_asked() -> None:
    words = [f"w{i}" for i in range(5000)]
    text = " ".join(words)
    deleted = noised(text, "en_XX", 1, Noise(delete=0.1, replace=0, max_shift=0)).split()
    assert 0.08 < 1 - len(deleted) / len(words) < 0.12
    assert deleted == [w for w in words if w in set(deleted)], "deletion alone keeps the order"
    blanked = noised(text, "en_XX", 1, Noise(delete=0, replace=0.1, max_shift=0)).split()
    assert len(blanked) == len(words) and 0.08 < blanked.count(FILLER) / len(words) < 0.12
    assert all(b in (w, FILLER) for b, w in zip(blanked, words))
    shuffled = noised(text, "en_XX", 1, Noise(delete=0, replace=0, max_shift=3)).split()
    assert sorted(shuffled) == sorted(words) and shuffled != words
    shifts = [abs(i - int(w[1:])) for i, w in enumerate(shuffled)]
    assert max(shifts) == 3
    default = noised(text, "en_XX", 1)
    assert default == noised(text, "en_XX", 1) and default != noised(text, "en_XX", 2), "one seed, one noise"
    assert noised("一二三四五六七八九十", "zh_CN", 3, Noise(delete=0, replace=0, max_shift=3)).count(" ") == 0
    assert noised("word", "en_XX", 0, Noise(delete=1.0, replace=0, max_shift=0)) == "word", "never empty"


def test_each_filter_drops_what_it_should_and_is_counted(cli, mono, tiny_model, tmp_path) -> None:
    identity = ["--engine", "identity", "--method", "greedy", "--keep-rejected"]
    _back_translate(cli, mono, tmp_path / "copy", tiny_model, *identity)
    assert _manifest(tmp_path / "copy")["dropped_copy"] == len(SENTENCES)
    assert {r["reason"] for r in _dataset(tmp_path / "copy", "rejected")} == {"copy"}

    _back_translate(cli, mono, tmp_path / "language", tiny_model, *identity, "--no-filter", "copy")
    rejected = _dataset(tmp_path / "language", "rejected")
    assert {r["reason"] for r in rejected} == {"language: de_DE"}
    assert _manifest(tmp_path / "language")["dropped_language"] == len(rejected) >= 3
    assert "Guten Morgen!" not in {r["target"] for r in rejected}, "too short to be sure: kept"

    _back_translate(cli, mono, tmp_path / "duplicate", tiny_model, *identity, "--no-filter", "copy",
                    "--no-filter", "language")
    manifest = _manifest(tmp_path / "duplicate")
    assert (manifest["dropped_duplicate"], manifest["n_outputs"]) == (1, len(SENTENCES) - 1)
    assert [r["id"] for r in _dataset(tmp_path / "duplicate", "rejected")] == ["105"], "the second occurrence"

    _back_translate(cli, mono, tmp_path / "score", tiny_model, "--method", "greedy", "--min-score", "-0.5",
                    *NO_FILTERS[:-2])
    manifest = _manifest(tmp_path / "score")
    assert manifest["dropped_score"] + manifest["dropped_duplicate"] == len(SENTENCES) and manifest["n_outputs"] == 0

    judge = PairFilter(Filters(), "de_DE", "en_XX")
    long = "Das ist ein ganz normaler Satz mit einigen Wörtern darin."
    pairs = [Pair(0, 0, long, [""], [(0, len(long))]), Pair(1, 0, long, ["So " * 80], [(0, len(long))]),
             Pair(2, 0, long, ["A."], [(0, len(long))]), Pair(3, 0, long, ["This is a normal sentence with words."], [(0, len(long))])]
    judge.judge(pairs)
    assert [p.reason for p in pairs] == ["empty", "ratio: too long", "ratio: too short", None]
    loose = PairFilter(Filters(max_ratio=None, empty=False), "de_DE", "en_XX")
    pairs = [Pair(0, 0, long, [""], [(0, len(long))]), Pair(1, 0, long, ["A."], [(0, len(long))])]
    loose.judge(pairs)
    assert [p.reason for p in pairs] == [None, None], "each filter can be turned off"


def test_round_trip_tag_and_a_run_config(cli, mono, tiny_model, tmp_path) -> None:
    config = tmp_path / "bt.yaml"
    config.write_text(
        f"flow: back_translate\nsources: [{mono}]\nout: out\nfrom: de\nto: en\nmodel: {tiny_model}\n"
        "method: sample\nn: 2\ntag: <BT>\nround_trip: true\nfilters: {copy: false, language: false, max_ratio: null}\n"
    )
    code, out, err = cli("run", config)
    assert code == 0, err
    rows = _dataset(tmp_path / "out")
    assert len(rows) >= 2 * len(SENTENCES) - 2  # the duplicate row's samples may go
    assert all(r["synthetic_source"].startswith("<BT> ") and r["round_trip"] is not None for r in rows)
    assert any(r["round_trip"] for r in rows)
    assert all(not r["round_trip"].startswith("<BT>") for r in rows), "the tag is not translated back"


def test_usage_errors(cli, mono, tiny_model, tmp_path) -> None:
    code, _, err = cli("back-translate", mono, "--from", "de", "--to", "en", "--out", tmp_path, "--engine", "ct2",
                       "--model", tiny_model, "--method", "topk")
    assert code == 2 and "cannot sample reproducibly" in err
    code, _, err = cli("back-translate", mono, "--to", "en", "--out", tmp_path)
    assert code == 2 and "--from" in err
    code, _, err = cli("back-translate", mono, "--from", "de", "--to", "en", "--out", tmp_path, "--method", "beam",
                       "--n", "3")
    assert code == 2 and "sampling method" in err
    code, _, err = cli("back-translate", mono, "--from", "de", "--to", "en,fr", "--out", tmp_path)
    assert code == 2 and "one given language to one other" in err


def test_ct2_searches_and_scores(cli, mono, tiny_model, tmp_path) -> None:
    _back_translate(cli, mono, tmp_path / "out", tiny_model, "--engine", "ct2", "--method", "noised-beam", "--n", "2",
                    *NO_FILTERS)
    rows = _dataset(tmp_path / "out")
    assert len(rows) == 2 * len(SENTENCES) and all(r["score"] <= 0 for r in rows)


def test_text_lines_and_documents(cli, tiny_model, tmp_path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "news.txt").write_text("Erster Satz.\n\n  Zweiter Satz hier.  \nDritter.\n")
    (src / "page.md").write_text("# Titel\n\nEin Absatz. Mit zwei Sätzen.\n")
    _back_translate(cli, src, tmp_path / "out", tiny_model, "--method", "greedy", *NO_FILTERS)
    rows = _dataset(tmp_path / "out")
    lines = [(r["id"], r["line"], r["target"]) for r in rows if r["source_file"] == "news.txt"]
    assert lines == [("0", 1, "Erster Satz."), ("1", 3, "Zweiter Satz hier."), ("2", 4, "Dritter.")]
    page = [(r["target"], r["n_segments"]) for r in rows if r["source_file"] == "page.md"]
    assert page == [("Titel", 1), ("Ein Absatz. Mit zwei Sätzen.", 2)]


def test_from_s3_to_local_and_local_to_s3(cli, s3, mono, tiny_model, tmp_path) -> None:
    s3.put(str(mono / "mono.parquet"), "corpus/bt/mono.parquet")
    _back_translate(cli, "s3://corpus/bt", tmp_path / "local", tiny_model, *NO_FILTERS)
    local = _dataset(tmp_path / "local")
    assert len(local) == len(SENTENCES)

    _back_translate(cli, mono, "s3://translated/bt", tiny_model, *NO_FILTERS)
    remote = _dataset("translated/bt", fs=s3)
    assert _pairs(remote) == _pairs(local)
    assert s3.exists("translated/bt/manifest.parquet")


def test_every_corpus_column_is_carried_through_and_clashes_are_errors(cli, tiny_model, tmp_path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "news.jsonl").write_text('{"doc": "a", "text": "Guten Tag."}\n'
                                    '{"doc": "b", "text": "Gute Nacht.", "topic": "sleep"}\n')
    (src / "clash.jsonl").write_text('{"doc": "c", "id": 7, "text": "Hallo."}\n')
    code, out, err = cli("back-translate", src, "--from", "de", "--to", "en", "--out", tmp_path / "out", "--model",
                         tiny_model, "--method", "greedy", "--id-column", "doc", *NO_FILTERS)
    assert code == 1 and "clash.jsonl: column 'id' has the name of a column the dataset adds" in err
    rows = _dataset(tmp_path / "out")
    assert [(r["id"], r["topic"]) for r in rows] == [("a", None), ("b", "sleep")], "a key of a later row too"
    assert "doc" not in rows[0], "the id column is the id"
