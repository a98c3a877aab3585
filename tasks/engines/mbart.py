"""mBART-50 through Hugging Face transformers: length-sorted batches under a token budget."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import Sequence

from babelflow.documents import Translation
from babelflow.languages import UNSPACED, iso
from tasks.engines.base import EngineSpec, ModelNotFound
from tasks.engines.words import monotone_alignment, word_spans
from tasks.project import Alignment

log = logging.getLogger(__name__)

_WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json")


def resolve_model(model: str) -> str:
    """A local directory holding the model, downloading it once if allowed; fails fast otherwise."""
    path = Path(model).expanduser()
    if path.is_dir():
        if not any((path / f).exists() for f in _WEIGHT_FILES):
            raise ModelNotFound(f"model directory {model} holds no weights (expected one of {', '.join(_WEIGHT_FILES)})")
        return str(path)
    if model.startswith((".", "/", "~")) or model.count("/") > 1:
        raise ModelNotFound(f"model directory {model} does not exist")
    from huggingface_hub import snapshot_download

    hint = (
        f"model {model!r} is not in the local Hugging Face cache and could not be downloaded"
        f" ({{reason}}). On a machine with internet run `hf download {model} --local-dir DIR`,"
        " copy DIR here and pass `--model DIR`, or set HF_HOME to a cache that holds it."
    )
    try:
        return snapshot_download(model, local_files_only=True)
    except Exception:
        pass
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes", "on"}:
        raise ModelNotFound(hint.format(reason="HF_HUB_OFFLINE is set"))
    os.environ.setdefault("HF_HUB_ETAG_TIMEOUT", "10")
    os.environ.setdefault("HF_HUB_DOWNLOAD_TIMEOUT", "30")
    try:
        from huggingface_hub import HfApi

        files = HfApi().list_repo_files(model)
        weights = "*.safetensors*" if any(f.endswith(".safetensors") for f in files) else "*.bin*"
        return snapshot_download(model, allow_patterns=["*.json", "*.model", "*.txt", weights])
    except Exception as exc:
        raise ModelNotFound(hint.format(reason=f"{type(exc).__name__}: {exc}".splitlines()[0][:300])) from exc


def model_revision(path: str) -> str:
    """The hub commit of a cached snapshot, else a fingerprint of the folder's model files."""
    folder = Path(path)
    if folder.parent.name == "snapshots":
        return folder.name
    digest = hashlib.sha256()
    for file in sorted(folder.iterdir()):
        if file.suffix in {".json", ".safetensors", ".bin", ".model"}:
            stat = file.stat()
            digest.update(f"{file.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
            if file.name == "config.json":
                digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


class MBartEngine:
    def __init__(self, spec: EngineSpec) -> None:
        import torch
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        self.spec = spec
        path = resolve_model(spec.model)
        device = spec.device
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = torch.device(device)
        dtype = torch.bfloat16 if self.device.type == "cuda" else torch.float32
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.model = AutoModelForSeq2SeqLM.from_pretrained(path, dtype=dtype, attn_implementation="sdpa")
        self.model.to(self.device).eval()
        limits = [self.model.config.max_position_embeddings, self.tokenizer.model_max_length]
        self.max_input = min(x for x in limits if x) - 2  # room for the language code and </s>

    def translate(self, texts: Sequence[str], src: str, tgt: str) -> list[Translation]:
        pieces: list[str] = []
        owner: list[int] = []
        for i, text in enumerate(texts):
            for piece in self.pieces(text, src):
                pieces.append(piece)
                owner.append(i)
        outputs = self._translate_pieces(pieces, src, tgt)
        joined: list[list[str]] = [[] for _ in texts]
        for i, out in zip(owner, outputs):
            joined[i].append(out)
        sep = "" if iso(tgt) in UNSPACED else " "
        return [Translation(sep.join(p for p in parts if p)) for parts in joined]

    def pieces(self, text: str, src: str) -> list[str]:
        """Split a text the model cannot take in one piece at word boundaries; never truncate."""
        self.tokenizer.src_lang = src
        pieces: list[str] = []
        rest = text
        while rest:
            enc = self.tokenizer(rest, add_special_tokens=False, return_offsets_mapping=True)
            offsets = enc["offset_mapping"]
            if len(offsets) <= self.max_input:
                pieces.append(rest)
                break
            hard = offsets[self.max_input - 1][1]
            soft = max(rest.rfind(c, 0, hard + 1) for c in " \t\n\u3000")
            cut = soft if soft > 0 else hard
            pieces.append(rest[:cut].rstrip())
            rest = rest[cut:].lstrip()
        return [p for p in pieces if p] or [text]

    def _translate_pieces(self, texts: list[str], src: str, tgt: str) -> list[str]:
        if not texts:
            return []
        tok = self.tokenizer
        tok.src_lang = src
        ids = tok(texts)["input_ids"]
        order = sorted(range(len(texts)), key=lambda i: len(ids[i]))
        forced_bos = tok.convert_tokens_to_ids(tgt)
        results: list[str] = [""] * len(texts)
        for batch in self._batches(order, [len(x) for x in ids]):
            rows = self._generate([ids[i] for i in batch], forced_bos)
            for i, text in zip(batch, tok.batch_decode(rows, skip_special_tokens=True)):
                results[i] = text.strip()
        return results

    def _generate(self, batch: list[list[int]], forced_bos: int) -> list[list[int]]:
        """Output ids per input; on CUDA out-of-memory the batch is halved and retried."""
        import torch

        limits = [self._max_new_tokens(len(x)) for x in batch]
        enc = self.tokenizer.pad({"input_ids": batch}, return_tensors="pt")
        if self.device.type == "cuda":
            enc = {k: v.pin_memory().to(self.device, non_blocking=True) for k, v in enc.items()}
        try:
            with torch.inference_mode():
                out = self.model.generate(
                    **enc,
                    forced_bos_token_id=forced_bos,
                    num_beams=self.spec.beams,
                    do_sample=False,
                    max_new_tokens=max(limits),
                )
        except torch.OutOfMemoryError:
            if len(batch) == 1:
                raise
            torch.cuda.empty_cache()
            half = len(batch) // 2
            log.warning("out of memory on a batch of %d; retrying in halves", len(batch))
            return self._generate(batch[:half], forced_bos) + self._generate(batch[half:], forced_bos)
        # Each output gets its own length limit, so its text does not depend on its batch mates:
        # alone, it would have been the start token, limit - 1 tokens and a forced </s>.
        return [row[:limit] for row, limit in zip(out.tolist(), limits)]

    def _max_new_tokens(self, n_source: int) -> int:
        return min(int(n_source * 1.5) + 10, self.max_input + 2)

    def _batches(self, order: list[int], lengths: list[int]) -> list[list[int]]:
        """Cut length-sorted items so that batch size x longest item stays under the token budget."""
        batches: list[list[int]] = []
        current: list[int] = []
        for i in order:
            if current and (len(current) + 1) * lengths[i] > self.spec.max_batch_tokens:
                batches.append(current)
                current = []
            current.append(i)
        if current:
            batches.append(current)
        return batches

    def align(self, sources: Sequence[str], targets: Sequence[str], src: str, tgt: str) -> list[Alignment]:
        """Word alignment from cross-attention, one teacher-forced pass over (source, translation).

        Generation runs on SDPA, which returns no attention weights; this pass runs eager attention,
        only for the segments whose markup must be projected.
        """
        import torch

        tok = self.tokenizer
        tok.src_lang = src
        src_enc = tok(list(sources), return_offsets_mapping=True)
        tok.src_lang = tgt  # mBART-50 targets read `[tgt_code] text </s>`, the same layout as sources
        tgt_enc = tok(list(targets), return_offsets_mapping=True)
        results: list[Alignment] = [[] for _ in sources]
        fits = [i for i in range(len(sources))
                if len(src_enc["input_ids"][i]) <= self.max_input + 2 and len(tgt_enc["input_ids"][i]) <= self.max_input + 2]
        for i in set(range(len(sources))) - set(fits):  # split over-long segments: no single attention map
            results[i] = monotone_alignment(sources[i], targets[i])
        lengths = [len(a) + len(b) for a, b in zip(src_enc["input_ids"], tgt_enc["input_ids"])]
        order = sorted(fits, key=lambda i: lengths[i])
        start_id = self.model.config.decoder_start_token_id
        previous = self.model.config._attn_implementation
        self.model.set_attn_implementation("eager")
        try:
            for batch in self._batches(order, lengths):
                enc = tok.pad({"input_ids": [src_enc["input_ids"][i] for i in batch]}, return_tensors="pt")
                dec = tok.pad({"input_ids": [[start_id] + tgt_enc["input_ids"][i][:-1] for i in batch]}, return_tensors="pt")
                with torch.inference_mode():
                    out = self.model(
                        input_ids=enc["input_ids"].to(self.device),
                        attention_mask=enc["attention_mask"].to(self.device),
                        decoder_input_ids=dec["input_ids"].to(self.device),
                        decoder_attention_mask=dec["attention_mask"].to(self.device),
                        output_attentions=True,
                    )
                layers = out.cross_attentions
                chosen = layers[len(layers) // 2 : max(len(layers) - 1, len(layers) // 2 + 1)]
                attention = torch.stack(chosen).float().mean(dim=(0, 2)).cpu()  # (batch, target, source)
                for row, i in enumerate(batch):
                    results[i] = _words_from_attention(
                        sources[i], targets[i], src_enc["offset_mapping"][i], tgt_enc["offset_mapping"][i], attention[row]
                    )
        finally:
            self.model.set_attn_implementation(previous)
        return results


def _words_from_attention(source: str, target: str, src_offsets, tgt_offsets, attention) -> Alignment:
    """Each target word aligns to the source word its tokens attend to most (special tokens excluded)."""
    src_words, tgt_words = word_spans(source), word_spans(target)
    if not src_words or not tgt_words:
        return []
    src_word_of = [_word_of(span, src_words) for span in src_offsets]
    weights = [[0.0] * len(src_words) for _ in tgt_words]
    for t, span in enumerate(tgt_offsets):
        w = _word_of(span, tgt_words)
        if w is None:
            continue
        for s, sw in enumerate(src_word_of):
            if sw is not None:
                weights[w][sw] += float(attention[t, s])
    out: Alignment = []
    for w, (t0, t1) in enumerate(tgt_words):
        if any(weights[w]):
            best = max(range(len(src_words)), key=weights[w].__getitem__)
            out.append((*src_words[best], t0, t1))
    return out


def _word_of(span: tuple[int, int], words: list[tuple[int, int]]) -> int | None:
    """The word a token's characters overlap most; None for special tokens and bare spaces."""
    a, b = span
    best, overlap = None, 0
    for index, (w0, w1) in enumerate(words):
        if w0 >= b:
            break
        size = min(b, w1) - max(a, w0)
        if size > overlap:
            best, overlap = index, size
    return best
