"""Sentences per second of `babelflow back-translate` on the CPU, per decoding method, against the
sampling script users would write by hand.

    python benchmarks/back_translation.py [--rows 300] [--n 2] [--d-model 256] [--layers 3] [--threads 1]

Builds a local random-weight mBART-50-style model (throughput.py's `build_model`; the shapes are
arguments) and a monolingual English corpus as Parquet (a `text` column): `--rows` distinct real
sentences, from the prose of throughput.py's source (pandoc's manual from ../shared/corpus, or this
repository's README on a clone without it: the first line printed says which), each one sentence to
babelflow's segmenter. Then, each in its own process, on the same sentences, English to French:
  hf-topk            transformers `generate(do_sample=True, top_k=10, num_return_sequences=N)`, batches
                     of 32 in input order, forced French code, max_new_tokens = 1.5 x the batch's longest
                     source (in tokens) + 10; model loading excluded (shown apart as load_s)
  babelflow-METHOD   `babelflow back-translate --method METHOD` (sample, topk, beam, greedy, noised-beam),
                     --n N for the methods that take it (sample, topk, noised-beam; beam and greedy give
                     one output per input), every filter off (--no-filter ...) so that no output is
                     dropped, a fresh --out (so a fresh cache) per run
Seconds for babelflow are the flow's own "s in all" from its summary line (source listing to manifest,
model load, the teacher-forced scoring pass and the Parquet write included), not the process's wall
time (which adds the interpreter, imports and the Prefect server start-up; shown apart as wall_s);
load_s is its "model loaded in" figure. sent_per_s counts input sentences, out_per_s outputs.
Both sides run the model on --threads CPU threads (OMP_NUM_THREADS; 1 by default: on a shared 2-core
machine, two OpenMP threads competing with other processes ran up to 10x slower, and as erratic).
Random weights produce meaningless text that rarely ends before the length limit, so both sides
decode about as many tokens per output as the limit allows: the comparison is of the machinery, at
equal inputs, limits and N; the text itself means nothing.
Prints one JSON line per system ({system, sentences, outputs, seconds, load_s, wall_s, sent_per_s,
out_per_s}), a table, and the ratios babelflow-topk / hf-topk and babelflow-beam / babelflow-topk.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from throughput import FOOTER, NAV, build_model, limit, make_pages, sentences_of, sources  # noqa: E402

METHODS = ["sample", "topk", "beam", "greedy", "noised-beam"]
FILTERS = ["empty", "copy", "ratio", "language", "duplicate"]
TAKES_N = ("sample", "topk", "noised-beam")
TOPK = 10  # babelflow's default --topk, and the script's top_k
BATCH = 32


def corpus_sentences(work: Path, rows: int) -> tuple[list[str], Path]:
    """`rows` distinct prose sentences (navigation and footer lines left out), each of which babelflow's
    segmenter keeps whole, from throughput.py's pages of real prose."""
    from babelflow.tasks.segment import split_sentences

    prose_from, _ = sources()
    make_pages(work / "pages", 2 * math.ceil(rows / 12) + 5, prose_from)  # some repeat: left out
    boiler = set(NAV + FOOTER)
    found = []
    for s in dict.fromkeys(sentences_of(work / "pages")):
        if s not in boiler and len(split_sentences(s, "en_XX")) == 1:
            found.append(s)
    if len(found) < rows:
        sys.exit(f"only {len(found)} distinct sentences in {prose_from}; ask for fewer --rows")
    return found[:rows], prose_from


def run_script(model: str, sentences: list[str], n: int) -> dict:
    """The hand-written sampler: batches of 32 in input order, N samples per sentence in one call."""
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    t0 = time.perf_counter()
    tok = AutoTokenizer.from_pretrained(model)
    tok.src_lang = "en_XX"
    forced = tok.convert_tokens_to_ids("fr_XX")
    m = AutoModelForSeq2SeqLM.from_pretrained(model).eval()
    load = time.perf_counter() - t0
    torch.manual_seed(0)
    outputs = 0
    start = time.perf_counter()
    with torch.inference_mode():
        for i in range(0, len(sentences), BATCH):
            enc = tok(sentences[i : i + BATCH], return_tensors="pt", padding=True)
            out = m.generate(**enc, forced_bos_token_id=forced, do_sample=True, top_k=TOPK,
                             num_return_sequences=n, max_new_tokens=limit(enc["input_ids"].shape[1]))
            outputs += len(tok.batch_decode(out, skip_special_tokens=True))
    seconds = time.perf_counter() - start
    assert outputs == n * len(sentences)
    return {"seconds": seconds, "load_s": load, "outputs": outputs}


