"""GPU throughput of the model path at several batch budgets: mBART-large-50 shapes, random weights.

    python benchmarks/gpu.py                 # on one H200: finishes in under 5 minutes
    python benchmarks/gpu.py --small --device cpu   # smoke test of the script itself

Needs only torch, transformers and (for the ct2 rows) ctranslate2: no Prefect, no tokenizer, no
download. The model has mbart-large-50's shapes (d_model 1024, 12+12 layers, 16 heads, vocab 250054),
random weights, bf16 + SDPA as babelflow's engine runs it. Source lengths follow a realistic spread
(8-64 tokens); output length is pinned to 1.5 x source + 10 (min = max new tokens), greedy. Batches are
cut by babelflow's own token-budget rule (babelflow.tasks.engines.model_text.token_batches) over length-sorted inputs.
Prints JSON lines {engine, budget, sentences, seconds, sent_per_s, tokens_per_s} and a table.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path


def make_model(small: bool):
    import torch
    from transformers import MBartConfig, MBartForConditionalGeneration

    shape = dict(d_model=1024, layers=12, heads=16, ffn=4096, vocab=250054)
    if small:
        shape = dict(d_model=64, layers=2, heads=2, ffn=128, vocab=1000)
    config = MBartConfig(
        vocab_size=shape["vocab"], d_model=shape["d_model"], encoder_layers=shape["layers"],
        decoder_layers=shape["layers"], encoder_attention_heads=shape["heads"],
        decoder_attention_heads=shape["heads"], encoder_ffn_dim=shape["ffn"], decoder_ffn_dim=shape["ffn"],
        max_position_embeddings=1024, normalize_before=True, add_final_layer_norm=True,
        normalize_embedding=True, scale_embedding=True, pad_token_id=1, bos_token_id=0, eos_token_id=2,
        decoder_start_token_id=2, forced_eos_token_id=None, tie_word_embeddings=True,
    )
    torch.manual_seed(0)
    return MBartForConditionalGeneration(config).eval()


def inputs(n: int, vocab: int, seed: int = 0) -> list[list[int]]:
    rng = random.Random(seed)
    return [[250004 % vocab] + [rng.randrange(10, vocab) for _ in range(rng.randint(8, 64))] + [2] for _ in range(n)]


def run_hf(model, sources: list[list[int]], budget: int, device: str) -> tuple[float, int]:
    import torch

    from babelflow.tasks.engines.model_text import token_batches

    order = sorted(range(len(sources)), key=lambda i: len(sources[i]))
    generated = 0
    torch.cuda.synchronize() if device.startswith("cuda") else None
    start = time.perf_counter()
    for batch in token_batches(order, [len(s) for s in sources], budget):
        longest = max(len(sources[i]) for i in batch)
        ids = torch.full((len(batch), longest), 1, dtype=torch.long)
        mask = torch.zeros_like(ids)
        for row, i in enumerate(batch):
            ids[row, : len(sources[i])] = torch.tensor(sources[i])
            mask[row, : len(sources[i])] = 1
        if device.startswith("cuda"):
            ids, mask = ids.pin_memory().to(device, non_blocking=True), mask.pin_memory().to(device, non_blocking=True)
        new = int(longest * 1.5) + 10
        with torch.inference_mode():
            out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=new, min_new_tokens=new,
                                 num_beams=1, do_sample=False)
        generated += out.shape[0] * (out.shape[1] - 1)
    torch.cuda.synchronize() if device.startswith("cuda") else None
    return time.perf_counter() - start, generated


def run_ct2(model_dir: str, sources: list[list[int]], budget: int, device: str, compute: str) -> tuple[float, int]:
    import ctranslate2

    translator = ctranslate2.Translator(model_dir, device=device.split(":")[0], compute_type=compute)
    tokens = [[str(t) for t in s] for s in sources]
    start = time.perf_counter()
    results = translator.translate_batch(
        tokens, target_prefix=[[s[0]] for s in tokens], beam_size=1, max_batch_size=budget, batch_type="tokens",
        max_decoding_length=int(max(map(len, tokens)) * 1.5) + 10,
        min_decoding_length=int(min(map(len, tokens)) * 1.5) + 10,
    )
    return time.perf_counter() - start, sum(len(r.hypotheses[0]) for r in results)


def convert_ct2(model, folder: Path, quantization: str) -> str:
    """Save the random model and convert it; CTranslate2 needs a vocabulary, so write one of ids."""
    from ctranslate2.converters import TransformersConverter

    hf_dir = folder / "hf"
    model.save_pretrained(hf_dir)
    out = folder / f"ct2-{quantization}"

    class IdVocabConverter(TransformersConverter):
        def load_model(self, model_class, model_name_or_path, **kwargs):
            return model

        def load_tokenizer(self, tokenizer_class, model_name_or_path, **kwargs):
            size = model.config.vocab_size

            class Vocab:
                def get_vocab(self):
                    return {str(i): i for i in range(size)}

                def __getattr__(self, name):
                    return {"pad_token": "1", "bos_token": "0", "eos_token": "2", "unk_token": "3"}.get(name)

            return Vocab()

    IdVocabConverter(str(hf_dir)).convert(str(out), quantization=quantization, force=True)
    return str(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--sentences", type=int, default=2048)
    parser.add_argument("--budgets", type=int, nargs="+", default=[4096, 16384, 65536])
    parser.add_argument("--small", action="store_true", help="tiny shapes, to test the script")
    parser.add_argument("--skip-ct2", action="store_true")
    args = parser.parse_args()
    import torch

    model = make_model(args.small)
    vocab = model.config.vocab_size
    sources = inputs(args.sentences, vocab)
    rows = []
    dtype = torch.bfloat16 if args.device.startswith("cuda") else torch.float32
    hf = model.to(args.device, dtype=dtype)
    hf.set_attn_implementation("sdpa")
    run_hf(hf, sources[:64], args.budgets[0], args.device)  # warm-up: kernels, allocator
    for budget in args.budgets:
        seconds, tokens = run_hf(hf, sources, budget, args.device)
        rows.append({"engine": "mbart", "budget": budget, "sentences": len(sources), "seconds": round(seconds, 2),
                     "sent_per_s": round(len(sources) / seconds, 1), "tokens_per_s": round(tokens / seconds)})
        print(json.dumps(rows[-1]), flush=True)
    if not args.skip_ct2:
        with tempfile.TemporaryDirectory() as tmp:
            quantization = "bfloat16" if args.device.startswith("cuda") else "int8"
            ct2_dir = convert_ct2(model.float().cpu(), Path(tmp), quantization)
            del hf, model
            for compute in (["bfloat16", "int8_bfloat16"] if args.device.startswith("cuda") else ["int8"]):
                for budget in args.budgets:
                    seconds, tokens = run_ct2(ct2_dir, sources, budget, args.device, compute)
                    rows.append({"engine": f"ct2-{compute}", "budget": budget, "sentences": len(sources),
                                 "seconds": round(seconds, 2), "sent_per_s": round(len(sources) / seconds, 1),
                                 "tokens_per_s": round(tokens / seconds)})
                    print(json.dumps(rows[-1]), flush=True)
    print(f"\n{'engine':<20}{'budget':>8}{'sentences':>10}{'seconds':>9}{'sent/s':>9}{'tokens/s':>10}")
    for r in rows:
        print(f"{r['engine']:<20}{r['budget']:>8}{r['sentences']:>10}{r['seconds']:>9}{r['sent_per_s']:>9}{r['tokens_per_s']:>10}")


if __name__ == "__main__":
    main()
