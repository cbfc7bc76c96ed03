"""Declarative base with deterministic constraint names (so migrations match on every dialect)."""

from __future__ import annotations

import time
from typing import Annotated, Any

import pandas as pd
from sqlalchemy import JSON, BigInteger, Double, Integer, MetaData
from sqlalchemy.orm import DeclarativeBase, mapped_column

__all__ = ["Base", "IdPk", "now_ms", "to_ms"]

IdPk = Annotated[
    int,
    mapped_column(
        # BIGINT on PostgreSQL; SQLite autoincrements only an INTEGER PRIMARY KEY
        BigInteger().with_variant(Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
]
"""A surrogate integer primary key."""

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def to_ms(ts: pd.Timestamp | str) -> int:
    """A timestamp as epoch milliseconds UTC (the storage convention), whatever its unit."""
    return int(pd.Timestamp(ts).as_unit("ns").value // 1_000_000)


def now_ms() -> int:
    """The current wall-clock time in epoch milliseconds (for ``created_at`` columns)."""
    return time.time_ns() // 1_000_000


class Base(DeclarativeBase):
    """Base class of every ORM row. Times are BigInteger epoch milliseconds UTC."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: dict[Any, Any] = {  # noqa: RUF012 - SQLAlchemy reads a class attribute
        int: BigInteger(),
        float: Double(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }
