"""Shared fixtures: the fixture files, a private PostgreSQL server, and stores on both backends.

PostgreSQL tests use ``FXD_TEST_POSTGRES_URL`` (``.ci/run`` starts a server and sets it). Without
it, a private server is started here from the local PostgreSQL binaries and stopped afterwards.
Where neither is possible the tests skip with the reason, except under CI, where they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from forex_diffusion.storage import Store

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PG_SCRIPT = ROOT / "scripts" / "pg-test-server"

# what the code writes to the user data directory (models, the demo) goes to a private one
os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="fxd-test-data-")


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL tests must run in CI: {reason}")
    pytest.skip(f"PostgreSQL not available: {reason}")


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """The folder of small candle files, one per format."""
    return FIXTURES


@contextmanager
def private_postgres(prefix: str = "fxd-test-pg.") -> Iterator[tuple[str, str]]:
    """A private PostgreSQL server on 127.0.0.1 (``scripts/pg-test-server``): its URL and its
    folder (``folder/data`` for ``pg_ctl``), stopped and removed afterwards. Skips, or fails in
    CI, when no server can be started."""
    if not any(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        _unavailable("set FXD_TEST_POSTGRES_URL or install the PostgreSQL server binaries")
    folder = tempfile.mkdtemp(prefix=prefix)
    started = subprocess.run(
        [str(PG_SCRIPT), "start", folder], capture_output=True, text=True, check=False
    )
    if started.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        _unavailable(f"could not start a private server: {started.stderr.strip()[-300:]}")
    try:
        yield started.stdout.strip().split("=", 1)[1], folder
    finally:
        subprocess.run([str(PG_SCRIPT), "stop", folder], capture_output=True, check=False)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of a real PostgreSQL server (the one CI started, or a private one)."""
    url = os.environ.get("FXD_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    with private_postgres() as (private, _folder):
        yield private


@pytest.fixture
def postgres_db(postgres_url: str) -> Iterator[str]:
    """A fresh, empty database on the PostgreSQL server, dropped afterwards."""
    name = f"fxd_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = postgres_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database URL on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite'}"
    return str(request.getfixturevalue("postgres_db"))


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """A migrated store on each backend."""
    s = Store(database_url)
    s.ensure_schema()
    try:
        yield s
    finally:
        s.dispose()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The environment of an ``fxd`` subprocess: its own SQLite store, no config file."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("FXD_")}
    base.update(
        FXD_DATABASE_URL=f"sqlite:///{tmp_path / 'cli.sqlite'}",
        FXD_CONFIG=str(tmp_path / "no-config.toml"),
        COLUMNS="200",
    )
    return base
