"""The store: one SQLAlchemy engine per database URL, schema migrations and sessions.

SQLite (the default, a file in the user data dir, WAL journal) and PostgreSQL
(``postgresql+psycopg://``) run through the same code. The URL comes from ``FXD_DATABASE_URL``
or the config file (``[storage] url``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from forex_diffusion.core.config import StorageConfig
from forex_diffusion.core.errors import ConfigError, StorageError

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

__all__ = ["SCHEMA_HEAD", "Store", "default_database_url"]

log = logging.getLogger(__name__)

SCHEMA_HEAD = "0003"
"""The newest migration revision. Kept here so that opening a store needs no Alembic import
(a test checks it against the migration scripts); bump it with every new migration."""


def default_database_url() -> str:
    """``sqlite:///`` file ``fxd.sqlite`` in the user data directory."""
    path = Path(platformdirs.user_data_dir("forex_diffusion")) / "fxd.sqlite"
    return f"sqlite:///{path}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # with WAL, NORMAL syncs at checkpoints, not at every commit: a commit survives the process
    # being killed (kill -9), only a power loss or OS crash may undo the last ones (whole)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class Store:
    """A database holding candles, signals, orders, runs and models.

    Parameters
    ----------
    url
        SQLAlchemy URL; ``None`` means :func:`default_database_url`.
    echo
        Log every SQL statement.

    Examples
    --------
    >>> store = Store("sqlite://")          # in memory
    >>> store.upgrade()
    >>> store.revision() == store.head()
    True
    """

    def __init__(self, url: str | None = None, *, echo: bool = False) -> None:
        raw = url or default_database_url()
        try:
            parsed = make_url(raw)
        except ArgumentError:
            raise ConfigError(f"invalid database URL {raw!r}") from None
        self.url = parsed
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if self.is_sqlite:
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            else:  # one shared connection, or every session would see a new empty database
                from sqlalchemy.pool import StaticPool

                kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
        else:
            kwargs["pool_pre_ping"] = True
        try:
            self.engine: Engine = create_engine(parsed, **kwargs)
        except (ArgumentError, ImportError) as exc:
            raise ConfigError(f"cannot use database URL {self.display_url}: {exc}") from None
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def from_config(cls, config: StorageConfig) -> Store:
        """A store for ``config.url`` (default SQLite file when empty)."""
        return cls(config.url, echo=config.echo)

    @property
    def display_url(self) -> str:
        """The URL with any password hidden, for messages and logs."""
        return self.url.render_as_string(hide_password=True)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error."""
        with self._connect_errors(), self._sessions.begin() as session:
            yield session

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A Core connection in one transaction (bulk writes without the ORM's bookkeeping):
        committed on success, rolled back on any error."""
        with self._connect_errors(), self.engine.begin() as conn:
            yield conn

    @contextmanager
    def _connect_errors(self) -> Iterator[None]:
        try:
            yield
        except OperationalError as exc:
            first = str(exc.orig or exc).strip().splitlines()[0]
            raise StorageError(f"database {self.display_url}: {first}") from exc

    # --- schema -----------------------------------------------------------------------------

    def _alembic_config(self) -> AlembicConfig:
        from alembic.config import Config as AlembicConfig  # heavy: only to migrate

        cfg = AlembicConfig()
        location = resources.files("forex_diffusion.storage").joinpath("migrations")
        cfg.set_main_option("script_location", str(location))
        cfg.attributes["engine"] = self.engine
        return cfg

    def head(self) -> str:
        """The newest migration revision the code knows."""
        return SCHEMA_HEAD

    def script_heads(self) -> list[str]:
        """The heads of the migration scripts, read by Alembic (tests check there is one)."""
        from alembic.script import ScriptDirectory

        return list(ScriptDirectory.from_config(self._alembic_config()).get_heads())

    def revision(self) -> str | None:
        """The database's current migration revision (``None`` for an empty database)."""
        with self._connect_errors(), self.engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()

    def upgrade(self, revision: str = "head") -> None:
        """Migrate the schema up to ``revision``."""
        from alembic import command

        with self._connect_errors():
            command.upgrade(self._alembic_config(), revision)

    def ensure_schema(self) -> None:
        """Create the schema in an empty database; refuse an out-of-date one.

        Raises
        ------
        StorageError
            If the database holds tables of another revision (run ``fxd db upgrade``).
        """
        current = self.revision()
        head = self.head()
        if current == head:
            return
        if current is None:
            with self._connect_errors(), self.engine.connect() as conn:
                tables = inspect(conn).get_table_names()
            if tables:
                raise StorageError(
                    f"database {self.display_url} has tables but no migration revision; "
                    "point FXD_DATABASE_URL at an empty database or a forex_diffusion store"
                )
            log.info("creating schema in %s", self.display_url)
            self.upgrade()
            return
        raise StorageError(
            f"database {self.display_url} is at revision {current}, the code expects {head}: "
            "run `fxd db upgrade`"
        )

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"Store({self.display_url!r})"
