"""Source-language detection for `--from auto`: a language is used only when the detector is clearly
sure of it; otherwise the run's (or the corpus column's) language, or the most likely language that is
not a target, so that no document is copied untranslated on a guess."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable, Sequence

from babelflow.documents import Document, DocumentError, has_letters
from babelflow.filetypes import STREAMING
from babelflow.languages import MBART50, UnsupportedLanguage, to_code

MODEL_LANGUAGES = frozenset(MBART50)  # what the default model translates: detection's choice unless told another

_SAMPLE_CHARS = 4000  # of a whole document: enough for a sure answer, bounded time
_ROW_CHARS = 1000  # of a corpus row: a 50 MB row costs no more than a paragraph
_ROW_SAMPLE = 250  # distinct rows per part also read among every language, to catch a foreign column
_BATCH = 4096  # texts per call of the detector: each answer is up to 75 Python objects, so memory stays bounded
# Sure means: the first language holds at least half of the detector's confidence and four times the
# second's. Very short texts ("P1/T2", "a b c", "OK") spread it over dozens of languages, short ones
# over a few ("Guten Morgen": German 0.24, Norwegian 0.14); a sentence of one language is sure (0.6 to
# 1.0, and 6x the second or more). Below 10 letters a text that is not sure could be in any language
# its script and characters allow: the ranking is noise.
_MIN_CONFIDENCE = 0.5
_MIN_LEAD = 4.0
_SHORT = 10
# Copying a text as already in the target language cannot be undone by the model, so it needs more:
# 10 letters or more, and when another language holds 1% or more of the confidence, two thirds of the
# words that lean one way must lean to the target. English with French loanwords ("Café crème and
# naïve résumé: the fiancée ordered...") is sure to be French as a whole (0.93), but only half of
# its words are.
_RIVAL = 0.01
_MIN_WORD_SHARE = 2 / 3
_MAX_WORDS = 300
_WORD = re.compile(r"[^\W\d_]+")


@lru_cache(maxsize=4)
def _detector(every: bool, known: frozenset[str] = MODEL_LANGUAGES):
    """Every language lingua knows (75), so that text in one the model does not know (Latin, Danish for
    mBART-50) is named as such, not taken for the nearest one it knows; or only the model's `known`
    ones (45 of mBART-50's), three times faster, for corpus rows (a sample of each part is read by the
    other to catch foreign columns)."""
    from lingua import LanguageDetectorBuilder

    if every:
        return LanguageDetectorBuilder.from_all_languages().build()
    return LanguageDetectorBuilder.from_languages(*[lang for lang, code in _codes(known).items() if code]).build()


@lru_cache(maxsize=4)
def _codes(known: frozenset[str] = MODEL_LANGUAGES) -> dict:
    """lingua Language -> babelflow code, or None for a language the model does not know."""
    from lingua import Language

    codes = {}
    for lang in Language.all():
        try:
            code = to_code(lang.iso_code_639_1.name.lower())
        except UnsupportedLanguage:
            code = None
        codes[lang] = code if code in known else None
    return codes


@dataclass(frozen=True, slots=True)
class Guess:
    """What the detector can say about one text."""

    lang: str | None = None  # sure, and a language the model knows
    foreign: str | None = None  # sure, and a language the model does not know (its English name)
    plausible: tuple[str, ...] = ()  # not sure: non-target languages the detector is not sure against
    best: str | None = None  # not sure: the most likely non-target language the model knows

    def fallback(self, dominant: Iterable[str]) -> str | None:
        """The dominant language if this text could be in it, else the most likely non-target language;
        None when the detector knows no language in the text's script."""
        return next((lang for lang in dominant if lang in self.plausible), self.best)


def guess_languages(texts: Sequence[str], targets: Sequence[str], every: bool = True,
                    known: frozenset[str] = MODEL_LANGUAGES) -> list[Guess]:
    """A guess per text among the `known` languages (the model's), computed in batches (in parallel where
    cores are idle), each distinct text once; `every=False` tells apart only the known languages."""
    unique = list(dict.fromkeys(texts))
    found: dict[str, Guess] = {}
    for start in range(0, len(unique), _BATCH):
        chunk = unique[start : start + _BATCH]
        found.update(zip(chunk, _guess_batch(chunk, set(targets), _detector(every, known), _codes(known))))
    return [found[t] for t in texts]


