"""One gate from ``[signals]`` in every backtest, and deployed adaptations in the loop."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from forex_diffusion.backtest.walkforward import make_folds, run_walkforward
from forex_diffusion.core.adaptation import Adaptation, TradingParameters
from forex_diffusion.core.config import RootConfig, SignalsConfig
from forex_diffusion.core.errors import ConflictError
from forex_diffusion.core.trading_config import RiskConfig, TradingConfig
from forex_diffusion.core.types import Symbol, Timeframe
from forex_diffusion.data import load_sample
from forex_diffusion.intelligence.adaptive_parameter_system import (
    ParameterAdaptationDB,
    Proposal,
)
from forex_diffusion.services.backtest import BacktestOutcome, BacktestRequest, backtest
from forex_diffusion.services.params import AdaptRequest, adapt
from forex_diffusion.storage import (
    AdaptationRepository,
    CandleRepository,
    FusedSignalRepository,
    RunRepository,
    Store,
)

EURUSD, H1 = Symbol.parse("EURUSD"), Timeframe.parse("H1")
CANDLES = load_sample().iloc[:1250]
START = pd.Timestamp(CANDLES.index[1001])


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    path = tmp_path_factory.mktemp("gate") / "store.sqlite"
    s = Store(f"sqlite:///{path}")
    s.ensure_schema()
    CandleRepository(s).upsert("EURUSD", "H1", CANDLES)
    return s


def _config(**signals: object) -> RootConfig:
    trading = TradingConfig(
        strategy="fused",
        strategy_params={"forecaster": "bootstrap", "fit_bars": 1000, "samples": 100},
        risk=RiskConfig(max_drawdown=0.9, daily_loss_limit=0.5),
    )
    # the gate's own behaviour: trade what it selects (the edge decision would wait for a
    # skilful meta-model, which 250 bars do not give)
    return RootConfig(
        trading=trading, signals=SignalsConfig.model_validate({"decision": "gate", **signals})
    )


def _run(store: Store, config: RootConfig, run_id: str) -> BacktestOutcome:
    request = BacktestRequest(symbol=EURUSD, timeframe=H1, start=START, run_id=run_id)
    return backtest(store, config, request)


@pytest.fixture(scope="module")
def base(store: Store) -> BacktestOutcome:
    return _run(store, _config(), "bt-base")


def _entries(outcome: BacktestOutcome) -> list[tuple[str, str]]:
    trades = outcome.result.trades
    return list(zip(trades["entry_time"].astype(str), trades["direction"], strict=True))


def test_the_config_threshold_and_weights_change_a_fused_backtest(
    store: Store, base: BacktestOutcome
) -> None:
    assert len(base.result.trades) > 0
    lower = _run(store, _config(threshold=0.5), "bt-low")
    weighted = _run(store, _config(weights={"pattern_strength": 3.0}), "bt-weights")
    assert _entries(lower) != _entries(base)
    assert _entries(weighted) != _entries(base)
    # the stored signals carry the gate each run used, and the run stores its [signals]
    low = FusedSignalRepository(store).load(EURUSD, H1, run_id="bt-low")
    assert {m["threshold"] for m in low["metadata"]} == {0.5}
    runs = RunRepository(store)
    for rid, threshold in (("bt-base", 0.65), ("bt-low", 0.5)):
        assert runs.get(rid)["config"]["signals"]["threshold"] == threshold
    assert runs.get("bt-base")["config_hash"] != runs.get("bt-low")["config_hash"]


def test_the_configured_sentiment_feed_moves_sentiment_alignment(
    store: Store, base: BacktestOutcome, tmp_path: Path
) -> None:
    feed = tmp_path / "sentiment.csv"
    times = CANDLES.index[900::6]
    rows = [f"{t.isoformat()},EURUSD,80" for t in times]
    feed.write_text("time,symbol,long_pct\n" + "\n".join(rows) + "\n", encoding="utf-8")
    _run(store, _config(sentiment_file=str(feed)), "bt-sentiment")
    repo = FusedSignalRepository(store)
    plain = repo.load(EURUSD, H1, run_id="bt-base")["sentiment_alignment"]
    fed = repo.load(EURUSD, H1, run_id="bt-sentiment")["sentiment_alignment"]
    assert set(plain.round(6)) == {0.5}
    assert {0.2, 0.8} <= set(fed.round(6))  # 80 % long: bears 0.8, bulls 0.2


def _validated(store: Store, *, threshold: float, made_until: pd.Timestamp) -> str:
    params = TradingParameters(threshold=threshold)
    return ParameterAdaptationDB(store).record(
        Proposal("threshold", 0.65, threshold, "test"),
        status="validated",
        evidence={"validated": True, "verdict": "test", "params_after": params.as_dict()},
        ts=made_until,
        symbol="EURUSD",
        timeframe="H1",
    )


def test_a_deployed_adaptation_is_traded_by_the_next_run_and_an_unvalidated_one_refused(
    store: Store, base: BacktestOutcome
) -> None:
    repo = AdaptationRepository(store)
    rejected = ParameterAdaptationDB(store).record(
        Proposal("threshold", 0.65, 0.5, "test"),
        status="rejected",
        evidence={"validated": False, "verdict": "the replay is worse with the new value"},
        ts=START,
        symbol="EURUSD",
        timeframe="H1",
    )
    with pytest.raises(ConflictError, match="the replay is worse"):
        repo.deploy(rejected)
    aid = _validated(store, threshold=0.99, made_until=pd.Timestamp(CANDLES.index[999]))
    assert _run(store, _config(), "bt-before-deploy").result.adaptations == {}
    repo.deploy(aid)
    try:
        after = _run(store, _config(), "bt-deployed")
        assert len(after.result.trades) == 0 < len(base.result.trades)  # nothing clears 0.99
        assert after.result.adaptations == {aid: len(CANDLES) - 1001}
        assert RunRepository(store).get("bt-deployed")["metrics"]["adaptations"] == {
            aid: len(CANDLES) - 1001
        }
        off = _run(store, _config(use_optimized_parameters=False), "bt-off")
        assert _entries(off) == _entries(base)
    finally:
        repo.retire(aid)
    assert _entries(_run(store, _config(), "bt-retired")) == _entries(base)


def test_a_fold_never_sees_an_adaptation_made_from_its_own_bars() -> None:
    candles = load_sample().iloc[:3000]
    folds = make_folds(len(candles), folds=2, train_bars=1000, purge=24, embargo=0)
    test_starts = [candles.index[f.test_start] for f in folds]

    def made(at: pd.Timestamp, name: str) -> Adaptation:
        return Adaptation(
            adaptation_id=name, symbol="EURUSD", timeframe="H1", regime=None, made_until=at
        )

    early = made(test_starts[0] - pd.Timedelta(hours=1), "early")
    middle = made(test_starts[1] - pd.Timedelta(hours=1), "middle")
    late = made(candles.index[-1], "late")
    seen: list[tuple[str, ...]] = []

    class StopError(Exception):
        pass

    def capture(_fn: object, tasks: list) -> list:  # type: ignore[type-arg]
        seen.extend(tuple(a.adaptation_id for a in t.adaptations) for t in tasks)
        raise StopError

    with pytest.raises(StopError):
        run_walkforward(
            candles,
            symbol="EURUSD",
            timeframe="H1",
            config=TradingConfig(strategy="sma_cross"),
            folds=folds,
            horizon=24,
            mapper=capture,
            adaptations=[early, middle, late],
        )
    assert seen == [("early",), ("early", "middle")]


def test_adapt_stores_its_proposals_with_the_replay_evidence(
    store: Store, base: BacktestOutcome
) -> None:
    outcome = adapt(store, _config(), AdaptRequest(symbol=EURUSD, timeframe=H1, from_run="bt-base"))
    assert outcome.search[1] == outcome.validation[0]
    # the search's trades lose (profit factor < 1): raise the threshold, cut the size
    assert outcome.performance["trades"] >= 20 and outcome.performance["profit_factor"] < 1
    assert {r["parameter_name"] for r in outcome.adaptations} == {"threshold", "size_multiplier"}
    for row in outcome.adaptations:
        evidence = row["params_metadata"]
        assert row["status"] in ("validated", "rejected")
        assert evidence["validated"] is (row["status"] == "validated")
        assert evidence["source_run"] == "bt-base" and "before" in evidence and "after" in evidence
    assert len(outcome.validated) <= 1
