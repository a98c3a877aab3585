"""The pipeline's language codes, and the mapping from what users type (and what models name) to them.

One internal code per language: the mBART-50 code for the 52 languages of mBART-50 (`fr_XX`, `zh_CN`), so
that existing outputs and caches stay valid; the FLORES-200 code NLLB-200 uses for its other languages
(`ast_Latn`, `zho_Hant`); a FLORES-style `<ISO 639-3>_<ISO 15924>` code for the few languages neither
has (`bre_Latn`). Whether a given model knows a language is checked elsewhere. No third-party imports:
the CLI imports this module, and `babelflow --help` must stay fast.
"""

from __future__ import annotations

import re
from typing import NamedTuple

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

# ---------------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------------

# mBART-50 code -> the FLORES-200 code of the same language. Where ISO 639-1 names a macrolanguage,
# FLORES names the individual language: arb (Standard Arabic), pes (Iranian Persian), lvs (Standard
# Latvian), khk (Halh Mongolian), npi, pbt (Southern Pashto), swh, azj (North Azerbaijani).
_MBART_FLORES: dict[str, str] = {
    "ar_AR": "arb_Arab", "cs_CZ": "ces_Latn", "de_DE": "deu_Latn", "en_XX": "eng_Latn",
    "es_XX": "spa_Latn", "et_EE": "est_Latn", "fi_FI": "fin_Latn", "fr_XX": "fra_Latn",
    "gu_IN": "guj_Gujr", "hi_IN": "hin_Deva", "it_IT": "ita_Latn", "ja_XX": "jpn_Jpan",
    "kk_KZ": "kaz_Cyrl", "ko_KR": "kor_Hang", "lt_LT": "lit_Latn", "lv_LV": "lvs_Latn",
    "my_MM": "mya_Mymr", "ne_NP": "npi_Deva", "nl_XX": "nld_Latn", "ro_RO": "ron_Latn",
    "ru_RU": "rus_Cyrl", "si_LK": "sin_Sinh", "tr_TR": "tur_Latn", "vi_VN": "vie_Latn",
    "zh_CN": "zho_Hans", "af_ZA": "afr_Latn", "az_AZ": "azj_Latn", "bn_IN": "ben_Beng",
    "fa_IR": "pes_Arab", "he_IL": "heb_Hebr", "hr_HR": "hrv_Latn", "id_ID": "ind_Latn",
    "ka_GE": "kat_Geor", "km_KH": "khm_Khmr", "mk_MK": "mkd_Cyrl", "ml_IN": "mal_Mlym",
    "mn_MN": "khk_Cyrl", "mr_IN": "mar_Deva", "pl_PL": "pol_Latn", "ps_AF": "pbt_Arab",
    "pt_XX": "por_Latn", "sv_SE": "swe_Latn", "sw_KE": "swh_Latn", "ta_IN": "tam_Taml",
    "te_IN": "tel_Telu", "th_TH": "tha_Thai", "tl_XX": "tgl_Latn", "uk_UA": "ukr_Cyrl",
    "ur_PK": "urd_Arab", "xh_ZA": "xho_Latn", "gl_ES": "glg_Latn", "sl_SI": "slv_Latn",
}

