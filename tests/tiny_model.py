"""Tiny random translation models of the families babelflow runs (mBART-50, NLLB-200, M2M-100, OPUS-MT
Marian), built on the fly: no hub, the same files and loading path as the real checkpoints."""

from __future__ import annotations

import io
import json
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from sentencepiece import SentencePieceProcessor
    from transformers import PretrainedConfig, PreTrainedModel, PreTrainedTokenizerBase

CORPUS = [
    "The quick brown fox jumps over the lazy dog. It was a sunny day!",
    "Le renard brun saute par-dessus le chien paresseux. Quelle belle journée !",
    "Der schnelle braune Fuchs springt über den faulen Hund. Es war ein sonniger Tag.",
    "El zorro marrón salta sobre el perro perezoso. ¿Qué día tan bonito?",
    "敏捷的棕色狐狸跳过了懒狗。今天天气很好！",
    "素早い茶色の狐は怠け者の犬を飛び越えた。いい天気です。",
    "तेज़ भूरी लोमड़ी आलसी कुत्ते के ऊपर कूद गई। आज धूप है।",
    "الثعلب البني السريع يقفز فوق الكلب الكسول. هل هو يوم مشمس؟",
    "Numbers 0123456789 and signs: $%&()[]{}<>/\\|@#*+=-_~^'\"`,.;:?! «»“”‘’…–—",
]
# The sizes shared by every tiny model: small enough to build and run in a few seconds on CPU. init_std
# 0.5 (not 0.02) and untied output embeddings keep a random model from repeating one token whatever its input.
TINY = dict(
    d_model=32, encoder_layers=2, decoder_layers=2, encoder_attention_heads=2, decoder_attention_heads=2,
    encoder_ffn_dim=64, decoder_ffn_dim=64, init_std=0.5, tie_word_embeddings=False,
)
FAIRSEQ_SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]  # ids 0-3 of fairseq dictionaries (mBART, NLLB, M2M-100)


def _sentencepiece(model_type: str = "unigram", vocab_size: int = 400) -> SentencePieceProcessor:
    """A sentencepiece model trained in memory on CORPUS, so every script the tests use has pieces.
    Its ids 0-2 are <unk>, <s>, </s>, as in the real models' .spm files."""
    import sentencepiece as spm

    proto = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(CORPUS * 20), model_writer=proto, vocab_size=vocab_size, character_coverage=1.0,
        model_type=model_type, hard_vocab_limit=False, minloglevel=2,
    )
    return spm.SentencePieceProcessor(model_proto=proto.getvalue())


def _pieces(sp: SentencePieceProcessor) -> list[str]:
    """The pieces after sentencepiece's own <unk>, <s>, </s>."""
    return [sp.id_to_piece(i) for i in range(3, sp.get_piece_size())]


def _write_vocab(file: Path, pieces: list[str]) -> None:
    """A vocab.json: each piece's id is its place in `pieces`."""
    file.write_text(json.dumps({piece: i for i, piece in enumerate(pieces)}, ensure_ascii=False, indent=2),
                    encoding="utf-8")


def _save(
    model_class: type[PreTrainedModel], config: PretrainedConfig, path: Path, seed: int,
    adjust: Callable[[PreTrainedModel], None] | None = None, **generation: object,
) -> None:
    """Random weights (changed in place by `adjust`), saved as safetensors only (what transformers 5
    writes), with `generation` defaults in generation_config.json."""
    import torch

    torch.manual_seed(seed)
    model = model_class(config).eval()
    if adjust is not None:
        with torch.no_grad():
            adjust(model)
    for key, value in generation.items():
        setattr(model.generation_config, key, value)
    model.save_pretrained(path)


