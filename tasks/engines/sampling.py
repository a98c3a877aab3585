"""Sampling that a text's batch mates cannot change: every random draw made for a text comes from its
own stream, seeded by (seed, sample index, language pair, text), one uniform number per decoding step.
So a sample is the same whatever the batch, the worker, the input order or the cache holds."""

from __future__ import annotations

import hashlib
from typing import Sequence

from babelflow.tasks.engines.base import EngineSpec


def text_seed(spec: EngineSpec, src: str, tgt: str, text: str) -> int:
    key = f"{spec.seed}\0{spec.sample_index}\0{src}\0{tgt}\0{text}".encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "little")


def uniforms(spec: EngineSpec, src: str, tgt: str, texts: Sequence[str], steps: int):
    """Per text, the uniform numbers in [0, 1) its decoding steps draw from (numpy, texts x steps)."""
    import numpy as np

    return np.stack([np.random.default_rng(text_seed(spec, src, tgt, t)).random(steps) for t in texts])


def sampler(spec: EngineSpec, draws):
    """A transformers logits processor that picks each row's next token by inverse transform sampling
    with that row's draw for the step, from the (top-k, tempered) distribution, and leaves only that
    token possible: greedy search then takes it. Constraints applied before it (a forced language code,
    a forced end) hold, as their tokens are then the only ones with any probability."""
    import torch
    from transformers import LogitsProcessor

    class RowSampler(LogitsProcessor):
        def __init__(self) -> None:
            self.draws = None
            self.start = None

        def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
            if self.draws is None:
                self.draws = torch.as_tensor(draws, dtype=torch.float32, device=scores.device)
                self.start = input_ids.shape[1]
            u = self.draws[:, input_ids.shape[1] - self.start]
            logits = scores.float() / spec.temperature
            if 0 < spec.topk < logits.shape[-1]:
                kth = torch.topk(logits, spec.topk, dim=-1).values[:, -1:]
                logits = logits.masked_fill(logits < kth, float("-inf"))
            probs = torch.softmax(logits, dim=-1)
            cdf = probs.cumsum(dim=-1)
            chosen = torch.searchsorted(cdf, (u * cdf[:, -1]).unsqueeze(1).contiguous(), right=True)
            # A draw that rounds up to the total (u within 2^-24 of 1) takes the last possible token,
            # never one that an earlier constraint ruled out.
            possible = probs > 0
            last = possible.shape[-1] - 1 - possible.flip(-1).int().argmax(dim=-1, keepdim=True)
            return torch.full_like(scores, float("-inf")).scatter_(1, torch.minimum(chosen, last), 0.0)

    return RowSampler()
