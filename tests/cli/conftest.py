"""Shared fixtures of the CLI tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


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
