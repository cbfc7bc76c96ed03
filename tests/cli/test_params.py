"""``fxd params``: list, show, deploy (refused without validation), retire, from the store."""

from __future__ import annotations

import json

import pandas as pd

from forex_diffusion.intelligence.adaptive_parameter_system import (
    ParameterAdaptationDB,
    Proposal,
)
from forex_diffusion.storage import Store
from tests.cli.test_cli import fxd


def _record(url: str, *, validated: bool) -> str:
    store = Store(url)
    store.ensure_schema()
    try:
        return ParameterAdaptationDB(store).record(
            Proposal("threshold", 0.65, 0.7, "losing streak"),
            status="validated" if validated else "rejected",
            evidence={
                "validated": validated,
                "verdict": "ok" if validated else "the replay is worse with the new value",
                "params_after": {"threshold": 0.7},
            },
            ts=pd.Timestamp("2017-06-01", tz="UTC"),
            symbol="EURUSD",
            timeframe="H1",
        )
    finally:
        store.dispose()


def test_params_deploy_retire_and_refusals(env: dict[str, str]) -> None:
    good = _record(env["FXD_DATABASE_URL"], validated=True)
    bad = _record(env["FXD_DATABASE_URL"], validated=False)
    listed = fxd(env, "params", "list", "EURUSD", "H1", "--json")
    assert listed.code == 0, listed.err
    assert {r["id"]: r["status"] for r in json.loads(listed.out)} == {
        good: "validated",
        bad: "rejected",
    }
    refused = fxd(env, "params", "deploy", bad[:12])
    assert refused.code == 4, refused.err
    assert "cannot be deployed: it is rejected (the replay is worse" in refused.err
    deployed = fxd(env, "params", "deploy", good[:12])
    assert deployed.code == 0 and "deployed" in deployed.out, deployed.err
    shown = json.loads(fxd(env, "params", "show", good).out)
    assert shown["status"] == "deployed" and shown["params_metadata"]["deployed_at"]
    assert fxd(env, "params", "retire", good[:12]).code == 0
    again = fxd(env, "params", "retire", good[:12])
    assert again.code == 4 and "not deployed" in again.err
    missing = fxd(env, "params", "show", "ffff")
    assert missing.code == 5 and "no adaptation 'ffff'" in missing.err
    no_run = fxd(env, "params", "adapt", "EURUSD", "H1", "--from-run", "wf-none")
    assert no_run.code == 5 and "no run 'wf-none'" in no_run.err
