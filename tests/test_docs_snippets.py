"""The debug snippets of docs/library.md run as written (each block in a fresh interpreter)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

LIBRARY = Path(__file__).parents[1] / "docs" / "library.md"
README = Path(__file__).parents[1] / "README.md"


def _snippets() -> list[str]:
    text = LIBRARY.read_text(encoding="utf-8")
    section = text.split("## Debug snippets", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_the_library_doc_has_debug_snippets() -> None:
    assert len(_snippets()) >= 5


def test_the_readme_is_a_landing_page() -> None:
    assert len(README.read_bytes()) < 15_000


def run_snippet(code: str, cwd: Path) -> str:
    """Run ``code`` verbatim in a fresh interpreter from ``cwd``: it must exit 0 and print
    something (every snippet prints what it shows); returns what it printed."""
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip(), "printed nothing"
    return proc.stdout.strip()


@pytest.mark.parametrize("code", _snippets(), ids=lambda c: c.splitlines()[0].lstrip("# ")[:40])
def test_debug_snippet_runs(code: str, tmp_path: Path) -> None:
    run_snippet(code, tmp_path)
