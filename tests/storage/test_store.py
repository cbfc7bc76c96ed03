from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from forex_diffusion.core import ConfigError, StorageError
from forex_diffusion.core.config import StorageConfig
from forex_diffusion.storage import Store, default_database_url


def test_out_of_date_database_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    store = Store(url)
    store.ensure_schema()
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0000'"))
    with pytest.raises(StorageError, match=r"at revision 0000, the code expects .*fxd db upgrade"):
        store.ensure_schema()
    store.dispose()


def test_foreign_database_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'foreign.sqlite'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE something_else (x INTEGER)"))
    engine.dispose()
    with pytest.raises(StorageError, match="has tables but no migration revision"):
        Store(url).ensure_schema()


def test_unreachable_postgres_is_a_storage_error_with_the_password_hidden() -> None:
    store = Store("postgresql+psycopg://fxd:secret@127.0.0.1:1/nowhere")
    with pytest.raises(StorageError) as info:
        store.revision()
    assert "secret" not in str(info.value)
    assert str(info.value).startswith("database postgresql+psycopg://fxd:***@127.0.0.1:1/nowhere")


def test_bad_urls_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="invalid database URL"):
        Store("not a url")
    with pytest.raises(ConfigError, match="cannot use database URL"):
        Store("nosuchdialect://x")


def test_default_url_and_from_config(tmp_path: Path) -> None:
    assert default_database_url().startswith("sqlite:///")
    assert default_database_url().endswith("fxd.sqlite")
    store = Store.from_config(StorageConfig(url=f"sqlite:///{tmp_path / 'nested' / 'a.sqlite'}"))
    store.ensure_schema()
    assert (tmp_path / "nested" / "a.sqlite").exists()
    assert repr(store).startswith("Store('sqlite:///")
    store.dispose()


def test_in_memory_store_keeps_its_schema() -> None:
    store = Store("sqlite://")
    store.ensure_schema()
    assert store.revision() == store.head()
    store.dispose()
