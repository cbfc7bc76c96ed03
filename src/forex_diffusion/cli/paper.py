"""``fxd paper start`` and ``fxd paper resume``: paper trading on the store's live feed (the
work is :mod:`forex_diffusion.services.paper`; this prints it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from forex_diffusion.cli.context import console, state
from forex_diffusion.cli.options import ParamOption, StrategyOption, parse_params
from forex_diffusion.cli.times import parse_time
from forex_diffusion.core.types import Symbol, Timeframe

if TYPE_CHECKING:
    import pandas as pd

    from forex_diffusion.services.paper import PaperSession

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


def _trade(session: PaperSession, *, until_idle: bool, poll: float) -> None:
    from forex_diffusion.services.paper import trade

    def tick(done: int, ts: pd.Timestamp) -> None:
        if done % 500 == 0:
            console.print(f"  {done:,} bars, last {ts:%Y-%m-%d %H:%M}", soft_wrap=True)

    _say_how_it_runs(session.run_id, until_idle=until_idle, poll=poll)
    out = trade(session, until_idle=until_idle, poll_seconds=poll, on_bar=tick)
    if out.interrupted:
        console.print(f"interrupted; continue with `fxd paper resume {out.run_id}`")
    console.print(
        f"run {out.run_id}: {out.bars:,} bars to {out.last or '-'}; state {out.state}"
        f"{f' ({out.reason})' if out.reason else ''}; {out.trades} trades closed "
        f"in this session, {out.open_positions} positions open; equity "
        f"{out.equity:,.2f} {out.currency}. See `fxd runs show {out.run_id}`.",
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
    from forex_diffusion.services.paper import PaperStartRequest, start_paper_run

    request = PaperStartRequest(
        symbol=Symbol.parse(symbol),
        timeframe=Timeframe.parse(timeframe),
        run_id=run_id,
        strategy=strategy,
        params=parse_params(param),
        start=parse_time(from_, option="--from"),
    )
    session = start_paper_run(state.store(), state.config, request)
    console.print(
        f"paper run {session.run_id}: {session.trading.strategy} on "
        f"{session.symbol} {session.timeframe}"
    )
    _trade(session, until_idle=until_idle, poll=poll)


def resume(
    run_id: Annotated[str, typer.Argument(help="The paper run to continue.")],
    until_idle: UntilIdle = False,
    poll: Poll = 5.0,
) -> None:
    """Continue a paper run after a stop or a crash from its last processed bar."""
    from forex_diffusion.services.paper import resume_paper_run

    session = resume_paper_run(state.store(), run_id)
    console.print(f"paper run {run_id}: resumed after {session.resumed_after or 'the start'}")
    _trade(session, until_idle=until_idle, poll=poll)


app.command("start")(start)
app.command("resume")(resume)