# The other 150 languages of NLLB-200: FLORES-200 code -> (English name, ISO 639-1 or None). Arabic
# dialects (acm, acq, aeb, ajp, apc, ars, ary, arz), Dari (prs), South Azerbaijani (azb) and Central
# Kurdish (ckb) have no ISO 639-1 code of their own: `ar`, `fa`, `az`, `ku` name other languages here.
_NLLB: dict[str, tuple[str, str | None]] = {
    "ace_Arab": ("Acehnese (Arabic script)", None), "ace_Latn": ("Acehnese (Latin script)", None),
    "acm_Arab": ("Mesopotamian Arabic", None), "acq_Arab": ("Ta'izzi-Adeni Arabic", None),
    "aeb_Arab": ("Tunisian Arabic", None), "ajp_Arab": ("South Levantine Arabic", None),
    "aka_Latn": ("Akan", "ak"), "amh_Ethi": ("Amharic", "am"),
    "apc_Arab": ("North Levantine Arabic", None), "ars_Arab": ("Najdi Arabic", None),
    "ary_Arab": ("Moroccan Arabic", None), "arz_Arab": ("Egyptian Arabic", None),
    "asm_Beng": ("Assamese", "as"), "ast_Latn": ("Asturian", None),
    "awa_Deva": ("Awadhi", None), "ayr_Latn": ("Aymara", "ay"),
    "azb_Arab": ("South Azerbaijani", None), "bak_Cyrl": ("Bashkir", "ba"),
    "bam_Latn": ("Bambara", "bm"), "ban_Latn": ("Balinese", None),
    "bel_Cyrl": ("Belarusian", "be"), "bem_Latn": ("Bemba", None),
    "bho_Deva": ("Bhojpuri", None), "bjn_Arab": ("Banjar (Arabic script)", None),
    "bjn_Latn": ("Banjar (Latin script)", None), "bod_Tibt": ("Tibetan", "bo"),
    "bos_Latn": ("Bosnian", "bs"), "bug_Latn": ("Buginese", None),
    "bul_Cyrl": ("Bulgarian", "bg"), "cat_Latn": ("Catalan", "ca"),
    "ceb_Latn": ("Cebuano", None), "cjk_Latn": ("Chokwe", None),
    "ckb_Arab": ("Central Kurdish (Sorani)", None), "crh_Latn": ("Crimean Tatar", None),
    "cym_Latn": ("Welsh", "cy"), "dan_Latn": ("Danish", "da"),
    "dik_Latn": ("Southwestern Dinka", None), "dyu_Latn": ("Dyula", None),
    "dzo_Tibt": ("Dzongkha", "dz"), "ell_Grek": ("Greek", "el"),
    "epo_Latn": ("Esperanto", "eo"), "eus_Latn": ("Basque", "eu"),
    "ewe_Latn": ("Ewe", "ee"), "fao_Latn": ("Faroese", "fo"),
    "fij_Latn": ("Fijian", "fj"), "fon_Latn": ("Fon", None),
    "fur_Latn": ("Friulian", None), "fuv_Latn": ("Nigerian Fulfulde", "ff"),
    "gla_Latn": ("Scottish Gaelic", "gd"), "gle_Latn": ("Irish", "ga"),
    "grn_Latn": ("Guarani", "gn"), "hat_Latn": ("Haitian Creole", "ht"),
    "hau_Latn": ("Hausa", "ha"), "hne_Deva": ("Chhattisgarhi", None),
    "hun_Latn": ("Hungarian", "hu"), "hye_Armn": ("Armenian", "hy"),
    "ibo_Latn": ("Igbo", "ig"), "ilo_Latn": ("Ilocano", None),
    "isl_Latn": ("Icelandic", "is"), "jav_Latn": ("Javanese", "jv"),
    "kab_Latn": ("Kabyle", None), "kac_Latn": ("Jingpho", None),
    "kam_Latn": ("Kamba", None), "kan_Knda": ("Kannada", "kn"),
    "kas_Arab": ("Kashmiri (Arabic script)", "ks"), "kas_Deva": ("Kashmiri (Devanagari script)", "ks"),
    "knc_Arab": ("Central Kanuri (Arabic script)", "kr"), "knc_Latn": ("Central Kanuri (Latin script)", "kr"),
    "kbp_Latn": ("Kabiyè", None), "kea_Latn": ("Kabuverdianu", None),
    "kik_Latn": ("Kikuyu", "ki"), "kin_Latn": ("Kinyarwanda", "rw"),
    "kir_Cyrl": ("Kyrgyz", "ky"), "kmb_Latn": ("Kimbundu", None),
    "kon_Latn": ("Kikongo", "kg"), "kmr_Latn": ("Northern Kurdish (Kurmanji)", "ku"),
    "lao_Laoo": ("Lao", "lo"), "lij_Latn": ("Ligurian", None),
    "lim_Latn": ("Limburgish", "li"), "lin_Latn": ("Lingala", "ln"),
    "lmo_Latn": ("Lombard", None), "ltg_Latn": ("Latgalian", None),
    "ltz_Latn": ("Luxembourgish", "lb"), "lua_Latn": ("Luba-Kasai", None),
    "lug_Latn": ("Ganda", "lg"), "luo_Latn": ("Luo", None),
    "lus_Latn": ("Mizo", None), "mag_Deva": ("Magahi", None),
    "mai_Deva": ("Maithili", None), "min_Latn": ("Minangkabau", None),
    "plt_Latn": ("Malagasy", "mg"), "mlt_Latn": ("Maltese", "mt"),
    "mni_Beng": ("Meitei (Bengali script)", None), "mos_Latn": ("Mossi", None),
    "mri_Latn": ("Maori", "mi"), "zsm_Latn": ("Malay", "ms"),
    "nno_Latn": ("Norwegian Nynorsk", "nn"), "nob_Latn": ("Norwegian Bokmål", "nb"),
    "nso_Latn": ("Northern Sotho", None), "nus_Latn": ("Nuer", None),
    "nya_Latn": ("Nyanja", "ny"), "oci_Latn": ("Occitan", "oc"),
    "gaz_Latn": ("Oromo", "om"), "ory_Orya": ("Odia", "or"),
    "pag_Latn": ("Pangasinan", None), "pan_Guru": ("Punjabi", "pa"),
    "pap_Latn": ("Papiamento", None), "prs_Arab": ("Dari", None),
    "quy_Latn": ("Quechua", "qu"), "run_Latn": ("Rundi", "rn"),
    "sag_Latn": ("Sango", "sg"), "san_Deva": ("Sanskrit", "sa"),
    "sat_Beng": ("Santali", None), "scn_Latn": ("Sicilian", None),
    "shn_Mymr": ("Shan", None), "slk_Latn": ("Slovak", "sk"),
    "smo_Latn": ("Samoan", "sm"), "sna_Latn": ("Shona", "sn"),
    "snd_Arab": ("Sindhi", "sd"), "som_Latn": ("Somali", "so"),
    "sot_Latn": ("Southern Sotho", "st"), "als_Latn": ("Albanian", "sq"),
    "srd_Latn": ("Sardinian", "sc"), "srp_Cyrl": ("Serbian (Cyrillic script)", "sr"),
    "ssw_Latn": ("Swati", "ss"), "sun_Latn": ("Sundanese", "su"),
    "szl_Latn": ("Silesian", None), "tat_Cyrl": ("Tatar", "tt"),
    "tgk_Cyrl": ("Tajik", "tg"), "tir_Ethi": ("Tigrinya", "ti"),
    "taq_Latn": ("Tamasheq (Latin script)", None), "taq_Tfng": ("Tamasheq (Tifinagh script)", None),
    "tpi_Latn": ("Tok Pisin", None), "tsn_Latn": ("Tswana", "tn"),
    "tso_Latn": ("Tsonga", "ts"), "tuk_Latn": ("Turkmen", "tk"),
    "tum_Latn": ("Tumbuka", None), "twi_Latn": ("Twi", "tw"),
    "tzm_Tfng": ("Central Atlas Tamazight", None), "uig_Arab": ("Uyghur", "ug"),
    "umb_Latn": ("Umbundu", None), "uzn_Latn": ("Uzbek", "uz"),
    "vec_Latn": ("Venetian", None), "war_Latn": ("Waray", None),
    "wol_Latn": ("Wolof", "wo"), "ydd_Hebr": ("Yiddish", "yi"),
    "yor_Latn": ("Yoruba", "yo"), "yue_Hant": ("Cantonese", None),
    "zho_Hant": ("Chinese (Traditional)", "zh"), "zul_Latn": ("Zulu", "zu"),
}

