from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forex_diffusion.core.errors import ConfigError
from forex_diffusion.intelligence import (
    AdaptiveParameterSystem,
    ParameterAdaptationDB,
    TradingParameters,
)
from forex_diffusion.intelligence.adaptive_parameter_system import Proposal, performance
from forex_diffusion.intelligence.evaluation.signal_replay import replay_signals
from forex_diffusion.storage import Store

BLOCKS = 30
# one 4-bar block: decide on bar 0, dip 11 pips on bar 1, rally 25 pips on bar 2, settle on bar 3
HIGH = [1.1002, 1.1001, 1.1025, 1.1023]
LOW = [1.0998, 1.0989, 1.0991, 1.0998]
CLOSE = [1.1000, 1.0992, 1.1022, 1.1000]


def market() -> tuple[pd.DataFrame, pd.DataFrame]:
    index = pd.date_range("2017-03-01", periods=4 * BLOCKS, freq="h", tz="UTC")
    candles = pd.DataFrame(
        {
            "open": CLOSE * BLOCKS,
            "high": HIGH * BLOCKS,
            "low": LOW * BLOCKS,
            "close": CLOSE * BLOCKS,
            "volume": 1.0,
        },
        index=index,
    )
    signals = pd.DataFrame(
        {
            "signal_id": [f"s{i}" for i in range(BLOCKS)],
            "direction": "bull",
            "composite": np.linspace(0.66, 0.9, BLOCKS),
            "entry_price": 1.1000,
            "target_price": 1.1020,
            "stop_price": 1.0990,
            "ts": index[::4],
            "valid_until": index[3::4],
        }
    )
    return candles, signals


def test_replay_by_hand() -> None:
    candles, signals = market()
    base = replay_signals(signals, candles, TradingParameters(), symbol="EURUSD", spread_pips=1.0)
    assert len(base.pnl_pips) == BLOCKS
    np.testing.assert_allclose(base.pnl_pips, -11.0)  # stopped at -10, minus the spread
    wide = replay_signals(
        signals, candles, TradingParameters(stop_multiple=1.2), symbol="EURUSD", spread_pips=1.0
    )
    np.testing.assert_allclose(wide.pnl_pips, 19.0)  # the 12-pip stop survives the dip
    fewer = replay_signals(
        signals, candles, TradingParameters(threshold=0.8), symbol="EURUSD", spread_pips=1.0
    )
    assert len(fewer.pnl_pips) == int((signals["composite"] >= 0.8).sum())
    with pytest.raises(ConfigError, match="stop_multiple"):
        TradingParameters(stop_multiple=0.0)


def test_performance_by_hand() -> None:
    perf = performance([10.0, -5.0, 20.0, -5.0, -5.0], ["target", "stop", "target", "stop", "stop"])
    assert perf.win_rate == pytest.approx(0.4)
    assert perf.profit_factor == pytest.approx(30 / 15)
    assert perf.max_drawdown == pytest.approx(10.0)
    assert perf.consecutive_losses == 2
    assert perf.stop_rate == pytest.approx(0.6) and perf.target_rate == pytest.approx(0.4)


def test_a_proposal_that_changes_nothing_is_rejected() -> None:
    candles, signals = market()
    system = AdaptiveParameterSystem(symbol="EURUSD", timeframe="H1")
    # every composite is >= 0.66: a threshold of 0.655 trades exactly the same signals
    status, evidence = system.validate(Proposal("threshold", 0.65, 0.655, "test"), signals, candles)
    assert status == "rejected"
    assert "changes nothing" in evidence["verdict"]
    assert evidence["before"] == evidence["after"]


def test_losing_stops_lead_to_a_proven_wider_stop_then_a_rollback(store: Store) -> None:
    candles, signals = market()
    db = ParameterAdaptationDB(store)
    system = AdaptiveParameterSystem(
        symbol="EURUSD", timeframe="H1", db=db, min_trades=10, review_trades=5
    )
    losses = [-11.0] * 12
    records = system.step(
        pnl_pips=losses,
        exit_reasons=["stop"] * 12,
        signals=signals,
        candles=candles,
        ts=candles.index[-1],
    )
    statuses = {r.proposal.parameter: r.status for r in records}
    # a higher threshold and a smaller size lose less, and a nearer target changes nothing
    # here, but the wider stop turns every trade into a winner: it alone is deployed
    assert statuses == {
        "threshold": "rejected",
        "size_multiplier": "rejected",
        "stop_multiple": "deployed",
        "target_multiple": "rejected",
    }
    assert system.params.stop_multiple == pytest.approx(1.2)
    assert system.params.threshold == 0.65
    deployed = next(r for r in records if r.status == "deployed")
    outdone = next(r for r in records if r.proposal.parameter == "threshold")
    assert "another proposal replayed better" in outdone.evidence["verdict"]
    assert deployed.evidence["after"]["total_pips"] > deployed.evidence["before"]["total_pips"]
    # five more trades, worse than before the change: rolled back
    later = system.step(
        pnl_pips=[*losses, -20.0, -20.0, -20.0, -20.0, -20.0],
        exit_reasons=None,
        signals=signals.iloc[:0],
        candles=candles,
        ts=candles.index[-1],
    )
    assert later[0].status == "rolled_back"
    assert system.params.stop_multiple == pytest.approx(1.0)
    history = db.history(symbol="EURUSD")
    assert len(history) == len(records) + len(later)
    assert history["id"].str.fullmatch(r"[0-9a-f]{32}").all()
    assert set(history["status"]) >= {"deployed", "rolled_back"}
    row = history[history["status"] == "deployed"].iloc[0]
    assert row["id"] == deployed.adaptation_id and row["parameter_name"] == "stop_multiple"
    evidence = row["params_metadata"]
    assert {"before", "after", "performance", "verdict", "signals_replayed"} <= set(evidence)
    assert evidence["performance"]["consecutive_losses"] == 12
