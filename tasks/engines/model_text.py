"""What the model engines share: the tokenizer and the model's languages, its input limit, splitting
over-long segments, and encoding each side the way its family reads it."""

from __future__ import annotations

from typing import Callable, Sequence

from babelflow.documents import Translation
from babelflow.languages import UNSPACED, iso
from babelflow.tasks.engines.families import ModelLanguages, read_languages

Encoded = dict[str, list]  # input_ids and offset_mapping, one list per text


class ModelText:
    def __init__(self, path: str) -> None:
        from transformers import AutoConfig, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        # A checkpoint's own Python code (config.json's auto_map) is never run, whatever the folder says.
        self.tokenizer = AutoTokenizer.from_pretrained(path, trust_remote_code=False)
        config = AutoConfig.from_pretrained(path, trust_remote_code=False)
        self.languages: ModelLanguages = read_languages(self.tokenizer, config.model_type)
        limits = [config.max_position_embeddings, self.tokenizer.model_max_length]
        self.max_input = min(x for x in limits if x) - 2  # room for the language token and </s>

    def max_new_tokens(self, n_source: int) -> int:
        """About 1.5x the source plus slack, within what the model's positions allow."""
        return min(int(n_source * 1.5) + 10, self.max_input + 2)

    def source(self, texts: Sequence[str], src: str, tgt: str) -> Encoded:
        """`[src] text </s>`, or for Marian `text </s>` after the target's `>>xxx<<` when the model has several."""
        if self.languages.tagged:
            return self._framed(self._plain(texts, False), self.languages.tokens[src])
        return self._framed(self._plain(texts, False), self.languages.tokens.get(tgt))

    def target(self, texts: Sequence[str], tgt: str) -> Encoded:
        """The target as the decoder reads it: `[tgt] text </s>` (Marian: `text </s>`, its own vocabulary),
        so that decoder input `[start] + ids[:-1]` predicts ids at each position."""
        if self.languages.tagged:
            return self._framed(self._plain(texts, False), self.languages.tokens[tgt])
        return self._framed(self._plain(texts, True), None)

    def forced_start(self, tgt: str) -> int | None:
        """The token generation must begin with: the target's language token (none for Marian)."""
        return self.tokenizer.convert_tokens_to_ids(self.languages.tokens[tgt]) if self.languages.tagged else None

    def prefix(self, tgt: str) -> list[str]:
        """The same as tokens, for CTranslate2's target prefix."""
        return [self.languages.tokens[tgt]] if self.languages.tagged else []

    def _plain(self, texts: Sequence[str], target_side: bool) -> Encoded:
        tok = self.tokenizer
        kwargs = {"text_target" if target_side else "text": list(texts), "add_special_tokens": False}
        if tok.is_fast:
            enc = tok(**kwargs, return_offsets_mapping=True)
            return {"input_ids": enc["input_ids"], "offset_mapping": enc["offset_mapping"]}
        ids = tok(**kwargs)["input_ids"]
        return {"input_ids": ids, "offset_mapping": [_piece_offsets(t, tok.convert_ids_to_tokens(x))
                                                     for t, x in zip(texts, ids)]}

    def _framed(self, enc: Encoded, first: str | None) -> Encoded:
        head = [self.tokenizer.convert_tokens_to_ids(first)] if first else []
        eos = self.tokenizer.eos_token_id
        return {"input_ids": [head + ids + [eos] for ids in enc["input_ids"]],
                "offset_mapping": [[(0, 0)] * len(head) + list(offs) + [(0, 0)] for offs in enc["offset_mapping"]]}

    def pieces(self, text: str) -> list[str]:
        """Split a text the model cannot take in one piece at word boundaries; never truncate."""
        pieces: list[str] = []
        rest = text
        while rest:
            offsets = self._plain([rest], False)["offset_mapping"][0]
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
            for piece in self.pieces(text):
                pieces.append(piece)
                owner.append(i)
        joined: list[list[str]] = [[] for _ in texts]
        for i, out in zip(owner, run(pieces, src, tgt) if pieces else []):
            joined[i].append(out)
        sep = "" if iso(tgt) in UNSPACED else " "
        return [Translation(sep.join(p for p in parts if p)) for parts in joined]

    def encode_pairs(self, sources: Sequence[str], targets: Sequence[str], src: str, tgt: str):
        """Source and target encodings (ids and offsets) for alignment, and which pairs fit one pass."""
        src_enc, tgt_enc = self.source(sources, src, tgt), self.target(targets, tgt)
        limit = self.max_input + 2
        fits = [i for i in range(len(sources))
                if len(src_enc["input_ids"][i]) <= limit and len(tgt_enc["input_ids"][i]) <= limit]
        return src_enc, tgt_enc, fits


def _piece_offsets(text: str, pieces: list[str]) -> list[tuple[int, int]]:
    """Character offsets of sentencepiece pieces, for tokenizers that give none (the slow Marian and
    M2M-100 ones): each piece found where the previous one ended, past spaces; a piece the text does
    not spell (normalised by the tokenizer, unknown) gets an empty span there."""
    out: list[tuple[int, int]] = []
    pos = 0
    for piece in pieces:
        core = piece.lstrip("\u2581")
        at = pos
        while at < len(text) and text[at].isspace():
            at += 1
        if core and text.startswith(core, at):
            out.append((at, at + len(core)))
            pos = at + len(core)
        else:
            out.append((pos, pos))
    return out


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