# Languages neither mBART-50 nor NLLB-200 has: the two of M2M-100 (`br`, `fy`; its `ns` is NLLB's
# nso_Latn) and Serbian in Latin script (NLLB has only srp_Cyrl), for models that can be asked for it.
_EXTRAS: dict[str, tuple[str, str | None]] = {
    "bre_Latn": ("Breton", "br"),
    "fry_Latn": ("Western Frisian", "fy"),
    "srp_Latn": ("Serbian (Latin script)", "sr"),
}

# English names where the wider list needs more than MBART50 says.
_RENAMED: dict[str, str] = {"zh_CN": "Chinese (Simplified)"}

# Internal codes whose language is written in another script than their FLORES code says. NLLB's
# tokenizer calls Santali sat_Beng, but its FLORES-200 text is in Ol Chiki (fairseq renamed it sat_Olck).
_SCRIPT_FIXES: dict[str, str] = {"sat_Beng": "Olck"}

# What a bare language code means where several internal codes share it (`iso()` value -> code).
_PREFERRED: dict[str, str] = {
    "zh": "zh_CN", "sr": "srp_Cyrl", "ks": "kas_Arab", "kr": "knc_Latn",
    "ace": "ace_Latn", "bjn": "bjn_Latn", "taq": "taq_Latn",
}

