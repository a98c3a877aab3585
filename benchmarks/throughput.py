"""Sentences per second on the CPU: babelflow against the scripts users would write by hand.

    python benchmarks/throughput.py [--pages 30] [--d-model 512] [--layers 6]

Builds one local random-weight mBART-50-style model (the shapes are arguments; weights cannot be
downloaded here) and a corpus of web-like pages (navigation and footer lines repeat across pages,
as they do on real sites). Their prose is pandoc's manual from ../shared/corpus, or this repository's
README on a clone without it (far fewer distinct sentences, so not comparable; the first line printed
says which). Then, each in its own process, on the same sentences (the ones babelflow's segmenter
finds in those pages) and the same length rule (1.5 x source tokens + 10):
  seed          one `generate` call per sentence (the seed pipeline's pattern)
  hf-batched    transformers, batches of 32 in input order
  ct2-sorted    CTranslate2 translate_batch, int8, sorted by length, batches of 32 (its fast path)
  babelflow-mbart / babelflow-ct2   `babelflow translate` end to end on the pages
Prints one JSON line per system ({system, sentences, seconds, sent_per_s}) and a table.
Script timings exclude model loading (and conversion); babelflow's are the flow's whole run (parse to
write, model load included) but not the Prefect server start-up nor the one-time CTranslate2 conversion.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MANUAL = REPO.parent / "shared" / "corpus" / "md" / "pandoc-MANUAL.md"
NAV = ["Home", "About us", "Products and services", "Contact our support team", "Careers at the company",
       "Sign in to your account", "Privacy policy and terms of use", "All rights reserved."]
FOOTER = ["Subscribe to our newsletter to get the latest news every week.",
          "We use cookies to improve your experience on this website.",
          "Follow us on social media for updates and special offers.",
          "Customer service is available from Monday to Friday, 9am to 5pm."]


def sources() -> tuple[Path, list[Path]]:
    """The real text the pages' prose and the vocabulary come from: the shared corpus's pandoc manual and
    Markdown files, or, on a clone without ../shared, the repository's own README and Markdown examples."""
    if MANUAL.is_file():
        return MANUAL, sorted(MANUAL.parent.glob("*.md"))
    return REPO / "README.md", [REPO / "README.md", *sorted((REPO / "examples").rglob("*.md"))]


def make_pages(folder: Path, pages: int, prose_from: Path, seed: int = 0) -> None:
    """Pages of navigation, 12 prose sentences of their own (real text) and a footer."""
    rng = random.Random(seed)
    prose = [" ".join(s.split()) for s in re.split(r"(?<=[.!?])\s+", prose_from.read_text())
             if 40 < len(s.strip()) < 200 and not re.search(r"[`|<>\[\]{}#*_=\\]", s)]
    rng.shuffle(prose)
    folder.mkdir(parents=True, exist_ok=True)
    for page in range(pages):
        body = " ".join(prose[(page * 12 + i) % len(prose)] for i in range(12))
        (folder / f"page-{page:03d}.txt").write_text("\n".join(NAV) + "\n\n" + body + "\n\n" + "\n".join(FOOTER) + "\n")


def build_model(folder: Path, d_model: int, layers: int, vocab_from: list[Path]) -> None:
    import io

    import sentencepiece as spm
    import torch
    from transformers import MBart50Tokenizer, MBartConfig, MBartForConditionalGeneration

    lines = [line for f in vocab_from for line in f.read_text().splitlines() if line.strip()]
    proto = io.BytesIO()
    spm.SentencePieceTrainer.train(sentence_iterator=iter(lines), model_writer=proto, vocab_size=8000,
                                   model_type="unigram", hard_vocab_limit=False, minloglevel=2)
    sp = spm.SentencePieceProcessor(model_proto=proto.getvalue())
    vocab = [(sp.id_to_piece(i), sp.get_score(i)) for i in range(sp.get_piece_size())]
    tok = MBart50Tokenizer(vocab=vocab, src_lang="en_XX", tgt_lang="fr_XX", bos_token="<s>")
    config = MBartConfig(
        vocab_size=len(tok), d_model=d_model, encoder_layers=layers, decoder_layers=layers,
        encoder_attention_heads=d_model // 64, decoder_attention_heads=d_model // 64,
        encoder_ffn_dim=4 * d_model, decoder_ffn_dim=4 * d_model, max_position_embeddings=1024,
        normalize_before=True, add_final_layer_norm=True, normalize_embedding=True, scale_embedding=True,
        tie_word_embeddings=False, tokenizer_class="MBart50Tokenizer", pad_token_id=tok.pad_token_id,
        bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, decoder_start_token_id=tok.eos_token_id,
        forced_eos_token_id=tok.eos_token_id,
    )
    torch.manual_seed(0)
    MBartForConditionalGeneration(config).eval().save_pretrained(folder)
    tok.save_pretrained(folder)


