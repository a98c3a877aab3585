from __future__ import annotations

import pytest
from transformers.models.m2m_100.tokenization_m2m_100 import FAIRSEQ_LANGUAGE_CODES as M2M100_CODES
from transformers.models.nllb.tokenization_nllb import FAIRSEQ_LANGUAGE_CODES as NLLB_CODES

from babelflow.languages import (
    FACTS, LANGUAGES, MBART50, RTL, UNSPACED, UnsupportedLanguage, bcp47, flores, is_rtl, iso, iso3, name,
    parse_targets, script, to_code,
)

M2M100 = M2M100_CODES["m2m100"]
# M2M-100 codes that are not the ISO 639-1 code of their language: Norwegian is Bokmål (nb), and `ns`,
# M2M-100's own code for Northern Sotho, is no ISO code at all (ISO 639-3: nso).
M2M100_NOT_ISO = {"no": "nb", "ns": "nso"}


@pytest.mark.parametrize(
    "given, code",
    [("fr", "fr_XX"), ("FR", "fr_XX"), ("fr_XX", "fr_XX"), ("fr-CA", "fr_XX"), ("zh", "zh_CN"),
     ("zh-Hans", "zh_CN"), ("pt_BR", "pt_XX"), ("he", "he_IL"), ("iw", "he_IL"), ("ja", "ja_XX"),
     ("de_de", "de_DE"), ("hi", "hi_IN"), ("ar", "ar_AR"), (" fr ", "fr_XX"), ("in", "id_ID"),
     ("fil", "tl_XX"), ("jw", "jav_Latn"), ("eo", "epo_Latn")],
)
def test_iso_and_model_codes_map_to_the_internal_code(given: str, code: str) -> None:
    assert to_code(given) == code


@pytest.mark.parametrize("bad", ["xx", "klingon", "", "e", "fr-", "fr--CA", "uz-Cyrl", "fr-Cyrl", "qaa_Latn"])
def test_unsupported_language_is_a_clear_error(bad: str) -> None:
    with pytest.raises(UnsupportedLanguage, match=f"unsupported language '{bad}'.*babelflow languages"):
        to_code(bad)


def test_every_internal_code_is_an_mbart_code_an_nllb_code_or_a_documented_extra() -> None:
    mbart_flores = {flores(code) for code in MBART50}
    extras = {"bre_Latn", "fry_Latn", "srp_Latn"}
    assert set(LANGUAGES) == set(MBART50) | (set(NLLB_CODES) - mbart_flores) | extras
    assert set(LANGUAGES) == set(FACTS)
    assert len(MBART50) == 52 and len(LANGUAGES) == 52 + 150 + 3
    assert len(set(LANGUAGES.values())) == len(LANGUAGES)


def test_internal_codes_map_to_themselves_in_any_case() -> None:
    for code in LANGUAGES:
        assert to_code(code) == to_code(code.upper()) == to_code(code.lower().replace("_", "-")) == code, code


def test_mbart_codes_keep_their_iso_code_and_name() -> None:
    for code in MBART50:
        assert iso(code) == code.split("_")[0], code
        assert to_code(iso(code)) == code, code
        assert to_code(flores(code)) == code, code  # fra_Latn -> fr_XX: one internal code per language
        assert name(code) == MBART50[code] or code == "zh_CN", code


@pytest.mark.parametrize(
    "code, nllb",
    [("fr_XX", "fra_Latn"), ("zh_CN", "zho_Hans"), ("ar_AR", "arb_Arab"), ("fa_IR", "pes_Arab"),
     ("et_EE", "est_Latn"), ("lv_LV", "lvs_Latn"), ("mn_MN", "khk_Cyrl"), ("ne_NP", "npi_Deva"),
     ("ps_AF", "pbt_Arab"), ("sw_KE", "swh_Latn"), ("az_AZ", "azj_Latn"), ("tl_XX", "tgl_Latn"),
     ("my_MM", "mya_Mymr"), ("pt_XX", "por_Latn"), ("he_IL", "heb_Hebr"), ("ko_KR", "kor_Hang"),
     ("ja_XX", "jpn_Jpan"), ("si_LK", "sin_Sinh")],
)
def test_mbart_codes_name_the_individual_language_nllb_uses(code: str, nllb: str) -> None:
    assert flores(code) == nllb
    assert (iso3(code), script(code)) == tuple(nllb.split("_"))


