"""SQLAlchemy 2.0 typed ORM rows. ``Base.metadata`` is the schema Alembic migrates to."""

from forex_diffusion.storage.models.base import Base, now_ms, to_ms
from forex_diffusion.storage.models.market import (
    CandleCorrectionRow,
    CandleRow,
    ForecastRow,
    FusedSignalRow,
    PatternEventRow,
)
from forex_diffusion.storage.models.runs import ParameterAdaptationRow, RunRow, TrainedModelRow
from forex_diffusion.storage.models.trading import (
    EquitySnapshotRow,
    FillRow,
    OrderRow,
    PositionRow,
    TradeRow,
)

__all__ = [
    "Base",
    "CandleCorrectionRow",
    "CandleRow",
    "EquitySnapshotRow",
    "FillRow",
    "ForecastRow",
    "FusedSignalRow",
    "OrderRow",
    "ParameterAdaptationRow",
    "PatternEventRow",
    "PositionRow",
    "RunRow",
    "TradeRow",
    "TrainedModelRow",
    "now_ms",
    "to_ms",
]
