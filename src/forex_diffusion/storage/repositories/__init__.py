"""Repositories: conversion between frames/events and ORM rows, one per aggregate."""

from forex_diffusion.storage.repositories.candles import (
    CandleRepository,
    SeriesSummary,
    UpsertResult,
)
from forex_diffusion.storage.repositories.models import TrainedModelRepository
from forex_diffusion.storage.repositories.patterns import PatternEventRepository

__all__ = [
    "CandleRepository",
    "PatternEventRepository",
    "SeriesSummary",
    "TrainedModelRepository",
    "UpsertResult",
]