# Other codes users and models write -> an ISO 639-1 or 639-3 code of the table.
_ALIASES: dict[str, str] = {
    # Withdrawn ISO 639-1 codes, still common (Java locales, old Google APIs).
    "iw": "he", "in": "id", "ji": "yi", "jw": "jv", "mo": "ro",
    # Filipino; Norwegian (macrolanguage) as Bokmål; M2M-100's non-ISO code for Northern Sotho;
    # Mandarin as Chinese; Standard Estonian (FLORES says est).
    "fil": "tl", "no": "nb", "ns": "nso", "cmn": "zh", "ekk": "et",
    # ISO 639-2/B (bibliographic) codes.
    "alb": "sq", "arm": "hy", "baq": "eu", "bur": "my", "chi": "zh", "cze": "cs", "dut": "nl",
    "fre": "fr", "geo": "ka", "ger": "de", "gre": "el", "ice": "is", "mac": "mk", "mao": "mi",
    "may": "ms", "per": "fa", "rum": "ro", "slo": "sk", "tib": "bo", "wel": "cy",
    # ISO 639-3 macrolanguages -> the individual language FLORES has.
    "ara": "ar", "aym": "ay", "aze": "az", "din": "dik", "fas": "fa", "ful": "ff", "kau": "kr",
    "kur": "ku", "lav": "lv", "mlg": "mg", "mon": "mn", "msa": "ms", "nep": "ne", "nor": "nb",
    "ori": "or", "orm": "om", "pus": "ps", "que": "qu", "sqi": "sq", "swa": "sw", "tmh": "taq",
    "uzb": "uz", "yid": "yi",
}

# Regions and scripts that select another language than the bare code means: (`iso()` value, subtag) -> code.
# Every internal code's own script selects it too (`sr-Latn`, `zh-Hant`, `ks-Deva`).
_BY_REGION: dict[tuple[str, str], str] = {
    ("zh", "tw"): "zho_Hant", ("zh", "hk"): "zho_Hant", ("zh", "mo"): "zho_Hant", ("fa", "af"): "prs_Arab",
}
_OTHER_SCRIPTS: dict[tuple[str, str], str] = {("az", "arab"): "azb_Arab", ("ku", "arab"): "ckb_Arab"}

_RTL_SCRIPTS = frozenset({"Arab", "Hebr", "Thaa", "Syrc", "Nkoo", "Adlm"})
# Scripts written without spaces between words: joined pieces get no space between them.
_UNSPACED_SCRIPTS = frozenset({"Hans", "Hant", "Jpan", "Thai", "Mymr", "Khmr", "Laoo", "Tibt"})

# ---------------------------------------------------------------------------------------------------
# Derived tables
# ---------------------------------------------------------------------------------------------------


class LanguageFacts(NamedTuple):
    name: str  # English
    iso1: str | None  # ISO 639-1
    iso3: str  # ISO 639-3, the individual language FLORES uses (arb, not ara)
    script: str  # ISO 15924
    flores: str | None  # the FLORES-200 code NLLB-200 uses; None where NLLB lacks the language
    bcp47: str


_Row = tuple[str, str | None, str, str, str | None]  # name, ISO 639-1, ISO 639-3, script, FLORES code