def build_tiny_model(path: Path, max_positions: int = 64, seed: int = 0) -> Path:
    """mBART-50: a Unigram fast tokenizer with the 52 `xx_XX` language codes, learned positions."""
    from transformers import MBart50Tokenizer, MBartConfig, MBartForConditionalGeneration

    sp = _sentencepiece()
    vocab = [(sp.id_to_piece(i), sp.get_score(i)) for i in range(sp.get_piece_size())]
    tokenizer = MBart50Tokenizer(vocab=vocab, src_lang="en_XX", tgt_lang="fr_XX", bos_token="<s>")
    config = MBartConfig(
        vocab_size=len(tokenizer), **TINY, max_position_embeddings=max_positions, normalize_before=True,
        add_final_layer_norm=True, normalize_embedding=True, scale_embedding=True,
        tokenizer_class="MBart50Tokenizer", pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.eos_token_id, forced_eos_token_id=tokenizer.eos_token_id,
    )
    _save(MBartForConditionalGeneration, config, path, seed)
    tokenizer.save_pretrained(path)
    return path


def build_tiny_nllb(path: Path, seed: int = 0, max_positions: int = 64) -> Path:
    """NLLB-200: an M2M-100 model with the BPE fast `NllbTokenizer` and its 202 FLORES-200 codes (`fra_Latn`);
    two more output rows than the tokenizer has tokens, as nllb-200 checkpoints have (256206 for 256204)."""
    from sentencepiece import sentencepiece_model_pb2
    from transformers import M2M100ForConditionalGeneration, NllbTokenizer
    from transformers.tokenization_utils_base import generate_merges

    sp = _sentencepiece("bpe")
    spm_ids = {sp.id_to_piece(i): i for i in range(sp.get_piece_size())}
    proto = sentencepiece_model_pb2.ModelProto.FromString(sp.serialized_model_proto())
    tokenizer = NllbTokenizer(
        vocab={piece: i for i, piece in enumerate(FAIRSEQ_SPECIALS + _pieces(sp))},
        merges=generate_merges(spm_ids),  # in sentencepiece id order, which is BPE's merge order
        _spm_precompiled_charsmap=proto.normalizer_spec.precompiled_charsmap,
        src_lang="eng_Latn", tgt_lang="fra_Latn",
    )
    config = _m2m100_config(len(tokenizer) + 2, tokenizer, max_positions, tokenizer_class="NllbTokenizer")
    _save(M2M100ForConditionalGeneration, config, path, seed, adjust=partial(_silent_rows, len(tokenizer)))
    tokenizer.save_pretrained(path)
    return path


def build_tiny_m2m100(path: Path, seed: int = 0, max_positions: int = 64) -> Path:
    """M2M-100: the slow sentencepiece `M2M100Tokenizer` (vocab.json + sentencepiece.bpe.model), its 100
    `__fr__` codes after the vocabulary and 8 `madeupword` rows after them, as m2m100_418M has."""
    from transformers import M2M100ForConditionalGeneration, M2M100Tokenizer
    from transformers.models.m2m_100.tokenization_m2m_100 import FAIRSEQ_LANGUAGE_CODES

    path.mkdir(parents=True, exist_ok=True)
    sp = _sentencepiece("bpe")
    (path / "sentencepiece.bpe.model").write_bytes(sp.serialized_model_proto())
    _write_vocab(path / "vocab.json", FAIRSEQ_SPECIALS + _pieces(sp))
    # Named here: M2M100Tokenizer's own check never marks its codes special (transformers 5.24), and
    # `skip_special_tokens` would then leave `__fr__` in decoded text.
    codes = [f"__{code}__" for code in FAIRSEQ_LANGUAGE_CODES["m2m100"]]
    tokenizer = M2M100Tokenizer(
        str(path / "vocab.json"), str(path / "sentencepiece.bpe.model"), src_lang="en", tgt_lang="fr",
        additional_special_tokens=codes,
    )
    config = _m2m100_config(len(tokenizer) + tokenizer.num_madeup_words, tokenizer, max_positions,
                            tokenizer_class="M2M100Tokenizer")
    _save(M2M100ForConditionalGeneration, config, path, seed, adjust=partial(_silent_rows, len(tokenizer)))
    tokenizer.save_pretrained(path)
    return path


