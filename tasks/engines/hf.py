"""Sequence-to-sequence models through Hugging Face transformers (mBART-50, NLLB-200, M2M-100, Marian):
length-sorted batches under a token budget."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Sequence

from babelflow.documents import Alignment, Translation
from babelflow.tasks.engines.base import STOP, EngineSpec, Interrupted, batch_done
from babelflow.tasks.engines.hub import resolve_model, use_safetensors
from babelflow.tasks.engines.model_text import ModelText, token_batches
from babelflow.tasks.engines.sampling import sampler, uniforms
from babelflow.tasks.engines.words import align_from_attention, monotone_alignment

log = logging.getLogger(__name__)


class HFEngine:
    def __init__(self, spec: EngineSpec) -> None:
        import torch
        from transformers import AutoModelForSeq2SeqLM

        self.spec = spec
        path = resolve_model(spec.model, allow_pickle=spec.allow_pickle)
        device = spec.device
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = torch.device(device)
        dtype = torch.bfloat16 if self.device.type == "cuda" else torch.float32
        self.text = ModelText(path)
        self.model = AutoModelForSeq2SeqLM.from_pretrained(
            path, dtype=dtype, attn_implementation="sdpa", trust_remote_code=False,
            use_safetensors=use_safetensors(spec.allow_pickle),
        )
        self.model.to(self.device).eval()

    def translate(self, texts: Sequence[str], src: str, tgt: str) -> list[Translation]:
        return self.text.translate(texts, src, tgt, self._translate_pieces)

    def _translate_pieces(self, texts: list[str], src: str, tgt: str) -> list[str]:
        tok = self.text.tokenizer
        ids = self.text.source(texts, src, tgt)["input_ids"]
        order = sorted(range(len(texts)), key=lambda i: len(ids[i]))
        forced_bos = self.text.forced_start(tgt)
        results: list[str] = [""] * len(texts)
        for batch in token_batches(order, [len(x) for x in ids], self.spec.max_batch_tokens):
            draws = None
            if self.spec.sample:
                steps = max(self.text.max_new_tokens(len(ids[i])) for i in batch)
                draws = uniforms(self.spec, src, tgt, [texts[i] for i in batch], steps)
            rows = self._generate([ids[i] for i in batch], forced_bos, draws)
            for i, text in zip(batch, tok.batch_decode(rows, skip_special_tokens=True)):
                results[i] = text.strip()
            batch_done(len(batch))
        return results

    def _generate(self, batch: list[list[int]], forced_bos: int | None, draws=None) -> list[list[int]]:
        """Output ids per input; on CUDA out-of-memory the batch is halved and retried. With `draws`
        (each row's uniform numbers), each token is sampled from its row's own draws."""
        import torch
        from transformers import LogitsProcessorList

        limits = [self.text.max_new_tokens(len(x)) for x in batch]
        enc = self.text.tokenizer.pad({"input_ids": batch}, return_tensors="pt")
        if self.device.type == "cuda":
            enc = {k: v.pin_memory().to(self.device, non_blocking=True) for k, v in enc.items()}
        try:
            with torch.inference_mode():
                out = self.model.generate(
                    **enc,
                    forced_bos_token_id=forced_bos,
                    num_beams=self.spec.beams,
                    no_repeat_ngram_size=self.spec.no_repeat_ngram,
                    do_sample=False,
                    max_new_tokens=max(limits),
                    stopping_criteria=_stop_on_interrupt(),
                    logits_processor=LogitsProcessorList([sampler(self.spec, draws)] if draws is not None else []),
                )
        except torch.OutOfMemoryError:
            if len(batch) == 1:
                raise
            torch.cuda.empty_cache()
            half = len(batch) // 2
            log.warning("out of memory on a batch of %d; retrying in halves", len(batch))
            return (self._generate(batch[:half], forced_bos, None if draws is None else draws[:half])
                    + self._generate(batch[half:], forced_bos, None if draws is None else draws[half:]))
        if STOP.is_set():
            raise Interrupted("the run was interrupted")
        # Each output gets its own length limit, so its text does not depend on its batch mates:
        # alone, it would have been the start token, limit - 1 tokens and a forced </s>.
        return [row[:limit] for row, limit in zip(out.tolist(), limits)]

    def align(self, sources: Sequence[str], targets: Sequence[str], src: str, tgt: str) -> list[Alignment]:
        """Word alignment from cross-attention, one teacher-forced pass over (source, translation).

        Generation runs on SDPA, which returns no attention weights; this pass runs eager attention,
        only for the segments whose markup must be projected.
        """
        import torch

        src_enc, tgt_enc, fits = self.text.encode_pairs(sources, targets, src, tgt)
        results = [monotone_alignment(s, t) for s, t in zip(sources, targets)]  # kept for over-long pairs
        lengths = [len(a) + len(b) for a, b in zip(src_enc["input_ids"], tgt_enc["input_ids"])]
        order = sorted(fits, key=lambda i: lengths[i])
        start_id = self.model.config.decoder_start_token_id
        pad = self.text.tokenizer.pad
        previous = self.model.config._attn_implementation
        self.model.set_attn_implementation("eager")
        try:
            for batch in token_batches(order, lengths, self.spec.max_batch_tokens):
                enc = pad({"input_ids": [src_enc["input_ids"][i] for i in batch]}, return_tensors="pt")
                dec = pad({"input_ids": [[start_id] + tgt_enc["input_ids"][i][:-1] for i in batch]}, return_tensors="pt")
                with torch.inference_mode():
                    out = self.model(
                        input_ids=enc["input_ids"].to(self.device),
                        attention_mask=enc["attention_mask"].to(self.device),
                        decoder_input_ids=dec["input_ids"].to(self.device),
                        decoder_attention_mask=dec["attention_mask"].to(self.device),
                        output_attentions=True,
                    )
                layers = out.cross_attentions  # upper-middle decoder layers align best
                chosen = layers[len(layers) // 2 : max(len(layers) - 1, len(layers) // 2 + 1)]
                attention = torch.stack(chosen).float().mean(dim=(0, 2)).cpu()  # (batch, target, source)
                for row, i in enumerate(batch):
                    results[i] = align_from_attention(
                        sources[i], targets[i], src_enc["offset_mapping"][i], tgt_enc["offset_mapping"][i],
                        attention[row].tolist(),
                    )
        finally:
            self.model.set_attn_implementation(previous)
        return results


    def score(self, sources: Sequence[str], targets: Sequence[str], src: str, tgt: str) -> list[float]:
        """Teacher-forced: one pass over (source, translation), the same for every decoding method (a
        sampled token's probability is the model's, not the tempered or truncated one it was drawn from)."""
        import torch

        tok = self.text.tokenizer
        src_ids = [x[: self.text.max_input + 2] for x in self.text.source(sources, src, tgt)["input_ids"]]
        # `[tgt_code] text </s>`: the code is forced, so not scored (Marian: `text </s>`, all scored)
        tgt_ids = [x[: self.text.max_input + 2] for x in self.text.target(targets, tgt)["input_ids"]]
        first = 1 if self.text.languages.tagged else 0
        lengths = [len(a) + len(b) for a, b in zip(src_ids, tgt_ids)]
        start_id = self.model.config.decoder_start_token_id
        vocab = self.model.config.vocab_size
        results = [0.0] * len(sources)
        # The logits of a batch take batch x length x vocabulary floats: a quarter of the token budget.
        budget = max(64, self.spec.max_batch_tokens // 4)
        for batch in token_batches(sorted(range(len(sources)), key=lambda i: lengths[i]), lengths, budget):
            enc = tok.pad({"input_ids": [src_ids[i] for i in batch]}, return_tensors="pt")
            dec = tok.pad({"input_ids": [[start_id] + tgt_ids[i][:-1] for i in batch]}, return_tensors="pt")
            labels = tok.pad({"input_ids": [tgt_ids[i] for i in batch]}, return_tensors="pt")
            with torch.inference_mode():
                logits = self.model(
                    input_ids=enc["input_ids"].to(self.device), attention_mask=enc["attention_mask"].to(self.device),
                    decoder_input_ids=dec["input_ids"].to(self.device),
                    decoder_attention_mask=dec["attention_mask"].to(self.device),
                ).logits[..., :vocab].float()
                picked = torch.log_softmax(logits, dim=-1).gather(-1, labels["input_ids"].to(self.device).unsqueeze(-1))
            picked = picked.squeeze(-1).cpu()
            for row, i in enumerate(batch):
                n = len(tgt_ids[i])
                results[i] = float(picked[row, first:n].mean()) if n > first else 0.0
        return results


@lru_cache(maxsize=1)
def _stop_on_interrupt():
    """A stopping criterion that ends generation at the next step once the run is interrupted (a
    batch on CPU can take minutes)."""
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList

    class Interrupt(StoppingCriteria):
        def __call__(self, input_ids, scores, **kwargs):
            return torch.full((input_ids.shape[0],), STOP.is_set(), dtype=torch.bool, device=input_ids.device)

    return StoppingCriteriaList([Interrupt()])
