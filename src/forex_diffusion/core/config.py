"""Root configuration: typed, frozen pydantic models from a TOML file plus ``FXD_`` overrides.

Sources, later ones winning:

1. the defaults below;
2. a TOML file (``--config``, else ``$FXD_CONFIG``, else ``fxd.toml`` in the user config dir);
3. environment variables ``FXD_<SECTION>__<KEY>`` (for example ``FXD_STORAGE__ECHO=true``),
   and ``FXD_DATABASE_URL`` as the short form of ``FXD_STORAGE__URL``.

Unknown keys are rejected with the key named. The same root config drives backtests and paper
trading; :func:`config_hash` is stored with every run's results.
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, Field, ValidationError

from forex_diffusion.core.base_config import FrozenModel
from forex_diffusion.core.errors import ConfigError
from forex_diffusion.core.trading_config import TradingConfig

__all__ = [
    "DECISION_VARIANTS_TRIED",
    "ENV_PREFIX",
    "GATE_THRESHOLD",
    "MIN_EDGE_R",
    "MIN_EDGE_R_TRIED",
    "FrozenModel",
    "RootConfig",
    "SignalsConfig",
    "StorageConfig",
    "TradingConfig",
    "config_hash",
    "default_config_path",
    "load_config",
]

ENV_PREFIX = "FXD_"
_ENV_ALIASES = {"FXD_DATABASE_URL": ("storage", "url")}
_ENV_IGNORED = {"FXD_CONFIG"}


class StorageConfig(FrozenModel):
    """Where results live.

    ``url`` is an SQLAlchemy URL (``sqlite:///path.sqlite`` or
    ``postgresql+psycopg://user@host:5432/db``); empty means the default SQLite file in the
    user data dir.
    """

    url: str | None = None
    echo: bool = Field(default=False, description="log every SQL statement")


GATE_THRESHOLD = 0.65
"""The quality gate's default threshold: the composite a signal needs to pass."""

MIN_EDGE_R = 0.2
"""The default ``[signals] min_edge_r`` (chosen on validation folds: docs/decision.md)."""

MIN_EDGE_R_TRIED = 4
"""``min_edge_r`` values the study behind :data:`MIN_EDGE_R` tried (docs/decision.md): they
count among the configurations a comparison's deflated Sharpe ratio deflates for."""

DECISION_VARIANTS_TRIED = 2
"""Versions of the edge decision studied on the demo's folds (docs/decision.md): without and
with the out-of-fold check of the meta-model's selections; they count among the
configurations a comparison's deflated Sharpe ratio deflates for."""


class SignalsConfig(FrozenModel):
    """The fusion of sources into signals and the quality gate (``[signals]``): the one
    configuration of the gate, read by every consumer (signal studies, backtests, walk-forward,
    sweeps, paper runs, the API and the demo) through ``UnifiedSignalFusion.from_config``."""

    threshold: float = Field(
        default=GATE_THRESHOLD, ge=0.0, le=1.0, description="composite to pass"
    )
    weights: dict[str, float] = Field(
        default_factory=dict, description="overrides of the six dimension weights"
    )
    regime_weights: dict[str, dict[str, float]] = Field(
        default_factory=dict, description="weight overrides per regime"
    )
    regime_thresholds: dict[str, float] = Field(
        default_factory=dict, description="threshold per regime (trending_up, ranging, ...)"
    )
    max_per_regime: int = Field(default=3, ge=1, description="signals selected per regime and bar")
    agreement_weight: float = Field(
        default=0.5, ge=0.0, le=1.0, description="weight of agreeing/opposing sources"
    )
    forecast_horizon: int | None = Field(
        default=None, ge=1, description="horizon a forecast signals on (default: its longest)"
    )
    spread_pips: float = Field(default=1.0, ge=0.0, description="spread a signal must clear")
    fit_fraction: float = Field(
        default=0.5, gt=0.0, lt=1.0, description="share of bars a signal study fits on"
    )
    sentiment_file: str | None = Field(default=None, description="retail sentiment CSV feed")
    decision: Literal["edge", "gate", "all"] = Field(
        default="edge",
        description="what the fused strategy trades: edge (candidates past the gate whose "
        "expected R after costs, from the forecast paths and the meta-model, exceeds "
        "min_edge_r), gate (the gate alone), all (every candidate)",
    )
    min_edge_r: float = Field(
        default=MIN_EDGE_R,
        description="expected result in R after costs a candidate must exceed to be traded "
        "(decision = edge)",
    )
    meta_model: Literal["logistic", "hist_gbm", "none"] = Field(
        default="logistic",
        description="calibrated model of P(target first) fitted on the fit bars' candidates "
        "(none: the forecast paths' probability alone)",
    )
    no_edge_bars: int = Field(
        default=120,
        ge=1,
        description="a stretch of this many bars with no candidate clearing the edge is reported",
    )
    use_optimized_parameters: bool = Field(
        default=True,
        description="trade the newest deployed, validated adaptation of the gate threshold, "
        "stop and target multiples and size (fxd params) made from earlier bars",
    )


class ApiConfig(FrozenModel):
    """The HTTP service (``[api]``; ``fxd serve``)."""

    host: str = Field(default="127.0.0.1", description="bind address (loopback by default)")
    port: int = Field(default=8000, ge=1, le=65535)
    token: str | None = Field(
        default=None,
        repr=False,
        description="bearer token the mutating endpoints require (set it in FXD_API__TOKEN)",
    )


class RootConfig(FrozenModel):
    """The root config shared by every component."""

    storage: StorageConfig = StorageConfig()
    api: ApiConfig = ApiConfig()
    signals: SignalsConfig = SignalsConfig()
    trading: TradingConfig = TradingConfig()


def default_config_path() -> Path:
    """``$FXD_CONFIG`` if set, else ``fxd.toml`` in the user config directory."""
    env = os.environ.get("FXD_CONFIG")
    if env:
        return Path(env)
    return Path(platformdirs.user_config_dir("forex_diffusion")) / "fxd.toml"


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror}") from None