def test_every_nllb_code_round_trips() -> None:
    for nllb in NLLB_CODES:
        code = to_code(nllb)
        assert flores(code) == nllb and to_code(nllb.upper()) == code, nllb
        assert code == nllb or code in MBART50, nllb


def test_every_m2m100_code_maps_to_a_language_with_that_iso_code() -> None:
    for m2m in M2M100:
        assert iso(to_code(m2m)) == M2M100_NOT_ISO.get(m2m, m2m), m2m


@pytest.mark.parametrize(
    "m2m, code",
    [("br", "bre_Latn"), ("fy", "fry_Latn"), ("ns", "nso_Latn"), ("no", "nob_Latn"), ("ms", "zsm_Latn"),
     ("ff", "fuv_Latn"), ("mg", "plt_Latn"), ("sq", "als_Latn"), ("uz", "uzn_Latn"), ("yi", "ydd_Hebr"),
     ("or", "ory_Orya"), ("zh", "zh_CN"), ("sr", "srp_Cyrl"), ("ar", "ar_AR"), ("fa", "fa_IR")],
)
def test_m2m100_codes_that_name_a_macrolanguage_or_no_iso_language(m2m: str, code: str) -> None:
    assert to_code(m2m) == code


def test_languages_only_m2m100_has_are_not_in_nllb() -> None:
    assert flores("br") is None and flores("fy") is None and flores("sr-Latn") is None


@pytest.mark.parametrize(
    "given, code",
    [("zh-Hans", "zh_CN"), ("zh-CN", "zh_CN"), ("zh-SG", "zh_CN"), ("zh_Hans", "zh_CN"), ("zho_Hans", "zh_CN"),
     ("zh-Hant", "zho_Hant"), ("zh-TW", "zho_Hant"), ("zh-HK", "zho_Hant"), ("zh-MO", "zho_Hant"),
     ("zh-Hant-TW", "zho_Hant"), ("zh-Hans-TW", "zh_CN"), ("ZH_HANT", "zho_Hant"), ("chi-Hant", "zho_Hant"),
     ("yue", "yue_Hant"), ("yue-Hant", "yue_Hant"), ("yue-HK", "yue_Hant"), ("cmn", "zh_CN"),
     ("sr", "srp_Cyrl"), ("sr-Cyrl", "srp_Cyrl"), ("sr-RS", "srp_Cyrl"), ("sr-Latn", "srp_Latn"),
     ("sr_Latn_RS", "srp_Latn"), ("srp", "srp_Cyrl"), ("srp_Latn", "srp_Latn"),
     ("ks", "kas_Arab"), ("ks-Deva", "kas_Deva"), ("kas", "kas_Arab"), ("kr", "knc_Latn"),
     ("knc-Arab", "knc_Arab"), ("ace", "ace_Latn"), ("bjn", "bjn_Latn"), ("taq", "taq_Latn"),
     ("taq-Tfng", "taq_Tfng"), ("az-Arab", "azb_Arab"), ("ku", "kmr_Latn"), ("ku-Arab", "ckb_Arab"),
     ("ja-Jpan", "ja_XX"), ("en-Latn-US", "en_XX"), ("sat_Beng", "sat_Beng"), ("sat-Olck", "sat_Beng")],
)
def test_scripts_select_the_variant(given: str, code: str) -> None:
    assert to_code(given) == code


