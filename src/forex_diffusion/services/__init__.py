"""The use cases, as functions with typed requests and results: backtest, walk-forward,
sweep, train, evaluate, signals and paper. The CLI and the API are thin faces over them
(argument parsing, output, exit or HTTP codes); this is the one place that creates and
finishes run records. Symbols and timeframes arrive parsed (:class:`Symbol`,
:class:`Timeframe`); the root config arrives loaded (:class:`RootConfig`), and every run takes
its ``[trading]`` and ``[signals]`` sections from it.
"""
