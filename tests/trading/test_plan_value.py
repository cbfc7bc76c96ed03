"""Plan valuation by sample paths: closed forms of Brownian first passage, costs by hand."""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest

from forex_diffusion.core.errors import ConfigError
from forex_diffusion.core.events import Forecast
from forex_diffusion.core.trading_config import BrokerConfig, SwapRates
from forex_diffusion.trading.costs import CostModel, spread_bucket
from forex_diffusion.trading.plan_value import Plan, account_per_quote, passage, value_plan

PHI = NormalDist().cdf
HOUR = pd.Timedelta(hours=1)
BUCKETS = ("sunday_open", "rollover", "overlap", "london", "new_york", "asia")


def free_costs() -> CostModel:
    """A broker that charges nothing."""
    return CostModel(
        BrokerConfig(
            spreads={"EURUSD": dict.fromkeys(BUCKETS, 0.0)},
            swaps={"EURUSD": SwapRates(long=0.0, short=0.0)},
            commission_per_lot=0.0,
            slippage_pips=0.0,
        )
    )


def brownian(n: int, steps: int, sigma: float, seed: int = 0) -> np.ndarray:
    """Driftless Gaussian random-walk paths at steps 1..steps, from 0."""
    return np.cumsum(np.random.default_rng(seed).normal(0, sigma, (n, steps)), axis=1)


def forecast_of(samples: np.ndarray, horizons: tuple[int, ...], origin: pd.Timestamp) -> Forecast:
    levels = (0.1, 0.5, 0.9)
    return Forecast(
        symbol="EURUSD",
        timeframe="H1",
        origin_ts=origin,
        origin_price=1.1,
        horizons=horizons,
        quantile_levels=levels,
        quantiles=np.quantile(samples, levels, axis=0).T,
        model_id="test",
        samples=samples,
    )


def test_one_barrier_matches_the_reflection_principle() -> None:
    """P(max of a driftless Brownian motion over T reaches b) = 2 (1 - Phi(b / sigma sqrt T));
    the bridge correction recovers it from close-to-close steps, dense or at sparse horizons,
    where reading the closes alone misses touches inside the steps."""
    t, b = 24, 2.0
    exact = 2 * (1 - PHI(b / np.sqrt(t)))
    paths = brownian(20_000, t, 1.0)
    far = np.full(t, -1e9)
    up, down, alive = passage(paths, np.arange(1, t + 1), start=0.0, upper=np.full(t, b), lower=far)
    assert up.sum(1).mean() == pytest.approx(exact, abs=0.015)
    assert down.sum() == 0.0
    np.testing.assert_allclose(up.sum(1) + alive, 1.0)
    sparse = np.array([1, 4, 12, 24])
    up_s, _, _ = passage(
        paths[:, sparse - 1], sparse, start=0.0, upper=np.full(4, b), lower=far[:4]
    )
    assert up_s.sum(1).mean() == pytest.approx(exact, abs=0.015)
    closes_only = (paths.max(1) >= b).mean()
    assert exact - closes_only > 0.05  # what the bridge is for


def test_two_barriers_reach_the_gamblers_ruin_odds() -> None:
    """Over a long horizon a driftless motion from 0 leaves (-b, a) through a with probability
    b / (a + b)."""
    a, b, t = 1.0, 2.0, 300
    paths = brownian(8_000, t, 0.5, seed=1)
    up, down, alive = passage(
        paths, np.arange(1, t + 1), start=0.0, upper=np.full(t, a), lower=np.full(t, -b)
    )
    assert alive.mean() < 0.01
    assert up.sum(1).mean() == pytest.approx(b / (a + b), abs=0.02)
    assert down.sum(1).mean() == pytest.approx(a / (a + b), abs=0.02)


