"""Storage layer: SQLAlchemy 2.0 ORM, Alembic migrations (one head) and repositories."""

from forex_diffusion.storage.database import Store, default_database_url
from forex_diffusion.storage.repositories import (
    LIVE_STATUSES,
    AdaptationRepository,
    CandleRepository,
    FusedSignalRepository,
    PatternEventRepository,
    RunHandle,
    RunRepository,
    SeriesSummary,
    TradingRepository,
    TrainedModelRepository,
    UpsertResult,
    held_elsewhere,
    this_process,
)

__all__ = [
    "LIVE_STATUSES",
    "AdaptationRepository",
    "CandleRepository",
    "FusedSignalRepository",
    "PatternEventRepository",
    "RunHandle",
    "RunRepository",
    "SeriesSummary",
    "Store",
    "TradingRepository",
    "TrainedModelRepository",
    "UpsertResult",
    "default_database_url",
    "held_elsewhere",
    "this_process",
]