def _guess_batch(texts: list[str], targets: set[str], detector, codes: dict) -> list[Guess]:
    rankings = [[(c.language, c.value) for c in values]
                for values in detector.compute_language_confidence_values_in_parallel(texts)]
    short = [sum(map(str.isalpha, t)) < _SHORT for t in texts]
    sure = [r[0][1] >= _MIN_CONFIDENCE and r[0][1] >= _MIN_LEAD * r[1][1] for r in rankings]
    checks: dict[int, tuple] = {}  # sure of a target language: is it mixed with its strongest rival?
    for i, ranking in enumerate(rankings):
        if sure[i] and codes[ranking[0][0]] in targets:
            rival, confidence = next(x for x in ranking if codes[x[0]] not in targets)
            sure[i] = not short[i]
            if sure[i] and confidence >= _RIVAL:
                checks[i] = (ranking[0][0], rival)
    for i, mixed in zip(checks, _mixed([texts[i] for i in checks], list(checks.values()), detector)):
        sure[i] = not mixed
    return [_guess(*args, targets, codes) for args in zip(rankings, sure, short)]


def _guess(ranking: list, sure: bool, short: bool, targets: set[str], codes: dict) -> Guess:
    if sure:
        top = ranking[0][0]
        return Guess(lang=codes[top]) if codes[top] else Guess(foreign=top.name.title())
    candidates = [(codes[lang], value) for lang, value in ranking
                  if value > 0 and codes[lang] and codes[lang] not in targets]
    if not candidates:
        return Guess()
    least = 0 if short else candidates[0][1] / _MIN_LEAD
    return Guess(plausible=tuple(c for c, v in candidates if v >= least), best=candidates[0][0])


def _mixed(texts: list[str], pairs: list[tuple], detector) -> list[bool]:
    """Per text, whether fewer than two thirds of its words that lean to the target or to its rival
    (by the detector's confidence in each word alone) lean to the target."""
    if not texts:
        return []
    words = [[w.lower() for w in _WORD.findall(t)][:_MAX_WORDS] for t in texts]
    unique = list(dict.fromkeys(w for ws in words for w in ws))
    wanted = {lang for pair in pairs for lang in pair}
    score: dict[str, dict] = {}
    for start in range(0, len(unique), _BATCH):
        chunk = unique[start : start + _BATCH]
        for word, values in zip(chunk, detector.compute_language_confidence_values_in_parallel(chunk)):
            score[word] = {v.language: v.value for v in values if v.language in wanted}
    result = []
    for ws, (target, rival) in zip(words, pairs):
        leans = [score[w][target] > score[w][rival] for w in ws if score[w][target] != score[w][rival]]
        result.append(bool(leans) and sum(leans) < _MIN_WORD_SHARE * len(leans))
    return result


@dataclass
class _Column:
    """A corpus being read, part after part: its rows' languages so far."""

    doc_id: str
    sure: Counter[str] = field(default_factory=Counter)  # rows sure to be in each of the model's languages
    sampled: Counter[str] = field(default_factory=Counter)  # sampled rows, by sure language (code, or name)
    used: Counter[str] = field(default_factory=Counter)  # rows with letters, by the language they are read in
    decided: Counter[str] = field(default_factory=Counter)  # ... by how it was decided
    voted: bool = False


def _majority(counts: Counter[str]) -> list[str]:
    """The language more than half of the counts are in, if any: a run or column of many languages has
    no dominant one, and its texts too short to tell are read in their own most likely language."""
    top = counts.most_common(1)
    return [top[0][0]] if top and top[0][1] * 2 > counts.total() else []


class RunLanguages:
    """What detection has learnt in one run: how many documents it was sure were in each language,
    so that a later document too short or too mixed to tell is read in the run's dominant language.
    Documents are read one after another, so the first ones have no tally yet; they are read in their
    most likely non-target language."""

    def __init__(self, known: frozenset[str] = MODEL_LANGUAGES) -> None:
        self.known = known  # the languages the model translates from
        self.documents: Counter[str] = Counter()
        self._column: _Column | None = None

    def column(self, doc_id: str) -> _Column:
        if self._column is None or self._column.doc_id != doc_id:
            self._column = _Column(doc_id)
        return self._column

    def dominant(self) -> list[str]:
        return _majority(self.documents)


def assign_languages(doc: Document, src: str, targets: Sequence[str] = (), run: RunLanguages | None = None) -> None:
    """Set the document's (and for corpora each row's) source language, and `src_lang_by`: given,
    detected, fallback (not sure: the run's or column's language, or the most likely non-target one),
    none (no letters: nothing to translate), or mixed (corpus rows decided both ways)."""
    if src != "auto":
        doc.src_lang, doc.src_lang_by = src, "given"
        return
    run = run or RunLanguages()
    if doc.format in STREAMING:
        _assign_rows(doc, targets, run)
    else:
        _assign_document(doc, targets, run)