def _rows() -> dict[str, _Row]:
    """Internal code -> its row, from the three data tables."""
    rows: dict[str, _Row] = {}
    for code, flores in _MBART_FLORES.items():
        iso3, script = flores.split("_")
        rows[code] = (_RENAMED.get(code, MBART50[code]), code.split("_")[0], iso3, script, flores)
    for table, in_nllb in ((_NLLB, True), (_EXTRAS, False)):
        for code, (name, iso1) in table.items():
            iso3, script = code.split("_")
            rows[code] = (name, iso1, iso3, _SCRIPT_FIXES.get(code, script), code if in_nllb else None)
    return rows


def _facts(rows: dict[str, _Row]) -> dict[str, LanguageFacts]:
    """Add the BCP-47 tag: the ISO 639-1 (else 639-3) code, and the script where the language has
    internal codes in several (`zh-Hans`, `zh-Hant`, `sr-Latn`, `ks-Deva`), never a region."""
    scripts: dict[str, set[str]] = {}
    for _, iso1, iso3, script, _ in rows.values():
        scripts.setdefault(iso1 or iso3, set()).add(script)
    facts = {}
    for code, (name, iso1, iso3, script, flores) in rows.items():
        lang = iso1 or iso3
        tag = f"{lang}-{script}" if len(scripts[lang]) > 1 else lang
        facts[code] = LanguageFacts(name, iso1, iso3, script, flores, tag)
    return facts


FACTS: dict[str, LanguageFacts] = _facts(_rows())
LANGUAGES: dict[str, str] = {code: f.name for code, f in FACTS.items()}
_ISO: dict[str, str] = {code: f.iso1 or f.iso3 for code, f in FACTS.items()}


def _by_language() -> dict[str, str]:
    """ISO 639-1, ISO 639-3 and alias codes -> the internal code they mean on their own."""
    table = {}
    for code, f in FACTS.items():
        default = _PREFERRED.get(_ISO[code], code)
        for key in (f.iso1, f.iso3):
            if key:
                table[key] = default
    return table | {alias: table[key] for alias, key in _ALIASES.items()}


_BY_LANGUAGE = _by_language()
_BY_SCRIPT: dict[tuple[str, str], str] = {(_ISO[c], f.script.lower()): c for c, f in FACTS.items()} | _OTHER_SCRIPTS
# Internal and FLORES codes, hyphenated and lowercase: they need no parsing (and sat_Beng is not Bengali).
_EXACT: dict[str, str] = {
    key.lower().replace("_", "-"): code for code, f in FACTS.items() for key in (code, f.flores) if key
}
_TAG = re.compile(r"([a-z]{2,3})(?:-([a-z]{4}))?(?:-([a-z]{2}|[0-9]{3}))?(?:-[a-z0-9]{1,8})*")

# ---------------------------------------------------------------------------------------------------
# API
# ---------------------------------------------------------------------------------------------------


class UnsupportedLanguage(ValueError):
    """What the user typed names no language babelflow knows."""


def to_code(lang: str) -> str:
    """The internal code for what users type or models name: an internal or FLORES-200 code in any case,
    ISO 639-1, ISO 639-2/B, ISO 639-3 or a BCP-47 tag (`fr-CA`, `zh-TW`, `sr-Latn`, `pt_BR`), so that
    every later stage compares one code per language. Regions are ignored except where they select
    another script or language (`zh-TW`/`zh-HK`: Traditional Chinese, `fa-AF`: Dari)."""
    key = lang.strip().lower().replace("_", "-")
    if key in _EXACT:
        return _EXACT[key]
    match = _TAG.fullmatch(key)
    default = _BY_LANGUAGE.get(match.group(1)) if match else None
    if default is None:
        raise _unsupported(lang)
    base, script, region = _ISO[default], match.group(2), match.group(3)
    by_region = _BY_REGION.get((base, region))
    if by_region and script in (None, FACTS[by_region].script.lower()):
        return by_region
    if script is None:
        return default
    code = _BY_SCRIPT.get((base, script))
    if code is None:  # a script we have no code for (`uz-Cyrl`): never answer with another script
        raise _unsupported(lang)
    return code


