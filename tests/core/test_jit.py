from __future__ import annotations

import logging

import numpy as np
import pytest
from numba.core import caching

from forex_diffusion.core.jit import jit


def _total(x: np.ndarray) -> float:
    s = 0.0
    for v in x:
        s += v
    return s


def test_jit_compiles_and_caches() -> None:
    total = jit(_total)
    assert total(np.arange(5.0)) == 10.0
    assert total._cache.__class__.__name__ == "FunctionCache"  # type: ignore[attr-defined]


def test_without_a_writable_cache_it_compiles_uncached_and_warns(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(caching.CacheImpl, "_locator_classes", [])  # nowhere to write
    with pytest.raises(RuntimeError, match="cannot cache"):  # what numba alone does
        caching.FunctionCache(_total)
    with caplog.at_level(logging.WARNING, logger="forex_diffusion.core.jit"):
        total = jit(_total)
    assert total(np.arange(4.0)) == 6.0
    assert "NUMBA_CACHE_DIR" in caplog.text and "_total" in caplog.text
