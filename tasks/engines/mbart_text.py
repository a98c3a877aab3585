"""What the mBART-50 engines share: its tokenizer, its input limit, splitting over-long segments."""

from __future__ import annotations

from typing import Callable, Sequence

from babelflow.documents import Translation
from babelflow.languages import UNSPACED, iso


class MBartText:
    def __init__(self, path: str) -> None:
        from transformers import AutoConfig, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        # A checkpoint's own Python code (config.json's auto_map) is never run, whatever the folder says.
        self.tokenizer = AutoTokenizer.from_pretrained(path, trust_remote_code=False)
        config = AutoConfig.from_pretrained(path, trust_remote_code=False)
        limits = [config.max_position_embeddings, self.tokenizer.model_max_length]
        self.max_input = min(x for x in limits if x) - 2  # room for the language code and </s>

    def max_new_tokens(self, n_source: int) -> int:
        """About 1.5x the source plus slack, within what the model's positions allow."""
        return min(int(n_source * 1.5) + 10, self.max_input + 2)

    def pieces(self, text: str, src: str) -> list[str]:
        """Split a text the model cannot take in one piece at word boundaries; never truncate."""
        self.tokenizer.src_lang = src
        pieces: list[str] = []
        rest = text
        while rest:
            offsets = self.tokenizer(rest, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
            if len(offsets) <= self.max_input:
                pieces.append(rest)
                break
            hard = offsets[self.max_input - 1][1]
            soft = max(rest.rfind(c, 0, hard + 1) for c in " \t\n\u3000")
            cut = soft if soft > 0 else hard
            pieces.append(rest[:cut].rstrip())
            rest = rest[cut:].lstrip()
        return [p for p in pieces if p] or [text]

    def translate(
        self, texts: Sequence[str], src: str, tgt: str, run: Callable[[list[str], str, str], list[str]]
    ) -> list[Translation]:
        """`run` translates pieces that fit the model; over-long texts are split and their pieces joined."""
        pieces: list[str] = []
        owner: list[int] = []
        for i, text in enumerate(texts):
            for piece in self.pieces(text, src):
                pieces.append(piece)
                owner.append(i)
        joined: list[list[str]] = [[] for _ in texts]
        for i, out in zip(owner, run(pieces, src, tgt) if pieces else []):
            joined[i].append(out)
        sep = "" if iso(tgt) in UNSPACED else " "
        return [Translation(sep.join(p for p in parts if p)) for parts in joined]

    def encode_pairs(self, sources: Sequence[str], targets: Sequence[str], src: str, tgt: str):
        """Source and target encodings (ids and offsets) for alignment, and which pairs fit one pass."""
        tok = self.tokenizer
        tok.src_lang = src
        src_enc = tok(list(sources), return_offsets_mapping=True)
        tok.src_lang = tgt  # mBART-50 targets read `[tgt_code] text </s>`, the same layout as sources
        tgt_enc = tok(list(targets), return_offsets_mapping=True)
        limit = self.max_input + 2
        fits = [i for i in range(len(sources))
                if len(src_enc["input_ids"][i]) <= limit and len(tgt_enc["input_ids"][i]) <= limit]
        return src_enc, tgt_enc, fits


def token_batches(order: list[int], lengths: list[int], budget: int) -> list[list[int]]:
    """Cut length-sorted items so that batch size x longest item stays under the token budget."""
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        if current and (len(current) + 1) * lengths[i] > budget:
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches
