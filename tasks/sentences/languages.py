"""What the boundary rules need to know of a language: its abbreviations, which of them stand before a
name or a number, and (English) the words that start a sentence after an abbreviation.

The abbreviation lists in `data/` are the union of sentencex 0.6.1's (MIT, Santhosh Thottingal) and
pySBD 0.3.3's (MIT, Nipun Sadvilkar; from pragmatic_segmenter, MIT, Kevin S. Dias), lowercased and
without their final period; single letters are left to the initials rule.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

_DATA = Path(__file__).with_name("data")

# Languages whose lists are another's: sentencex's fallbacks for the mBART-50 languages without their own.
_FALLBACKS = {"gl": "es", "af": "nl", "uk": "ru", "mk": "bg", "ne": "hi", "si": "ta", "ps": "fa"}
# Written the same in every language: "N°. 1026" is never the end of a sentence.
_NUMBER_SIGNS = frozenset({"n°", "nº", "n.º", "no̱"})
# Ukrainian has no list of its own in either source; these are its common ones, beside Russian's.
_UKRAINIAN = frozenset({"вул", "просп", "пров", "пл", "бул", "кв", "буд", "обл", "смт", "с", "м", "р", "рр",
                        "ст", "див", "напр", "тис", "млн", "млрд", "грн", "коп", "проф", "акад", "доц",
                        "ім", "т.зв", "т.д", "т.п", "пор", "табл", "рис", "розд"})

# pragmatic_segmenter's sentence starters: after a multi-period abbreviation (U.S., E.U.) one of these
# begins a new sentence, any other capitalised word continues it ("the U.S. Government").
_STARTERS = {
    "en": frozenset("A Being Did For He How However I In It Millions More She That The There They We What "
                    "When Where Who Why".split()),
}
# Titles before a name, besides pySBD's English list: never the end of a sentence ("M. Dupont", "Sr. Pérez").
_TITLES = {
    "fr": {"m", "mm", "mme", "mlle", "dr", "pr", "st", "ste", "me"},
    "de": {"hr", "fr", "dr", "prof", "st"},
    "es": {"sr", "sra", "srta", "dr", "dra", "ud", "uds", "d", "dña"},
    "it": {"sig", "sig.ra", "dott", "prof", "on", "avv", "ing"},
    "pt": {"sr", "sra", "dr", "dra"},
    "nl": {"dhr", "mevr", "dr", "prof"},
    "ru": {"г", "тов", "проф", "акад"},
}
# Written ordinals end in a period ("am 3. Oktober", "3. joulukuuta"): a number and a period then a
# capital are not a sentence end in these languages.
_ORDINAL_PERIOD = frozenset({"de", "da", "fi", "cs", "pl", "sk", "sl", "hr", "sr", "hu", "et", "lv", "lt",
                             "nb", "no", "is", "tr", "fo"})


@dataclass(frozen=True)
class Language:
    code: str
    abbreviations: frozenset[str] = field(default_factory=frozenset)
    prepositive: frozenset[str] = field(default_factory=frozenset)
    number: frozenset[str] = field(default_factory=frozenset)
    starters: frozenset[str] = field(default_factory=frozenset)
    ordinal_period: bool = False


@cache
def language(code: str) -> Language:
    """The rules for an ISO 639-1 code; a language without lists still gets the generic rules."""
    source = _DATA / f"{_FALLBACKS.get(code, code)}.json"
    data = json.loads(source.read_text(encoding="utf-8")) if source.exists() else {}
    return Language(
        code=code,
        abbreviations=frozenset(data.get("abbreviations", ())) | (_UKRAINIAN if code == "uk" else frozenset()),
        prepositive=frozenset(data.get("prepositive", ())) | _TITLES.get(code, set()),
        number=frozenset(data.get("number", ())) | _NUMBER_SIGNS,
        starters=_STARTERS.get(code, frozenset()),
        ordinal_period=code in _ORDINAL_PERIOD,
    )
