"""Repositories: conversion between frames/events and ORM rows, one per aggregate."""

from forex_diffusion.storage.repositories.adaptations import AdaptationRepository
from forex_diffusion.storage.repositories.candles import (
    CandleRepository,
    SeriesSummary,
    UpsertResult,
)
from forex_diffusion.storage.repositories.models import TrainedModelRepository
from forex_diffusion.storage.repositories.patterns import PatternEventRepository
from forex_diffusion.storage.repositories.runs import (
    LIVE_STATUSES,
    RunHandle,
    RunRepository,
    held_elsewhere,
    this_process,
)
from forex_diffusion.storage.repositories.signals import FusedSignalRepository
from forex_diffusion.storage.repositories.trading import TradingRepository

__all__ = [
    "LIVE_STATUSES",
    "AdaptationRepository",
    "CandleRepository",
    "FusedSignalRepository",
    "PatternEventRepository",
    "RunHandle",
    "RunRepository",
    "SeriesSummary",
    "TradingRepository",
    "TrainedModelRepository",
    "UpsertResult",
    "held_elsewhere",
    "this_process",
]
