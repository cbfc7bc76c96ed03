"""One naming scheme for feature columns: lowercase_underscore, ``^[a-z][a-z0-9_]*$``.

``standardize_feature_name`` maps the usual spellings onto it: ``SMA_20``, ``sma20``, ``RSI-14``,
``ATR(14)`` -> ``sma_20``/``rsi_14``/``atr_14``; ``bbUpper`` -> ``bb_upper``; ``MACD Signal`` ->
``macd_signal``. Accents are dropped (``volatilité`` -> ``volatilite``), other non-ASCII letters
become their code point (Greek sigma -> ``u_963``), a leading digit gets an ``f_`` prefix. The
mapping is idempotent, and names the project generates (``rsi_h4_14``, ``bb_upper_20_2p5``) are
left as they are. Two inputs that map to one name (``SMA_20`` and ``sma_20``) are a conflict.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import overload

import pandas as pd

from forex_diffusion.core.errors import ConfigError

__all__ = [
    "FEATURE_NAME_PATTERN",
    "auto_fix_feature_names",
    "get_feature_conflicts",
    "standardize_dataframe_columns",
    "standardize_feature_name",
    "standardize_feature_names",
    "validate_feature_names",
]

FEATURE_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
_CAMEL_1 = re.compile(r"([a-z0-9])([A-Z])")
_CAMEL_2 = re.compile(r"([A-Z]+)([A-Z][a-z])")
_WORD_NUMBER = re.compile(r"^([a-z]{2,})(\d+)$")


def _ascii(text: str) -> str:
    out = []
    for ch in unicodedata.normalize("NFKD", text):
        if ch.isascii():
            out.append(ch)
        elif unicodedata.combining(ch):
            continue  # an accent: drop it, keep the base letter
        elif ch.isalnum():
            out.append(f"_u_{ord(ch)}_")
        else:
            out.append("_")
    return "".join(out)


def standardize_feature_name(name: object) -> str:
    """The standard spelling of one feature name (see the module docstring)."""
    text = _ascii(str(name))
    text = _CAMEL_2.sub(r"\1_\2", _CAMEL_1.sub(r"\1_\2", text)).lower()
    tokens = [t for t in re.split(r"[^a-z0-9]+", text) if t]
    parts: list[str] = []
    for token in tokens:
        match = _WORD_NUMBER.match(token)
        parts.extend(match.groups() if match else (token,))
    result = "_".join(parts) or "feature"
    return f"f_{result}" if result[0].isdigit() else result


def standardize_feature_names(names: Iterable[object]) -> list[str]:
    """:func:`standardize_feature_name` over many names (order kept, conflicts not checked)."""
    return [standardize_feature_name(n) for n in names]


def get_feature_conflicts(names: Iterable[object]) -> dict[str, list[str]]:
    """Standard names reached by more than one input name: ``{"sma_20": ["SMA_20", "sma_20"]}``."""
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(standardize_feature_name(name), []).append(str(name))
    return {std: originals for std, originals in groups.items() if len(originals) > 1}


def validate_feature_names(names: Iterable[object]) -> tuple[bool, list[str]]:
    """``(ok, invalid)``: the names that are not already in standard form."""
    invalid = [
        str(n)
        for n in names
        if not (isinstance(n, str) and FEATURE_NAME_PATTERN.match(n))
        or standardize_feature_name(n) != n
    ]
    return not invalid, invalid


def _conflict_error(conflicts: dict[str, list[str]]) -> ConfigError:
    desc = "; ".join(f"{', '.join(map(repr, v))} -> {k!r}" for k, v in conflicts.items())
    return ConfigError(f"feature name conflict: {desc}")


def standardize_dataframe_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with standard column names; conflicting names are a ``ConfigError``."""
    conflicts = get_feature_conflicts(frame.columns)
    if conflicts:
        raise _conflict_error(conflicts)
    out = frame.copy()
    out.columns = standardize_feature_names(frame.columns)
    return out


@overload
def auto_fix_feature_names(data: pd.DataFrame) -> pd.DataFrame: ...
@overload
def auto_fix_feature_names(data: Sequence[str]) -> list[str]: ...


def auto_fix_feature_names(data: pd.DataFrame | Sequence[str]) -> pd.DataFrame | list[str]:
    """Standardise a frame's columns or a list of names; raises ``ConfigError`` on conflicts."""
    if isinstance(data, pd.DataFrame):
        return standardize_dataframe_columns(data)
    conflicts = get_feature_conflicts(data)
    if conflicts:
        raise _conflict_error(conflicts)
    return standardize_feature_names(data)