def test_a_symmetric_plan_at_zero_cost_is_worth_nothing() -> None:
    origin = pd.Timestamp("2017-03-01 10:00", tz="UTC")
    half = brownian(5_000, 24, 0.0005, seed=2)
    samples = 1.1 + np.concatenate([half, -half])  # antithetic: exactly symmetric paths
    forecast = forecast_of(samples, tuple(range(1, 25)), origin)
    plan = Plan(direction="long", entry=1.1, stop=1.1 - 0.0015, target=1.1 + 0.0015, bars=24)
    value = value_plan(forecast, plan, costs=free_costs(), bar=HOUR)
    assert value.p_target == pytest.approx(value.p_stop, abs=1e-3)
    assert value.p_target + value.p_stop + value.p_expiry == pytest.approx(1.0)
    assert value.expected_r == pytest.approx(0.0, abs=1e-3)
    assert value.cost_r == pytest.approx(0.0, abs=1e-12)
    assert value.target_r == pytest.approx(1.0)
    assert value.stop_r == pytest.approx(-1.0)
    short = value_plan(
        forecast,
        Plan(direction="short", entry=1.1, stop=1.1015, target=1.0985, bars=24),
        costs=free_costs(),
        bar=HOUR,
    )
    assert short.expected_r == pytest.approx(0.0, abs=1e-3)


def test_costs_in_r_by_hand_for_a_plan_over_the_rollover() -> None:
    """A long made on the close of Wednesday 2017-03-01 19:00 UTC, held 4 bars (20:00 to 23:00
    UTC): it survives the 22:00 UTC rollover (17:00 New York, Wednesday: three nights), enters
    in the New York session and leaves by its time stop at the close of the Asia-session bar.
    Paths that stay at the entry leave the costs alone."""
    origin = pd.Timestamp("2017-03-01 19:00", tz="UTC")
    spreads = {**dict.fromkeys(BUCKETS, 9.0), "new_york": 1.0, "asia": 2.0, "rollover": 3.0}
    config = BrokerConfig(
        spreads={"EURUSD": spreads},
        swaps={"EURUSD": SwapRates(long=-0.6, short=0.1)},
        commission_per_lot=3.5,
        slippage_pips=0.2,
    )
    assert [spread_bucket(origin + k * HOUR) for k in (1, 4)] == ["new_york", "asia"]
    samples = np.full((50, 24), 1.06)
    forecast = forecast_of(samples, tuple(range(1, 25)), origin)
    plan = Plan(direction="long", entry=1.06, stop=1.058, target=1.064, bars=4)
    value = value_plan(forecast, plan, costs=CostModel(config), bar=HOUR)
    entry = 0.5 * 1.0 + 0.2  # half the New York spread and the slippage, in pips
    exit_ = 0.5 * 2.0  # half the Asia spread at the time stop
    swap = 3 * 0.6
    commission = 2 * 3.5 / 100_000 / 0.0001  # both sides, per unit, in pips
    expected = -(entry + exit_ + swap + commission) / 20.0  # one R is 20 pips
    assert value.p_expiry == 1.0 and value.bars == 4
    assert value.expected_r == pytest.approx(expected)
    assert value.cost_r == pytest.approx(-expected)
    assert value.as_metadata()["forecast_expectancy"] == value.expected_r


def test_a_plan_whose_barrier_the_spread_crosses_is_stopped_at_once() -> None:
    """A stop closer than half the spread triggers on the first bar."""
    origin = pd.Timestamp("2017-03-01 10:00", tz="UTC")
    config = BrokerConfig(spreads={"EURUSD": dict.fromkeys(BUCKETS, 4.0)})
    forecast = forecast_of(np.full((20, 24), 1.1), tuple(range(1, 25)), origin)
    plan = Plan(direction="long", entry=1.1, stop=1.1 - 0.0001, target=1.1010, bars=24)
    value = value_plan(forecast, plan, costs=CostModel(config), bar=HOUR)
    assert value.p_stop == 1.0
    assert value.expected_r < -1.0


def test_plans_and_rates_refuse_what_they_cannot_value() -> None:
    with pytest.raises(ConfigError, match="target beyond"):
        Plan(direction="long", entry=1.1, stop=1.2, target=1.3, bars=3)
    with pytest.raises(ConfigError, match="fx_rates"):
        account_per_quote("EURGBP", 0.85, BrokerConfig())
    assert account_per_quote("USDJPY", 110.0, BrokerConfig()) == pytest.approx(1 / 110)
    origin = pd.Timestamp("2017-03-01 10:00", tz="UTC")
    bare = forecast_of(np.full((5, 1), 1.1), (1,), origin)
    plan = Plan(direction="long", entry=1.1, stop=1.09, target=1.11, bars=1)
    with pytest.raises(ConfigError, match="no sample paths"):
        value_plan(
            Forecast(
                **{**{f: getattr(bare, f) for f in bare.__dataclass_fields__}, "samples": None}
            ),
            plan,
            costs=free_costs(),
            bar=HOUR,
        )