def _unsupported(lang: str) -> UnsupportedLanguage:
    return UnsupportedLanguage(f"unsupported language {lang!r}; run `babelflow languages` for the supported codes")


def _get(code: str) -> LanguageFacts:
    """Facts of an internal code, or of what `to_code` makes of anything else (`fr`), so callers that
    still hold an ISO code get the same answers."""
    return FACTS.get(code) or FACTS[to_code(code)]


def iso(code: str) -> str:
    """ISO 639-1 code of the language, else its ISO 639-3 code (`fr_XX` -> `fr`, `zho_Hant` -> `zh`,
    `ckb_Arab` -> `ckb`): the key of segmentation rules, detection and glossaries. A dict lookup, as it
    is called per segment; the script is lost (`kas_Deva` -> `ks`): see `is_rtl`."""
    return _ISO.get(code) or _ISO[to_code(code)]


def iso3(code: str) -> str:
    """ISO 639-3 code of the individual language (`ar_AR` -> `arb`, `fa_IR` -> `pes`), as FLORES has it."""
    return _get(code).iso3


def script(code: str) -> str:
    """ISO 15924 script the language is written in here (`Latn`, `Hans`, `Hant`, `Cyrl`, `Arab`)."""
    return _get(code).script


def flores(code: str) -> str | None:
    """The code NLLB-200 knows the language by (`fr_XX` -> `fra_Latn`), or None where NLLB lacks it."""
    return _get(code).flores


def bcp47(code: str) -> str:
    """BCP-47 tag for HTML lang attributes and file names: ISO 639-1 (else 639-3) code, with the script
    only where the language has internal codes in several (`fr_XX` -> `fr`, `zh_CN` -> `zh-Hans`,
    `zho_Hant` -> `zh-Hant`, `srp_Latn` -> `sr-Latn`, `ckb_Arab` -> `ckb`). `to_code` reads it back."""
    return _get(code).bcp47


def tag(code: str) -> str:
    """What a target's outputs are named by (the folder under DEST, a corpus's translated column, HTML's
    lang): the ISO code for mBART-50's languages, as since the first release (`fr`, `zh`), else the
    BCP-47 tag (`zh-Hant` beside `zh`, `sr-Latn`, `ast`)."""
    return _ISO[code] if code in MBART50 else bcp47(code)


def name(code: str) -> str:
    """English name of the language (`zho_Hant` -> `Chinese (Traditional)`)."""
    return _get(code).name


def is_rtl(code: str) -> bool:
    """Whether the language is written right to left here. By script, which `iso()` loses:
    `kas_Arab` is right to left, `kas_Deva` is not."""
    return _get(code).script in _RTL_SCRIPTS


def sets_direction(src: str | None, tgt: str) -> bool:
    """Whether a translation writes the text direction: into a right-to-left language, and out of one (its
    right-to-left marks become left-to-right); between left-to-right languages a document keeps its own."""
    return is_rtl(tgt) or (src is not None and is_rtl(src))


def _written_in(scripts: frozenset[str]) -> set[str]:
    """`iso()` values whose language, as a bare code means it, is written in one of `scripts`."""
    return {lang for lang in _ISO.values() if FACTS[_BY_LANGUAGE[lang]].script in scripts}


# `iso()` values written right to left (ks: Kashmiri means its Arabic script), for callers that only
# have `iso()`; `is_rtl()` is exact.
RTL: set[str] = _written_in(_RTL_SCRIPTS)
UNSPACED: set[str] = _written_in(_UNSPACED_SCRIPTS)


def parse_targets(spec: str | list[str]) -> list[str]:
    """`fr,de` or [`fr`, `de_DE`] -> unique internal codes in the order given."""
    items = spec.split(",") if isinstance(spec, str) else [p for s in spec for p in s.split(",")]
    codes: list[str] = []
    for item in items:
        if item.strip():
            code = to_code(item)
            if code not in codes:
                codes.append(code)
    if not codes:
        raise UnsupportedLanguage("no target language given")
    return codes
