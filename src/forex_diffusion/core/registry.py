"""One generic registry: a ``register`` decorator and lookups that suggest close names."""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable, Iterable, Iterator
from typing import Generic, TypeVar

from forex_diffusion.core.errors import ConfigError

__all__ = ["Registry", "did_you_mean"]

T = TypeVar("T")


def did_you_mean(key: str, known: Iterable[str], *, n: int = 3) -> str:
    """``"did you mean 'x'?"`` with the (at most ``n``) names in ``known`` closest to ``key``,
    or ``""`` when none is close: the hint of every unknown-name message."""
    close = difflib.get_close_matches(key, list(known), n=n, cutoff=0.5)
    return f"did you mean {', '.join(repr(c) for c in close)}?" if close else ""


class Registry(Generic[T]):
    """A named collection of objects of one kind (detectors, strategies, indicators...).

    Parameters
    ----------
    kind
        What the registry holds, used in error messages ("indicator", "strategy").
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}
        self._lazy: dict[str, str] = {}

    def add(self, key: str, item: T, *, replace: bool = False) -> T:
        """Register ``item`` under ``key``; a duplicate key is an error unless ``replace``
        (or the key was only promised by :meth:`add_lazy`)."""
        if not key or key != key.strip():
            raise ConfigError(f"invalid {self.kind} key {key!r}")
        if key in self._items and not replace:
            raise ConfigError(f"{self.kind} {key!r} is already registered")
        self._items[key] = item
        self._lazy.pop(key, None)
        return item

    def add_lazy(self, key: str, module: str) -> None:
        """Promise ``key``, registered by importing ``module`` when it is first asked for (a
        module whose imports are costly: the fused strategy's forecasters and detectors)."""
        if key in self._items or key in self._lazy:
            raise ConfigError(f"{self.kind} {key!r} is already registered")
        self._lazy[key] = module

    def _load(self, key: str) -> None:
        module = self._lazy.get(key)
        if module is not None:
            importlib.import_module(module)
            if key not in self._items:
                raise ConfigError(f"importing {module} did not register {self.kind} {key!r}")

    def register(self, key: str, *, replace: bool = False) -> Callable[[T], T]:
        """Decorator form of :meth:`add`."""

        def decorator(item: T) -> T:
            return self.add(key, item, replace=replace)

        return decorator

    def get(self, key: str) -> T:
        """Return the item for ``key``; an unknown key raises ``ConfigError`` with suggestions."""
        self._load(key)
        try:
            return self._items[key]
        except KeyError:
            raise ConfigError(self.unknown_message(key)) from None

    def unknown_message(self, key: str) -> str:
        """The one-line message for an unknown ``key``, with the closest known keys."""
        hint = did_you_mean(key, self.keys())
        hint = f"; {hint}" if hint else ""
        return f"unknown {self.kind} {key!r}{hint} (known: {len(self)})"

    def keys(self) -> list[str]:
        """All keys in sorted order (the lazy ones included, not imported)."""
        return sorted([*self._items, *self._lazy])

    def items(self) -> list[tuple[str, T]]:
        """All ``(key, item)`` pairs in key order (imports the lazy ones)."""
        return [(k, self.get(k)) for k in self.keys()]

    def __contains__(self, key: object) -> bool:
        return key in self._items or key in self._lazy

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self._items) + len(self._lazy)