@pytest.mark.parametrize(
    "given, code",
    [("fra", "fr_XX"), ("fre", "fr_XX"), ("deu", "de_DE"), ("ger", "de_DE"), ("zho", "zh_CN"), ("chi", "zh_CN"),
     ("nld", "nl_XX"), ("dut", "nl_XX"), ("ces", "cs_CZ"), ("cze", "cs_CZ"), ("ell", "ell_Grek"),
     ("gre", "ell_Grek"), ("ron", "ro_RO"), ("rum", "ro_RO"), ("slk", "slk_Latn"), ("slo", "slk_Latn"),
     ("sqi", "als_Latn"), ("alb", "als_Latn"), ("hye", "hye_Armn"), ("arm", "hye_Armn"), ("eus", "eus_Latn"),
     ("baq", "eus_Latn"), ("mya", "my_MM"), ("bur", "my_MM"), ("kat", "ka_GE"), ("geo", "ka_GE"),
     ("isl", "isl_Latn"), ("ice", "isl_Latn"), ("mkd", "mk_MK"), ("mac", "mk_MK"), ("mri", "mri_Latn"),
     ("mao", "mri_Latn"), ("msa", "zsm_Latn"), ("may", "zsm_Latn"), ("zsm", "zsm_Latn"), ("bod", "bod_Tibt"),
     ("tib", "bod_Tibt"), ("cym", "cym_Latn"), ("wel", "cym_Latn"), ("ara", "ar_AR"), ("arb", "ar_AR"),
     ("fas", "fa_IR"), ("per", "fa_IR"), ("pes", "fa_IR"), ("prs", "prs_Arab"), ("swa", "sw_KE"),
     ("swh", "sw_KE"), ("nep", "ne_NP"), ("npi", "ne_NP"), ("mon", "mn_MN"), ("khk", "mn_MN"),
     ("lav", "lv_LV"), ("lvs", "lv_LV"), ("est", "et_EE"), ("ekk", "et_EE"), ("aze", "az_AZ"),
     ("azj", "az_AZ"), ("azb", "azb_Arab"), ("uzb", "uzn_Latn"), ("mlg", "plt_Latn"), ("orm", "gaz_Latn"),
     ("yid", "ydd_Hebr"), ("que", "quy_Latn"), ("pus", "ps_AF"), ("pbt", "ps_AF"), ("kur", "kmr_Latn"),
     ("ckb", "ckb_Arab"), ("ori", "ory_Orya"), ("ful", "fuv_Latn"), ("kau", "knc_Latn"), ("nor", "nob_Latn"),
     ("nob", "nob_Latn"), ("nno", "nno_Latn"), ("tgl", "tl_XX"), ("heb", "he_IL"), ("jpn", "ja_XX"),
     ("ast", "ast_Latn"), ("twi", "twi_Latn"), ("aka", "aka_Latn"), ("tmh", "taq_Latn"), ("din", "dik_Latn")],
)
def test_iso_639_2_and_639_3_codes(given: str, code: str) -> None:
    assert to_code(given) == code
    assert to_code(given.upper()) == code


@pytest.mark.parametrize(
    "given, code",
    [("fr-CA", "fr_XX"), ("fr_BE", "fr_XX"), ("pt-BR", "pt_XX"), ("pt-PT", "pt_XX"), ("es-419", "es_XX"),
     ("es-MX", "es_XX"), ("en-GB", "en_XX"), ("en-US-x-legal", "en_XX"), ("de-CH-1996", "de_DE"),
     ("ar-EG", "ar_AR"), ("ar-MA", "ar_AR"), ("fa-AF", "prs_Arab"), ("fa-IR", "fa_IR"), ("ps-AF", "ps_AF"),
     ("fa-Arab-AF", "prs_Arab"), ("ms-MY", "zsm_Latn"), ("nb-NO", "nob_Latn"), ("no-NO", "nob_Latn"),
     ("nn-NO", "nno_Latn"), ("sw-TZ", "sw_KE"), ("ur-IN", "ur_PK")],
)
def test_bcp47_tags_with_regions(given: str, code: str) -> None:
    assert to_code(given) == code


@pytest.mark.parametrize("dialect", ["acm_Arab", "acq_Arab", "aeb_Arab", "ajp_Arab", "apc_Arab", "ars_Arab",
                                     "ary_Arab", "arz_Arab"])
def test_arabic_dialects_are_languages_of_their_own(dialect: str) -> None:
    assert to_code(dialect) == dialect
    assert iso(dialect) == dialect.split("_")[0]
    assert to_code(iso(dialect)) == dialect
    assert is_rtl(dialect)