def _m2m100_config(
    vocab_size: int, tokenizer: PreTrainedTokenizerBase, max_positions: int, tokenizer_class: str,
) -> PretrainedConfig:
    """The M2M-100 architecture NLLB shares: pre-norm, sinusoidal positions, </s> starts the decoder."""
    from transformers import M2M100Config

    return M2M100Config(
        vocab_size=vocab_size, **TINY, max_position_embeddings=max_positions, scale_embedding=True,
        activation_function="relu", tokenizer_class=tokenizer_class, pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.eos_token_id, forced_eos_token_id=tokenizer.eos_token_id,
    )


def _silent_rows(tokens: int, model: PreTrainedModel) -> None:
    """Output rows past the tokenizer's ids made zero, so never a greedy pick (the other logits' maximum is
    positive): a trained model never predicts them, and they decode to nothing (NLLB) or to "<unk>" (M2M-100)."""
    model.lm_head.weight[tokens:] = 0


def build_tiny_marian(
    path: Path, src: str = "en", tgt: str = "de", seed: int = 0, targets: list[str] | None = None,
    max_positions: int = 64,
) -> Path:
    """OPUS-MT: `MarianTokenizer` with its own source.spm and target.spm over one vocab.json (</s> 0, <unk> 1,
    <pad> last, which also starts the decoder). With `targets` (`["fra", "deu"]`), a multilingual model whose
    vocabulary has the `>>fra<<` tokens a source text starts with to pick its target language. The pair is
    saved where real checkpoints have it: `source_lang`/`target_lang` in tokenizer_config.json."""
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    path.mkdir(parents=True, exist_ok=True)
    source, target = _sentencepiece(), _sentencepiece("bpe", 300)  # each side its own pieces, as in real ones
    (path / "source.spm").write_bytes(source.serialized_model_proto())
    (path / "target.spm").write_bytes(target.serialized_model_proto())
    tags = [f">>{code}<<" for code in targets or []]
    pieces = list(dict.fromkeys(["</s>", "<unk>", *tags, *_pieces(source), *_pieces(target), "<pad>"]))
    _write_vocab(path / "vocab.json", pieces)
    tokenizer = MarianTokenizer(
        str(path / "source.spm"), str(path / "target.spm"), str(path / "vocab.json"),
        source_lang=src, target_lang=tgt,
    )
    pad = tokenizer.pad_token_id
    config = MarianConfig(
        vocab_size=len(pieces), **TINY, max_position_embeddings=max_positions, scale_embedding=True,
        activation_function="swish", pad_token_id=pad, eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=pad, forced_eos_token_id=tokenizer.eos_token_id,
    )
    # <pad> is never generated, as in OPUS-MT's generation config: it only starts the decoder.
    _save(MarianMTModel, config, path, seed, adjust=_post_norm_and_pad, bad_words_ids=[[pad]])
    tokenizer.save_pretrained(path)
    return path


def _post_norm_and_pad(model: PreTrainedModel) -> None:
    """Marian is post-norm: at init_std 0.5 what each attention and feed-forward block adds would drown the
    residual (the previous token), every step would see the same cross-attention and repeat one token, so
    their output projections are shrunk. <pad> gets no probability, as in a trained OPUS-MT model: CTranslate2
    drops its row, so scores then agree between transformers and CTranslate2."""
    for name, weight in model.named_parameters():
        if name.endswith(("out_proj.weight", "fc2.weight")):
            weight.mul_(0.1)
    model.final_logits_bias[:, model.config.pad_token_id] = -1e4


def save_pickle_weights(path: Path, keep_safetensors: bool = False) -> Path:
    """The same tensors again as a pickle `pytorch_model.bin` (transformers 5 saves only safetensors),
    for tests of how pickle checkpoints are treated; the safetensors file is removed unless kept."""
    import torch
    from safetensors.torch import load_file

    torch.save(load_file(path / "model.safetensors"), path / "pytorch_model.bin")
    if not keep_safetensors:
        (path / "model.safetensors").unlink()
    return path