def sentences_of(pages: Path) -> list[str]:
    from babelflow.tasks.segment import split_sentences

    out = []
    for page in sorted(pages.glob("*.txt")):
        text = page.read_text()
        for block in re.finditer(r"\S(?:.*\S)?(?:\n[ \t]*\S(?:.*\S)?)*", text):
            out += [block.group()[a:b] for a, b in split_sentences(block.group(), "en_XX")]
    return out


def limit(n_tokens: int) -> int:
    return int(n_tokens * 1.5) + 10


def run_script(system: str, model: str, sentences: list[str]) -> float:
    import torch

    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    torch.set_num_threads(torch.get_num_threads())
    tok = AutoTokenizer.from_pretrained(model)
    tok.src_lang = "en_XX"
    forced = tok.convert_tokens_to_ids("fr_XX")
    if system == "ct2-sorted":
        import ctranslate2
        from ctranslate2.converters import TransformersConverter

        ct2_dir = Path(model).parent / "ct2-int8-script"
        if not ct2_dir.exists():
            TransformersConverter(model).convert(str(ct2_dir), quantization="int8")
        translator = ctranslate2.Translator(str(ct2_dir), device="cpu", compute_type="int8",
                                            intra_threads=torch.get_num_threads())
        tokens = sorted((tok.convert_ids_to_tokens(tok(s)["input_ids"]) for s in sentences), key=len)
        start = time.perf_counter()
        outputs = 0
        for i in range(0, len(tokens), 32):  # sorted chunks, each decoded no longer than its longest needs
            chunk = tokens[i : i + 32]
            outputs += len(translator.translate_batch(chunk, target_prefix=[["fr_XX"]] * len(chunk), beam_size=1,
                                                      max_decoding_length=limit(len(chunk[-1]))))
        assert outputs == len(sentences)
        return time.perf_counter() - start
    m = AutoModelForSeq2SeqLM.from_pretrained(model).eval()
    size = 1 if system == "seed" else 32
    outputs = 0
    start = time.perf_counter()
    with torch.inference_mode():
        for i in range(0, len(sentences), size):
            enc = tok(sentences[i : i + size], return_tensors="pt", padding=True)
            out = m.generate(**enc, forced_bos_token_id=forced, num_beams=1, do_sample=False,
                             max_new_tokens=limit(enc["input_ids"].shape[1]))
            outputs += len(tok.batch_decode(out, skip_special_tokens=True))
    assert outputs == len(sentences)
    return time.perf_counter() - start


def run_babelflow(engine: str, model: str, pages: Path, out: Path) -> tuple[int, float]:
    result = subprocess.run(
        [sys.executable, "-m", "babelflow.cli", "translate", str(pages), "--to", "fr", "--from", "en",
         "--engine", engine, "--model", model, "--out", str(out)],
        capture_output=True, text=True, check=True,
    )
    segments = int(re.search(r"\((\d+) segments", result.stdout).group(1))
    seconds = float(re.search(r"([\d.]+) s in all\)", result.stdout).group(1))
    return segments, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=30)
    parser.add_argument("--d-model", type=int, default=512)
    parser.add_argument("--layers", type=int, default=6)
    parser.add_argument("--systems", nargs="+",
                        default=["seed", "hf-batched", "ct2-sorted", "babelflow-mbart", "babelflow-ct2"])
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: run one script system in this process
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        work = Path(args.work)
        sentences = json.loads((work / "sentences.json").read_text())
        print(json.dumps({"seconds": run_script(args.one, str(work / "model"), sentences)}))
        return
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        prose_from, vocab_from = sources()
        make_pages(work / "pages", args.pages, prose_from)
        build_model(work / "model", args.d_model, args.layers, vocab_from)
        sentences = sentences_of(work / "pages")
        (work / "sentences.json").write_text(json.dumps(sentences))
        print(f"# {len(sentences)} sentences, {len(set(sentences))} unique, prose from {prose_from}; "
              f"model d_model={args.d_model}, {args.layers}+{args.layers} layers", flush=True)
        rows = []
        for system in args.systems:
            if system == "babelflow-ct2":  # converted once beside the model, like a second night's run
                from babelflow.tasks.engines.ct2 import converted

                converted(str(work / "model"), "int8")
            if system.startswith("babelflow-"):
                n, seconds = run_babelflow(system.split("-", 1)[1], str(work / "model"), work / "pages", work / system)
                assert n == len(sentences), "babelflow translated the same sentences"
            else:
                out = subprocess.run([sys.executable, __file__, "--one", system, "--work", str(work)],
                                     capture_output=True, text=True, check=True)
                seconds = json.loads(out.stdout.strip().splitlines()[-1])["seconds"]
            rows.append({"system": system, "sentences": len(sentences), "seconds": round(seconds, 2),
                         "sent_per_s": round(len(sentences) / seconds, 1)})
            print(json.dumps(rows[-1]), flush=True)
    print(f"\n{'system':<18}{'sentences':>10}{'seconds':>10}{'sent/s':>10}")
    for r in rows:
        print(f"{r['system']:<18}{r['sentences']:>10}{r['seconds']:>10}{r['sent_per_s']:>10}")


if __name__ == "__main__":
    main()