@pytest.mark.parametrize(
    "code, two, three",
    [("fr_XX", "fr", "fra"), ("ar_AR", "ar", "arb"), ("fa_IR", "fa", "pes"), ("ast_Latn", "ast", "ast"),
     ("zho_Hant", "zh", "zho"), ("srp_Cyrl", "sr", "srp"), ("srp_Latn", "sr", "srp"), ("ckb_Arab", "ckb", "ckb"),
     ("prs_Arab", "prs", "prs"), ("azb_Arab", "azb", "azb"), ("zsm_Latn", "ms", "zsm"), ("nob_Latn", "nb", "nob"),
     ("kmr_Latn", "ku", "kmr"), ("ydd_Hebr", "yi", "ydd"), ("fuv_Latn", "ff", "fuv"), ("yue_Hant", "yue", "yue"),
     ("kas_Deva", "ks", "kas"), ("bre_Latn", "br", "bre"), ("nso_Latn", "nso", "nso")],
)
def test_iso_gives_639_1_where_there_is_one(code: str, two: str, three: str) -> None:
    assert (iso(code), iso3(code)) == (two, three)


def test_iso_of_an_iso_code_is_that_code() -> None:
    assert [iso(c) for c in ("fr", "en", "zh-TW", "no")] == ["fr", "en", "zh", "nb"]


@pytest.mark.parametrize(
    "code, tag",
    [("fr_XX", "fr"), ("pt_XX", "pt"), ("zh_CN", "zh-Hans"), ("zho_Hant", "zh-Hant"), ("srp_Cyrl", "sr-Cyrl"),
     ("srp_Latn", "sr-Latn"), ("kas_Arab", "ks-Arab"), ("ckb_Arab", "ckb"), ("prs_Arab", "prs"),
     ("yue_Hant", "yue"), ("nob_Latn", "nb"), ("ast_Latn", "ast")],
)
def test_bcp47_tags(code: str, tag: str) -> None:
    assert bcp47(code) == tag


def test_bcp47_tags_read_back() -> None:
    for code in LANGUAGES:
        assert to_code(bcp47(code)) == code, code


@pytest.mark.parametrize(
    "code, written",
    [("ar_AR", "Arab"), ("zh_CN", "Hans"), ("zho_Hant", "Hant"), ("srp_Cyrl", "Cyrl"), ("srp_Latn", "Latn"),
     ("sat_Beng", "Olck"), ("kor_Hang", "Hang"), ("he_IL", "Hebr")],
)
def test_scripts(code: str, written: str) -> None:
    assert script(to_code(code)) == written


def test_right_to_left_by_script() -> None:
    assert is_rtl("kas_Arab") and not is_rtl("kas_Deva")
    assert is_rtl("ydd_Hebr") and is_rtl("ar") and not is_rtl("fr_XX") and not is_rtl("ace_Latn")
    assert {"ar", "he", "fa", "ur", "ps", "yi", "ug", "ckb", "sd", "ks", "prs", "azb", "arz"} <= RTL
    assert RTL == {iso(c) for c in LANGUAGES if is_rtl(to_code(iso(c)))}
    assert not RTL & {"fr", "en", "ace", "bjn", "kr", "sat"}


def test_unspaced_scripts() -> None:
    assert {"zh", "ja", "th", "my", "km", "lo", "bo", "dz", "yue"} <= UNSPACED
    assert not UNSPACED & {"ko", "vi", "en", "hi"}


def test_names() -> None:
    assert name("zh_CN") == "Chinese (Simplified)" and name("zh-TW") == "Chinese (Traditional)"
    assert name("fr") == "French" and LANGUAGES["srp_Latn"] == "Serbian (Latin script)"


def test_targets_deduplicate_in_order() -> None:
    assert parse_targets("fr,de,fr_XX") == ["fr_XX", "de_DE"]
    assert parse_targets(["zh,zh-Hans", "zh-TW", "zho_Hant", "fra_Latn"]) == ["zh_CN", "zho_Hant", "fr_XX"]
    with pytest.raises(UnsupportedLanguage, match="no target language"):
        parse_targets(" , ")


def test_languages_command_lists_every_code(cli) -> None:
    code, out, _ = cli("languages")
    assert code == 0
    assert {line.split()[1] for line in out.splitlines()} == set(MBART50)


def test_unsupported_target_is_a_usage_error_before_any_work(cli, tmp_path) -> None:
    src = tmp_path / "a.txt"
    src.write_text("Hello.")
    code, _, err = cli("translate", src, "--to", "fr,xx", "--out", tmp_path / "out", "--engine", "identity")
    assert code == 2
    assert "unsupported language 'xx'" in err
    assert not (tmp_path / "out").exists()
