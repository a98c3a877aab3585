"""The languages mBART-50 knows, and the mapping from what users type to model codes."""

from __future__ import annotations

# mBART-50 code -> English name. The 52 codes of facebook/mbart-large-50-many-to-many-mmt.
MBART50: dict[str, str] = {
    "ar_AR": "Arabic", "cs_CZ": "Czech", "de_DE": "German", "en_XX": "English",
    "es_XX": "Spanish", "et_EE": "Estonian", "fi_FI": "Finnish", "fr_XX": "French",
    "gu_IN": "Gujarati", "hi_IN": "Hindi", "it_IT": "Italian", "ja_XX": "Japanese",
    "kk_KZ": "Kazakh", "ko_KR": "Korean", "lt_LT": "Lithuanian", "lv_LV": "Latvian",
    "my_MM": "Burmese", "ne_NP": "Nepali", "nl_XX": "Dutch", "ro_RO": "Romanian",
    "ru_RU": "Russian", "si_LK": "Sinhala", "tr_TR": "Turkish", "vi_VN": "Vietnamese",
    "zh_CN": "Chinese", "af_ZA": "Afrikaans", "az_AZ": "Azerbaijani", "bn_IN": "Bengali",
    "fa_IR": "Persian", "he_IL": "Hebrew", "hr_HR": "Croatian", "id_ID": "Indonesian",
    "ka_GE": "Georgian", "km_KH": "Khmer", "mk_MK": "Macedonian", "ml_IN": "Malayalam",
    "mn_MN": "Mongolian", "mr_IN": "Marathi", "pl_PL": "Polish", "ps_AF": "Pashto",
    "pt_XX": "Portuguese", "sv_SE": "Swedish", "sw_KE": "Swahili", "ta_IN": "Tamil",
    "te_IN": "Telugu", "th_TH": "Thai", "tl_XX": "Tagalog", "uk_UA": "Ukrainian",
    "ur_PK": "Urdu", "xh_ZA": "Xhosa", "gl_ES": "Galician", "sl_SI": "Slovenian",
}

_BY_ISO = {code.split("_")[0]: code for code in MBART50}
# Older or alternative ISO codes users meet in the wild.
_ALIASES = {"iw": "he", "fil": "tl", "in": "id", "jw": "jv", "zh-hans": "zh", "zh-cn": "zh"}

RTL = {"ar", "he", "fa", "ur", "ps"}
# Scripts written without spaces between words: joined pieces get no space between them.
UNSPACED = {"zh", "ja", "th", "my", "km"}


class UnsupportedLanguage(ValueError):
    pass


def to_mbart(lang: str) -> str:
    """Map `fr`, `FR`, `fr-CA`, `fr_XX` to the model's code, or raise with the list of choices."""
    raw = lang.strip()
    if raw in MBART50:
        return raw
    key = raw.lower().replace("_", "-")
    key = _ALIASES.get(key, key)
    for candidate in (key, key.split("-")[0]):
        candidate = _ALIASES.get(candidate, candidate)
        if candidate in _BY_ISO:
            return _BY_ISO[candidate]
    upper = {c.lower(): c for c in MBART50}
    if raw.lower() in upper:
        return upper[raw.lower()]
    raise UnsupportedLanguage(
        f"unsupported language {lang!r}; run `babelflow languages` for the {len(MBART50)} supported codes"
    )


def iso(code: str) -> str:
    """ISO 639-1 part of an mBART code (`fr_XX` -> `fr`)."""
    return code.split("_")[0]


def parse_targets(spec: str | list[str]) -> list[str]:
    """`fr,de` or [`fr`, `de_DE`] -> unique mBART codes in the order given."""
    items = spec.split(",") if isinstance(spec, str) else [p for s in spec for p in s.split(",")]
    codes: list[str] = []
    for item in items:
        if item.strip():
            code = to_mbart(item)
            if code not in codes:
                codes.append(code)
    if not codes:
        raise UnsupportedLanguage("no target language given")
    return codes
