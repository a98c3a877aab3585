from __future__ import annotations

from pathlib import Path

import pytest

from babelflow.config import load_config_file, validate_config

CONFIGS = sorted((Path(__file__).resolve().parents[1] / "configs").glob("*.yaml"))


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_shipped_configs_are_valid(path: Path) -> None:
    config = validate_config(load_config_file(str(path)))
    assert all(Path(s).exists() for s in config.sources if "://" not in s)
