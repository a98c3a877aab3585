"""Model families: how a sequence-to-sequence checkpoint names languages and selects the target.

mBART-50, NLLB-200 and M2M-100 mark both sides with a language token (`fr_XX`, `fra_Latn`,
`__fr__`): the source is encoded after setting the tokenizer's `src_lang`, and the target's token is
forced as the first generated one. Marian (OPUS-MT) models are one direction each; the multilingual
ones select the target with a `>>fra<<` token at the start of the source. The family is read from the
model's own files (config `model_type`, the tokenizer's class and vocabulary), never from its name,
and the languages a model supports are those whose token its vocabulary has.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from babelflow.languages import LANGUAGES, UnsupportedLanguage, flores, iso, name, to_code

_TARGET_TOKEN = re.compile(r">>([A-Za-z]{2,3}(?:_[A-Za-z]{4})?)<<")


@dataclass(frozen=True)
class ModelLanguages:
    """What one model can translate from and into, and the tokens that select each language."""

    family: str  # mbart-50, nllb-200, m2m-100, marian
    tokens: dict[str, str]  # internal code -> the model's language token (Marian: target tokens, if any)
    sources: frozenset[str] | None  # None: any source (a multilingual or group-named Marian source side)
    targets: frozenset[str]

    @property
    def tagged(self) -> bool:
        """Both sides carry a language token (every family but Marian)."""
        return self.family != "marian"

    def check(self, src: str | None, targets: list[str], model: str) -> None:
        """A usage error before any work starts, for a pair the model lacks."""
        for code, side, known in [*((t, "target", self.targets) for t in targets),
                                  *(((src, "source", self.sources),) if src and src != "auto" else ())]:
            if known is not None and code not in known:
                have = ", ".join(sorted(iso(c) for c in known)) if len(known) <= 12 else f"{len(known)} languages"
                raise UnsupportedLanguage(
                    f"unsupported {side} language {name(code)} ({code}) for model {model} ({self.family}; it has"
                    f" {have}); run `babelflow languages --model {model}` for its list")


def read_languages(tokenizer: Any, model_type: str) -> ModelLanguages:
    """The family and languages of a loaded tokenizer and its model's `model_type`."""
    vocab = tokenizer.get_vocab()
    if model_type == "marian":
        return _marian(tokenizer, vocab)
    if model_type == "m2m_100" and "Nllb" not in type(tokenizer).__name__:
        family, token_of = "m2m-100", (lambda code: f"__{iso(code)}__")
    elif model_type == "m2m_100":
        family, token_of = "nllb-200", flores
    elif model_type == "mbart":
        family, token_of = "mbart-50", (lambda code: code)
    else:
        raise UnsupportedLanguage(f"model type {model_type!r} is not one babelflow can translate with"
                                  " (mbart, m2m_100 for M2M-100 and NLLB, marian)")
    tokens = {code: token for code in LANGUAGES if (token := token_of(code)) and token in vocab}
    return ModelLanguages(family, tokens, frozenset(tokens), frozenset(tokens))


def _marian(tokenizer: Any, vocab: dict[str, int]) -> ModelLanguages:
    """A pair from the tokenizer's `source_lang`/`target_lang` (OPUS-MT's tokenizer_config.json); the
    targets of a multilingual model from its `>>xxx<<` tokens. A side named by a group (`mul`,
    `ROMANCE`) takes any language on the source side."""
    tokens: dict[str, str] = {}
    for token in vocab:
        m = _TARGET_TOKEN.fullmatch(token)
        code = m and _code(m.group(1))
        if code and code not in tokens:
            tokens[code] = token
    source = _code(getattr(tokenizer, "source_lang", None))
    target = _code(getattr(tokenizer, "target_lang", None))
    targets = frozenset(tokens) if tokens else frozenset([target] if target else [])
    if not targets:
        raise UnsupportedLanguage("the Marian model names no target language (tokenizer_config.json"
                                  " target_lang, or >>xxx<< tokens)")
    return ModelLanguages("marian", tokens, frozenset([source]) if source else None, targets)


def _code(given: str | None) -> str | None:
    try:
        return to_code(given) if given else None
    except UnsupportedLanguage:
        return None

