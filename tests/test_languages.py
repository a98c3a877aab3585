from __future__ import annotations

import pytest

from babelflow.languages import MBART50, UnsupportedLanguage, parse_targets, to_mbart


@pytest.mark.parametrize(
    "given, code",
    [("fr", "fr_XX"), ("FR", "fr_XX"), ("fr_XX", "fr_XX"), ("fr-CA", "fr_XX"), ("zh", "zh_CN"),
     ("zh-Hans", "zh_CN"), ("pt_BR", "pt_XX"), ("he", "he_IL"), ("iw", "he_IL"), ("ja", "ja_XX"),
     ("de_de", "de_DE"), ("hi", "hi_IN"), ("ar", "ar_AR")],
)
def test_iso_and_model_codes_map_to_the_model_code(given: str, code: str) -> None:
    assert to_mbart(given) == code


@pytest.mark.parametrize("bad", ["xx", "klingon", "", "e", "eo"])
def test_unsupported_language_is_a_clear_error(bad: str) -> None:
    with pytest.raises(UnsupportedLanguage, match="babelflow languages"):
        to_mbart(bad)


def test_targets_deduplicate_in_order() -> None:
    assert parse_targets("fr,de,fr_XX") == ["fr_XX", "de_DE"]
    assert len(MBART50) == 52


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
