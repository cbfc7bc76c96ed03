from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from forex_diffusion.storage import Store
from forex_diffusion.storage.database import SCHEMA_HEAD
from forex_diffusion.storage.models import Base

TABLES = {
    "candles",
    "pattern_events",
    "forecasts",
    "fused_signals",
    "orders",
    "fills",
    "positions",
    "trades",
    "equity_snapshots",
    "runs",
    "trained_models",
    "parameter_adaptations",
    "candle_corrections",
}


def test_one_head_and_the_code_knows_it() -> None:
    assert Store("sqlite://").script_heads() == [SCHEMA_HEAD]


def test_models_match_the_migrations(database_url: str) -> None:
    store = Store(database_url)
    assert store.revision() is None
    store.upgrade()
    assert store.revision() == store.head()
    with store.engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
        tables = set(inspect(conn).get_table_names())
        adaptation_columns = {c["name"] for c in inspect(conn).get_columns("parameter_adaptations")}
    assert diff == [], f"models and migrations differ: {diff}"
    assert tables >= TABLES
    assert "params_metadata" in adaptation_columns
    store.dispose()


def test_downgrade_to_base_and_back(database_url: str) -> None:
    store = Store(database_url)
    store.upgrade()
    command.downgrade(store._alembic_config(), "base")
    with store.engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) & TABLES == set()
    store.upgrade()
    assert store.revision() == store.head()
    store.dispose()


def test_sqlite_store_uses_wal(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = Store(f"sqlite:///{tmp_path / 'wal.sqlite'}")
    store.ensure_schema()
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    store.dispose()
