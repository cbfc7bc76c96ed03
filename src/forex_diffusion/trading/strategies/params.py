"""A strategy's parameters as the faces show them, and their checking with one-line messages.

Every face (``--param``, a sweep grid, ``[trading] strategy_params``, the API's ``POST /paper``)
validates through :func:`validate_params`, so an unknown name, a value of the wrong type and a
value out of range read the same everywhere: the parameter, what was given, what is expected.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from forex_diffusion.core.errors import ConfigError
from forex_diffusion.core.registry import did_you_mean

__all__ = ["ParamInfo", "describe_params", "validate_params"]

M = TypeVar("M", bound=BaseModel)

_KIND_ERRORS = (
    "int_from_float",
    "literal_error",
    "enum",
    "greater_than",
    "greater_than_equal",
    "less_than",
    "less_than_equal",
)
"""Pydantic error types (besides ``*_parsing`` and ``*_type``) that a value's type and bounds
explain: a wrong kind of value or one out of range."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ParamInfo:
    """One parameter of a strategy.

    Attributes
    ----------
    name
        The key of ``--param name=value`` and of ``strategy_params``.
    type
        The values one can give: ``int``, ``float``, ``bool``, ``str`` or the choices
        (``bootstrap | diffusion | none``).
    default
        The value when not given (``None``: the parameter is unset, e.g. no fixed size).
    bounds
        The range the value must lie in (``>= 1``, ``> 0, < 50``), ``""`` when unbounded.
    description
        What the parameter does.
    """

    name: str
    type: str
    default: Any
    bounds: str
    description: str


def _type_name(annotation: Any) -> str:
    """The values of a field one can give (``None`` left out: it means "not given")."""
    origin = get_origin(annotation)
    if origin is Literal:
        return " | ".join(str(a) for a in get_args(annotation))
    if origin in (Union, types.UnionType):
        kinds = [a for a in get_args(annotation) if a is not type(None)]
        return " | ".join(_type_name(a) for a in kinds)
    return str(getattr(annotation, "__name__", annotation))


_BOUNDS = (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<="))
"""The bound constraints of a field (pydantic keeps each as metadata with one attribute)."""


def _bounds(metadata: list[Any]) -> str:
    parts = [
        f"{sign} {getattr(item, attr)}"
        for attr, sign in _BOUNDS
        for item in metadata
        if getattr(item, attr, None) is not None
    ]
    return ", ".join(parts)


def describe_params(model: type[BaseModel]) -> list[ParamInfo]:
    """The parameters of a ``Params`` class in declaration order."""
    return [
        ParamInfo(
            name=name,
            type=_type_name(field.annotation),
            default=field.get_default(call_default_factory=True),
            bounds=_bounds(field.metadata),
            description=field.description or "",
        )
        for name, field in model.model_fields.items()
    ]


def _expected(model: type[BaseModel], key: str) -> str:
    """What a value of ``key`` must be: its type and bounds."""
    field = model.model_fields[key]
    kind = _type_name(field.annotation)
    if get_origin(field.annotation) is Literal:
        *first, last = (str(a) for a in get_args(field.annotation))
        kind = f"{', '.join(first)} or {last}" if first else last
    bounds = _bounds(field.metadata)
    return f"{kind} ({bounds})" if bounds else kind


def _message(strategy: str, model: type[BaseModel], errors: list[ErrorDetails]) -> str:
    known = list(model.model_fields)
    unknown = [str(e["loc"][0]) for e in errors if e["type"] == "extra_forbidden" and e["loc"]]
    if unknown:
        hint = did_you_mean(unknown[0], known, n=1)
        return (
            f"strategy {strategy}: unknown parameter {unknown[0]!r}{'; ' + hint if hint else ''}"
            f" (parameters: {', '.join(known) or 'none'}; see `fxd strategies {strategy}`)"
        )
    err = errors[0]
    key = str(err["loc"][0]) if err["loc"] else ""
    kind = err["type"]
    if key in model.model_fields and (kind.endswith(("_parsing", "_type")) or kind in _KIND_ERRORS):
        given = err["input"]
        choices = get_args(model.model_fields[key].annotation) if kind == "literal_error" else ()
        hint = did_you_mean(given, map(str, choices), n=1) if isinstance(given, str) else ""
        return (
            f"strategy {strategy}: parameter {key!r} must be {_expected(model, key)}, "
            f"got {given!r}{'; ' + hint if hint else ''}"
        )
    message = str(err["msg"]).removeprefix("Value error, ")
    where = f"parameter {key!r}" if key else "parameters"
    return f"strategy {strategy}: {where}: {message}"


def validate_params(strategy: str, model: type[M], values: Mapping[str, Any] | None) -> M:
    """``values`` checked against ``model`` (the ``Params`` of ``strategy``).

    Raises
    ------
    ConfigError
        One line: an unknown parameter with the closest name and the valid ones, a value of
        the wrong type or out of range with what the parameter takes, or the broken rule
        between parameters.
    """
    try:
        return model.model_validate(dict(values or {}))
    except ValidationError as exc:
        raise ConfigError(_message(strategy, model, exc.errors())) from None
