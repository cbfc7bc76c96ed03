"""One implementation per indicator, one naming scheme, two interchangeable backends.

Backends: ``talib`` (default; TA-Lib is a hard dependency) and ``numpy`` (NumPy/SciPy only).
Both follow TA-Lib's definitions and warm-up (Wilder smoothing, SMA-seeded EMAs, population
standard deviation) and agree to about 1e-9 (tests check it); warm-up bars are NaN in both.

>>> from forex_diffusion.data import load_sample
>>> frame = calculate_indicators(load_sample(), ["rsi_14", {"macd": {}}, "bb_20_2"])
>>> list(frame.columns)[:4]
['rsi_14', 'macd_12_26_9', 'macd_signal_12_26_9', 'macd_hist_12_26_9']
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd

from forex_diffusion.core.errors import ConfigError
from forex_diffusion.core.registry import Registry
from forex_diffusion.features import numpy_backend, talib_backend

__all__ = [
    "BACKENDS",
    "INDICATORS",
    "IndicatorSpec",
    "Param",
    "ResolvedIndicator",
    "calculate_indicators",
    "get_available_indicators",
    "get_backend_info",
    "lookback",
    "parse_spec",
]

BACKENDS: dict[str, ModuleType] = {"talib": talib_backend, "numpy": numpy_backend}
DEFAULT_BACKEND = "talib"
SpecItem = str | Mapping[str, Mapping[str, Any] | None]


@dataclass(frozen=True, slots=True)
class Param:
    """One indicator parameter: name, default and smallest allowed value."""

    name: str
    default: float
    minimum: float = 2
    integer: bool = True


@dataclass(frozen=True, slots=True)
class IndicatorSpec:
    """What an indicator takes, gives and needs to warm up."""

    key: str
    description: str
    inputs: tuple[str, ...]
    params: tuple[Param, ...]
    outputs: tuple[str, ...]
    function: str
    warmup: Callable[..., int]


INDICATORS: Registry[IndicatorSpec] = Registry("indicator")
ALIASES = {
    "bbands": "bb",
    "bollinger": "bb",
    "stochastic": "stoch",
    "williams": "willr",
    "wr": "willr",
}

_P = Param
for _spec in (
    IndicatorSpec(
        "sma",
        "simple moving average",
        ("close",),
        (_P("period", 20),),
        ("sma",),
        "sma",
        lambda period: period - 1,
    ),
    IndicatorSpec(
        "ema",
        "exponential moving average (SMA seed)",
        ("close",),
        (_P("period", 20),),
        ("ema",),
        "ema_",
        lambda period: period - 1,
    ),
    IndicatorSpec(
        "rsi",
        "relative strength index (Wilder)",
        ("close",),
        (_P("period", 14),),
        ("rsi",),
        "rsi",
        lambda period: period,
    ),
    IndicatorSpec(
        "atr",
        "average true range (Wilder)",
        ("high", "low", "close"),
        (_P("period", 14),),
        ("atr",),
        "atr",
        lambda period: period,
    ),
    IndicatorSpec(
        "macd",
        "moving average convergence divergence",
        ("close",),
        (_P("fast", 12), _P("slow", 26), _P("signal", 9, 1)),
        ("macd", "macd_signal", "macd_hist"),
        "macd",
        lambda fast, slow, signal: max(fast, slow) - 1 + signal - 1,
    ),
    IndicatorSpec(
        "bb",
        "Bollinger bands (SMA, population std)",
        ("close",),
        (_P("period", 20), _P("nbdev", 2, 0, integer=False)),
        ("bb_upper", "bb_middle", "bb_lower"),
        "bb",
        lambda period, nbdev: period - 1,
    ),
    IndicatorSpec(
        "stoch",
        "slow stochastic %K/%D (SMA)",
        ("high", "low", "close"),
        (_P("fastk", 5, 1), _P("slowk", 3, 1), _P("slowd", 3, 1)),
        ("stoch_k", "stoch_d"),
        "stoch",
        lambda fastk, slowk, slowd: fastk - 1 + slowk - 1 + slowd - 1,
    ),
    IndicatorSpec(
        "adx",
        "average directional index with +DI and -DI",
        ("high", "low", "close"),
        (_P("period", 14),),
        ("adx", "plus_di", "minus_di"),
        "adx",
        lambda period: 2 * period - 1,
    ),
    IndicatorSpec(
        "donchian",
        "Donchian channel (highest high, lowest low)",
        ("high", "low"),
        (_P("period", 20),),
        ("donchian_upper", "donchian_middle", "donchian_lower"),
        "donchian",
        lambda period: period - 1,
    ),
    IndicatorSpec(
        "keltner",
        "Keltner channel (EMA +- mult x ATR)",
        ("high", "low", "close"),
        (_P("period", 20), _P("atr_period", 10), _P("mult", 2, 0, integer=False)),
        ("keltner_upper", "keltner_middle", "keltner_lower"),
        "keltner",
        lambda period, atr_period, mult: max(period - 1, atr_period),
    ),
    IndicatorSpec(
        "willr",
        "Williams %R",
        ("high", "low", "close"),
        (_P("period", 14),),
        ("willr",),
        "willr",
        lambda period: period - 1,
    ),
    IndicatorSpec(
        "cci",
        "commodity channel index",
        ("high", "low", "close"),
        (_P("period", 14),),
        ("cci",),
        "cci",
        lambda period: period - 1,
    ),
    IndicatorSpec(
        "roc",
        "rate of change, percent",
        ("close",),
        (_P("period", 10, 1),),
        ("roc",),
        "roc",
        lambda period: period,
    ),
    IndicatorSpec(
        "hurst",
        "rolling Hurst exponent of log prices",
        ("close",),
        (_P("window", 100, 16),),
        ("hurst",),
        "hurst",
        lambda window: window - 1,
    ),
):
    INDICATORS.add(_spec.key, _spec)
_OUTPUT_KEYS = {
    out: spec.key for spec in (INDICATORS.get(k) for k in INDICATORS) for out in spec.outputs
}


@dataclass(frozen=True, slots=True)
class ResolvedIndicator:
    """An indicator with its parameters fixed, and the names of its output columns."""

    spec: IndicatorSpec
    params: dict[str, float]

    @property
    def suffix(self) -> str:
        return "_".join(_format_value(v) for v in self.params.values())

    @property
    def columns(self) -> list[str]:
        """Output column names, e.g. ``macd_12_26_9``, ``macd_signal_12_26_9``."""
        return [f"{out}_{self.suffix}" for out in self.spec.outputs]

    @property
    def lookback(self) -> int:
        """Bars before the first row where every output has a value."""
        return int(self.spec.warmup(**self.params))


def _format_value(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return f"{value:g}".replace(".", "p").replace("-", "m")


def _parse_number(token: str, where: str) -> float:
    try:
        return float(token.replace("p", "."))
    except ValueError:
        raise ConfigError(f"{where}: parameter {token!r} is not a number") from None


def _spec_for(name: str) -> IndicatorSpec:
    key = ALIASES.get(name, name)
    if key not in INDICATORS:
        close = difflib.get_close_matches(key, INDICATORS.keys() + list(ALIASES), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise ConfigError(
            f"unknown indicator {name!r}{hint} (available: {', '.join(INDICATORS.keys())})"
        )
    return INDICATORS.get(key)


def _split_name(item: str) -> tuple[IndicatorSpec, list[str]]:
    """``"macd_signal_12_26_9"`` -> (macd, ["12", "26", "9"]): the longest known head wins
    (indicator keys, aliases and output names all work)."""
    tokens = item.strip().lower().split("_")
    for cut in range(len(tokens), 0, -1):
        head = "_".join(tokens[:cut])
        key = ALIASES.get(head) or _OUTPUT_KEYS.get(head) or (head if head in INDICATORS else None)
        if key is not None:
            return INDICATORS.get(key), tokens[cut:]
    return _spec_for(tokens[0]), tokens[1:]


def _resolve(spec: IndicatorSpec, given: Mapping[str, Any], where: str) -> ResolvedIndicator:
    names = [p.name for p in spec.params]
    for key in given:
        if key not in names:
            close = difflib.get_close_matches(key, names, n=1, cutoff=0.4)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(
                f"{where}: unknown parameter {key!r} for {spec.key}{hint} "
                f"(parameters: {', '.join(names)})"
            )
    params: dict[str, float] = {}
    for p in spec.params:
        raw = given.get(p.name, p.default)
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: {spec.key} {p.name}={raw!r} is not a number") from None
        if p.integer and not value.is_integer():
            raise ConfigError(f"{where}: {spec.key} {p.name} must be a whole number, got {value:g}")
        if value < p.minimum:
            raise ConfigError(
                f"{where}: {spec.key} {p.name} must be >= {p.minimum:g}, got {value:g}"
            )
        params[p.name] = int(value) if p.integer else value
    return ResolvedIndicator(spec=spec, params=params)


def parse_spec(spec: SpecItem | Sequence[SpecItem]) -> list[ResolvedIndicator]:
    """Resolve a spec: ``"rsi"``, ``"rsi_14"``, ``"macd_12_26_9"``, ``{"bb": {"period": 30}}``,
    or a list of those (a comma-separated string works too)."""
    items: list[SpecItem]
    if isinstance(spec, str):
        items = [s.strip() for s in spec.split(",") if s.strip()]
    elif isinstance(spec, Mapping):
        items = [spec]
    else:
        items = list(spec)
    resolved: list[ResolvedIndicator] = []
    for item in items:
        if isinstance(item, str):
            ind, tokens = _split_name(item)
            if len(tokens) > len(ind.params):
                raise ConfigError(
                    f"{item!r}: {ind.key} takes at most {len(ind.params)} "
                    f"parameters ({', '.join(p.name for p in ind.params)})"
                )
            where = repr(item)
            values = {
                p.name: _parse_number(t, where) for p, t in zip(ind.params, tokens, strict=False)
            }
            resolved.append(_resolve(ind, values, where))
        elif isinstance(item, Mapping):
            for name, params in item.items():
                resolved.append(_resolve(_spec_for(str(name).lower()), params or {}, repr(name)))
        else:
            raise ConfigError(f"invalid indicator spec item {item!r}: use a name or a mapping")
    return resolved


def lookback(name: str, **params: Any) -> int:
    """Bars an indicator needs before its first value (TA-Lib's lookback), e.g.
    ``lookback("macd") == 33`` and ``lookback("rsi", period=14) == 14``."""
    return _resolve(_spec_for(name.lower()), params, name).lookback


def get_available_indicators() -> dict[str, dict[str, Any]]:
    """Every indicator with its description, inputs, parameters (defaults) and outputs."""
    return {
        key: {
            "description": spec.description,
            "inputs": list(spec.inputs),
            "params": {p.name: p.default for p in spec.params},
            "outputs": list(spec.outputs),
        }
        for key, spec in INDICATORS.items()
    }


def get_backend_info() -> dict[str, Any]:
    """Backends available, the default, and the TA-Lib version in use."""
    import talib

    return {
        "default": DEFAULT_BACKEND,
        "backends": list(BACKENDS),
        "talib_version": getattr(talib, "__version__", "unknown"),
        "talib_ta_lib_version": getattr(talib, "__ta_version__", "unknown"),
        "numpy_version": np.__version__,
    }


def compute(
    indicator: ResolvedIndicator, arrays: Mapping[str, np.ndarray], *, backend: str | None = None
) -> dict[str, np.ndarray]:
    """Compute one resolved indicator on raw arrays; returns ``{column: values}``."""
    name = backend or DEFAULT_BACKEND
    if name not in BACKENDS:
        raise ConfigError(f"unknown indicator backend {name!r} (available: {', '.join(BACKENDS)})")
    func = getattr(BACKENDS[name], indicator.spec.function)
    inputs = [np.ascontiguousarray(arrays[k], dtype=np.float64) for k in indicator.spec.inputs]
    outputs = func(*inputs, *indicator.params.values())
    return dict(zip(indicator.columns, outputs, strict=True))


def calculate_indicators(
    candles: pd.DataFrame,
    spec: SpecItem | Sequence[SpecItem],
    *,
    backend: str | None = None,
    prefix: str = "",
) -> pd.DataFrame:
    """Indicators for a candle frame, aligned to its index, with standard column names.

    Parameters
    ----------
    candles
        A candle frame (columns ``open, high, low, close, volume``).
    spec
        Names (``"rsi"``, ``"rsi_14"``, ``"macd_12_26_9"``), mappings
        (``{"bb": {"period": 20, "nbdev": 2}}``) or a list of them.
    backend
        ``"talib"`` (default) or ``"numpy"``.
    prefix
        Prepended to every column name.

    Raises
    ------
    ConfigError
        For an unknown indicator or parameter, suggesting the closest valid name.
    """
    resolved = parse_spec(spec)
    missing = sorted({k for r in resolved for k in r.spec.inputs} - set(candles.columns))
    if missing:
        raise ConfigError(f"candles lack column(s) {', '.join(missing)} needed by the indicators")
    arrays = {
        k: candles[k].to_numpy(dtype=np.float64)
        for k in ("open", "high", "low", "close")
        if k in candles.columns
    }
    columns: dict[str, np.ndarray] = {}
    for ind in resolved:
        for col, values in compute(ind, arrays, backend=backend).items():
            columns[f"{prefix}{col}"] = values
    return pd.DataFrame(columns, index=candles.index)
