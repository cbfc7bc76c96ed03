"""The dashboard's paper-run buttons follow the API's run state (``trading``, ``active``,
``resumable``, ``resume_blocked``): no resume button after the kill-switch. The script's
``controlButtons`` runs in Node.js with a minimal stand-in for ``document`` (the full page is
tested in a browser by ``test_dashboard.py``)."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

from forex_diffusion.api.dashboard import STATIC

HARNESS = r"""
const src = require("fs").readFileSync(process.argv[1], "utf8");
const start = src.indexOf("function controlButtons(");
const end = src.indexOf("\n}\n", start) + 2;
const document = { createElement: (tag) => ({ tag, children: [], dataset: {},
  append(...items) { this.children.push(...items); } }) };
const body = `${src.slice(start, end)}; return controlButtons;`;
const controlButtons = new Function("document", body)(document);
const runs = JSON.parse(process.argv[2]);
console.log(JSON.stringify(runs.map((p) => controlButtons(p).children.map(
  (c) => (c.tag === "button" ? c.dataset.action : `(${c.textContent}: ${c.title})`)))));
"""

KILLED = "drawdown kill-switch: equity 99,800.00 is 0.2% below its peak 100,000.00 (limit 0%)"


def _buttons(runs: list[dict[str, Any]]) -> list[list[str]]:
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        pytest.skip("needs Node.js to run the dashboard's script")
    done = subprocess.run(
        [node, "-e", HARNESS, str(STATIC / "dashboard.js"), json.dumps(runs)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return [list(r) for r in json.loads(done.stdout)]


def _run(**state: Any) -> dict[str, Any]:
    return {"run_id": "p1", "resume_blocked": None, **state}


def test_the_buttons_follow_the_run_state() -> None:
    runs = [
        _run(trading=True, active=True, resumable=False),  # running
        _run(trading=False, active=True, resumable=True),  # paused by the user
        _run(trading=False, active=True, resumable=False, resume_blocked=KILLED),
        _run(trading=False, active=False, resumable=True),  # stopped, or only in the store
        _run(trading=False, active=False, resumable=False, resume_blocked=KILLED),
    ]
    assert _buttons(runs) == [
        ["pause", "stop"],
        ["resume", "stop"],
        ["stop", f"(cannot resume: {KILLED})"],
        ["resume"],
        [f"(cannot resume: {KILLED})"],
    ]