def run_babelflow(method: str, n: int, model: Path, corpus: Path, out: Path, workers: int | None,
                  env: dict) -> dict:
    cmd = [sys.executable, "-m", "babelflow.cli", "back-translate", str(corpus), "--from", "en", "--to", "fr",
           "--method", method, "--seed", "0", "--model", str(model), "--out", str(out)]
    cmd += ["--n", str(n if method in TAKES_N else 1)]
    cmd += [arg for name in FILTERS for arg in ("--no-filter", name)]
    if workers:
        cmd += ["--workers", str(workers)]
    t0 = time.perf_counter()
    result = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if result.returncode != 0:
        sys.exit(f"babelflow failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    line = result.stdout.strip().splitlines()[-1]
    found = re.search(r"(\d+) inputs -> (\d+) pairs kept, dropped: (.*?) \((\d+) segments: .*"
                      r"model loaded in ([\d.]+) s[^;]*; ([\d.]+) s in all\)", line)
    if not found:
        sys.exit(f"unexpected summary line: {line}")
    inputs, kept, dropped, segments, load, seconds = found.groups()
    return {"inputs": int(inputs), "segments": int(segments), "outputs": int(kept), "dropped": dropped,
            "load_s": float(load), "seconds": float(seconds), "wall_s": wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=300, help="sentences in the corpus")
    parser.add_argument("--n", type=int, default=2, help="outputs per sentence (sampling and noised-beam)")
    parser.add_argument("--d-model", type=int, default=256)
    parser.add_argument("--layers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1,
                        help="CPU threads of the model, on both sides (OMP_NUM_THREADS; default: 1)")
    parser.add_argument("--workers", type=int, help="babelflow's --workers (default: its own)")
    parser.add_argument("--systems", nargs="+", default=["hf-topk"] + [f"babelflow-{m}" for m in METHODS])
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # internal: the script, here
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        work = Path(args.work)
        sentences = json.loads((work / "sentences.json").read_text())
        print(json.dumps(run_script(str(work / "model"), sentences, args.n)))
        return
    with tempfile.TemporaryDirectory(prefix="babelflow-bt-bench-") as tmp:
        work = Path(tmp)
        env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads))
        for key, value in {"HF_HUB_OFFLINE": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
                           "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
                           "PREFECT_HOME": str(work / "prefect-home")}.items():
            env.setdefault(key, value)
        sentences, prose_from = corpus_sentences(work, args.rows)
        import pyarrow as pa
        import pyarrow.parquet as pq

        corpus = work / "corpus" / "mono.parquet"
        corpus.parent.mkdir()
        pq.write_table(pa.table({"text": sentences}), corpus)
        (work / "sentences.json").write_text(json.dumps(sentences))
        build_model(work / "model", args.d_model, args.layers, sources()[1])
        print(f"# {len(sentences)} sentences from {prose_from}, N={args.n}; model d_model={args.d_model},"
              f" {args.layers}+{args.layers} layers, random weights; {args.threads} model thread(s),"
              f" {os.cpu_count()} CPUs", flush=True)
        rows = []
        for system in args.systems:
            if system == "hf-topk":
                out = subprocess.run([sys.executable, __file__, "--one", "--work", str(work), "--n", str(args.n)],
                                     capture_output=True, text=True, check=True, env=env)
                got = json.loads(out.stdout.strip().splitlines()[-1])
                got["wall_s"] = None
            else:
                method = system.split("-", 1)[1]
                got = run_babelflow(method, args.n, work / "model", corpus, work / system, args.workers, env)
                expected = len(sentences) * (args.n if method in TAKES_N else 1)
                assert got["segments"] == len(sentences), f"{system}: {got['segments']} segments"
                assert got["outputs"] == expected, f"{system}: {got['outputs']} outputs, dropped {got['dropped']}"
            rows.append({"system": system, "sentences": len(sentences), "outputs": got["outputs"],
                         "seconds": round(got["seconds"], 2), "load_s": round(got["load_s"], 2),
                         "wall_s": None if got["wall_s"] is None else round(got["wall_s"], 2),
                         "sent_per_s": round(len(sentences) / got["seconds"], 2),
                         "out_per_s": round(got["outputs"] / got["seconds"], 2)})
            print(json.dumps(rows[-1]), flush=True)
    print(f"\n{'system':<24}{'sentences':>10}{'outputs':>9}{'seconds':>9}{'load_s':>8}{'wall_s':>8}"
          f"{'sent/s':>8}{'out/s':>8}")
    for r in rows:
        print(f"{r['system']:<24}{r['sentences']:>10}{r['outputs']:>9}{r['seconds']:>9}{r['load_s']:>8}"
              f"{'-' if r['wall_s'] is None else r['wall_s']:>8}{r['sent_per_s']:>8}{r['out_per_s']:>8}")
    by = {r["system"]: r for r in rows}
    if "hf-topk" in by and "babelflow-topk" in by:
        bf, hf = by["babelflow-topk"], by["hf-topk"]
        print(f"babelflow-topk / hf-topk (sent/s): {bf['sent_per_s'] / hf['sent_per_s']:.2f} with babelflow's"
              f" model load counted, {hf['seconds'] / (bf['seconds'] - bf['load_s']):.2f} without it")
    if "babelflow-beam" in by and "babelflow-topk" in by:
        print(f"babelflow-beam / babelflow-topk (sent/s): "
              f"{by['babelflow-beam']['sent_per_s'] / by['babelflow-topk']['sent_per_s']:.2f}")


if __name__ == "__main__":
    main()
