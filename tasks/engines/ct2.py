"""The same models on CTranslate2 (mBART-50, NLLB-200, M2M-100, Marian): the checkpoint converted once,
int8 on CPU, bf16 on GPU."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from babelflow.documents import Alignment, Translation
from babelflow.tasks.engines.base import STOP, EngineSpec, Interrupted, batch_done
from babelflow.tasks.engines.hub import model_revision, resolve_model, use_safetensors
from babelflow.tasks.engines.model_text import ModelText, token_batches
from babelflow.tasks.engines.words import align_from_attention, monotone_alignment

if TYPE_CHECKING:
    from ctranslate2.converters import TransformersConverter


def converted(path: str, quantization: str, allow_pickle: bool = False) -> str:
    """The CTranslate2 copy of a Hugging Face checkpoint, converted on first use.

    Beside a local model folder when it is writable, else in the user's cache; built in a temporary
    folder and renamed, so a crash never leaves a half-converted model that looks complete.
    """
    source = Path(path)
    beside = source.parent / f"{source.name}.ct2-{quantization}"
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "babelflow" / "ct2"
    target = beside if source.parent.name != "snapshots" and os.access(source.parent, os.W_OK) else (
        cache / f"{model_revision(path)}-{quantization}"
    )
    if (target / "model.bin").exists():
        return str(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    try:
        _converter(path, allow_pickle).convert(str(staging), quantization=quantization, force=True)
        try:
            staging.rename(target)
        except OSError:  # another worker finished first
            shutil.rmtree(staging)
    finally:
        if staging.exists() and staging != target:
            shutil.rmtree(staging, ignore_errors=True)
    return str(target)


def _converter(path: str, allow_pickle: bool) -> TransformersConverter:
    """CTranslate2's converter, loading through transformers as the hf engine does: never the checkpoint's
    own code, and safetensors unless pickle is allowed (the converter itself passes neither to from_pretrained)."""
    from ctranslate2.converters import TransformersConverter

    class SafeConverter(TransformersConverter):
        def load_model(self, model_class: type, model_name_or_path: str, **kwargs: Any) -> Any:
            return super().load_model(
                model_class, model_name_or_path, trust_remote_code=False,
                use_safetensors=use_safetensors(allow_pickle), **kwargs,
            )

        def load_tokenizer(self, tokenizer_class: type, model_name_or_path: str, **kwargs: Any) -> Any:
            return super().load_tokenizer(tokenizer_class, model_name_or_path, trust_remote_code=False, **kwargs)

    return SafeConverter(path, trust_remote_code=False)


class CT2Engine:
    def __init__(self, spec: EngineSpec) -> None:
        import ctranslate2
        import torch

        if spec.sample:
            raise ValueError("CTranslate2 cannot sample reproducibly per text (see engines.register)")
        self.spec = spec
        path = resolve_model(spec.model, allow_pickle=spec.allow_pickle)
        device = spec.device
        if device == "auto":
            device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
        kind, _, index = device.partition(":")
        quantization, compute = ("int8", "int8") if kind == "cpu" else ("bfloat16", "int8_bfloat16")
        self.text = ModelText(path)
        self.translator = ctranslate2.Translator(
            converted(path, quantization, spec.allow_pickle), device=kind, device_index=int(index or 0),
            compute_type=compute,
            intra_threads=torch.get_num_threads() if kind == "cpu" else 0,
        )

    def translate(self, texts: Sequence[str], src: str, tgt: str) -> list[Translation]:
        return self.text.translate(texts, src, tgt, self._translate_pieces)

    def _tokens(self, enc: dict[str, list]) -> list[list[str]]:
        return [self.text.tokenizer.convert_ids_to_tokens(ids) for ids in enc["input_ids"]]

    def _translate_pieces(self, texts: list[str], src: str, tgt: str) -> list[str]:
        """Length-sorted batches under the token budget, each decoded no longer than its longest needs."""
        tokens = self._tokens(self.text.source(texts, src, tgt))
        prefix = self.text.prefix(tgt)
        limits = [self.text.max_new_tokens(len(t)) for t in tokens]
        order = sorted(range(len(tokens)), key=lambda i: len(tokens[i]))
        tok = self.text.tokenizer
        results: list[str] = [""] * len(texts)
        for batch in token_batches(order, [len(t) for t in tokens], self.spec.max_batch_tokens):
            if STOP.is_set():
                raise Interrupted("the run was interrupted")
            out = self.translator.translate_batch(
                [tokens[i] for i in batch], target_prefix=[prefix] * len(batch) if prefix else None,
                beam_size=self.spec.beams,
                no_repeat_ngram_size=self.spec.no_repeat_ngram, max_decoding_length=max(limits[i] for i in batch),
            )
            # Trim each output to its own limit (as alone it would stop there): batch-independent results.
            ids = [tok.convert_tokens_to_ids(r.hypotheses[0][len(prefix) : limits[i] - 1]) for r, i in zip(out, batch)]
            for i, text in zip(batch, tok.batch_decode(ids, skip_special_tokens=True)):
                results[i] = text.strip()
            batch_done(len(batch))
        return results

    def score(self, sources: Sequence[str], targets: Sequence[str], src: str, tgt: str) -> list[float]:
        """Teacher-forced, by CTranslate2's scorer: the log-probability of each target token after the
        language code, the end token included."""
        source_tokens = [t[: self.text.max_input + 2] for t in self._tokens(self.text.source(sources, src, tgt))]
        target_tokens = [t[: self.text.max_input + 2] for t in self._tokens(self.text.target(targets, tgt))]
        out = self.translator.score_batch(source_tokens, [t[:-1] for t in target_tokens], offset=len(self.text.prefix(tgt)),
                                          max_batch_size=self.spec.max_batch_tokens, batch_type="tokens")
        return [sum(r.log_probs) / len(r.log_probs) if r.log_probs else 0.0 for r in out]

    def align(self, sources: Sequence[str], targets: Sequence[str], src: str, tgt: str) -> list[Alignment]:
        """Word alignment from the attention CTranslate2 returns when forced through the translation."""
        src_enc, tgt_enc, fits = self.text.encode_pairs(sources, targets, src, tgt)
        results = [monotone_alignment(s, t) for s, t in zip(sources, targets)]
        if not fits:
            return results
        tok = self.text.tokenizer
        source_tokens = [tok.convert_ids_to_tokens(src_enc["input_ids"][i]) for i in fits]
        prefixes = [tok.convert_ids_to_tokens(tgt_enc["input_ids"][i][:-1]) for i in fits]  # [tgt_code] text
        out = self.translator.translate_batch(
            source_tokens, target_prefix=prefixes, beam_size=1, return_attention=True,
            max_decoding_length=max(len(p) for p in prefixes) + 1, max_batch_size=self.spec.max_batch_tokens,
            batch_type="tokens",
        )
        for i, result in zip(fits, out):
            # Row t is the attention that produced target token t (the prefix's first is the language
            # token, where there is one), as the tokenizer's offsets count them: checked against
            # transformers' cross-attention for every family. (It used to be shifted by one.)
            results[i] = align_from_attention(
                sources[i], targets[i], src_enc["offset_mapping"][i], tgt_enc["offset_mapping"][i],
                result.attention[0],
            )
        return results
