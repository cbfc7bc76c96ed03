"""``fxd`` with one more strategy, ``explode``: sma_cross that raises ``KeyError('boom')`` on
the bar opening at its ``at`` parameter (for the run-failure tests). Run as
``python -m tests.cli.failing_fxd ARGS`` from the repository root."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from forex_diffusion.cli.app import main
from forex_diffusion.trading.strategies import STRATEGIES, BarView, Decision, Rules
from forex_diffusion.trading.strategies.reference import SmaCross


@STRATEGIES.register("explode")
class Explode(SmaCross):
    """sma_cross, raising on one bar."""

    name = "explode"

    class Params(SmaCross.Params):
        at: str = ""

    params: Params

    def rules(self, columns: Mapping[str, np.ndarray]) -> Rules | None:
        return None  # bar by bar, through the engine

    def on_bar(self, view: BarView) -> Decision:
        if self.params.at and view.candles.index[-1] == pd.Timestamp(self.params.at):
            raise KeyError("boom")
        return super().on_bar(view)


if __name__ == "__main__":
    main()
