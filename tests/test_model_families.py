"""NLLB-200, M2M-100 and Marian (OPUS-MT) models through the same engines as mBART-50: tiny random
models of each family, built here with the family's tokenizer and config, loaded as users' are."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from babelflow.tasks.engines import EngineSpec, load_engine
from tiny_model import build_tiny_m2m100, build_tiny_marian, build_tiny_nllb

BUILDERS = {
    "nllb": build_tiny_nllb,
    "m2m100": build_tiny_m2m100,
    "marian": lambda path: build_tiny_marian(path, "en", "de"),
    "marian-multi": lambda path: build_tiny_marian(path, "en", "mul", targets=["fra", "deu", "por"]),
}
TARGET = {"nllb": "fr", "m2m100": "fr", "marian": "de", "marian-multi": "fr"}
SENTENCES = ["The quick brown fox jumps over the lazy dog.", "It was a sunny day!", "Numbers 0123 and signs.",
             "Le renard brun saute.", "A much longer sentence, with a comma, some words and an end."]


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("families")
    return {family: build(root / family) for family, build in BUILDERS.items()}


def _reference(path: Path, family: str, texts: list[str]) -> tuple[list[str], int | None]:
    """Greedy translations into French (Marian en-de: German) the way each family's model card calls
    transformers, and the forced first token."""
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSeq2SeqLM.from_pretrained(path).eval()
    forced = None
    if family == "nllb":
        tok.src_lang = "eng_Latn"
        forced = tok.convert_tokens_to_ids("fra_Latn")
    elif family == "m2m100":
        tok.src_lang = "en"
        forced = tok.get_lang_id("fr")
    elif family == "marian-multi":
        texts = [f">>fra<< {t}" for t in texts]
    out = []
    for text in texts:
        enc = tok(text, return_tensors="pt")
        limit = min(int(enc["input_ids"].shape[1] * 1.5) + 10, 64)
        with torch.inference_mode():
            ids = model.generate(**enc, num_beams=1, do_sample=False, max_new_tokens=limit, forced_bos_token_id=forced)
        # the engine keeps the start and limit - 1 tokens, as in a batch the last could differ
        out.append(tok.decode(ids[0][:limit], skip_special_tokens=True).strip())
    return out, forced


@pytest.mark.parametrize("family", list(BUILDERS))
def test_hf_engine_forces_the_family_target_token_and_batches_as_one_at_a_time(models, family) -> None:
    """The engine's output equals transformers called as each family documents it (the right source
    token, the right forced target token, Marian's >>fra<<), and a batch equals each text alone."""
    from babelflow.languages import to_code

    engine = load_engine(EngineSpec("hf", str(models[family]), max_batch_tokens=64))
    src, tgt = to_code("en"), to_code(TARGET[family])
    batched = [t.text for t in engine.translate(SENTENCES, src, tgt)]
    alone = [engine.translate([s], src, tgt)[0].text for s in SENTENCES]
    assert batched == alone
    reference, forced = _reference(models[family], family, SENTENCES)
    assert engine.text.forced_start(tgt) == forced
    assert batched == reference
    assert len(set(batched)) > 1, "a random model that repeats one output tests nothing"


def test_multilingual_marian_selects_the_target_by_its_token(models) -> None:
    from babelflow.languages import to_code

    engine = load_engine(EngineSpec("hf", str(models["marian-multi"])))
    outputs = {lang: [t.text for t in engine.translate(SENTENCES, to_code("en"), to_code(lang))]
               for lang in ("fr", "de", "pt")}
    assert outputs["fr"] != outputs["de"] != outputs["pt"]


@pytest.mark.parametrize("engine", ["hf", "ct2"])
@pytest.mark.parametrize("family", list(BUILDERS))
def test_translate_runs_end_to_end_with_every_family(cli, models, tmp_path, family, engine) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "notes.md").write_text("# Title\n\nThe quick **brown** fox jumps. It was a [sunny](https://x.org) day!\n")
    (src / "plain.txt").write_text("\n\n".join(SENTENCES) + "\n")
    out = tmp_path / "out"
    code, said, err = cli("translate", src, "--to", TARGET[family], "--from", "en", "--engine", engine,
                          "--model", models[family], "--out", out)
    assert code == 0, said + err
    manifest = pq.read_table(out / "manifest.parquet").to_pylist()
    assert [r["status"] for r in manifest] == ["ok", "ok"]
    rows = pq.read_table(out / "segments").to_pylist()
    assert len(rows) == 8 and all(r["translated_text"] for r in rows)
    notes = (out / TARGET[family] / "notes.md").read_text()
    assert notes.startswith("# ") and notes.count("\n\n") == 1  # the heading and the paragraph


