from __future__ import annotations

from pathlib import Path

import pytest

from forex_diffusion.core import ConfigError
from forex_diffusion.core.config import RootConfig, config_hash, load_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "fxd.toml"
    path.write_text(text)
    return path


def test_defaults_without_file(tmp_path: Path) -> None:
    cfg = load_config(env={"FXD_CONFIG": str(tmp_path / "absent.toml")})
    assert cfg == RootConfig()
    assert cfg.storage.url is None


def test_toml_file_and_env_override(tmp_path: Path) -> None:
    path = write(tmp_path, '[storage]\nurl = "sqlite:///a.sqlite"\necho = false\n')
    assert load_config(path, env={}).storage.url == "sqlite:///a.sqlite"
    cfg = load_config(path, env={"FXD_STORAGE__ECHO": "true", "FXD_DATABASE_URL": "sqlite://"})
    assert cfg.storage.echo is True
    assert cfg.storage.url == "sqlite://"


def test_unrelated_fxd_variables_are_not_config(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, ""), env={"FXD_TEST_POSTGRES_URL": "x", "HOME": "/"})
    assert cfg == RootConfig()


def test_unknown_key_in_file_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, '[storage]\nulr = "sqlite://"\n')
    with pytest.raises(ConfigError, match=r"fxd.toml: key 'storage.ulr': Extra inputs"):
        load_config(path, env={})


def test_unknown_section_and_env_key_are_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"key 'brokr': Extra inputs"):
        load_config(write(tmp_path, "[brokr]\nx = 1\n"), env={})
    with pytest.raises(
        ConfigError,
        match=r"^environment variable FXD_STORAGE__NOPE: key "
        r"'storage.nope': Extra inputs",
    ):
        load_config(write(tmp_path, ""), env={"FXD_STORAGE__NOPE": "1"})


def test_the_source_of_a_bad_value_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, '[storage]\necho = "maybe"\n')
    with pytest.raises(ConfigError, match=r"fxd.toml: key 'storage.echo'"):
        load_config(path, env={"FXD_DATABASE_URL": "sqlite://"})
    with pytest.raises(ConfigError, match=r"^environment variable FXD_STORAGE__ECHO: key"):
        load_config(write(tmp_path, ""), env={"FXD_STORAGE__ECHO": "maybe"})


def test_invalid_value_and_invalid_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"key 'storage.echo': Input should be a valid boolean"):
        load_config(write(tmp_path, '[storage]\necho = "maybe"\n'), env={})
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_config(write(tmp_path, "[storage\n"), env={})
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "missing.toml", env={})


def test_config_is_frozen_and_hash_is_stable(tmp_path: Path) -> None:
    a = load_config(write(tmp_path, '[storage]\nurl = "sqlite://"\n'), env={})
    b = RootConfig.model_validate({"storage": {"url": "sqlite://"}})
    assert config_hash(a) == config_hash(b)
    assert config_hash(a) != config_hash(RootConfig())
    assert len(config_hash(a)) == 64
    with pytest.raises(ValueError, match="frozen"):
        a.storage.url = "x"  # type: ignore[misc]
