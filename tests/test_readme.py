"""The report's three debug commands run as written, each in a fresh interpreter.

The report this project was sketched from (the original forex_diffusion system, public
repository nuspy/AI_FX_Station, ``REVIEWS/4_Integration_Architecture.md``, section "Support &
Maintenance" / "Debug Commands") gives them in one block; here each runs on its own, verbatim,
from a temporary folder with this environment's Python. None of them needs data.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.test_docs_snippets import run_snippet

PATTERN_DETECTORS = """\
# Check pattern detectors loaded
from forex_diffusion.patterns.registry import PatternRegistry
registry = PatternRegistry()
detectors = registry.detectors()
print(f"Loaded {len(detectors)} detectors")
"""

SIGNAL_FUSION = """\
# Check signal fusion active
from forex_diffusion.intelligence.unified_signal_fusion import UnifiedSignalFusion
fusion = UnifiedSignalFusion()
print(f"Signal fusion initialized: {fusion is not None}")
"""

MEMORY = """\
# Check memory usage
import psutil
process = psutil.Process()
memory_mb = process.memory_info().rss / 1024 / 1024
print(f"Memory usage: {memory_mb:.1f} MB")
"""

COMMANDS = {
    "pattern detectors": (PATTERN_DETECTORS, r"^Loaded 116 detectors$"),
    "signal fusion": (SIGNAL_FUSION, r"^Signal fusion initialized: True$"),
    "memory": (MEMORY, r"^Memory usage: \d+\.\d MB$"),
}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_the_reports_debug_command_runs(name: str, tmp_path: Path) -> None:
    code, expected = COMMANDS[name]
    printed = run_snippet(code, tmp_path)
    assert re.match(expected, printed), printed
