"""A tiny random mBART-50-style model, built on the fly: no hub, same loading path as the real one."""

from __future__ import annotations

import io
from pathlib import Path

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


def build_tiny_model(path: Path, max_positions: int = 64, seed: int = 0) -> Path:
    import sentencepiece as spm
    import torch
    from transformers import MBart50Tokenizer, MBartConfig, MBartForConditionalGeneration

    proto = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(CORPUS * 20), model_writer=proto, vocab_size=400, character_coverage=1.0,
        model_type="unigram", hard_vocab_limit=False, minloglevel=2,
    )
    sp = spm.SentencePieceProcessor(model_proto=proto.getvalue())
    vocab = [(sp.id_to_piece(i), sp.get_score(i)) for i in range(sp.get_piece_size())]
    tokenizer = MBart50Tokenizer(vocab=vocab, src_lang="en_XX", tgt_lang="fr_XX", bos_token="<s>")
    config = MBartConfig(
        vocab_size=len(tokenizer), d_model=32, encoder_layers=2, decoder_layers=2,
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64,
        max_position_embeddings=max_positions, normalize_before=True, add_final_layer_norm=True,
        normalize_embedding=True, scale_embedding=True, init_std=0.5, tie_word_embeddings=False,
        tokenizer_class="MBart50Tokenizer", pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.eos_token_id, forced_eos_token_id=tokenizer.eos_token_id,
    )
    torch.manual_seed(seed)
    model = MBartForConditionalGeneration(config).eval()
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def save_pickle_weights(path: Path, keep_safetensors: bool = False) -> Path:
    """The same tensors again as a pickle `pytorch_model.bin` (transformers 5 saves only safetensors),
    for tests of how pickle checkpoints are treated; the safetensors file is removed unless kept."""
    import torch
    from safetensors.torch import load_file

    torch.save(load_file(path / "model.safetensors"), path / "pytorch_model.bin")
    if not keep_safetensors:
        (path / "model.safetensors").unlink()
    return path