@pytest.mark.parametrize("family, mono, synthetic", [("nllb", "fr", "en"), ("marian", "en", "de")])
def test_back_translate_runs_with_other_families(cli, models, tmp_path, family, mono, synthetic) -> None:
    """The model translates the monolingual text's language into the synthetic sources' one."""
    import pyarrow.dataset as ds

    corpus = tmp_path / "mono.txt"
    corpus.write_text("\n".join(SENTENCES) + "\n")
    code, said, err = cli("back-translate", corpus, "--from", mono, "--to", synthetic, "--method", "greedy",
                          "--model", models[family], "--out", tmp_path / "bt", "--no-filter", "copy",
                          "--no-filter", "ratio", "--no-filter", "language")
    assert code == 0, said + err
    rows = ds.dataset(str(tmp_path / "bt" / "data"), format="parquet").to_table().to_pylist()
    assert len(rows) == len(SENTENCES)


def test_a_pair_the_model_lacks_is_a_usage_error_before_any_work(cli, models, tmp_path) -> None:
    (tmp_path / "a.txt").write_text("Hello.")
    code, _, err = cli("translate", tmp_path / "a.txt", "--to", "fr", "--from", "en", "--model", models["marian"],
                       "--out", tmp_path / "out")
    assert code == 2
    assert "unsupported target language French (fr_XX)" in err and "marian" in err and "de" in err
    assert not (tmp_path / "out").exists()
    code, _, err = cli("translate", tmp_path / "a.txt", "--to", "de", "--from", "fr", "--model", models["marian"],
                       "--out", tmp_path / "out")
    assert code == 2 and "unsupported source language French" in err
    code, _, err = cli("translate", tmp_path / "a.txt", "--to", "zh-Hant,sr-Latn", "--from", "en",
                       "--model", models["nllb"], "--out", tmp_path / "out")
    assert code == 2 and "Serbian" in err and "srp_Latn" in err


@pytest.mark.parametrize("family, listed, count", [
    ("nllb", {"zho_Hant", "zh_CN", "fr_XX", "srp_Cyrl", "ast_Latn"}, 202),
    ("m2m100", {"zh_CN", "fr_XX", "ast_Latn", "bre_Latn"}, 100),
    ("marian", {"en_XX", "de_DE"}, 2),
    ("marian-multi", {"en_XX", "fr_XX", "de_DE", "pt_XX"}, 4),
])
def test_languages_lists_what_a_model_translates(cli, models, family, listed, count) -> None:
    code, out, err = cli("languages", "--model", models[family])
    assert code == 0, err
    rows = [line.split()[1] for line in out.splitlines() if not line.startswith("#")]
    assert listed <= set(rows) and len(rows) == count, rows


def test_detection_chooses_among_the_languages_of_the_model(cli, models, tiny_model, tmp_path) -> None:
    """Danish is no language of mBART-50 (the document fails, saying so) but one of NLLB-200's."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "da.txt").write_text("Den hurtige brune ræv springer over den dovne hund. Det var en solrig dag, og"
                                " alle børnene legede i haven hele eftermiddagen.\n")
    rows = {}
    for name, model in (("nllb", models["nllb"]), ("mbart", tiny_model)):
        code, said, err = cli("translate", src, "--to", "fr", "--from", "auto", "--model", model,
                              "--out", tmp_path / name)
        (rows[name],) = pq.read_table(tmp_path / name / "manifest.parquet").to_pylist()
    assert (rows["nllb"]["status"], rows["nllb"]["src_lang"], rows["nllb"]["src_lang_by"]) == ("ok", "dan_Latn", "detected")
    assert rows["mbart"]["status"] == "error" and "detected Danish" in rows["mbart"]["error"]