def _assign_document(doc: Document, targets: Sequence[str], run: RunLanguages) -> None:
    sample, size = [], 0
    for block in doc.blocks:
        if block.translatable and size < _SAMPLE_CHARS and has_letters(block.text):
            sample.append(block.text[: _SAMPLE_CHARS - size])
            size += len(sample[-1])
    if not sample:
        doc.src_lang, doc.src_lang_by = None, "none"
        return
    guess = guess_languages(["\n".join(sample)], targets, known=run.known)[0]
    if guess.foreign:
        raise DocumentError(_foreign(guess.foreign))
    if guess.lang:
        run.documents[guess.lang] += 1
        doc.src_lang, doc.src_lang_by = guess.lang, "detected"
        return
    doc.src_lang, doc.src_lang_by = guess.fallback(run.dominant()), "fallback"
    if doc.src_lang is None:
        raise DocumentError("could not detect the source language (the detector knows no language in this"
                            " script); pass --from LANG")


def _assign_rows(doc: Document, targets: Sequence[str], run: RunLanguages) -> None:
    """Rows are detected in batches, among the model's languages; a row the detector is not sure of
    takes the column's dominant language (that most rows so far were surely in), else the run's, else
    its own most likely one. A sample of rows read among every language finds foreign columns."""
    column = run.column(doc.doc_id)
    rows = [b for b in doc.blocks if b.translatable and has_letters(b.text)]
    texts = [b.text[:_ROW_CHARS] for b in rows]
    _check_not_foreign(column, texts, targets, run.known)
    guesses = guess_languages(texts, targets, every=False, known=run.known)
    column.sure.update(g.lang for g in guesses if g.lang)
    major = _majority(column.sure)
    dominant = major + run.dominant()
    for block, guess in zip(rows, guesses):
        block.lang = guess.lang or guess.fallback(dominant)
        column.decided["detected" if guess.lang else "fallback"] += 1
        if block.lang:
            column.used[block.lang] += 1
    if major and not column.voted:  # a corpus is one document of the run
        run.documents[major[0]] += 1
        column.voted = True
    counts = column.sure or column.used
    doc.src_lang = counts.most_common(1)[0][0] if counts else None
    if rows and doc.src_lang is None:  # its rows would otherwise be read as some default language
        raise DocumentError("could not detect the source language of any row (the detector knows no language"
                            " in their script); pass --from LANG")
    decisions = list(column.decided)
    doc.src_lang_by = "none" if not decisions else decisions[0] if len(decisions) == 1 else "mixed"


def _check_not_foreign(column: _Column, texts: list[str], targets: Sequence[str], known: frozenset[str]) -> None:
    distinct = list(dict.fromkeys(t for t in texts if sum(map(str.isalpha, t)) >= _SHORT))
    sample = distinct[:: max(1, len(distinct) // _ROW_SAMPLE)]
    column.sampled.update(g.lang or g.foreign for g in guess_languages(sample, targets, known=known)
                          if g.lang or g.foreign)
    major = _majority(column.sampled)
    if major and major[0] not in known:
        share = f"{column.sampled[major[0]]} of the {column.sampled.total()} sampled rows it was sure of"
        raise DocumentError(_foreign(major[0], share))


def _foreign(name: str, share: str = "") -> str:
    return (f"detected {name}{f' ({share})' if share else ''}, a language the model cannot translate"
            " (`babelflow languages` lists those it can); pass --from LANG to translate it as one of them")


def detectable(lang: str) -> bool:
    """Whether the detector knows `lang` (a babelflow language code) and can tell it from others."""
    return lang in _codes().values()


def load_detector() -> None:
    """Load the detector of every language now (about 10 s and 300 MB, once per process), e.g. in a
    thread while the model translates, rather than when the first texts need it."""
    _detector(True)


def surely_not(texts: Sequence[str], lang: str) -> list[str | None]:
    """Per text, the language it is surely in when that is not `lang` (a babelflow code, or the English name
    of a language the model does not know), else None: short or uncertain texts are given the benefit.
    Among every language the detector knows: Danish is then named, not left unsure between its neighbours."""
    found = []
    for guess in guess_languages(texts, ()):
        other = guess.lang if guess.lang is not None else guess.foreign
        found.append(other if other is not None and other != lang else None)
    return found
