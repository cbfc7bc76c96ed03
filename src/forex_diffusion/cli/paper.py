"""``fxd paper start`` and ``fxd paper resume``: paper trading on the store's live feed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from forex_diffusion.cli.context import console, state
from forex_diffusion.core.errors import ConfigError
from forex_diffusion.core.trading_config import TradingConfig

if TYPE_CHECKING:
    import pandas as pd

    from forex_diffusion.trading.paper import PaperRun

__all__ = ["app", "parse_params", "with_strategy"]

app = typer.Typer(help="Paper trading: every stored bar in order, then each new one as it comes.")

UntilIdle = Annotated[
    bool, typer.Option("--until-idle", help="Exit once no new bar arrives (scripts, tests).")
]
Poll = Annotated[float, typer.Option(min=0.1, help="Seconds between looks for new bars.")]


def parse_params(items: list[str]) -> dict[str, float | int | str | bool]:
    """``name=value`` pairs into typed strategy parameters (int, float, bool or text)."""
    out: dict[str, float | int | str | bool] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"--param {item!r}: expected name=value")
        value: float | int | str | bool = raw
        if raw.lower() in ("true", "false"):
            value = raw.lower() == "true"
        else:
            for kind in (int, float):
                try:
                    value = kind(raw)
                    break
                except ValueError:
                    continue
        out[name.strip()] = value
    return out


def with_strategy(
    config: TradingConfig, strategy: str | None, params: list[str] | None
) -> TradingConfig:
    """The trading config with ``--strategy`` (its parameters reset) and ``--param`` applied."""
    update: dict[str, Any] = {}
    if strategy:
        update = {"strategy": strategy, "strategy_params": {}}
    if params:
        update["strategy_params"] = {
            **update.get("strategy_params", config.strategy_params),
            **parse_params(params),
        }
    return TradingConfig.model_validate({**config.model_dump(), **update})


def _loop(run: PaperRun, *, until_idle: bool, poll: float) -> None:
    count = 0

    def tick(ts: pd.Timestamp) -> None:
        nonlocal count
        count += 1
        if count % 500 == 0:
            console.print(f"  {count:,} bars, last {ts:%Y-%m-%d %H:%M}", soft_wrap=True)

    try:
        run.loop(until_idle=until_idle, poll_seconds=poll, on_bar=tick)
    except KeyboardInterrupt:
        console.print(f"interrupted; continue with `fxd paper resume {run.run_id}`")
    engine = run.engine
    account = engine.broker.account()
    console.print(
        f"run {run.run_id}: {count:,} bars to {run.last or '-'}; state {engine.state.value}"
        f"{f' ({engine.reason})' if engine.reason else ''}; {len(engine.trades)} trades closed "
        f"in this session, {len(engine.broker.positions())} positions open; equity "
        f"{account.equity:,.2f} {account.currency}. See `fxd runs show {run.run_id}`.",
        soft_wrap=True,
    )


def start(
    run_id: Annotated[str, typer.Option("--run-id", help="Id of the new run (<= 24 chars).")],
    symbol: Annotated[str, typer.Option(help="Currency pair, e.g. EURUSD.")],
    timeframe: Annotated[str, typer.Option(help="Timeframe, e.g. H1.")],
    strategy: Annotated[
        str | None, typer.Option(help="Strategy name [config: trading.strategy].")
    ] = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="Strategy parameter name=value.")
    ] = None,
    from_: Annotated[
        str | None,
        typer.Option("--from", help="Trade the bars after this time (UTC); earlier ones warm up."),
    ] = None,
    until_idle: UntilIdle = False,
    poll: Poll = 5.0,
) -> None:
    """Start a paper run: trade every stored bar after --from in order, then each new bar."""
    import pandas as pd

    from forex_diffusion.trading.paper import start_paper

    cfg = with_strategy(state.config.trading, strategy, param)
    start_ts = None
    if from_:
        try:
            start_ts = pd.Timestamp(from_)
        except ValueError as exc:
            raise ConfigError(f"--from {from_!r}: not a time ({exc})") from None
        start_ts = start_ts.tz_localize("UTC") if start_ts.tzinfo is None else start_ts
    run = start_paper(
        state.store(),
        run_id=run_id,
        symbol=symbol,
        timeframe=timeframe,
        config=cfg,
        start=start_ts,
    )
    console.print(f"paper run {run_id}: {cfg.strategy} on {run.symbol} {run.timeframe}")
    _loop(run, until_idle=until_idle, poll=poll)


def resume(
    run_id: Annotated[str, typer.Argument(help="The paper run to continue.")],
    until_idle: UntilIdle = False,
    poll: Poll = 5.0,
) -> None:
    """Continue a paper run after a stop or a crash from its last processed bar."""
    from forex_diffusion.trading.paper import resume_paper

    run = resume_paper(state.store(), run_id)
    console.print(f"paper run {run_id}: resumed after {run.last or 'the start'}")
    _loop(run, until_idle=until_idle, poll=poll)


app.command("start")(start)
app.command("resume")(resume)