def _env_value(raw: str) -> Any:
    text = raw.strip()
    if text[:1] in "[{":
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return raw
    return raw


def _env_overrides(env: Mapping[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name in sorted(env):
        if not name.startswith(ENV_PREFIX) or name in _ENV_IGNORED:
            continue
        if name in _ENV_ALIASES:
            path: tuple[str, ...] = _ENV_ALIASES[name]
        elif "__" in name:
            path = tuple(part.lower() for part in name[len(ENV_PREFIX) :].split("__"))
        else:
            continue  # FXD_ variables without a section are not config (FXD_TEST_..., ...)
        node = data
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = _env_value(env[name])
    return data


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _env_name(path: tuple[str, ...], env: Mapping[str, str]) -> str:
    for name, alias in _ENV_ALIASES.items():
        if alias == path and name in env:
            return name
    return ENV_PREFIX + "__".join(p.upper() for p in path)


def _describe(
    exc: ValidationError, *, file: str, overrides: dict[str, Any], env: Mapping[str, str]
) -> str:
    err = exc.errors()[0]
    path = tuple(str(p) for p in err["loc"])
    node: Any = overrides
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    source = f"environment variable {_env_name(path, env)}" if node is not None else file
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{source}: key '{'.'.join(path) or '<root>'}': {err['msg']}{more}"


def load_config(
    path: str | Path | None = None, *, env: Mapping[str, str] | None = None
) -> RootConfig:
    """Load the root config.

    Parameters
    ----------
    path
        A TOML file; when ``None``, :func:`default_config_path` is read if it exists.
    env
        Environment to read ``FXD_`` overrides from (default ``os.environ``).

    Raises
    ------
    ConfigError
        On unreadable TOML, an unknown key or an invalid value, naming the key.
    """
    environ = os.environ if env is None else env
    data: dict[str, Any] = {}
    source = "defaults"
    if path is not None:
        file = Path(path)
        if not file.is_file():
            raise ConfigError(f"{file}: config file not found")
        data, source = _read_toml(file), str(file)
    else:
        default = default_config_path()
        if default.is_file():
            data, source = _read_toml(default), str(default)
    overrides = _env_overrides(environ)
    try:
        return RootConfig.model_validate(_merge(data, overrides))
    except ValidationError as exc:
        raise ConfigError(_describe(exc, file=source, overrides=overrides, env=environ)) from None


def config_hash(config: BaseModel | Mapping[str, BaseModel]) -> str:
    """A stable SHA-256 of a config's values (or of several, by section name: a run hashes
    ``{"trading": ..., "signals": ...}``), stored with every run's results."""
    values = (
        config.model_dump(mode="json")
        if isinstance(config, BaseModel)
        else {k: v.model_dump(mode="json") for k, v in config.items()}
    )
    payload = json.dumps(values, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()
