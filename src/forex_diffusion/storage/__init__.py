"""Storage layer: SQLAlchemy 2.0 ORM, Alembic migrations (one head) and repositories."""

from forex_diffusion.storage.database import Store, default_database_url
from forex_diffusion.storage.repositories import (
    CandleRepository,
    FusedSignalRepository,
    PatternEventRepository,
    RunRepository,
    SeriesSummary,
    TradingRepository,
    TrainedModelRepository,
    UpsertResult,
)

__all__ = [
    "CandleRepository",
    "FusedSignalRepository",
    "PatternEventRepository",
    "RunRepository",
    "SeriesSummary",
    "Store",
    "TradingRepository",
    "TrainedModelRepository",
    "UpsertResult",
    "default_database_url",
]
