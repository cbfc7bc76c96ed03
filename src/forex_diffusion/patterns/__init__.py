"""Pattern recognition: ``PatternEvent``, the ``PatternRegistry`` and its detectors."""

from forex_diffusion.core.events import PatternEvent
from forex_diffusion.patterns.registry import PatternRegistry

__all__ = ["PatternEvent", "PatternRegistry"]
