"""Repositories: conversion between frames/events and ORM rows, one per aggregate."""

from forex_diffusion.storage.repositories.candles import (
    CandleRepository,
    SeriesSummary,
    UpsertResult,
)

__all__ = ["CandleRepository", "SeriesSummary", "UpsertResult"]
