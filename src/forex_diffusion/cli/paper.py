"""``fxd paper start`` and ``fxd paper resume``: paper trading on the store's live feed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from forex_diffusion.cli.context import console, state
from forex_diffusion.cli.strategies import ParamOption, StrategyOption, with_strategy
from forex_diffusion.cli.times import parse_time

if TYPE_CHECKING:
    import pandas as pd

    from forex_diffusion.trading.paper import PaperRun

__all__ = ["app"]

app = typer.Typer(help="Paper trading: every stored bar in order, then each new one as it comes.")

UntilIdle = Annotated[
    bool,
    typer.Option(
        "--until-idle",
        help="Exit once no new bar arrives (scripts, tests); without it the run waits for new "
        "bars until Ctrl-C.",
    ),
]
Poll = Annotated[float, typer.Option(min=0.1, help="Seconds between looks for new bars.")]


def _say_how_it_runs(run_id: str, *, until_idle: bool, poll: float) -> None:
    """Without --until-idle the loop never ends by itself: say what it does and how to stop."""
    if not until_idle:
        console.print(
            f"trading the stored bars, then waiting for new ones (looking every {poll:g} s); "
            f"Ctrl-C stops it, `fxd paper resume {run_id}` continues it later "
            "(--until-idle: exit once no new bar arrives)",
            soft_wrap=True,
        )


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
        f"{f' ({engine.reason})' if engine.reason else ''}; {engine.trade_count} trades closed "
        f"in this session, {len(engine.broker.positions())} positions open; equity "
        f"{account.equity:,.2f} {account.currency}. See `fxd runs show {run.run_id}`.",
        soft_wrap=True,
    )


def start(
    run_id: Annotated[str, typer.Option("--run-id", help="Id of the new run (<= 24 chars).")],
    symbol: Annotated[str, typer.Option(help="Currency pair, e.g. EURUSD.")],
    timeframe: Annotated[str, typer.Option(help="Timeframe, e.g. H1.")],
    strategy: StrategyOption = None,
    param: ParamOption = None,
    from_: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Trade the bars after this time, ISO 8601 (2017-09-01, 2017-09-01T12:00, "
            "2017-09-01 12:00+01:00; no offset: UTC); it and earlier ones warm up. Default: "
            "every stored bar.",
        ),
    ] = None,
    until_idle: UntilIdle = False,
    poll: Poll = 5.0,
) -> None:
    """Start a paper run: trade every stored bar after --from in order, then each new bar."""
    from forex_diffusion.trading.paper import start_paper

    cfg = with_strategy(state.config.trading, strategy, param)
    start_ts = parse_time(from_, option="--from")
    run = start_paper(
        state.store(),
        run_id=run_id,
        symbol=symbol,
        timeframe=timeframe,
        config=cfg,
        start=start_ts,
    )
    console.print(f"paper run {run_id}: {cfg.strategy} on {run.symbol} {run.timeframe}")
    _say_how_it_runs(run_id, until_idle=until_idle, poll=poll)
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
    _say_how_it_runs(run_id, until_idle=until_idle, poll=poll)
    _loop(run, until_idle=until_idle, poll=poll)


app.command("start")(start)
app.command("resume")(resume)
